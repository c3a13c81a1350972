"""Typed ORM models: the schema that users query with SQL, the ORM or Datasette.

Table and column names are a contract (README.md documents each one); change
them only with a new Alembic revision.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base

DOCUMENT_STATUSES = ("ingested", "duplicate", "failed")
LOCATION_KINDS = ("country", "region", "city", "continent", "area")
LOCATION_ROLES = ("page", "mention", "adjective")
MENTION_FORMS = ("name", "adjective")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _where_given(name: str, *columns: str) -> Index:
    """An index of the rows whose first column is not null: the only ones looked up by it.

    These columns are null for most stores' rows (a web archive's record columns for
    every file; ``url`` and ``guid`` for every page dump), and an index of nulls that no
    query reads took 50 bytes an article. SQLite and PostgreSQL use such an index for
    ``=`` and ``IN`` on the column, which imply it is not null.
    """
    where = text(f"{columns[0]} IS NOT NULL")
    return Index(name, *columns, sqlite_where=where, postgresql_where=where)


class Document(Base):
    """One input file (or standard input), with its exact bytes: nothing is ever lost."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("origin", "sha256"),
        CheckConstraint(_in("status", DOCUMENT_STATUSES), name="status"),
        # The last record stored from a WARC, found without reading its other records.
        _where_given("ix_documents_archive_record_offset", "archive", "record_offset"),
        _where_given("ix_documents_record_id", "record_id"),  # how a revisit finds its capture
        _where_given("ix_documents_payload_digest", "payload_digest"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    mtime: Mapped[float | None]
    encoding: Mapped[str | None] = mapped_column(String(40))
    # What the content turned out to be: 'text', 'html', 'feed' or 'jsonl'.
    format: Mapped[str | None] = mapped_column(String(16))
    # The bytes as stored: compressed as ``raw_codec`` says (``db.raw.unpack`` reads them).
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    raw_codec: Mapped[str | None] = mapped_column(String(16))  # 'zstd', or NULL: as they are
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    # A record of a web archive (WARC, WACZ) is a document of its own, its payload the raw
    # bytes; these say where it lies and what the archive says of it (null for a file).
    # The WARC it lies in (a path, or "WACZ!member"): a re-ingest resumes after its records.
    archive: Mapped[str | None] = mapped_column(Text)
    record_offset: Mapped[int | None] = mapped_column(BigInteger)  # its byte offset there
    record_id: Mapped[str | None] = mapped_column(String(200))  # WARC-Record-ID
    url: Mapped[str | None] = mapped_column(Text)  # WARC-Target-URI: where it was fetched from
    fetched_at: Mapped[datetime | None] = mapped_column(DateTime)  # WARC-Date, in UTC
    content_type: Mapped[str | None] = mapped_column(String(200))  # the HTTP Content-Type
    # WARC-Payload-Digest: how a revisit record finds the capture it repeats.
    payload_digest: Mapped[str | None] = mapped_column(String(200))
    ingested_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())

    articles: Mapped[list[Article]] = relationship(back_populates="document")
    original: Mapped[Document | None] = relationship(remote_side=[id])


class RawDictionary(Base):
    """A zstd dictionary that documents of one format are compressed with (``db.raw``).

    Written once, never changed or deleted: every frame made with it names its
    id, and needs it to be read back. ``data`` is NULL where training one did
    not pay (a marker, so that it is not tried again).
    """

    __tablename__ = "raw_dictionaries"

    # The zstd Dictionary_ID its frames carry (32768 and up: zstd's range for private ones).
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    format: Mapped[str] = mapped_column(String(16))
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    documents: Mapped[int]  # how many documents it was made from (trained on four fifths)
    # What it saved over plain zstd on the fifth held back: 0.35 for 35% fewer bytes.
    saving: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())


