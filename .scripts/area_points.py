"""Rebuild ``ingest/places/data/area_points.csv`` from Natural Earth, as Debian ships it.

Why this file exists: gazetteers (GeoNames, Wikipedia, and so the geoparsing gold sets)
put a country or a state at a central point of its land, not at its capital; newsstore
put the United States at Washington, 1,844 km from GeoNames' point. No PyPI package
ships GeoNames' country or first-level points, so the points come from Natural Earth's
polygons (public domain) and from ``countryinfo``'s conventional centres.

A country gets the middle one of three estimates of its centre (the one nearest the other
two): the centre of its largest polygon, which is what sp's ``labpt`` slot holds (the
centroid of the largest ring); the centroid of all its polygons weighted by area (on the
sphere); and the conventional centre that ``countryinfo`` ships (whole degrees, as atlases
give them). Each alone fails somewhere: the largest polygon leaves out most of an
archipelago (Indonesia, the Philippines) and Canada's Arctic islands; all polygons pull
France to French Guiana and the United States to Alaska; the conventional centre puts the
United States 235 km from GeoNames' point. The middle one is within 161 km of the gold's
point for more mentions and more distinct countries than the largest polygon alone, on
both public sets (LGL, GeoNames points: 675 of 830 mentions against 640, 41 of 49
countries against 38; GeoVirus, Wikipedia points: 729 of 918 against 671, 93 of 115
against 86). First-level points come from ``states50`` (US, Canada, Brazil, Australia):
99.8% within 161 km of LGL's GeoNames points, median 13 km.

Run it where the Debian package can be fetched, with ``rdata`` installed (a tool for
this script only, not a dependency of newsstore)::

    apt-get download r-cran-rnaturalearthdata && dpkg -x r-cran-rnaturalearthdata_*.deb ne
    pip install 'rdata>=1.0'
    pip download --no-deps 'countryinfo>=1.0' && unzip countryinfo-*.whl -d countryinfo
    python .scripts/area_points.py ne/usr/lib/R/site-library/rnaturalearthdata/data \\
        countryinfo/countryinfo/data > ingest/places/data/area_points.csv

R keeps a package's data as a lazy-load database: ``Rdata.rdx`` (a gzipped R object: each
object's offset and length in ``Rdata.rdb``) and ``Rdata.rdb`` (each object serialized and
compressed; 'Z' after the length means raw LZMA2). ``rdata`` reads the serialized objects.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import lzma
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pycountry
import rdata
from rdata.parser import RObjectType

#: Natural Earth's admin-0 sheets leave iso_a2 as -99 for a few countries (France and
#: Norway, for their overseas parts); their ADM0_A3 is an ISO alpha-3 code all the same.
_NO_CODE = {None, "", "-99"}


def _objects(folder: Path) -> dict[str, tuple[int, int]]:
    index = rdata.conversion.convert(
        rdata.parser.parse_data(gzip.decompress((folder / "Rdata.rdx").read_bytes()))
    )
    return {str(k): (int(v[0]), int(v[1])) for k, v in index["variables"].items()}


def _read(folder: Path, name: str) -> Any:
    offset, length = _objects(folder)[name]
    with (folder / "Rdata.rdb").open("rb") as f:
        f.seek(offset)
        blob = f.read(length)
    if blob[4:5] != b"Z":
        raise ValueError(f"{name}: compression {blob[4:5]!r} is not LZMA")
    filters = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}]
    raw = lzma.decompress(blob[5:], format=lzma.FORMAT_RAW, filters=filters)
    return rdata.parser.parse_data(raw).object


def _attributes(obj: Any) -> dict[str | None, Any]:
    """An R object's attributes (an S4 object's slots) by name."""
    out: dict[str | None, Any] = {}
    node = obj.attributes
    while node is not None and node.info.type == RObjectType.LIST:
        tag = node.tag
        if tag is not None and tag.value is None and tag.referenced_object is not None:
            tag = tag.referenced_object  # a symbol seen before is a reference
        out[tag.value.value.decode() if tag is not None and tag.value is not None else None] = (
            node.value[0]
        )
        node = node.value[1] if len(node.value) > 1 else None
    return out


def _strings(vector: Any) -> list[str | None]:
    def one(item: Any) -> str | None:
        if item.value is None:
            return None
        return item.value.decode("utf-8" if item.info.gp & 8 else "latin-1")

    return [one(item) for item in vector.value]


Point = tuple[float, float]  # (lat, lon)


def _table(folder: Path, name: str) -> Iterator[tuple[dict[str, Any], Point, Point]]:
    """Each feature's attributes, the centre of its largest polygon and the area-weighted
    centroid of all its polygons, each as (lat, lon)."""
    spatial = _attributes(_read(folder, name))
    frame = spatial["data"]
    columns = _strings(_attributes(frame)["names"])
    values = [_strings(v) if v.info.type == RObjectType.STR else list(v.value) for v in frame.value]
    for i, polygons in enumerate(spatial["polygons"].value):
        slots = _attributes(polygons)
        label = slots["labpt"].value
        row = {str(c): v[i] for c, v in zip(columns, values, strict=True)}
        rings = [np.array(_attributes(p)["coords"].value) for p in slots["Polygons"].value]
        yield row, (float(label[1]), float(label[0])), _centroid(rings)


def _vectors(lonlat: Any) -> Any:
    lon, lat = np.radians(lonlat[:, 0]), np.radians(lonlat[:, 1])
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], 1)


def _centroid(rings: list[Any]) -> Point:
    """The area-weighted centroid of rings on the sphere (R's coords: n x 2, lon then lat,
    column-major), holes subtracted by their opposite winding.

    Each ring is a fan of triangles from its first vertex, each weighted by its signed
    area; done on unit vectors, so a country across the 180th meridian (Russia, Fiji)
    has its centre where it is, not at the average of +179 and -179.
    """
    total = np.zeros(3)
    signed = 0.0
    for coords in rings:
        v = _vectors(coords.reshape(2, -1).T)
        a, b, c = v[0], v[1:-1], v[2:]
        cross = np.cross(b - a, c - a)
        mid = (a + b + c) / 3
        areas = 0.5 * np.einsum("ij,ij->i", cross, mid / np.linalg.norm(mid, axis=1)[:, None])
        total += (areas[:, None] * mid).sum(0)
        signed += float(areas.sum())
    n = total / np.linalg.norm(total) * (1 if signed > 0 else -1)
    return math.degrees(math.asin(n[2])), math.degrees(math.atan2(n[1], n[0]))


def _km(p: Point, q: Point) -> float:
    a = (
        math.sin(math.radians(q[0] - p[0]) / 2) ** 2
        + math.cos(math.radians(p[0]))
        * math.cos(math.radians(q[0]))
        * math.sin(math.radians(q[1] - p[1]) / 2) ** 2
    )
    return 12_742.0 * math.asin(min(1.0, math.sqrt(a)))


def _middle(estimates: dict[str, Point]) -> tuple[str, Point]:
    """The estimate nearest the others (the medoid): one outlier cannot move it."""
    name = min(estimates, key=lambda k: sum(_km(estimates[k], q) for q in estimates.values()))
    return name, estimates[name]


#: How far the conventional centre may lie from the centre of the country's largest
#: polygon and still be taken: the atlases' whole-degree point is what GeoNames and
#: Wikipedia mostly repeat (Russia at 60 N 100 E, 192 km from its largest polygon's
#: centre; China 210 km), but not the United States' (38 N 97 W, 252 km from the
#: contiguous states' centre, where both gazetteers put it). Fitted: any bound from 216
#: (Niger) to 226 km (Brazil) makes the same choices on the countries the public gold
#: sets name; from 210 (China) to 247 km (Libya) it costs at most 7 of their mentions.
CONVENTIONAL_KM = 225.0


def _choose(estimates: dict[str, Point]) -> tuple[str, Point]:
    """The conventional centre where it is near the land's main body, else the middle one."""
    conventional = estimates.get("countryinfo:latlng")
    largest = estimates["naturalearth:admin0-50m"]
    if conventional is not None and _km(conventional, largest) <= CONVENTIONAL_KM:
        return "countryinfo:latlng", conventional
    return _middle(estimates)


