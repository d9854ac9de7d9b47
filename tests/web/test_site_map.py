"""The map of sites: a plain projection, north up, that keeps the sites' relative positions."""

from __future__ import annotations

from chargeledger.web.site_map import label_span, project


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


def test_labels_stay_inside_the_frame_and_do_not_write_over_each_other():
    # the demo's sites: two in the Netherlands 35 km apart at the frame's east edge, Lisbon, Boston and San José
    sites = [{"id": "AMS", "name": "Amsterdam Zuidas garage", "latitude": 52.338, "longitude": 4.873},
             {"id": "UTR", "name": "Utrecht Papendorp hub", "latitude": 52.072, "longitude": 5.084},
             {"id": "LIS", "name": "Lisboa Parque das Nações", "latitude": 38.768, "longitude": -9.094},
             {"id": "BOS", "name": "Boston office", "latitude": 42.355, "longitude": -71.06},
             {"id": "SJC", "name": "San José campus", "latitude": 37.333, "longitude": -121.889}]
    drawn = project(sites)
    points = drawn["points"]
    for p in points:
        left, right = label_span(p)
        assert 0 <= left and right <= drawn["width"] and 0 < p["label_y"] < drawn["height"], p["id"]
    for a in points:
        for b in points:
            if a is not b and abs(a["label_y"] - b["label_y"]) < 16:
                assert label_span(a)[1] <= label_span(b)[0] or label_span(b)[1] <= label_span(a)[0], (a["id"], b["id"])
