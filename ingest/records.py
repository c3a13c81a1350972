"""The frozen records that pass between the ingest stages.

Each stage is a pure function from one record to the next
(``RawDocument -> DecodedDocument -> ParsedArticle -> ArticleRecord``); only
``ingest.store`` touches the database. Keeping them frozen means a stage can
never change what an earlier stage saw, which keeps ``reparse`` honest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from db.raw import Packed

if TYPE_CHECKING:
    from ingest.places.gazetteer import Place
    from ingest.signature import Signature


@dataclass(frozen=True)
class ArchiveRecord:
    """Where a document lies in a web archive, and what the archive says of it.

    A WARC ``response`` (or ``revisit``) record's payload is a document of its
    own; this is the rest of the record that the payload alone does not say and
    that is stored beside it (``documents``), so that ``reparse`` reads the
    payload as ingest did: the URL it was fetched from and the HTTP charset.
    """

    archive: str  # the WARC file as origin text, or "WACZ!member" for a WARC inside a WACZ
    offset: int | None  # the record's byte offset in that WARC (None: a WARC gzipped whole)
    record_id: str | None = None  # WARC-Record-ID
    url: str | None = None  # WARC-Target-URI
    fetched_at: datetime | None = None  # WARC-Date, in UTC
    content_type: str | None = None  # the HTTP Content-Type
    payload_digest: str | None = None  # WARC-Payload-Digest, as written
    refers_to: str | None = None  # a revisit's WARC-Refers-To (not stored)
    revisit: bool = False  # a revisit record: a duplicate of the record it points to


@dataclass(frozen=True)
class ArchivePart:
    """A run of consecutive records of one WARC: what one worker reads of a web archive.

    ``offsets`` are where the records begin (in the WARC: inside a WACZ, in its
    member), ``end`` where the last one ends. Reading stops at ``end``, so a
    part never reads into the next one. ``last``: the part ends its file, which
    is then done. ``damage``: the WARC cannot be read from ``offsets[0]`` on,
    and why; the part is that one failure.
    """

    path: str  # the file, as named to ingest
    member: str | None  # the WARC inside a WACZ
    offsets: tuple[int, ...]
    end: int
    last: bool = True
    damage: str | None = None
    whole: bool = False  # a WARC gzipped as one stream: read from its start, records by id

    @property
    def start(self) -> int:
        return self.offsets[0]


@dataclass(frozen=True)
class RawDocument:
    """The exact bytes of one input, and where they came from."""

    origin: str  # absolute path as text (``ingest.read.origin_text``), or "-" for standard input
    raw: bytes
    sha256: str
    mtime: float | None = None
    record: ArchiveRecord | None = None  # a web archive's record: what the archive says of it

    @property
    def size(self) -> int:
        return len(self.raw)


@dataclass(frozen=True)
class DecodedDocument:
    """A document's text, and the encoding that produced it from the raw bytes."""

    origin: str
    text: str
    encoding: str


@dataclass(frozen=True)
class ParsedParagraph:
    """One block of a page with what it is.

    ``kind`` is 'body' for the article's own text; the other kinds are listed in
    README.md (boilerplate, translation, footer, sidebar, share, ...).
    ``reason`` says why the block got its kind, for ``newsstore show --explain``.
    """

    text: str
    kind: str = "body"
    reason: str | None = None


@dataclass(frozen=True)
class ParsedArticle:
    """What a layout parser read from one document, before normalisation."""

    title: str
    paragraphs: tuple[ParsedParagraph, ...]
    layout: str
    parser_version: str
    source_name: str | None = None
    source_category: str | None = None
    published_at: datetime | None = None
    page_date: date | None = None
    page_location: str | None = None
    page_temperature_c: float | None = None
    translations: tuple[str, ...] = field(default_factory=tuple)
    url: str | None = None
    language: str | None = None
    guid: str | None = None  # a feed item's stable id
    author: str | None = None


@dataclass(frozen=True)
class ParagraphRecord:
    """A paragraph ready to store: its 1-based position and the hash that finds its repeats."""

    position: int
    kind: str
    text: str
    text_hash: int
    reason: str | None = None


@dataclass(frozen=True)
class PlaceMention:
    """A place named in a body paragraph: ``text[start:end] == surface`` of that paragraph."""

    position: int  # the paragraph's 1-based position in the article
    start: int
    end: int
    surface: str
    place: Place
    #: Why the name counts and why it is this place (``show --explain``); not stored.
    why: str = ""
    #: 'name' ("Russia") or 'adjective' ("Russian", "the Russians").
    form: str = "name"


@dataclass(frozen=True)
class ArticleRecord:
    """A parsed article with what identifies it (content and paragraph hashes) and its places."""

    article: ParsedArticle
    content_hash: str
    paragraphs: tuple[ParagraphRecord, ...]
    mentions: tuple[PlaceMention, ...] = ()
    page_place: Place | None = None
    # The body's MinHash band keys and anchors (``ingest.signature``): how the store finds
    # its near-copies. None for a record made without one (the writer then makes it).
    signature: Signature | None = None


@dataclass(frozen=True)
class PreparedDocument:
    """Everything the pure stages made of one input: articles, or the reason there are none."""

    raw: RawDocument
    encoding: str | None
    articles: tuple[ArticleRecord, ...] = ()
    error: str | None = None
    reason: str | None = None
    format: str | None = None
    warnings: tuple[str, ...] = ()  # bad records of a multi-record file (JSON Lines)
    notes: tuple[str, ...] = ()  # what reading it took, e.g. invalid bytes replaced
    # ``raw.raw`` as it is stored (``db.raw.pack``), made by ``prepare`` in the worker
    # processes, not by the write that holds the database (None: the store packs it).
    packed: Packed | None = None