def _conventional(folder: Path) -> dict[str, Point]:
    """countryinfo's conventional centre (``latlng``) of each country by ISO code."""
    out: dict[str, Point] = {}
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        code = (data.get("ISO") or {}).get("alpha2")
        latlng = data.get("latlng")
        if code and isinstance(latlng, list) and len(latlng) == 2:
            out[str(code)] = (float(latlng[0]), float(latlng[1]))
    return out


def _country_code(row: dict[str, Any]) -> str | None:
    if row.get("iso_a2") not in _NO_CODE:
        return str(row["iso_a2"])
    country = pycountry.countries.get(alpha_3=row.get("adm0_a3") or "")
    return country.alpha_2 if country else None


def _subdivision_code(row: dict[str, Any]) -> str | None:
    """The ISO 3166-2 code of a Natural Earth admin-1 row: its country and postal code
    (US-TX, CA-ON), else the country's subdivision of the same name (Natural Earth's
    Australian postal codes are not ISO's: QL for Queensland, AU-QLD)."""
    cc, postal = row.get("iso_a2"), row.get("postal")
    if cc in _NO_CODE:
        return None
    if postal and pycountry.subdivisions.get(code=f"{cc}-{postal}") is not None:
        return f"{cc}-{postal}"
    named = [
        s.code
        for s in pycountry.subdivisions.get(country_code=str(cc)) or ()
        if s.parent_code is None and s.name == row.get("name")
    ]
    return named[0] if len(named) == 1 else None