class Source(Base):
    """Who published an article, as the page names it ("by DailyNK(North Korean Media)")."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    category: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())

    articles: Mapped[list[Article]] = relationship(back_populates="source")


class Location(Base):
    """A normalized place: the page's city, or a place an article names."""

    __tablename__ = "locations"
    __table_args__ = (
        # One row per gazetteer record, so that namesakes stay apart (Washington, Utah is
        # not Washington, DC); rows without a record (NULL) are told apart by name.
        UniqueConstraint("gazetteer_id"),
        Index("ix_locations_name_kind_country_code", "name", "kind", "country_code"),
        CheckConstraint(_in("kind", LOCATION_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    country_code: Mapped[str | None] = mapped_column(String(2))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    # Coordinates of regions and areas are a rough centre, not a surveyed point.
    approximate: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The gazetteer record: 'geonames:1273294', 'iso3166-1:RU', 'iso3166-2:RU-PRI', 'alias:…'.
    gazetteer_id: Mapped[str | None] = mapped_column(String(64))
    # GeoNames' codes of the first- and second-level divisions the place lies in, where
    # known: 'FL' and '001' for Gainesville, Florida (in Alachua County).
    admin1: Mapped[str | None] = mapped_column(String(20))
    admin2: Mapped[str | None] = mapped_column(String(80))

    articles: Mapped[list[Article]] = relationship(
        secondary="article_locations", back_populates="locations", viewonly=True
    )


class Article(Base):
    """One article read from a document (a feed file yields many)."""

    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_source_id_published_at", "source_id", "published_at"),
        # The latest revision of a URL, or of a feed item's guid (ingest).
        _where_given("ix_articles_url", "url"),
        _where_given("ix_articles_guid", "guid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    title: Mapped[str] = mapped_column(Text)
    # As the page writes it: page dumps give no time zone, so none is invented.
    published_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    page_date: Mapped[date | None] = mapped_column(Date)
    page_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    page_temperature_c: Mapped[float | None] = mapped_column(Float)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str | None] = mapped_column(Text)
    guid: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(300))
    language: Mapped[str | None] = mapped_column(String(35))
    # 1 for the first text seen at a URL (or feed guid), 2 for the next different text, ...
    revision: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    layout: Mapped[str] = mapped_column(String(32))
    parser_version: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    # The story the article is a copy of (``stories``): an article with no copy is its own.
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id"), index=True)
    # Jaccard similarity of its body's word 3-shingles with the story's first article's (1 for
    # the first itself, so for a story of one).
    story_similarity: Mapped[float] = mapped_column(Float, server_default=text("1"))

    document: Mapped[Document] = relationship(back_populates="articles")
    source: Mapped[Source | None] = relationship(back_populates="articles")
    page_location: Mapped[Location | None] = relationship()
    paragraphs: Mapped[list[Paragraph]] = relationship(
        back_populates="article",
        order_by="Paragraph.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    translations: Mapped[list[ArticleTranslation]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    location_links: Mapped[list[ArticleLocation]] = relationship(
        back_populates="article", cascade="all, delete-orphan", passive_deletes=True
    )
    mentions: Mapped[list[LocationMention]] = relationship(
        order_by="(LocationMention.paragraph_position, LocationMention.start_offset)",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    locations: Mapped[list[Location]] = relationship(
        secondary="article_locations", back_populates="articles", viewonly=True
    )

    @property
    def body(self) -> list[str]:
        """The article's own text, paragraph by paragraph."""
        return [p.text for p in self.paragraphs if p.kind == "body"]


class Paragraph(Base):
    """One block of an article's page, in document order, with what it is (``kind``)."""

    __tablename__ = "paragraphs"
    __table_args__ = (
        UniqueConstraint("article_id", "position"),
        CheckConstraint("position >= 1", name="position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    # Hash of the normalized text (64 bits): how recurring (boilerplate) paragraphs are found.
    text_hash: Mapped[int] = mapped_column(BigInteger, index=True)

    article: Mapped[Article] = relationship(back_populates="paragraphs")


class ArticleTranslation(Base):
    """A language the page offers the article in ("Read in Korean").

    On SQLite the table is its primary key's b-tree (WITHOUT ROWID): with a rowid
    it was a table and a second b-tree of the same two columns for the key.
    """

    __tablename__ = "article_translations"
    __table_args__ = {"sqlite_with_rowid": False}

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(64), primary_key=True)


class ArticleLocation(Base):
    """Links an article to a place: its page's city ('page'), a place it names ('mention'),
    or one it names only by an adjective ('adjective': "Russian forces")."""

    __tablename__ = "article_locations"
    __table_args__ = (
        CheckConstraint(_in("role", LOCATION_ROLES), name="role"),
        # A place's links (a place's articles, ``place_counts``) and, covering role and
        # mentions, ``places`` over every article read from this index alone.
        Index("ix_article_locations_location_id_role_mentions", "location_id", "role", "mentions"),
        # The primary key's b-tree is the table (as ``article_translations``): 84 bytes an
        # article less in a store of million.py's pages (README, Bytes per article).
        {"sqlite_with_rowid": False},
    )

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    mentions: Mapped[int] = mapped_column(default=1)

    article: Mapped[Article] = relationship(back_populates="location_links")
    location: Mapped[Location] = relationship()


class LocationMention(Base):
    """Where an article names a place: the body paragraph and the character offsets.

    ``text[start_offset:end_offset]`` of the paragraph at ``paragraph_position``
    is ``surface``, the words the article used ("N. Korea" for North Korea).
    """

    __tablename__ = "location_mentions"
    __table_args__ = (
        UniqueConstraint("article_id", "paragraph_position", "start_offset"),
        Index("ix_location_mentions_location_id_article_id", "location_id", "article_id"),
        CheckConstraint(_in("form", MENTION_FORMS), name="form"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    paragraph_position: Mapped[int]
    start_offset: Mapped[int]
    end_offset: Mapped[int]
    surface: Mapped[str] = mapped_column(String(200))
    # 'name' ("Russia") or 'adjective' ("Russian forces", "the Russians").
    form: Mapped[str] = mapped_column(String(16), default="name", server_default="name")

    location: Mapped[Location] = relationship()


class SourceParagraph(Base):
    """How many distinct articles of one source carry a paragraph: the evidence for boilerplate.

    A paragraph found in ``BOILERPLATE_MIN_ARTICLES`` or more articles of the same
    source is the source's standing text, not article body.
    """

    __tablename__ = "source_paragraphs"

    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True
    )
    # Indexed by itself too: a batch looks its paragraphs up by hash, whatever their source.
    text_hash: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)
    articles: Mapped[int]
    text: Mapped[str] = mapped_column(Text)


class Story(Base):
    """Articles that are copies, republications or updated versions of one another.

    Grouped by near-duplicate body text (``ingest.store.stories``); an article
    with no copy is a story of its own. The id is the id of the article that
    began the story (a story merged into another is gone); ``first_article_id``
    is its earliest member by ``published_at``, else the first ingested.
    """

    __tablename__ = "stories"
    # Only the stories of two articles or more are listed by size (``db.stories``): most
    # stories are single articles, which the index need neither hold nor be written for.
    __table_args__ = (
        Index(
            "ix_stories_articles",
            "articles",
            sqlite_where=text("articles > 1"),
            postgresql_where=text("articles > 1"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    # No foreign key: reparse rewrites an article under its id, and the story is derived again.
    first_article_id: Mapped[int]
    articles: Mapped[int]
    sources: Mapped[int]  # distinct sources among its articles
    first_published_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_published_at: Mapped[datetime | None] = mapped_column(DateTime)


class StoryBand(Base):
    """One MinHash band key of an article's body: articles sharing a key are candidate copies.

    Looked up by key only. No index by article and no foreign key (whose
    cascade would scan the table without one): an article's keys are kept in
    ``story_signatures``, and the store deletes its rows by them.
    """

    __tablename__ = "story_bands"
    __table_args__ = {"sqlite_with_rowid": False}

    band: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    article_id: Mapped[int] = mapped_column(primary_key=True)


class StorySignature(Base):
    """An article's band keys in one row: how its ``story_bands`` rows are found to delete."""

    __tablename__ = "story_signatures"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    # The keys in band order, 8 bytes each, big-endian and signed (``ingest.store.stories``).
    bands: Mapped[bytes] = mapped_column(LargeBinary)


class StorySetting(Base):
    """What the stored band keys were made with: keys made otherwise cannot be compared."""

    __tablename__ = "story_settings"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class Count(Base):
    """A count ``newsstore stats`` prints, kept as rows are written (``db.counts``).

    Counting articles per source and per month, documents per status, and
    paragraphs, over the rows themselves reads every row: seconds at a few
    hundred thousand articles. The store stage adds each write's change here
    in the same transaction; ``db optimize`` counts them all again.
    """

    __tablename__ = "counts"

    what: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)
