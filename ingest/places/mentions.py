"""Find the places named in an article's body paragraphs and resolve them offline.

The matcher is a case-sensitive Aho-Corasick scan over every name in the gazetteer
(``ingest.places.gazetteer``), followed by rules that decide which hits are places, because
most capitalised words that look like place names in news text are not:

* longest match wins, and names of things that merely contain a place name
  (Bank of England, Wall Street, Manchester United) are in the automaton as blockers;
* a name glued to other capitalised words is part of a longer proper name
  (Whitney Houston, Taylor Dent, Norwich Union, New York Knicks) and does not count,
  except before the words of an event (Buenos Aires Open, Sydney Olympics) that the
  annotation guideline counts as a mention of the host city;
* matches must end at a word boundary, so 'Russia' does not match inside 'Russian';
  demonyms are names of their own (``gazetteer.DEMONYMS_PATH``), found as mentions of
  their country with the form 'adjective' ("Russian forces", "the Palestinians");
* months, weekdays and a few words that a gazetteer happens to list (Most, Time,
  Commonwealth) are never places on their own;
* names that are common English words (Reading, Nice), common surnames (Jackson,
  Taylor) or small towns need evidence: a locative preposition before them ('in
  Reading'), a following ', <region or country>' (Houston, Texas), a list of places of
  the same country, their state named elsewhere, or, for towns of 50,000 or more, their
  country named elsewhere; a news dateline in capitals ("CHARLESTON, W.Va. --") and
  words saying people live or serve there ('a Goose Creek man') count as 'in' would;
  a state's or county's name before its offices ('Minnesota Governor', 'the Douglas
  County Sheriff') is a mention of it, as a country's is; a name first seen as a
  person's surname (Lindsay Davenport) is a person's for the rest of the article, and
  a comma list of surnames (a team sheet) is not a list of towns;
* ambiguous names (Georgia, Windsor, Birmingham) take the reading the rest of the
  article supports: its state or its cities named (Georgia with Atlanta), its country
  named, a famous city over its small namesakes, then the weightier kind (country,
  then region over a foreign town, a city over its own region), then the bigger city;
  but a reading in a country the article neither names nor borders loses its standing
  when another lies in a country whose towns or states the article names (Georgia the
  state, Athens, Texas in local news); a town within ``NEAR_KM`` of a town the article
  names beyond doubt, or in a county that another name may be or lie in (Huntsville
  and Walker County, both in Texas), counts as if its state were named, and a small
  town so placed beats a bigger namesake (Paris, Tennessee beside Henry County).
* a name that is a city and a region (New York, Washington) is the region where the
  words point at it: after a town of it and a comma (Buffalo, New York), in a list
  after another region of its country, before 'state' (``_regions_pointed_at``).

Everything here is a pure function of the paragraphs and the gazetteer.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from ingest.places.gazetteer import Entry, Gazetteer, Place, fold, load_gazetteer
from ingest.places.homes import Home

__all__ = ["Mention", "Place", "find_mentions", "resolve_place"]


@dataclass(frozen=True)
class Mention:
    """One occurrence of a place in a body paragraph: ``text[start:end] == surface``."""

    place: Place
    paragraph_index: int
    start: int
    end: int
    surface: str
    #: Why the name counts and why it is this place, for ``show --explain``.
    why: str = ""
    #: 'name' ("Russia") or 'adjective' ("Russian", "the Russians").
    form: str = "name"


# Words that are never places on their own in English prose, whatever a gazetteer says.
NEVER = frozenset(
    "January February March April May June July August September October November "
    "December Monday Tuesday Wednesday Thursday Friday Saturday Sunday Christmas Easter "
    "Than Can Time Best Most Much Say Come Deal Same Hit Man Buy Date Rest Along Save "
    "Police Young Opportunity Drama Officer Federal Union Republic University Airport "
    "Alliance Bank Gold Pop Surprise Summit Rich Spring Soul Marks Sue Mission Hang Clay "
    "Solo Enterprise Liberty Wedding Hub Gay Cocoa Bow Cat Bend Sterling Fleet Pet "
    "Independence Superior Forest Bear Green Rugby Premier Goodwill Progress Success "
    "Comfort Victory Unity Harmony God Male Batman Abba Nokia Toyota Hitachi Paramount "
    "Jupiter Riverside Highbury Commonwealth Welcome Paradise Eden Concord Reform "
    "Commerce Industry Energy Justice Freedom".split()
)

# Common English words that are also real towns: only with evidence (in Reading, Nice, France).
COMMON_WORDS = frozenset(
    "Reading Nice Split Bath Sale Mobile Orange Temple Providence Wells Worth Street Ware "
    "Rye Gore Bury Barking Tours Lens Moss Hell Normal Mentor Media Bay Sandy Pearl Laurel "
    "Aurora Corona Mission Marina Sparks Palm Troy Concord Buffalo Deal Poole Hove Crewe "
    "Derby Dover Cork Nancy Salem Eden Kettering Sutton Weston Wigan Bolton Bury Oldham "
    "Speke Ely Stone Hythe Cannock Rugby March Most Union Brent Jupiter Columbia Delta "
    "Paramount Toyota Hitachi Kawasaki Nokia Halifax Mercedes Phoenix Ajax Brits".split()
)

# Common surnames and given names that are also place names: count with evidence,
# or when their country is named elsewhere in the article.
PERSON_NAMES = frozenset(
    "Howard Kennedy Bush Campbell Taylor Davis Jackson Ferguson Prescott George Murray "
    "Green Bell Wilson Staunton Leigh Livingstone Parker Evans Murphy Houston Moore Eastwood "
    "Kim Lopez Douglas Walker Dyer Paterson Lucas Arnold Wright Clinton Robertson Garcia "
    "Perry Anderson Hopkins Dixon Leslie Greenwood Hayes Vaughan Allen Palmer Stanley Shaw "
    "Harrison Martinez Newton Burke Norman Harvey Griffin Lamont Julia Ali Fletcher Gilbert "
    "Hamilton Lincoln Austin Charlotte Victoria Chelsea Preston Warren Mansfield Jordan Chad "
    "Georgia Florence Madison Clayton Lawrence Franklin Marshall Milton Morgan Nelson Owen "
    "Russell Stewart Wallace Winston Burton Carlisle Crawford Dudley Harlow Hastings Lewis "
    "Mitchell Riley Shelby Sherman Barnes Collins Carter Turner Hill Reed Ross Scott Watson "
    "Wood Young Jones Smith Brown Johnson Williams Martin Thompson White Harris Clark Lee "
    "Hall King Adams Baker Roberts Phillips Edwards Cook Rogers Morris Cooper Ward Bailey "
    "Howell Kelly Price Bennett Gray James Long Hughes Butler Simmons Foster Bryant Myers "
    "Ford Graham Sullivan Cole West Reynolds Hunt Black Mills Kerry Sidney Shannon Marion "
    "Chester Kingston Richmond Wellington Tyler Bryan Irving Logan Eugene Tracy Carson Bono "
    "Cesar Constantine Davenport Montgomery Mary Elizabeth Adriano Ashanti Garfield Murphy "
    "Leon Clare".split()
)

# A locative word before a name is evidence that the name is a place.
PREPOSITIONS = frozenset(
    "in at from near to outside around across via towards toward into of between through "
    "throughout within inside beyond visit visited visiting visits".split()
)

# The locative words that are evidence enough for a surname or a common word.
STRONG_PREPOSITIONS = PREPOSITIONS - {"of", "to", "between"}

# Capitalised words that may stand before a place name without making it part of a
# longer proper name: sentence-initial function words and compass modifiers.
FREE_BEFORE = frozenset(
    "the in at from to for on by with and but or as of near after before since while when "
    "if both like unlike outside inside across around throughout within between via than "
    "only even also so then now although though because whether where until during "
    "despite into over under against without beyond towards toward all every a an this "
    "that these those its his her their our my your no not some many much more what which "
    "who how why yet once just perhaps meanwhile however indeed still elsewhere back here "
    "there it he she they we i you is was are were has have had do does did will would "
    "can could should may might must north south east west central greater northern "
    "southern eastern western inner outer downtown upper lower mid rural urban "
    "north-east north-west south-east south-west northeast northwest southeast southwest".split()
)

# Words after a place name that make it the host of an event, which still counts.
EVENT_WORDS = frozenset(
    "Open Olympics Olympic Games Paralympics Marathon Masters Classic Grand Indoor Indoors "
    "Championship Championships Summit Conference Festival Film Motor Fashion Book Agreement "
    "Accord Accords Protocol Convention Treaty Declaration Round Talks Process Expo "
    "Biennale Tournament Trophy Cup Derby Show Fair".split()
)

# Words after a country name that make it part of an organisation's name.
ORG_SUFFIXES = frozenset(
    "United City Town County Rovers Wanderers Athletic Albion Hotspur FC Times Post Herald "
    "Tribune Journal Gazette Telegraph Chronicle Globe Mail Express Star Today Airlines "
    "Airways Air Telecom Telecoms Rail Railways Television TV Radio Broadcasting Petroleum "
    "Motors Steel Tobacco Holdings Group Ltd Limited Inc Plc Corporation Corp Bank Yard "
    "Police Constabulary Council Assembly Stock Exchange University College Institute "
    "Museum Zoo Stadium Arena Park Street Road Avenue Lane Square Bridge Station Airport "
    "Hall Palace Cathedral Abbey Hospital Prison".split()
)

# Words after a state's or province's name that make it the polity acting or holding the
# office (Minnesota Governor Tim Pawlenty, the Ohio Senate, the Texas Department of
# Transportation): a mention of the state, as 'the US Department of Agriculture' is of
# the country. Both public gold sets count these (LGL 27 of 30 before 'Department').
POLITY_WORDS = frozenset(
    "Gov. Governor Lt. Senate Senator Sen. Sens. Rep. Reps. House Assembly Legislature "
    "Legislative Lawmakers Department Dept. Attorney Supreme Secretary Treasurer "
    "Comptroller Auditor Bureau Democratic Democrats Republican Republicans GOP "
    "National Highway".split()
)

# And a county's: 'the Douglas County Sheriff's Office', 'Clarke County Superior Court',
# 'Kanawha County Commission President' name the county (not 'Rapides Parish Fire
# District', an organisation's name).
COUNTY_OFFICE_WORDS = POLITY_WORDS | frozenset(
    "Sheriff Sheriff's Sheriffs Commission Commissioners Commissioner Court Courts "
    "Courthouse Jail Coroner Judge Clerk Prosecutor Board Schools Superior Circuit "
    "Deputy Detention Emergency Public Medical Administrator Assessor Engineer "
    "Executive Council Health Municipal Common Family Probate Police Criminal "
    "Administration".split()
)

# And a state's or province's own bodies and services (the Queensland Premier, the Texas
# Forest Service, the Georgia Environmental Protection Division).
STATE_OFFICE_WORDS = COUNTY_OFFICE_WORDS | frozenset(
    "Premier Minister Ministry Government Parliament Cabinet Police Patrol Forest Fire "
    "Division Army Parks Environmental Commission Agency Authority".split()
)

# Words after a name that say people live or serve there ('a Goose Creek man', 'Grovetown
# police'): evidence that the name is a place, as 'in' before it is. Not 'family': 'the
# Jones family'.
RESIDENT_WORDS = frozenset(
    "man woman men women resident residents native natives police officials teen teenager "
    "boy girl homeowner homeowners".split()
)

# Words that say the name after 'of' is a place's ('the city of Paris', 'the area of
# Esperance'): evidence as strong as 'in' before it.
PLACE_NOUNS = frozenset(
    "city town village area region province state county district capital suburb suburbs "
    "outskirts island hamlet municipality borough township neighbourhood neighborhood "
    "community port".split()
)

# 'X of <place>' where X is the head of an organisation's or a title's name.
ORG_HEADS_BEFORE_OF = frozenset(
    "Bank University College Institute Museum Council Society Church Archbishop Bishop "
    "Duke Duchess Earl Countess Marquess Baron Baroness Prince Princess Academy School "
    "Hospital Orchestra Chamber Port Royal Court Diocese Dean Duchy".split()
)

# Function words that are capitalised mid-sentence only inside titles.
TITLE_WORDS = frozenset("the in of at from to for on and a an with by".split())

SPEECH_VERBS = frozenset(
    "said says told added admitted insisted claimed explained argued warned revealed "
    "replied believes thinks".split()
)

# What may stand between two places of one list (Blackpool, Bournemouth and Brighton).
LIST_GAPS = frozenset({", ", " and ", " or ", ", and ", ", or ", " & "})

#: Cities smaller than this need evidence before they count as mentioned.
SMALL_CITY = 100_000
#: A city this big is what the name means unless the article says otherwise.
FAMOUS_CITY = 300_000
#: ... though a town this big counts when the article names its country.
SUPPORTED_TOWN = 50_000
#: Towns smaller than this (the gazetteer's small places) are a name's last reading:
#: California, Maryland (pop. 11,000) is not what 'California' means, nor Mexico, New York
#: what 'Mexico' means in an article that names New York. They win only over each other
#: (Cottonport, Louisiana over Cottonport elsewhere, by the region the article names) or
#: when the words around the name leave no other reading (', Maryland' after it).
MINOR_TOWN = 15_000

_WORD_BEFORE = re.compile(r"([A-Za-z][\w'’-]*)(\s+|-)$")
_WORD_AFTER = re.compile(r"^(\s+|-)(\w[\w'’-]*)")
_SENTENCE_END = re.compile(r"(^|[.!?:;]\s*[\"'“‘(]?\s*|^[\"'“‘(]\s*|\n\s*)$")


@dataclass(frozen=True)
class _Span:
    """A surviving automaton hit: where it is and what it may name."""

    paragraph_index: int
    start: int
    end: int
    surface: str
    entries: tuple[Entry, ...]
    prev_word: str | None  # the word just before (only spaces or a hyphen between)
    prev_joined: bool  # the word before is joined by a hyphen
    prev_initial: bool  # the word before starts a sentence
    next_word: str | None
    next_joined: bool
    sentence_initial: bool
    #: The name opens a news dateline ("CHARLESTON, W.Va. --"): where the story was filed.
    dateline: bool = False
    #: The name is one of a list of counties ("Barrow, Jackson and Madison counties"):
    #: ``entries`` are the counties of that name.
    county_list: bool = False


# A dateline: the place a story was filed from, in capitals, opening the paragraph or
# following the headline's full stop, before a comma or a dash ("CHARLESTON, W.Va. --",
# "BEIRUT —", "KANSAS CITY, Mo."). One word of three capitals at least, so that
# "U.S., Canada" is no dateline.
_DATELINE = re.compile(
    r"(?:^|(?<=[.!?:] ))"
    r"((?=[A-Z'’.-]*[A-Z]{3})[A-Z][A-Z'’.-]+(?: [A-Z][A-Z'’.-]*)*)"
    r"(?=,| ?[—–] | -{1,2} | ?\()"
)


#: A dateline opens a story: it is looked for in a paragraph's first characters only
#: (after a headline repeated at the start of the body), which keeps the search cheap.
DATELINE_WITHIN = 300


def _datelines(text: str) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with each dateline's capitals in title case (the gazetteer's spelling;
    offsets unchanged), and where the datelines are."""
    where = [(m.start(1), m.end(1)) for m in _DATELINE.finditer(text, 0, DATELINE_WITHIN)]
    if not where:
        return text, where
    chars = list(text)
    for start, end in where:
        words = re.finditer(r"[A-Z][A-Z'’-]*", text[start:end])
        for word in words:
            lower = word.group(0)[1:].lower()
            at = start + word.start() + 1
            chars[at : at + len(lower)] = lower
    return "".join(chars), where