def points(folder: Path, countryinfo: Path) -> list[tuple[str, float, float, str]]:
    """(gazetteer id, latitude, longitude, source) for every country and state we can key."""
    out: dict[str, tuple[str, float, float, str]] = {}
    conventional = _conventional(countryinfo)
    for row, largest, weighted in _table(folder, "countries50"):
        cc = _country_code(row)
        if cc and f"iso3166-1:{cc}" not in out:
            gid = f"iso3166-1:{cc}"
            estimates = {"naturalearth:admin0-50m": largest}
            if cc in conventional:
                estimates["naturalearth:admin0-50m-all"] = weighted
                estimates["countryinfo:latlng"] = conventional[cc]
            source, (lat, lon) = _choose(estimates)
            out[gid] = (gid, round(lat, 4), round(lon, 4), source)
    for row, (lat, lon), _ in _table(folder, "states50"):
        code = _subdivision_code(row)
        if code is None:
            continue  # only codes ISO 3166-2 knows: they are the gazetteer's ids
        gid = f"iso3166-2:{code}"
        out[gid] = (gid, round(lat, 4), round(lon, 4), "naturalearth:admin1-50m")
    return sorted(out.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="rnaturalearthdata's data/ folder")
    parser.add_argument("countryinfo", type=Path, help="countryinfo's data/ folder")
    args = parser.parse_args()
    out = csv.writer(sys.stdout, lineterminator="\n")
    sys.stdout.write(
        "# Representative points of countries and first-level regions from Natural Earth\n"
        "# 1:50m (public domain, naturalearthdata.com, via Debian's r-cran-rnaturalearthdata)\n"
        "# and countryinfo (MIT): a country's is countryinfo's conventional centre where it lies\n"
        "# within 225 km of its largest polygon's centre, else the middle one of three estimates\n"
        "# (source says which). Made by .scripts/area_points.py; do not edit.\n"
    )
    out.writerow(["gazetteer_id", "latitude", "longitude", "source"])
    out.writerows(points(args.folder, args.countryinfo))


if __name__ == "__main__":
    main()
