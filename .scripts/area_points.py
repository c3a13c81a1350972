"""Rebuild ``ingest/places/data/area_points.csv`` from Natural Earth, as Debian ships it.

Why this file exists: gazetteers (GeoNames, Wikipedia, and so the geoparsing gold sets)
put a country or a state at a central point of its land, not at its capital; newsstore
put the United States at Washington, 1,844 km from GeoNames' point. No PyPI package
ships GeoNames' country or first-level points, so the points come from Natural Earth's
polygons (public domain): the centre of each area's largest polygon, which is what sp's
``labpt`` slot holds (the centroid of the largest ring). On the LGL gold, countries at
that point are within 161 km of GeoNames' point for 83% of mentions (the centroid of
all polygons weighted by area: 60%; the capital: far fewer); on GeoVirus' Wikipedia
points 73% (50%). First-level points come from ``states50`` (US, Canada, Brazil,
Australia): 99.8% within 161 km of LGL's GeoNames points, median 13 km.

Run it where the Debian package can be fetched, with ``rdata`` installed (a tool for
this script only, not a dependency of newsstore)::

    apt-get download r-cran-rnaturalearthdata && dpkg -x r-cran-rnaturalearthdata_*.deb ne
    pip install 'rdata>=1.0'
    python .scripts/area_points.py ne/usr/lib/R/site-library/rnaturalearthdata/data \\
        > ingest/places/data/area_points.csv

R keeps a package's data as a lazy-load database: ``Rdata.rdx`` (a gzipped R object: each
object's offset and length in ``Rdata.rdb``) and ``Rdata.rdb`` (each object serialized and
compressed; 'Z' after the length means raw LZMA2). ``rdata`` reads the serialized objects.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import lzma
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


def _table(folder: Path, name: str) -> Iterator[tuple[dict[str, Any], tuple[float, float]]]:
    """Each feature's attributes and the centre of its largest polygon (lon, lat)."""
    spatial = _attributes(_read(folder, name))
    frame = spatial["data"]
    columns = _strings(_attributes(frame)["names"])
    values = [_strings(v) if v.info.type == RObjectType.STR else list(v.value) for v in frame.value]
    for i, polygons in enumerate(spatial["polygons"].value):
        label = _attributes(polygons)["labpt"].value
        row = {str(c): v[i] for c, v in zip(columns, values, strict=True)}
        yield row, (float(label[0]), float(label[1]))


def _country_code(row: dict[str, Any]) -> str | None:
    if row.get("iso_a2") not in _NO_CODE:
        return str(row["iso_a2"])
    country = pycountry.countries.get(alpha_3=row.get("adm0_a3") or "")
    return country.alpha_2 if country else None


def points(folder: Path) -> list[tuple[str, float, float, str]]:
    """(gazetteer id, latitude, longitude, source) for every country and state we can key."""
    out: dict[str, tuple[str, float, float, str]] = {}
    for row, (lon, lat) in _table(folder, "countries50"):
        cc = _country_code(row)
        if cc and f"iso3166-1:{cc}" not in out:
            gid = f"iso3166-1:{cc}"
            out[gid] = (gid, round(lat, 4), round(lon, 4), "naturalearth:admin0-50m")
    for row, (lon, lat) in _table(folder, "states50"):
        cc, postal = row.get("iso_a2"), row.get("postal")
        code = f"{cc}-{postal}"
        if cc in _NO_CODE or not postal or pycountry.subdivisions.get(code=code) is None:
            continue  # only codes ISO 3166-2 knows: they are the gazetteer's ids
        gid = f"iso3166-2:{code}"
        out[gid] = (gid, round(lat, 4), round(lon, 4), "naturalearth:admin1-50m")
    return sorted(out.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="rnaturalearthdata's data/ folder")
    args = parser.parse_args()
    out = csv.writer(sys.stdout, lineterminator="\n")
    sys.stdout.write(
        "# Representative points of countries and first-level regions: the centre of the\n"
        "# largest polygon in Natural Earth 1:50m (public domain, naturalearthdata.com),\n"
        "# via Debian's r-cran-rnaturalearthdata. Made by .scripts/area_points.py; do not edit.\n"
    )
    out.writerow(["gazetteer_id", "latitude", "longitude", "source"])
    out.writerows(points(args.folder))


if __name__ == "__main__":
    main()
