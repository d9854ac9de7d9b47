"""Straight-line distance between two GPS points, in the unit people use in the charger's country."""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius
MILES_COUNTRIES = {"US", "GB", "LR", "MM"}  # road distances are read in miles there
KM_PER_MILE = 1.609344


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def distance_text(km: float, country: str | None) -> str:
    if (country or "").upper() in MILES_COUNTRIES:
        return f"{km / KM_PER_MILE:,.2f} mi"
    return f"{km:,.2f} km"
