"""The map of sites: a plain projection, north up, that keeps the sites' relative positions."""

from __future__ import annotations

from chargeledger.web.site_map import project


def test_projection_keeps_north_up_and_east_right_and_fits_the_frame():
    sites = [{"id": "AMS", "name": "Amsterdam", "latitude": 52.37, "longitude": 4.90},
             {"id": "UTR", "name": "Utrecht", "latitude": 52.09, "longitude": 5.12},
             {"id": "RTM", "name": "Rotterdam", "latitude": 51.92, "longitude": 4.48},
             {"id": "NOWHERE", "name": "Unplaced", "latitude": None, "longitude": None}]
    drawn = project(sites)
    at = {p["id"]: (p["x"], p["y"]) for p in drawn["points"]}
    assert at["AMS"][1] < at["UTR"][1] < at["RTM"][1]  # north is up
    assert at["RTM"][0] < at["AMS"][0] < at["UTR"][0]  # east is right
    assert all(0 <= x <= drawn["width"] and 0 <= y <= drawn["height"] for x, y in at.values())
    assert [s["id"] for s in drawn["unplaced"]] == ["NOWHERE"]


def test_one_site_or_none_draws_without_dividing_by_zero():
    assert project([])["points"] == []
    one = project([{"id": "A", "name": "A", "latitude": 10, "longitude": 10}])["points"][0]
    assert 0 < one["x"] < 900 and 0 < one["y"] < 500
