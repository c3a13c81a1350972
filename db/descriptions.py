"""What every table, view and column means: one source for README's schema and for Datasette.

README.md's column tables (between ``<!-- columns: NAME -->`` and
``<!-- /columns -->``) are written from ``DESCRIPTIONS`` by ``readme_with_tables``
(``python -m db.descriptions README.md`` rewrites them in place), and
``newsstore serve`` gives the same words to Datasette (``db.serve``). A test
checks that every table of the models, every view, and each of their columns
has a description here, that nothing here names a column that is not there,
and that README's tables are what this module writes: they cannot drift.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Described:
    """A table or view: one line on what a row is, and each column's meaning, in order."""

    summary: str
    columns: dict[str, str]
    view: bool = False


_WHEN = "when newsstore first wrote the row (UTC)"
# A place as the views show it, beside what names it.
_PLACE = {
    "location_id": "the place (→ `locations`)",
    "place": "the place's name",
    "kind": "`country`, `region`, `city`, `continent` or `area`",
    "country_code": "ISO 3166-1 alpha-2",
    "latitude": "latitude in degrees",
    "longitude": "longitude in degrees",
}

DESCRIPTIONS: dict[str, Described] = {
    "documents": Described(
        "One row per input file, with its exact bytes: nothing read is ever lost.",
        {
            "id": "primary key",
            "origin": "absolute path of the file, `-` for stdin, or `ARCHIVE@OFFSET` for a record "
            "of a web archive",
            "sha256": "SHA-256 of the raw bytes (hex)",
            "size": "size in bytes",
            "mtime": "the file's modification time (Unix seconds) when read; null for stdin",
            "encoding": "the encoding the text was decoded with (`utf-8`, `utf-8-sig`, "
            "`cp1252`, …)",
            "format": "what the content is: `text`, `html`, `feed` or `jsonl`",
            "raw": "the exact bytes of the file (of a web archive's record: its HTTP payload), "
            "compressed as `raw_codec` says: read them with `raw_bytes(raw, raw_codec)` "
            "(README, Raw documents)",
            "raw_codec": "how `raw` is stored: `zstd` (with the dictionary of `raw_dictionaries` "
            "its frame names, if it names one), or null for the bytes as they are",
            "status": "`ingested`, `duplicate` or `failed`",
            "error": "why a failed document failed (or the notes of one read with repairs)",
            "duplicate_of": "for a duplicate: the earlier document whose content it repeats",
            "archive": "for a record of a web archive: the WARC it lies in (a path, or "
            "`WACZ!member`); null for a file (indexed with `record_offset`: where a re-ingest "
            "resumes)",
            "record_offset": "the record's byte offset in that WARC (null for a WARC gzipped "
            "whole)",
            "record_id": "its `WARC-Record-ID` (indexed: how a revisit finds it)",
            "url": "its `WARC-Target-URI`: where the page was fetched from",
            "fetched_at": "its `WARC-Date`: when it was fetched (UTC)",
            "content_type": "the HTTP `Content-Type` it was served with (its charset is honoured)",
            "payload_digest": "its `WARC-Payload-Digest`, as written (indexed: how a revisit "
            "finds it)",
            "ingested_at": "when the row was written (UTC)",
        },
    ),
    "raw_dictionaries": Described(
        "A zstd dictionary that documents of one format are compressed with; kept for ever, "
        "since every row compressed with it needs it (README, Raw documents).",
        {
            "id": "the zstd Dictionary_ID its frames carry in their header (32768 and up)",
            "format": "the documents' `format` it was trained on and is used for",
            "data": "the dictionary (zstd's format: `zstd -d -D FILE` reads a row with it); "
            "null where training one did not pay, so it is not tried again",
            "documents": "how many documents it was made from: trained on four fifths of them",
            "saving": "what it saved over plain zstd on the fifth held back (0.35: 35% fewer "
            "bytes)",
            "created_at": _WHEN,
        },
    ),
    "sources": Described(
        "Who published an article, as the page names it (`by DailyNK(North Korean Media)`).",
        {
            "id": "primary key",
            "name": "the source's name as the page gives it (unique)",
            "category": "the source's category, e.g. `North Korean Media`",
            "created_at": _WHEN,
        },
    ),
    "articles": Described(
        "One article read from a document (a feed or JSON Lines file yields many).",
        {
            "id": "primary key",
            "document_id": "the document it came from",
            "source_id": "its source, if the page names one",
            "title": "the headline",
            "published_at": "publication time as the page gives it (no zone for page dumps)",
            "page_date": "the date shown on the captured page",
            "page_location_id": "the page's city (→ `locations`)",
            "page_temperature_c": "the temperature shown on the page, in °C",
            "content_hash": "SHA-256 of the normalized title and text (unique): how duplicates "
            "are found",
            "url": "the article's URL, where the input gives one",
            "guid": "a feed item's guid (RSS) or id (Atom)",
            "author": "the byline the input gives (HTML, feeds)",
            "language": "the language the input declares (`<html lang>`, a feed's language)",
            "revision": "1 for the first text seen at a URL or guid, 2 for the next different "
            "text, …",
            "layout": "the layout module that read it",
            "parser_version": "that module's version",
            "created_at": _WHEN,
            "story_id": "the story it belongs to (→ `stories`): its copies, republications and "
            "updated versions; an article with none is a story of its own",
            "story_similarity": "Jaccard similarity of its body's word 3-shingles with the "
            "story's first article's (1 for the first itself, so for a story of one)",
        },
    ),
    "stories": Described(
        "Articles that are copies, republications or updated versions of one another, grouped "
        "by near-duplicate body text.",
        {
            "id": "primary key: the id of the article that began the story",
            "first_article_id": "its earliest article by `published_at`, else the first "
            "ingested (→ `articles`)",
            "articles": "how many articles it holds",
            "sources": "how many distinct sources carried it",
            "first_published_at": "the earliest `published_at` of its articles",
            "last_published_at": "the latest `published_at` of its articles",
        },
    ),
    "story_bands": Described(
        "The MinHash band keys of each article's body: articles sharing a key are candidate "
        "copies (`ingest.signature`). Looked up by key only; a derived index, rebuilt by "
        "regrouping.",
        {
            "band": "which band (0 to 11)",
            "key": "the band's three MinHash values in one signed 64-bit number",
            "article_id": "the article (its rows are deleted with it, by `story_signatures`)",
        },
    ),
    "story_signatures": Described(
        "Each article's band keys in one row, so that its `story_bands` rows can be found and "
        "deleted without an index by article.",
        {
            "article_id": "the article (deleted with it)",
            "bands": "its band keys in band order, 8 bytes each (big-endian, signed)",
        },
    ),
    "story_settings": Described(
        "What the band keys were made with (library, seed, shingle size, bands): keys made "
        "otherwise cannot be compared, so a change regroups every article.",
        {"name": "the setting", "value": "its value"},
    ),
    "paragraphs": Described(
        "One block of an article's page, in document order, with what it is (`kind`).",
        {
            "id": "primary key",
            "article_id": "its article (deleted with it)",
            "position": "1-based, in document order",
            "kind": "what the block is: `body`, `boilerplate`, or a layout's own kind "
            "(`translation`, `footer`, `sidebar`, `share`, `nav`, …)",
            "text": "the text, whitespace collapsed",
            "text_hash": "64-bit hash (a signed integer) of the normalized, case-folded text: "
            "finds a paragraph repeated across articles",
        },
    ),
    "locations": Described(
        "A place: a page's city or a place an article names, resolved offline from GeoNames "
        "and ISO 3166.",
        {
            "id": "primary key",
            "name": "the place's name",
            "kind": "`country`, `region`, `city`, `continent` or `area`",
            "country_code": "ISO 3166-1 alpha-2",
            "latitude": "latitude in degrees (WGS 84)",
            "longitude": "longitude in degrees (WGS 84)",
            "approximate": "true when the coordinates are a rough centre (countries, regions, "
            "areas)",
            "gazetteer_id": "the gazetteer record: `geonames:1273294`, `iso3166-1:RU`, "
            "`iso3166-2:RU-PRI`, `alias:russian-far-east` (unique: namesakes stay apart)",
            "admin1": "GeoNames' code of the first-level division the place lies in, where "
            "known (`FL` for Gainesville, Florida)",
            "admin2": "GeoNames' code of the second-level division (the county) it lies in, "
            "where known (`001`: Alachua County; counties carry their own)",
        },
    ),
    "location_mentions": Described(
        "Where an article names a place, by name or by an adjective: the body paragraph and "
        "the characters.",
        {
            "id": "primary key",
            "article_id": "the article",
            "location_id": "the place (→ `locations`)",
            "paragraph_position": "the body paragraph's `position`",
            "start_offset": "first character of the mention in that paragraph's text",
            "end_offset": "one past its last character: `text[start_offset:end_offset]` is "
            "`surface`",
            "surface": 'the words used ("N. Korea")',
            "form": '`name` for the place\'s name, `adjective` for a demonym ("Russian forces", '
            '"the Palestinians")',
        },
    ),
    "article_locations": Described(
        "Links an article to a place: its page's city or a place it names.",
        {
            "article_id": "the article",
            "location_id": "the place (→ `locations`)",
            "role": "`page` (the page's city), `mention` (a place the text names by name) or "
            '`adjective` (one it names only by adjectives: "Russian forces" and never "Russia")',
            "mentions": "how many times (for `mention`, by name only)",
        },
    ),
    "article_translations": Described(
        "The languages a page offers the article in (`Read in Korean`).",
        {"article_id": "the article", "language": "the language offered"},
    ),
    "source_paragraphs": Described(
        "The evidence for learned boilerplate: a paragraph that recurs in a source's articles.",
        {
            "source_id": "the source",
            "text_hash": "the paragraph's `text_hash`",
            "articles": "in how many distinct articles of the source it occurs (2 or more; "
            "from 3 it is boilerplate)",
            "text": "one copy of the paragraph",
        },
    ),
    "counts": Described(
        "What `newsstore stats` prints, kept by the store as it writes (`db.counts`); "
        "`newsstore db optimize` counts them again from the rows.",
        {
            "what": "`source` (articles per source), `month` (articles per month of "
            "`published_at`), `status` (documents per status) or `paragraphs` (all of them)",
            "key": "the source's id, the month as `YYYY-MM`, the status; empty for articles "
            "without a source or a date, and for `paragraphs`",
            "n": "how many (a row that would be 0 is deleted)",
        },
    ),
    "article_texts": Described(
        "One row per article with its source and its body text.",
        {
            "article_id": "the article (→ `articles`)",
            "title": "the headline",
            "source": "the source's name",
            "category": "the source's category",
            "published_at": "publication time as the page gives it",
            "page_date": "the date shown on the captured page",
            "origin": "the file it came from",
            "body": "the body paragraphs joined by blank lines",
        },
        view=True,
    ),
    "place_mentions": Described(
        "One row per article and place it names.",
        {
            "article_id": "the article (→ `articles`)",
            "title": "the headline",
            "published_at": "publication time as the page gives it",
            "source": "the source's name",
            **_PLACE,
            "mentions": "how many times the article names it",
        },
        view=True,
    ),
    "article_list": Described(
        "One row per article, to read: source by name, month, places named, first paragraph.",
        {
            "article_id": "the article (→ `articles`)",
            "title": "the headline",
            "source": "the source's name",
            "category": "the source's category",
            "month": "`YYYY-MM` of `published_at`",
            "published_at": "publication time as the page gives it",
            "page_date": "the date shown on the captured page",
            "places": "the places the text names, most named first",
            "first_paragraph": "the first body paragraph",
            "url": "the article's URL, where the input gives one",
            "story_id": "the article's story (`stories`; its own id when it has no copy)",
        },
        view=True,
    ),
    "place_counts": Described(
        "One row per place some article names or is dated from, with how many.",
        {
            **_PLACE,
            "approximate": "true when the coordinates are a rough centre",
            "articles": "how many articles name it",
            "pages": "how many pages carry it as their city",
        },
        view=True,
    ),
}

