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
    return {"points": points, "unplaced": unplaced, "width": WIDTH, "height": HEIGHT}
