"""Points for areas that no source places: the central point of the places inside them.

Pure functions of coordinates, shared by the package extract (``ingest.places.sources``,
counties) and the gazetteer build (regions).
"""

from __future__ import annotations

from collections.abc import Sequence

#: The share of an area's places left out at each edge when taking its central point, so
#: that one far-flung place (an island, a mislabelled town) does not move it.
CENTRE_TRIM = 0.01


def central_point(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """The middle of the box around an area's places, the outer 1% on each side left out.

    The fallback for a region no source places (``AREA_POINTS_PATH``): on LGL's first-level
    regions it lands within 161 km of GeoNames' point for 99.5% of mentions (median 29
    km), where the mean of the places (median 55 km) leans towards where people live
    and the plain box (95%) towards outliers. Longitudes are taken across the
    antimeridian when that makes the box narrower (Chukotka, Fiji).
    """
    lats = sorted(p[0] for p in points)
    lons = sorted(p[1] for p in points)
    shifted = sorted(lon + 360 if lon < 0 else lon for lon in lons)
    if shifted[-1] - shifted[0] < lons[-1] - lons[0]:
        lons = shifted
    cut = int(CENTRE_TRIM * (len(lats) - 1))
    lat = (lats[cut] + lats[-1 - cut]) / 2
    lon = (lons[cut] + lons[-1 - cut]) / 2
    return (round(lat, 4), round((lon + 180) % 360 - 180, 4))