# A list of counties named without the word each time: "Barrow, Jackson and Madison
# counties", "Clarke and Oconee counties". Each name is '<name> County' (or Parish). At most
# COUNTY_LIST_MAX names after the first, so that a long run of names that ends otherwise
# costs each start a bounded look, not the whole run (a hostile paragraph).
COUNTY_LIST_MAX = 30
_COUNTY_LIST_NAME = r"[A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?"
_COUNTY_LIST = re.compile(
    rf"\b({_COUNTY_LIST_NAME}(?:(?:, |,? and |,? or ){_COUNTY_LIST_NAME}){{1,{COUNTY_LIST_MAX}}})"
    r" (counties|parishes)\b"
)
_COUNTY_LIST_GAP = re.compile(r", and |, or |, | and | or ")


def _county_lists(gazetteer: Gazetteer, text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, name, the county's name) for each name of a list of counties that the
    gazetteer knows as a county ('Jackson' in 'Barrow and Jackson counties')."""
    out = []
    for match in _COUNTY_LIST.finditer(text):
        suffix = " County" if match.group(2) == "counties" else " Parish"
        at = match.start(1)
        for part in _COUNTY_LIST_GAP.split(match.group(1)):
            start = text.index(part, at)
            at = start + len(part)
            county = part + suffix
            if any(e.place.admin2 is not None for e in gazetteer.entries.get(county, ())):
                out.append((start, at, part, county))
    return out


def _raw_spans(gazetteer: Gazetteer, paragraph_index: int, text: str) -> list[_Span]:
    """Word-bounded, longest, non-overlapping automaton hits in one paragraph (a
    dateline's capitals read in title case)."""
    search, datelines = _datelines(text)
    listed = _county_lists(gazetteer, text) if " counties" in text or " parishes" in text else []
    counties = {(start, end): county for start, end, _, county in listed}
    hits: list[tuple[int, int, str]] = [(start, end, name) for start, end, name, _ in listed]
    for start, end, surface in gazetteer.find(search):
        if start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
            continue
        if end < len(text) and (text[end].isalnum() or text[end] in "_$"):
            continue  # ... and 'US$', 'HK$' are currencies
        hits.append((start, end, surface))
    if not hits:
        return []
    hits.sort(key=lambda h: (h[0] - h[1], h[0]))  # longest first, then leftmost
    # Which characters a taken hit covers: a hit is free when none of its own are covered.
    # (Comparing each hit with every taken one cost hits x taken: minutes for a long list.)
    covered = bytearray(len(text))
    taken: list[tuple[int, int, str]] = []
    for hit in hits:
        start, end, _ = hit
        if covered.find(1, start, end) == -1:
            covered[start:end] = b"\x01" * (end - start)
            taken.append(hit)
    taken.sort()
    spans = []
    for start, end, surface in taken:
        county = counties.get((start, end))
        if surface in gazetteer.blocked and county is None:
            continue
        before, after = text[max(0, start - 40) : start], text[end : end + 40]
        wb, wa = _WORD_BEFORE.search(before), _WORD_AFTER.match(after)
        spans.append(
            _Span(
                paragraph_index=paragraph_index,
                start=start,
                end=end,
                surface=surface,
                entries=(
                    gazetteer.entries[surface]
                    if county is None
                    else tuple(e for e in gazetteer.entries[county] if e.place.admin2)
                ),
                prev_word=wb.group(1) if wb else None,
                prev_joined=bool(wb and wb.group(2) == "-"),
                prev_initial=bool(wb and _SENTENCE_END.search(before[: wb.start()])),
                next_word=wa.group(2) if wa else None,
                next_joined=bool(wa and wa.group(1) == "-"),
                sentence_initial=bool(_SENTENCE_END.search(before)),
                dateline=any(a <= start and end <= b for a, b in datelines),
                county_list=county is not None,
            )
        )
    return spans


def _identity(span: _Span) -> str:
    """The name a span is known by when names support each other (a name is no evidence
    for itself): a listed county's is the county's ('Walton' in 'Walton and Oconee
    counties' is Walton County, and no support for it)."""
    return span.entries[0].place.name if span.county_list and span.entries else span.surface


def _is_name_word(word: str) -> bool:
    """A capitalised word that is not a function word: part of a proper name."""
    return word[:1].isupper() and word.casefold() not in FREE_BEFORE


def _word_before_before(text: str, start: int) -> str | None:
    match = re.search(r"([A-Za-z]+)\s+of\s+$", text[max(0, start - 40) : start])
    return match.group(1) if match else None


def _longer_name(span: _Span, text: str, gazetteer: Gazetteer) -> str | None:
    """Why the hit is inside a longer proper name, or None when it stands alone.

    'person' when a capitalised word that is not a function word stands right before
    it (Whitney Houston, Mr Jackson, Deutsche Securities Japan): the same surface
    standing alone later in the article is then probably the same person.
    """
    countryish = any(e.place.kind in ("country", "continent") or e.nation for e in span.entries)
    personish = span.surface in PERSON_NAMES
    if _word_before_before(text, span.start) in ORG_HEADS_BEFORE_OF:
        return "organisation"  # Bank of England, University of Chicago
    if (
        text.startswith(("'s", "’s"), span.end)
        and span.surface.startswith(("St ", "St. ", "Saint "))
        and not any(e.population >= FAMOUS_CITY for e in span.entries)
    ):
        return "venue"  # St Mary's, St. Patrick's Day; but St. Petersburg's main street
    prev = span.prev_word
    if prev and prev[0].isupper() and not span.prev_initial and prev.casefold() in TITLE_WORDS:
        return "title"  # Born In The USA: a title in title case
    # A sentence-initial word ending like a verb or adverb is not a name (Visiting
    # Tokyo, Reportedly Moscow); a place joined by a hyphen is a pair (Russia-Ukraine).
    if (
        prev
        and _is_name_word(prev)
        and not (span.prev_joined and prev in gazetteer.entries)
        and not (span.prev_initial and prev.endswith(("ing", "ed", "ly")))
    ):
        return "organisation" if span.prev_joined or countryish else "person"
    nxt = span.next_word
    if nxt is None or (span.next_joined and not nxt[:1].isupper()):
        return None
    if nxt in SPEECH_VERBS and personish:
        return "person"
    if nxt in SPEECH_VERBS and _speaker(span):
        return "speaker"  # this once: a town may be said to say something elsewhere
    if not nxt[:1].isupper() or (span.next_joined and nxt in gazetteer.entries):
        return None
    if countryish and not personish:
        return "organisation" if nxt in ORG_SUFFIXES else None
    office = nxt.replace("’", "'")  # Sheriff’s, as typeset, is Sheriff's
    if office.endswith("'s") and office[:-2] in COUNTY_OFFICE_WORDS:
        office = office[:-2]  # the Lexington County Coroner's Office
    if nxt in EVENT_WORDS or (office in POLITY_WORDS and _first_level(span) and not personish):
        return None
    if office in STATE_OFFICE_WORDS and _state_name(span) and not personish:
        return None
    if office in COUNTY_OFFICE_WORDS and _county_name(span):
        return None
    if span.surface.endswith(".") and _CONTAINER_POSITION.search(
        text[max(0, span.start - 40) : span.start]
    ):
        return None  # 'Monroeville, Ala. An Amber Alert': the abbreviation ends the sentence
    return "name"  # Manchester Airport, Tampa Bay Buccaneers, Sheffield Hallam


_CONTAINER_POSITION = re.compile(r"(?:^|[^,] )[A-Z][\w'’-]+, $")
_LIST_NAME_BEFORE = re.compile(r"(?:^|, )([A-Z][\w'’-]+)(?: \([^)]*\))?, $")
_LIST_NAME_AFTER = re.compile(r"^(?: \([^)]*\))?, ([A-Z][\w'’-]+)")


def _speaker(span: _Span) -> bool:
    """A name before 'said' that can only be a town's, and no world city's, and not after
    'in' or 'at' ('the office in Columbia said'): a person ("McKinney said"), as a country
    or a capital may speak for its government but a town does not."""
    prev = (span.prev_word or "").casefold()
    return prev not in PREPOSITIONS and all(
        e.place.kind == "city" and e.population < FAMOUS_CITY for e in span.entries
    )


def _county_name(span: _Span) -> bool:
    """A name whose readings are all counties (second-level divisions): 'Henderson County'
    is a county in five states, and which one is for the article to say."""
    return all(e.place.kind == "region" and e.place.admin2 is not None for e in span.entries)


def _state_name(span: _Span) -> bool:
    """A name that is a state's or province's, and no town's but hamlets' (Queensland,
    Texas; not Beijing, a city too, nor Berea, a Kentucky town and a Lesotho district)."""
    return _first_level(span) and all(
        (e.place.kind == "region" and _iso_suffix(e.place))
        or (e.place.kind == "city" and e.population < MINOR_TOWN)
        for e in span.entries
    )


def _first_level(span: _Span) -> bool:
    """A name whose readings include a state or province (a first-level region)."""
    return any(e.place.kind == "region" and _iso_suffix(e.place) for e in span.entries)


def _in_list_of_names(span: _Span, text: str, gazetteer: Gazetteer) -> bool:
    """True inside a comma-separated list of names that are not places (a team sheet)."""
    before = _LIST_NAME_BEFORE.search(text[max(0, span.start - 60) : span.start])
    after = _LIST_NAME_AFTER.match(text[span.end : span.end + 60])
    return bool(
        before
        and after
        and before.group(1) not in gazetteer.entries
        and after.group(1) not in gazetteer.entries
    )


def _followed_by_place_of(span: _Span, starts: Mapping[int, _Span], text: str) -> set[str]:
    """Country codes of a region or country written right after ', ' (Houston, Texas);
    ``starts`` has the paragraph's spans by where they start."""
    other = starts.get(span.end + 2)
    if other is not None and text[span.end : other.start] == ", ":
        return {
            e.place.country_code
            for e in other.entries
            if e.place.country_code and e.place.kind in ("country", "region")
        }
    return set()


def _iso_suffix(place: Place) -> str | None:
    """A first-level region's GeoNames admin1 code, under which its towns are filed.

    'TX' for 'iso3166-2:US-TX', '08' for Ontario (CA-ON), '59' for Primorsky Krai
    (RU-PRI): the gazetteer takes the code from GeoNames' data; without it, an
    alphabetic ISO suffix, which GeoNames uses for US states (JP-13 is not admin1 13).
    None for the UK's counties, which lie below the first level.
    """
    gid = place.gazetteer_id or ""
    if not gid.startswith("iso3166-2:"):
        return None
    if place.admin1:
        return None if place.admin2 else place.admin1
    suffix = gid.rsplit("-", 1)[-1]
    return suffix if suffix.isalpha() else None


def _kind_rank(entry: Entry) -> int:
    kind = entry.place.kind
    if kind in ("country", "continent"):
        return 3
    if kind == "city" and entry.population < SMALL_CITY:
        return 1
    return 2


@dataclass(frozen=True)
class _Regions:
    """The states and provinces an article names, as seen from one name in it: those that
    other names name (a name cannot support its own reading). A set's ``in``, without a
    set built for each name, which cost names x regions."""

    named: Mapping[Any, set[str]]  # by (country, admin1) or (country, admin1, admin2)
    surface: str

    def __contains__(self, key: object) -> bool:
        surfaces = self.named.get(key) if isinstance(key, tuple) else None
        if not surfaces:
            return False
        return len(surfaces) > 1 or self.surface not in surfaces


def _weigh(
    span: _Span,
    text: str,
    evidence: _Evidence,
    article: _Article,
    previous: tuple[int, Entry] | None,
) -> tuple[Entry, str] | None:
    """Every reading of one name weighed in one place: whether the name is a place at all,
    and which place; None when no reading counts.

    The readings are those the words around the name leave (``_candidates``); each
    counts as a place on its evidence (``_counts``) or drops out; of those that count,
    the region the words point at wins (``_regions_pointed_at``), else the one the
    article supports best (``_choose``). A name some reading of which counts has its
    namesakes in the publishing source's home region among its readings too
    (``ingest.places.homes``). Returned with why, for ``show --explain``: why the name
    counts, then why it is this place.
    """
    candidates = _candidates(span, text, evidence.contained_in)
    counts = [_counts(entry, span.surface, evidence, article) for entry in candidates]
    if all(why is None for why in counts):
        return None
    if article.home is not None:
        # The name is a place: its namesakes in the source's home region are readings too
        # (Dublin, Ohio beside Dublin, which needs no evidence). The home never makes a
        # name a place (a team sheet's Chorley in an English paper).
        home = f"a place name, and this its namesake in the source's home region ({article.home})"
        counts = [
            why
            if why is not None or _at_home(entry, article.home) < 2 or _is_minor(entry)
            else home
            for entry, why in zip(candidates, counts, strict=True)
        ]
    if any(e.place.kind == "country" and why for e, why in zip(candidates, counts, strict=True)):
        # The name is a place (a country's name needs no evidence), so a state of that
        # name is a reading too, whatever doubt a first name cast on it: Georgia.
        state = "a country's name, and this a state of that name"
        counts = [
            why or (state if entry.place.kind == "region" else None)
            for entry, why in zip(candidates, counts, strict=True)
        ]
    readings = [(entry, why) for entry, why in zip(candidates, counts, strict=True) if why]
    counting = [entry for entry, _ in readings]
    pointed = _regions_pointed_at(span, text, counting, previous)
    chosen, because = _choose(pointed or counting, article, _identity(span))
    if pointed:
        because = f"the region the words point at ({_POINTERS}), {because}"
    counted = next(why for entry, why in readings if entry is chosen)
    return chosen, f"{counted}; {because}"


def _choose(entries: Sequence[Entry], article: _Article, surface: str) -> tuple[Entry, str]:
    """The reading the article supports, then the weightier kind, then the bigger city.

    Support, strongest first: the city's own state or province is named, or the
    region's cities are (Athens with Georgia, Georgia with Atlanta), or it lies near a
    town or in a county the article names (another name's: a name is no evidence for
    itself); it is a country, its country is named, or it is a big city everyone means
    by the name (Athens, Greece over Athens, Ohio in an article that names the US).
    Returned with the reason the winner beat the next reading, for ``show --explain``.
    """
    gazetteer = load_gazetteer()
    support, local = article.support, article.local
    regions = _Regions(article.named_regions, surface)
    near = tuple(point for name, point in article.anchors if name != surface)
    counties = _Regions(article.counties, surface)
    named_counties = _Regions(article.named_counties, surface)
    supported = {c for c, n in support.items() if n > 0}
    major = _major(tuple(entries))  # a hamlet of the state's country changes no tie
    remote = _remote(entries, supported, local, gazetteer)
    city_codes = {e.place.country_code for e in major if e.place.kind == "city"}
    region_codes = {e.place.country_code for e in major if e.place.kind == "region"}
    towns_only = all(e.place.kind == "city" for e in entries)

    def is_close(entry: Entry) -> bool:
        return _is_close(entry, near, counties)

    def key(entry: Entry) -> tuple[int, int, int, int, int, int]:
        cc = entry.place.country_code or ""
        kind = entry.place.kind
        admin1 = entry.admin1 or _iso_suffix(entry.place)
        close = is_close(entry)
        home = _at_home(entry, article.home)
        if close or (kind in ("city", "region") and admin1 and (cc, admin1) in regions):
            level = 3
        elif (
            kind == "country"
            or cc in supported
            or (kind == "city" and entry.population >= FAMOUS_CITY)
            or home == 2  # in the source's home region: as if its country were named
        ):
            level = 2
        else:
            level = 0
        if cc in remote:
            level = 0  # Georgia the country in an article of Alabama and Atlanta
        if kind == "city" and entry.population < MINOR_TOWN:
            in_county = close and towns_only and _in_named_county(entry, named_counties)
            return _minor_key(entry, level, close, in_county)
        # A city over a region of its own country (Madrid), a region over a foreign
        # town (Kent, England over Kent, Washington).
        if kind == "city":
            tiebreak = int(cc in region_codes)
        elif kind == "region":
            tiebreak = int(cc not in city_codes)
        else:
            tiebreak = 0
        rank = _kind_rank(entry)
        if kind == "city" and cc in region_codes:
            rank = 2  # Galway the town, not County Galway, whatever the town's size
        return (level, home, int(entry.preferred), rank, tiebreak, entry.population)

    ranked = sorted(entries, key=key, reverse=True)
    if len(ranked) == 1:
        return ranked[0], "its only reading"
    first, second = key(ranked[0]), key(ranked[1])
    decided = next((i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b), 5)
    if decided in (0, 3) and is_close(ranked[0]) and not is_close(ranked[1]):
        reason = "near a town or in a county the article names"
    elif article.home is not None and (
        decided == 1 or (decided == 0 and first[0] == 2 and _home_only(ranked[0], supported))
    ):
        where = "region" if first[1] == 2 else "country"
        reason = f"in the publishing source's home {where} ({article.home})"
    else:
        reason = _because(decided, ranked[0], ranked[1], first[0], supported)
    return ranked[0], f"{reason}, over {len(ranked) - 1} other reading(s)"


def _minor_key(
    entry: Entry, level: int, close: bool, in_county: bool
) -> tuple[int, int, int, int, int, int]:
    """``_choose``'s key for a town under ``MINOR_TOWN``: a name's last reading, unless it
    lies by the others the article names; it gains nothing from the source's home.

    In a county another name names (Athens beside McMinn County; ``in_county``, only
    among towns: never over a country or a state of the name, California, Maryland) it
    is as sure as its state named; near a town the article names it beats a bigger
    namesake of the same standing; else it stands below every bigger reading.
    """
    if in_county:
        return (level, 0, int(entry.preferred), 2, 0, entry.population)
    if close:
        return (min(level, 2), 0, int(entry.preferred), 2, 0, entry.population)
    return (min(level, 1), 0, int(entry.preferred), 0, 0, entry.population)


def _home_only(entry: Entry, supported: Container[str]) -> bool:
    """Whether only the source's home gives a reading its standing (not its kind, its
    country named, or its size)."""
    place = entry.place
    return not (
        place.kind == "country"
        or place.country_code in supported
        or (place.kind == "city" and entry.population >= FAMOUS_CITY)
    )


def _is_minor(entry: Entry) -> bool:
    """A town under ``MINOR_TOWN`` people."""
    return entry.place.kind == "city" and entry.population < MINOR_TOWN


def _at_home(entry: Entry, home: Home | None) -> int:
    """2 for a town or region in the source's home region, 1 for a place in its home
    country, else 0 (and 0 for all without a home)."""
    if home is None or entry.place.country_code != home.country_code:
        return 0
    admin1 = entry.admin1 or _iso_suffix(entry.place)
    if home.admin1 and entry.place.kind in ("city", "region") and admin1 == home.admin1:
        return 2
    return 1


def _remote(
    entries: Sequence[Entry], supported: set[str], local: Container[str], gazetteer: Gazetteer
) -> set[str]:
    """Countries of readings far from everything the article names.

    Their country is not named, nor any country bordering it, while another reading
    lies in a country whose towns or regions the article names ('local'; the country's
    name alone says less: "US officials flew to Athens" is Greece's).
    """
    if not any(e.place.country_code in local for e in entries):
        return set()
    return {
        cc
        for e in entries
        if (cc := e.place.country_code)
        and cc not in supported
        and not gazetteer.neighbours.get(cc, frozenset()) & supported
    }


def _in_named_county(entry: Entry, counties: Container[tuple[str, str, str]]) -> bool:
    """A town filed under a county that another name of the article may be."""
    place = entry.place
    return place.admin2 is not None and (
        (place.country_code or "", place.admin1 or "", place.admin2) in counties
    )


def _is_close(
    entry: Entry, near: Sequence[tuple[float, float]], counties: Container[tuple[str, str, str]]
) -> bool:
    """Near a town the article names, or in (or being) a county another name may be."""
    place, kind = entry.place, entry.place.kind
    county = (place.country_code or "", place.admin1 or "", place.admin2 or "")
    return (kind == "city" and _close_to(place, near)) or (
        kind in ("city", "region") and place.admin2 is not None and county in counties
    )


#: How close (km) a town must be to another place the article names beyond doubt for the
#: nearness to count as evidence that it is the town meant.
NEAR_KM = 50.0


def _close_to(place: Place, points: Sequence[tuple[float, float]]) -> bool:
    """Whether ``place`` lies within ``NEAR_KM`` of one of ``points``."""
    lat, lon = place.latitude, place.longitude
    if lat is None or lon is None or not points:
        return False
    return any(_km(lat, lon, plat, plon) <= NEAR_KM for plat, plon in points)


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 12_742.0 * math.asin(min(1.0, math.sqrt(a)))


def _because(decided: int, entry: Entry, runner_up: Entry, level: int, supported: set[str]) -> str:
    """Why ``_choose`` preferred ``entry``: the part of its key that beat the runner-up's."""
    place = entry.place
    if decided == 0 and level >= 3:
        admin1 = entry.admin1 or _iso_suffix(place)
        return f"its state or province ({place.country_code}-{admin1}) is named in the article"
    if decided == 0 and level == 2:
        if place.kind == "country":
            return "a country"
        if place.country_code in supported:
            return f"in a country the article names ({place.country_code})"
        return f"a city everyone means by the name ({entry.population:,} people)"
    if decided == 0:
        return "a small town of a state the article names"
    if decided == 2:
        return "the reading our alias table gives"
    if decided == 3 and place.kind == runner_up.place.kind:
        return f"a city of {entry.population:,} over smaller towns"
    if decided == 3:
        return f"the weightier kind ({place.kind} over {runner_up.place.kind})"
    if decided == 4:
        return "a city over its own region, a region over a foreign town"
    return f"the most populous ({entry.population:,})"


def _major(entries: tuple[Entry, ...]) -> tuple[Entry, ...]:
    """The readings that are not minor towns (``MINOR_TOWN``), or all when all are.

    What a name says about the article (its country, its state) is what its major
    readings say: Canada, Kentucky (a hamlet) does not make 'Canada' doubtful.
    """
    if all(e.place.kind != "city" or e.population >= MINOR_TOWN for e in entries):
        return entries
    major = tuple(e for e in entries if e.place.kind != "city" or e.population >= MINOR_TOWN)
    return major or entries


def _needs_evidence(entry: Entry, surface: str, people: Container[str]) -> bool:
    """Common words, surnames and small towns count only with evidence (countries always)."""
    if entry.place.kind == "country":
        return False
    if surface in COMMON_WORDS or surface in PERSON_NAMES or surface in people:
        return True
    return entry.place.kind == "city" and entry.population < SMALL_CITY


def find_mentions(paragraphs: Sequence[str], home: Home | None = None) -> list[Mention]:
    """Places named in the body paragraphs of one article, in document order.

    Context is the whole article: a name's reading (Georgia the country or the US
    state) and whether a small town or a surname counts depend on which countries
    the other, unambiguous names belong to. Four passes: the automaton's hits, those
    that stand alone as names (``_standalone``), what the names beyond doubt say about
    the article (``_Article``), then each name's readings weighed on their evidence,
    whether it is a place and which (``_weigh``).
    """
    gazetteer = load_gazetteer()
    per_paragraph = [_raw_spans(gazetteer, i, text) for i, text in enumerate(paragraphs)]
    kept, people, inside = _standalone(per_paragraph, paragraphs, gazetteer)
    article = _Article.of(kept, people, home, inside)
    starts = [{s.start: s for s in spans} for spans in per_paragraph]
    mentions = _resolve(kept, paragraphs, starts, article)
    spans = {(span.paragraph_index, span.start): span for span in kept}
    # A state the article turned out to name, though its name left room for doubt
    # (Georgia, a first name and a country too), names its towns as a state beyond doubt
    # does: Columbus beside Phenix City and Georgia is Georgia's. Once more with it.
    named = dict(article.named_regions)
    for mention in mentions:
        suffix = _iso_suffix(mention.place)
        if mention.place.kind == "region" and suffix and mention.form == "name":
            key = (mention.place.country_code or "", suffix)
            if key not in article.named_regions:
                named.setdefault(key, set()).add(
                    _identity(spans[(mention.paragraph_index, mention.start)])
                )
    if len(named) > len(article.named_regions):
        article = replace(article, named_regions=named)
        mentions = _resolve(kept, paragraphs, starts, article)
    return mentions


def _resolve(
    kept: Sequence[_Span],
    paragraphs: Sequence[str],
    starts: Sequence[Mapping[int, _Span]],
    article: _Article,
) -> list[Mention]:
    """Each kept name weighed in its paragraph (``_weigh``): the mentions, in order."""
    mentions: list[Mention] = []
    last: dict[int, tuple[int, str | None]] = {}  # a paragraph's last mention: end, country
    previous: dict[int, tuple[int, Entry]] = {}  # and its reading
    for span in kept:
        text = paragraphs[span.paragraph_index]
        evidence = _evidence(span, text, starts[span.paragraph_index], last)
        weighed = _weigh(span, text, evidence, article, previous.get(span.paragraph_index))
        if weighed is None:
            continue
        chosen, why = weighed
        last[span.paragraph_index] = (span.end, chosen.place.country_code)
        previous[span.paragraph_index] = (span.end, chosen)
        mentions.append(
            Mention(
                place=chosen.place,
                paragraph_index=span.paragraph_index,
                start=span.start,
                end=span.end,
                surface=text[span.start : span.end],  # as written: 'CHARLESTON' in a dateline
                why=why,
                form="adjective" if chosen.adjective else "name",
            )
        )
    return mentions


#: Words after a name that make it a region's ('New York state').
REGION_WORDS = frozenset({"state", "State"})
_POINTERS = "'X, <region>' with X in it, a list of regions, or 'state' after it"


def _regions_pointed_at(
    span: _Span, text: str, accepted: Sequence[Entry], previous: tuple[int, Entry] | None
) -> list[Entry]:
    """The region readings that the words around a name point at, else none.

    Where a name is both a city and a region (New York, Washington), the region is
    meant after a place that lies in it and a comma ('Buffalo, New York'), in a list
    after another region of its country ('Missouri, New York and Virginia'), and
    before 'state' ('New York state').
    """
    regions = [e for e in accepted if e.place.kind == "region" and e.place.admin2 is None]
    if not regions or len(regions) == len(accepted):
        return []
    if span.next_word in REGION_WORDS and not span.next_joined:
        return regions
    if previous is None:
        return []
    end, before = previous
    gap = text[end : span.start]
    place = before.place
    if gap == ", " and place.kind == "city":
        admin1 = before.admin1 or place.admin1
        return [
            e
            for e in regions
            if e.place.country_code == place.country_code and _iso_suffix(e.place) == admin1
        ]
    if gap in LIST_GAPS and place.kind == "region" and place.admin2 is None:
        return [e for e in regions if e.place.country_code == place.country_code]
    return []


def _standalone(
    per_paragraph: Sequence[Sequence[_Span]], paragraphs: Sequence[str], gazetteer: Gazetteer
) -> tuple[list[_Span], frozenset[str], list[_Span]]:
    """The hits that stand alone as names, the surfaces seen as the end of a person's, and
    the regions named inside an organisation's name.

    Dropped: words that are never places (``NEVER``), parts of a longer proper name
    (``_longer_name``) and, unless a reading is a country, the items of a comma list
    of names that are not places (``_in_list_of_names``, a team sheet). A region with
    one reading inside an organisation's name ("Rapides Parish Fire District", "Ohio
    State University") is no mention, but it says where the article is: it is kept
    apart for that (``_Article``).
    """
    kept: list[_Span] = []
    inside: list[_Span] = []
    people: set[str] = set()  # surfaces seen as the end of a person's name
    for spans in per_paragraph:
        for span in spans:
            text = paragraphs[span.paragraph_index]
            if span.surface in NEVER:
                continue
            reason = _longer_name(span, text, gazetteer)
            if reason == "person" and not (span.next_word or "")[:1].isupper():
                people.add(span.surface)
            if reason in ("organisation", "name") and _one_region(span):
                inside.append(span)
            if reason is not None:
                continue
            countryish = any(e.place.kind == "country" for e in span.entries)
            if not countryish and _in_list_of_names(span, text, gazetteer):
                continue
            kept.append(span)
    return kept, frozenset(people), inside


def _one_region(span: _Span) -> bool:
    """A name whose only reading is a region (a state, a county): no namesake to doubt."""
    return len(span.entries) == 1 and span.entries[0].place.kind == "region"


@dataclass(frozen=True)
class _Article:
    """What the names beyond doubt say about the whole article, which every name is read in.

    ``people`` are the surfaces seen as the end of a person's name; ``support`` counts
    the countries the article names (``_country_support``) and ``named_regions`` holds
    its states and provinces with the names that name them (``_named_regions``).
    """

    people: frozenset[str]
    support: Counter[str]
    named_regions: Mapping[tuple[str, str], set[str]]
    #: Countries whose towns (not world cities), states or counties the article names
    #: beyond doubt.
    local: frozenset[str] = frozenset()
    #: The points of the towns and counties the article names beyond doubt, with their
    #: names (a name is no evidence for itself).
    anchors: tuple[tuple[str, tuple[float, float]], ...] = ()
    #: The counties (country, admin1, admin2) that some reading of a name lies in or is,
    #: with those names: two names with readings in one county support those readings
    #: (Huntsville and Walker County are in Texas together).
    counties: Mapping[tuple[str, str, str], set[str]] = field(default_factory=dict)
    #: The publishing source's home (``ingest.places.homes``), kept only when the article
    #: names no other country: what the article says comes first.
    home: Home | None = None
    #: Of ``counties``, those some name may be (McMinn County), not only lie in.
    named_counties: Mapping[tuple[str, str, str], set[str]] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        kept: Sequence[_Span],
        people: frozenset[str],
        home: Home | None = None,
        inside: Sequence[_Span] = (),
    ) -> _Article:
        """The article's context from its standalone names: only those that need no
        evidence count (Davis (Cup) says nothing about California). The regions named
        inside organisations' names (``inside``) name their state and county too."""
        certain = [span for span in kept if _beyond_doubt(span, people)]
        local = frozenset(
            e.place.country_code or ""
            for span in certain
            if len({e.place.country_code for e in _major(span.entries)}) == 1
            for e in _major(span.entries)[:1]
            # A state or a town, not a world city: "in Paris ... from Toronto" is France's.
            if e.place.kind == "region" or (e.place.kind == "city" and e.population < FAMOUS_CITY)
        )
        anchors = tuple(
            (span.surface, (place.latitude, place.longitude))
            for span in certain
            if (one := _dominant(_major(span.entries))) is not None
            and (place := one.place).latitude is not None
            and place.longitude is not None
            and (place.kind == "city" or (place.kind == "region" and place.admin2))
        )
        counties: dict[tuple[str, str, str], set[str]] = {}
        named_counties: dict[tuple[str, str, str], set[str]] = {}
        for span in (*kept, *inside):
            for e in span.entries:
                place = e.place
                if place.admin2 is None or place.kind not in ("city", "region"):
                    continue
                key = (place.country_code or "", place.admin1 or "", place.admin2)
                counties.setdefault(key, set()).add(_identity(span))
                if place.kind == "region":
                    named_counties.setdefault(key, set()).add(_identity(span))
        if home is not None and _countries_named(certain) - {home.country_code}:
            home = None  # the article names places of another country: it says where it is
        support = _country_support(certain)
        regions = _named_regions([*certain, *inside])
        return cls(people, support, regions, local, anchors, counties, home, named_counties)


def _beyond_doubt(span: _Span, people: frozenset[str]) -> bool:
    """Whether a name says where the article is: no reading of it needs evidence, or the
    one it leaves no doubt about (``_dominant``: Dallas, not Dallas, Oregon) needs none."""
    major = _major(span.entries)
    if not any(_needs_evidence(e, span.surface, people) for e in major):
        return True
    one = _dominant(major)
    return one is not None and not _needs_evidence(one, span.surface, people)


def _country_support(certain: Sequence[_Span]) -> Counter[str]:
    """Countries the article names without doubt, with how many names name them.

    Names with readings in one country only that need no evidence, and big cities
    whose namesakes are all far smaller (London, not London, Ontario).
    """
    support: Counter[str] = Counter()
    for span in certain:
        entries = _major(span.entries)
        codes = {e.place.country_code for e in entries}
        if len(codes) == 1 and None not in codes:
            support[next(iter(codes)) or ""] += 1
        elif all(e.place.kind == "city" for e in entries):
            biggest = max(entries, key=lambda e: e.population)
            if biggest.population >= FAMOUS_CITY and all(
                3 * e.population <= biggest.population for e in entries if e is not biggest
            ):
                support[biggest.place.country_code or ""] += 1
    return support


def _countries_named(certain: Sequence[_Span]) -> set[str]:
    """The countries of the names beyond doubt whose readings all lie in one country.

    Not a big city's over its namesakes ('London' is no word against an Ontario
    paper's home): only a name that can be read in no other country says where the
    article is.
    """
    named: set[str] = set()
    for span in certain:
        codes = {e.place.country_code for e in _major(span.entries)}
        if len(codes) == 1 and None not in codes:
            named.add(next(iter(codes)) or "")
    return named


def _named_regions(certain: Sequence[_Span]) -> dict[tuple[str, str], set[str]]:
    """States and provinces the article names, directly or through one of their cities or
    counties.

    For 'Athens, Georgia' and 'Georgia ... Atlanta' readings; with the names that
    name them, since a name cannot support its own reading (``_Regions``).
    """
    named_regions: dict[tuple[str, str], set[str]] = {}
    for span in certain:
        entries = _major(span.entries)
        for e in entries:
            suffix = _iso_suffix(e.place)
            if e.place.kind == "region" and suffix:
                key = (e.place.country_code or "", suffix)
                named_regions.setdefault(key, set()).add(span.surface)
        # A city or a county names its state: 'Alachua County' supports Gainesville, Florida,
        # and so does a big city its far smaller namesakes leave no doubt about (Dallas).
        one = _dominant(entries)
        if one is not None and one.admin1:
            key = (one.place.country_code or "", one.admin1 or "")
            named_regions.setdefault(key, set()).add(span.surface)
    return named_regions


def _dominant(entries: tuple[Entry, ...]) -> Entry | None:
    """The reading a name leaves no doubt about: its only one, or a city of
    ``FAMOUS_CITY`` people whose namesakes are all three times smaller or more (Dallas,
    Texas over Dallas, Oregon), as ``_country_support`` counts it; else None."""
    if len(entries) == 1:
        return entries[0]
    if not all(e.place.kind == "city" for e in entries):
        return None
    biggest = max(entries, key=lambda e: e.population)
    if biggest.population >= FAMOUS_CITY and all(
        3 * e.population <= biggest.population for e in entries if e is not biggest
    ):
        return biggest
    return None


@dataclass(frozen=True)
class _Evidence:
    """What the words around one name say about it, for the evidence rules."""

    located: bool  # a locative word before it ('in Reading'), not starting a sentence
    strongly_located: bool  # one that is evidence enough for a surname or a common word
    after_to: bool  # 'to' before it, which is enough for a common word
    possessive: bool  # "'s" after it: 'in Anderson's hometown' is a person's
    sentence_initial: bool  # it starts a sentence, where every word is capitalised
    contained_in: frozenset[str]  # countries of a region or country after ', ' (Houston, Texas)
    contained: bool  # some reading lies in one of those
    in_list: bool  # only a list gap since the paragraph's last mention
    previous_country: str | None  # that mention's country
    prev_word: str | None = None  # the word before it
    cue: str = ""  # what locates it, for ``show --explain``: "after 'in'"


def _evidence(
    span: _Span,
    text: str,
    starts: Mapping[int, _Span],
    last: Mapping[int, tuple[int, str | None]],
) -> _Evidence:
    """The evidence around ``span`` in its paragraph's ``text``.

    ``starts`` has the paragraph's spans by where they start; ``last`` the end and
    country of each paragraph's last mention so far.
    """
    prev_lower = (span.prev_word or "").casefold() if not span.prev_joined else ""
    trailing = frozenset(_followed_by_place_of(span, starts, text))
    last_end, previous_country = last.get(span.paragraph_index, (None, None))
    # A dateline says where the story was filed, and 'a Goose Creek man' where he lives,
    # as 'in' would.
    residents = (
        span.next_word in RESIDENT_WORDS and not span.next_joined and not span.sentence_initial
    )  # not 'One man', 'Many residents'
    if span.dateline:
        cue = "it opens the dateline"
    elif residents:
        cue = f"before '{span.next_word}'"
    else:
        cue = f"after '{span.prev_word}'"
    if span.county_list:
        cue = "in a list of counties"
    said = span.dateline or residents or span.county_list
    # 'the city of X', 'the area of X', 'the capital of X': as sure as 'in X'.
    noun = _word_before_before(text, span.start) if prev_lower == "of" else None
    if noun in PLACE_NOUNS and not said:
        prev_lower = "in"
        cue = f"after '{noun} of'"
    return _Evidence(
        located=said or (prev_lower in PREPOSITIONS and not span.sentence_initial),
        strongly_located=said or (prev_lower in STRONG_PREPOSITIONS and not span.sentence_initial),
        after_to=prev_lower == "to",
        possessive=text.startswith(("'s", "’s"), span.end),
        sentence_initial=span.sentence_initial and not said,
        contained_in=trailing,
        contained=bool(_contained(span.entries, trailing)),
        in_list=last_end is not None and text[last_end : span.start] in LIST_GAPS,
        previous_country=previous_country,
        prev_word=span.prev_word,
        cue=cue,
    )


def _contained(entries: Sequence[Entry], contained_in: Container[str | None]) -> list[Entry]:
    """The readings that lie in the region or country written after the name (Houston,
    Texas). A country's name followed by another country is a list ("Mexico, China, Japan"),
    not a town of that country: only a state of the name may then be contained (Georgia,
    U.S.)."""
    contained = [e for e in entries if e.place.country_code in contained_in]
    if any(e.place.kind == "country" for e in entries):
        contained = [e for e in contained if e.place.kind == "region"]
    return contained


def _candidates(span: _Span, text: str, contained_in: Container[str | None]) -> list[Entry]:
    """The readings the words around a name leave: those in the region or country
    written after it (Houston, Texas) if any, and in a container's position, a container."""
    contained = _contained(span.entries, contained_in)
    candidates = contained or list(span.entries)
    if _CONTAINER_POSITION.search(text[max(0, span.start - 40) : span.start]):
        # 'Camberley, Surrey': after a capitalised name and a comma, a name is the
        # region or country that contains it, unless a city of that country exists.
        containers = [e for e in candidates if e.place.kind in ("region", "country")]
        city_codes = {e.place.country_code for e in candidates if e.place.kind == "city"}
        if containers and not city_codes & {e.place.country_code for e in containers}:
            candidates = containers
    return candidates


def _counts(entry: Entry, surface: str, evidence: _Evidence, article: _Article) -> str | None:
    """Why the name counts as a place in this reading, or None when nothing says it does.

    Countries and names that need no evidence (``_needs_evidence``) always count. Any
    other counts when contained, listed with others of its country or in a region the
    article names; else by what the name is: a minor town (``_minor_town_located``), a
    surname (``_surname_located``), a common word (``_common_word_located``) or a small
    town (``_town_located``). The reason is what ``show --explain`` says.
    """
    if not _needs_evidence(entry, surface, article.people):
        return "a place name that needs no evidence"
    cc = entry.place.country_code or ""
    admin1 = entry.admin1 or _iso_suffix(entry.place)
    # Houston ... Texas; Georgia ... Atlanta
    regional = bool(admin1) and (cc, admin1 or "") in _Regions(article.named_regions, surface)
    minor = entry.place.kind == "city" and entry.population < MINOR_TOWN
    after = evidence.cue
    named = f"its state or province ({cc}-{admin1}) is named in the article"
    if evidence.contained:
        return "followed by its region or country"  # 'Canadian, Texas' is the town
    if evidence.in_list and cc == evidence.previous_country:
        if minor and _demonym_like(surface):
            return None  # 'Texas, Canadian troops' is not
        return f"in a list with another place of {cc}"
    if minor:
        if not _minor_town_located(evidence, regional, surface, article):
            return None
        return named if regional else after
    if regional:
        return named
    if surface in PERSON_NAMES or surface in article.people:
        return after if _surname_located(evidence) else None
    if surface in COMMON_WORDS:
        return after if _common_word_located(evidence) else None
    if evidence.located:
        return after
    if article.support[cc] > 0 and entry.population >= SUPPORTED_TOWN:
        return f"a town of {entry.population:,} in a country the article names ({cc})"
    return None


def _minor_town_located(
    evidence: _Evidence, regional: bool, surface: str, article: _Article
) -> bool:
    """A minor town (``MINOR_TOWN``) that is not contained or listed counts in a region the
    article names, or after a strong locative word in a country it names; and never when
    the name is a surname or a common word ('Jones', 'Hope', 'Church' are towns too)."""
    if surface in PERSON_NAMES or surface in article.people or surface in COMMON_WORDS:
        return False
    if evidence.sentence_initial or _demonym_like(surface):
        return False  # 'Over the weekend', 'Many said'; 'Canadian troops'
    return regional or evidence.strongly_located


_DEMONYM_ENDINGS = ("ian", "an", "ish", "ese", "i", "ic", "ean")


@lru_cache(maxsize=1)
def _country_stems() -> frozenset[str]:
    """The names of countries and regions, less their last letter: Canad, Englan, Arabi."""
    gazetteer = load_gazetteer()
    areas = (gazetteer.by_id[gid] for gid in gazetteer.by_id if gid.startswith("iso3166-"))
    return frozenset(
        place.name[:-1]
        for place in areas
        if place.kind in ("country", "region") and " " not in place.name and len(place.name) >= 4
    )


def _demonym_like(surface: str) -> bool:
    """A word shaped like a country's or region's demonym (Canadian, English, Arab).

    Demonyms are not place names; a town named Canadian or English is not what the
    word means in news text. The test: the word ends like a demonym and starts with a
    country's or region's name (less its last letter), or is a prefix of one (Arab).
    """
    if " " in surface or not surface.endswith(_DEMONYM_ENDINGS + ("b",)):
        return False
    stems = _country_stems()
    for cut in range(3, len(surface)):
        if surface[:cut] in stems:
            return True
    return any(stem.startswith(surface) for stem in stems) if len(surface) >= 4 else False


def _surname_located(evidence: _Evidence) -> bool:
    """A surname is a place after a strong locative word, unless a possessive follows.

    'in Anderson's hometown', 'the absence of Campbell': a person's.
    """
    return evidence.strongly_located and not evidence.possessive


def _common_word_located(evidence: _Evidence) -> bool:
    """A common word (Reading, Nice) is a place after a strong locative word or 'to'."""
    return evidence.strongly_located or evidence.after_to


@lru_cache(maxsize=1)
def _folded_index() -> dict[str, tuple[Entry, ...]]:
    """Surfaces keyed without case and accents, built on the first inexact lookup."""
    index: dict[str, list[Entry]] = {}
    for surface, entries in load_gazetteer().entries.items():
        index.setdefault(fold(surface).casefold(), []).extend(entries)
    return {k: tuple(v) for k, v in index.items()}


@lru_cache(maxsize=4096)
def resolve_place(name: str) -> Place | None:
    """Resolve a bare place name (a page's top-bar city) to one place.

    Without an article for context, a city wins over a region or a country of the
    same name (a top bar names a city), and the biggest city wins among cities.
    Case, accents and surrounding spaces are forgiven. Cached: pages repeat their
    top-bar city, and the answer depends only on the name.
    """
    gazetteer = load_gazetteer()
    cleaned = " ".join(name.split())
    entries = gazetteer.entries.get(cleaned) or gazetteer.entries.get(fold(cleaned))
    if not entries:
        entries = _folded_index().get(fold(cleaned).casefold())
    if not entries:
        return None
    order = {"city": 3, "region": 2, "country": 1}
    return max(entries, key=lambda e: (order.get(e.place.kind, 0), e.population)).place
