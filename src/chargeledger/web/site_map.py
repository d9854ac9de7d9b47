"""The map of sites, drawn without tiles (none are reachable offline): an equirectangular projection of the sites'
own coordinates, scaled to fit, each site a labelled point linking to its sessions. Pure: rows in, shapes out."""

from __future__ import annotations

import math
from typing import Any

WIDTH, HEIGHT, MARGIN = 900, 500, 40


def project(sites: list[dict[str, Any]]) -> dict[str, Any]:
    """SVG coordinates of each site with a position; longitudes scaled by cos(mid latitude) so shapes keep."""
    placed = [s for s in sites if s.get("latitude") is not None and s.get("longitude") is not None]
    unplaced = [s for s in sites if s not in placed]
    if not placed:
        return {"points": [], "unplaced": unplaced, "width": WIDTH, "height": HEIGHT}
    lats = [float(s["latitude"]) for s in placed]
    lons = [float(s["longitude"]) for s in placed]
    squeeze = math.cos(math.radians((max(lats) + min(lats)) / 2))
    xs = [lon * squeeze for lon in lons]
    span_x, span_y = max(max(xs) - min(xs), 1e-3), max(max(lats) - min(lats), 1e-3)
    scale = min((WIDTH - 2 * MARGIN) / span_x, (HEIGHT - 2 * MARGIN) / span_y)
    off_x = (WIDTH - scale * (max(xs) - min(xs))) / 2
    off_y = (HEIGHT - scale * (max(lats) - min(lats))) / 2
    points = [{**s, "x": round(off_x + (x - min(xs)) * scale, 1), "y": round(off_y + (max(lats) - lat) * scale, 1)}
              for s, x, lat in zip(placed, xs, lats)]
    _place_labels(points)
    return {"points": points, "unplaced": unplaced, "width": WIDTH, "height": HEIGHT}


LABEL_OFFSET, LINE_HEIGHT, CHAR_WIDTH = 10, 16, 7.5  # px at the map's 13 px font; a name's width is estimated


def label_span(point: dict[str, Any]) -> tuple[float, float]:
    """The horizontal extent of a point's label."""
    width = CHAR_WIDTH * len(point["name"] or "")
    return (point["label_x"] - width, point["label_x"]) if point["anchor"] == "end" else \
        (point["label_x"], point["label_x"] + width)


def _place_labels(points: list[dict[str, Any]]) -> None:
    """Labels on the side with room (the right half's to the left of their point: at the frame's edge they were cut
    off), and one below another where two sites lie close (Amsterdam and Utrecht wrote over each other)."""
    done: list[dict[str, Any]] = []
    for p in sorted(points, key=lambda p: (p["y"], p["x"])):
        end = p["x"] > WIDTH / 2
        p["anchor"], p["label_x"], p["label_y"] = ("end" if end else "start"), \
            round(p["x"] - LABEL_OFFSET if end else p["x"] + LABEL_OFFSET, 1), round(p["y"] + 4, 1)
        left, right = label_span(p)
        while any(abs(q["label_y"] - p["label_y"]) < LINE_HEIGHT and label_span(q)[0] < right
                  and left < label_span(q)[1] for q in done):
            p["label_y"] = round(p["label_y"] + LINE_HEIGHT, 1)
        done.append(p)
