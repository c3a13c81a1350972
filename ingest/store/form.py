"""What makes a stored article current: the one definition ingest writes by and reparse reads by.

``article_form`` gives everything ingest writes for an ``ArticleRecord`` (its
row's values, its source, its page place, its translations, its paragraphs
with their kinds, the places they name, the links those make) with ids
replaced by what they name; ``ingest.store.rows`` writes the rows from it.
``read_form`` reads the same form back from the rows of a stored article, and
``is_current`` compares the two for ``reparse``. A column added to what ingest
writes is thus compared by reparse too, and one added to the tables but not
to the form makes every stored article look changed, which the tests catch.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from db.base import table_of
from db.models import (
    Article,
    ArticleLocation,
    ArticleTranslation,
    Location,
    LocationMention,
    Paragraph,
    Source,
)
from ingest.places.gazetteer import Place
from ingest.records import ArticleRecord, ParsedArticle
from ingest.store.boilerplate import BOILERPLATE
from ingest.store.ids import place_key

# The columns of the rows ingest writes for an article, in the order its tuples hold them.
PARAGRAPH_COLUMNS = ("article_id", "position", "kind", "text", "text_hash")
MENTION_COLUMNS = (
    "article_id",
    "location_id",
    "paragraph_position",
    "start_offset",
    "end_offset",
    "surface",
    "form",
)
LINK_COLUMNS = ("article_id", "location_id", "role", "mentions")
TRANSLATION_COLUMNS = ("article_id", "language")

# The columns of an article's row that are not read from the record: where the
# row is (its id, its document), what stands for something the form names
# itself (the source and page place ids), how many versions of its URL came
# before it (``revision``, counted again when it is rewritten), when it was
# written, and its story (derived from the bodies of others too: ``ingest.store.stories``).
# Every other column must be in ``ArticleForm.columns``.
NOT_FROM_THE_RECORD = frozenset(
    {
        "id",
        "document_id",
        "source_id",
        "page_location_id",
        "revision",
        "created_at",
        "story_id",
        "story_similarity",
    }
)

K = TypeVar("K")  # a place, named by its key (in a form) or by its row's id (in rows)

_ARTICLES = table_of(Article)
_PARAGRAPHS = table_of(Paragraph)
_MENTIONS = table_of(LocationMention)
_LINKS = table_of(ArticleLocation)
_PLACES = [table_of(Location).c[f.name] for f in dataclasses.fields(Place)]


def article_values(parsed: ParsedArticle) -> dict[str, object]:
    """The columns of an article's row that are copied from what the parser read.

    One list for writing a row and for ``reparse`` to tell whether a stored row
    is still what the parser reads: a column missing from a hand-kept copy of
    it would go stale unnoticed.
    """
    return dict(
        title=parsed.title,
        published_at=parsed.published_at,
        page_date=parsed.page_date,
        page_temperature_c=parsed.page_temperature_c,
        url=parsed.url,
        guid=parsed.guid,
        author=parsed.author,
        language=parsed.language,
        layout=parsed.layout,
        parser_version=parsed.parser_version,
    )


@dataclass(frozen=True)
class ArticleForm:
    """Everything ingest writes for one article, with places named by ``place_key``.

    Each tuple holds the values of one row, in the order of the ``*_COLUMNS``
    above, without the article's id and with a place's key for its row's id.
    Places are compared by key, the identity ``Ids.place`` finds their rows
    by: a gazetteer record that gained better coordinates names the same
    place. ``places`` holds the places the keys name, for writing their rows;
    it is no part of the comparison.
    """

    columns: Mapping[str, object]  # the article's row: content hash and ``article_values``
    source: str | None
    source_category: str | None
    page_place: str | None
    translations: tuple[str, ...]
    paragraphs: tuple[tuple[int, str, str, int], ...]  # position, kind, text, text hash
    # place, position, start, end, surface, form
    mentions: tuple[tuple[str, int, int, int, str, str], ...]
    links: tuple[tuple[str, str, int], ...]  # place, role, mentions
    places: Mapping[str, Place] = field(default_factory=dict, compare=False, repr=False)


def page_place(record: ArticleRecord) -> Place | None:
    """The page's city: resolved by the gazetteer, else kept by name as written."""
    name = record.article.page_location
    if not name:
        return None
    return record.page_place or Place(
        name=name,
        kind="city",
        country_code=None,
        latitude=None,
        longitude=None,
        approximate=False,
        gazetteer_id=None,
    )


def links(page: K | None, mentioned: Iterable[tuple[K, str]]) -> list[tuple[K, str, int]]:
    """An article's links to places: its page's city, each place it names (role
    'mention', how often by name) and each it names only by an adjective (role
    'adjective', how often): ``mentioned`` holds (place, form) pairs."""
    found = [(page, "page", 1)] if page is not None else []
    mentioned = list(mentioned)
    names = Counter(place for place, form in mentioned if form == "name")
    adjectives = Counter(place for place, form in mentioned if form != "name")
    found.extend((place, "mention", n) for place, n in names.items())
    found.extend((place, "adjective", n) for place, n in adjectives.items() if place not in names)
    return found