# Tables that are the machinery's, not the data's: described, and hidden in Datasette.
MACHINERY: dict[str, str] = {
    "alembic_version": "The schema's Alembic revision (`newsstore db current`).",
    "fts_control": "A switch older bulk writers use to defer full-text indexing.",
    "search_terms": "Search's common words (`newsstore db reindex`): how many paragraphs "
    "and articles each matches.",
    "search_impacts": "Search's impact lists: each common word's best articles with their "
    "rank for it, derived from the full-text indexes (`newsstore db reindex`).",
    "search_index": "When search's impact lists were built, and up to which article and "
    "paragraph: searches use them only while nothing was added since.",
}

_BLOCK = re.compile(r"<!-- columns: (\w+) -->\n.*?<!-- /columns -->", re.DOTALL)


def markdown_table(name: str) -> str:
    """README's words on a table or view: what a row is, then a table of its columns."""
    rows = [DESCRIPTIONS[name].summary, "", "| column | meaning |", "| --- | --- |"]
    rows += [f"| `{column}` | {text} |" for column, text in DESCRIPTIONS[name].columns.items()]
    return "\n".join(rows)


def readme_with_tables(readme: str) -> str:
    """README's text with every marked column table written again from ``DESCRIPTIONS``."""

    def block(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"<!-- columns: {name} -->\n{markdown_table(name)}\n<!-- /columns -->"

    return _BLOCK.sub(block, readme)


def tables_in_readme(readme: str) -> list[str]:
    """The names whose column tables README marks, in order."""
    return _BLOCK.findall(readme)


if __name__ == "__main__":  # python -m db.descriptions README.md
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(readme_with_tables(path.read_text(encoding="utf-8")), encoding="utf-8")