def article_form(record: ArticleRecord) -> ArticleForm:
    """The stored form of what the parsers read, before the source's learned boilerplate.

    ``relabel`` applies that; the source's category is the one read here,
    which ``Ids.source`` and ``reparse`` each apply by their own rule.
    """
    parsed = record.article
    page = page_place(record)
    places = {place_key(page): page} if page is not None else {}
    mentions = []
    for m in record.mentions:
        key = place_key(m.place)
        places.setdefault(key, m.place)
        mentions.append((key, m.position, m.start, m.end, m.surface, m.form))
    page_key = place_key(page) if page is not None else None
    return ArticleForm(
        columns={"content_hash": record.content_hash, **article_values(parsed)},
        source=parsed.source_name or None,
        source_category=(parsed.source_category or None) if parsed.source_name else None,
        page_place=page_key,
        translations=tuple(sorted(set(parsed.translations))),
        paragraphs=tuple((p.position, p.kind, p.text, p.text_hash) for p in record.paragraphs),
        mentions=tuple(mentions),
        links=tuple(sorted(links(page_key, ((m[0], m[5]) for m in mentions)))),
        places=places,
    )


def relabel(form: ArticleForm, learned: Set[int]) -> ArticleForm:
    """``form`` with the body paragraphs at the ``learned`` positions stored as boilerplate.

    The places named in those paragraphs stop counting as the article's
    mentions, as ``mark_boilerplate`` does to the articles stored before.
    """
    if not learned:
        return form
    mentions = tuple(m for m in form.mentions if m[1] not in learned)
    return replace(
        form,
        paragraphs=tuple(
            (position, BOILERPLATE if position in learned else kind, text, text_hash)
            for position, kind, text, text_hash in form.paragraphs
        ),
        mentions=mentions,
        links=tuple(sorted(links(form.page_place, ((m[0], m[5]) for m in mentions)))),
    )


def read_form(session: Session, article_id: int) -> ArticleForm:
    """The form of a stored article, read back from every row ingest wrote for it."""
    row = session.execute(
        select(
            _ARTICLES,
            Source.name.label("source_name"),
            Source.category.label("source_category"),
            *(column.label(f"place_{column.name}") for column in _PLACES),
        )
        .outerjoin(Source, Source.id == _ARTICLES.c.source_id)
        .outerjoin(Location, Location.id == _ARTICLES.c.page_location_id)
        .where(_ARTICLES.c.id == article_id)
    ).one()
    values = row._mapping
    page_key = None
    if row.page_location_id is not None:
        page_key = place_key(Place(*(values[f"place_{column.name}"] for column in _PLACES)))
    translations = session.scalars(
        select(ArticleTranslation.language)
        .where(ArticleTranslation.article_id == article_id)
        .order_by(ArticleTranslation.language)
    )
    paragraphs = session.execute(
        select(*(_PARAGRAPHS.c[name] for name in PARAGRAPH_COLUMNS[1:]))
        .where(_PARAGRAPHS.c.article_id == article_id)
        .order_by(_PARAGRAPHS.c.position)
    )
    return ArticleForm(
        columns={c.name: values[c.name] for c in _ARTICLES.c if c.name not in NOT_FROM_THE_RECORD},
        source=row.source_name,
        source_category=row.source_category,
        page_place=page_key,
        translations=tuple(translations),
        paragraphs=tuple((p, k, t, h) for p, k, t, h in paragraphs),
        mentions=tuple(_with_places(session, _MENTIONS, MENTION_COLUMNS, article_id)),
        links=tuple(sorted(_with_places(session, _LINKS, LINK_COLUMNS, article_id))),
    )


def _with_places(
    session: Session, table: Table, columns: tuple[str, ...], article_id: int
) -> list[tuple[Any, ...]]:
    """An article's rows of a table that names places by id, with each place's key for its id.

    ``columns`` are the table's ``*_COLUMNS`` (article id, location id, then the
    rest); rows come in the order of the rest, which for mentions is document
    order (a paragraph and an offset name at most one mention).
    """
    rest = [table.c[name] for name in columns[2:]]
    rows = session.execute(
        select(*_PLACES, *rest)
        .join(Location, Location.id == table.c.location_id)
        .where(table.c.article_id == article_id)
        .order_by(*rest)
    )
    width = len(_PLACES)
    return [(place_key(Place(*row[:width])), *row[width:]) for row in rows]


def is_current(session: Session, article_id: int, record: ArticleRecord) -> bool:
    """Whether writing ``record`` again would leave the stored article as it is."""
    stored = read_form(session, article_id)
    kinds = {position: kind for position, kind, _, _ in stored.paragraphs}
    # Learned boilerplate is relabelled after parsing; a parser's 'body' may be stored as it.
    learned = frozenset(
        p.position
        for p in record.paragraphs
        if p.kind == "body" and kinds.get(p.position) == BOILERPLATE
    )
    written = relabel(article_form(record), learned)
    if written.source_category is None:
        # A source keeps its category when the parsers read none for it.
        written = replace(written, source_category=stored.source_category)
    return written == stored
