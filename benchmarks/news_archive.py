"""Invented news pages, and web archives of them as a crawler writes them: WARC, .warc.gz, WACZ.

The tests of ``ingest.archives`` build their archives here at test time, and
``benchmarks/warc_ingest.py`` builds its large ones; nothing here is copied
from a real site. A page looks like a news site's article page: a header with
the site's name and a menu, a cookie notice, the headline, a byline and a
time, body paragraphs (one with a subheading, one a quote), a "related"
list, a newsletter box and a footer, with scripts and styles, as crawlers save
them. Pages differ in their words, their sites and their lengths, so that the
extractor has real work on each.

An archive holds, besides one ``response`` per page (each preceded by its
``request`` and followed by a ``metadata`` record, as Heritrix and Browsertrix
write them): a ``warcinfo`` record first, and on request the records ingest must
skip: a ``resource`` (a screenshot), non-HTML responses (an image, a style
sheet, robots.txt), a 404 page, and ``revisit`` records of pages already in
the archive (by payload digest, with ``WARC-Refers-To``).

Records are written with FastWARC, the library ingest reads them with, one
gzip member per record for ``.warc.gz``, as every crawler writes them.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import zipfile
from base64 import b32encode
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastwarc.stream_io import GzipWriter
from fastwarc.warc import WarcRecord, WarcRecordType

SITES = (
    ("The Harbour Gazette", "harbourgazette.example"),
    ("Northern Ledger", "northernledger.example"),
    ("Valley Courier", "valleycourier.example"),
    ("Coastal Times", "coastaltimes.example"),
    ("Metro Dispatch", "metrodispatch.example"),
    ("Highland Observer", "highlandobserver.example"),
)
SECTIONS = ("politics", "business", "world", "science", "sport", "culture", "local")
_NOUNS = (
    "council minister harbour bridge ferry river storm school hospital court market prices "
    "farmers workers union election budget report inquiry police station airport railway "
    "museum festival drought flood vaccine clinic teachers students parliament senator "
    "mayor factory mine port shipyard reservoir pipeline tariff exports wages rent tenants "
    "landlords commuters cyclists coast forest wildfire volcano earthquake satellite"
).split()
_VERBS = (
    "approved rejected delayed announced questioned criticised defended funded reopened "
    "closed expanded suspended investigated welcomed warned promised confirmed denied"
).split()
_ADJECTIVES = (
    "new local regional national controversial long-awaited emergency temporary annual "
    "historic disputed independent public private coastal northern southern rural urban"
).split()
_PLACES = (
    "Lisbon Porto Bergen Aberdeen Galway Hobart Dunedin Halifax Valparaiso Mombasa Durban "
    "Tromso Gdansk Trieste Split Izmir Busan Osaka Darwin Cairns"
).split()
_NAMES = (
    "Ana Silva|Tom Berg|Mia Novak|Lars Holm|Ines Costa|Omar Haddad|Keiko Sato|Rui Mendes|"
    "Elena Petrova|Jonas Weber|Aisha Bello|Pablo Ruiz|Sara Lind|David Okafor|Nina Kowalski"
).split("|")
STYLE = "body{font-family:Georgia,serif;margin:0}.nav a{margin:0 8px}.related li{color:#555}"
SCRIPT = "window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"


@dataclass(frozen=True)
class Page:
    """One invented article page: where it is, its headline and body, and its HTML bytes."""

    url: str
    title: str
    body: tuple[str, ...]
    html: bytes
    fetched: datetime
    charset: str = "utf-8"
    declared_in_page: bool = True  # False: the charset is only in the HTTP header


def _sentence(rng: random.Random) -> str:
    noun, other = rng.sample(_NOUNS, 2)
    words = [
        rng.choice(("The", "A", "Officials said the", "Residents say the", "Last week the")),
        rng.choice(_ADJECTIVES),
        noun,
        rng.choice(("in", "near", "outside", "north of")),
        rng.choice(_PLACES),
        "was",
        rng.choice(_VERBS),
        rng.choice(("after", "before", "despite", "because of")),
        "the",
        other,
    ]
    tail = rng.choice(
        (
            "",
            f", according to {rng.choice(_NAMES)}",
            f" on {rng.choice(('Monday', 'Tuesday', 'Friday', 'Sunday'))}",
            f", costing {rng.randint(2, 900)} million",
        )
    )
    return " ".join(words) + tail + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def news_page(number: int, seed: int = 0, charset: str = "utf-8", in_page: bool = True) -> Page:
    """Page ``number`` of a crawl (the same number and seed give the same bytes).

    ``charset``: the page's encoding; ``in_page`` False leaves it out of the
    page (no ``<meta charset>``), so that only the HTTP header says it.
    """
    rng = random.Random(seed * 1_000_003 + number)
    site, host = SITES[number % len(SITES)]
    section = rng.choice(SECTIONS)
    place = rng.choice(_PLACES)
    title = f"{place} {rng.choice(_NOUNS)} {rng.choice(_VERBS)} as {rng.choice(_NOUNS)} row grows"
    if charset != "utf-8":
        title += " – café"  # a character that is not ASCII, so the charset matters
    body = [_paragraph(rng) for _ in range(rng.randint(6, 14))]
    body[1] = f"{rng.choice(_NAMES)}, who has lived in {place} for years, said: {body[1]}"
    fetched = datetime(2025, 3, 1, tzinfo=UTC) + timedelta(minutes=7 * number + seed)
    published = fetched - timedelta(hours=rng.randint(1, 48))
    slug = "-".join(title.lower().split()[:6]).replace("–", "").replace("é", "e")
    url = f"https://www.{host}/{section}/{published:%Y/%m/%d}/{slug}-{number}"
    author = rng.choice(_NAMES)
    related = "".join(
        f'<li><a href="/{section}/{n}">{_escape(_sentence(rng)[:60])}</a></li>' for n in range(5)
    )
    menu = "".join(f'<a href="/{s}">{s.title()}</a>' for s in SECTIONS)
    paragraphs = "\n".join(f"<p>{_escape(text)}</p>" for text in body)
    meta_charset = f'<meta charset="{charset}">' if in_page else ""
    html = f"""<!DOCTYPE html>
<html lang="en"><head>{meta_charset}
<title>{_escape(title)} | {site}</title>
<meta property="og:title" content="{_escape(title)}">
<meta property="og:site_name" content="{site}">
<meta name="author" content="{author}">
<meta property="article:published_time" content="{published:%Y-%m-%dT%H:%M:%SZ}">
<link rel="canonical" href="{url}">
<style>{STYLE}</style><script>{SCRIPT}</script>
</head><body>
<div class="cookie-banner">We use cookies. <a href="/privacy">Accept</a></div>
<header><a class="logo" href="/">{site}</a><nav class="nav">{menu}</nav></header>
<main><article>
<h1>{_escape(title)}</h1>
<div class="byline">By <a href="/authors/{number % 15}">{author}</a>
<time datetime="{published:%Y-%m-%dT%H:%M:%SZ}">{published:%d %B %Y, %H:%M}</time></div>
<div class="article-body">
{paragraphs}
</div>
<div class="share"><a href="#">Share on Facebook</a> <a href="#">Share on X</a></div>
</article>
<aside class="related"><h2>Related stories</h2><ul>{related}</ul></aside>
<div class="newsletter">Sign up for our morning briefing. <input type="email"></div>
</main>
<footer><p>&copy; 2025 {site}. All rights reserved.</p><a href="/contact">Contact us</a></footer>
<script>gtag('config','G-{number:06d}');</script>
</body></html>
"""
    return Page(url, title, tuple(body), html.encode(charset), fetched, charset, in_page)


def _digest(payload: bytes) -> str:
    return "sha1:" + b32encode(hashlib.sha1(payload).digest()).decode()


@dataclass
class ArchiveWriter:
    """Writes WARC records to a stream, one gzip member each when ``gzip``.

    ``records`` lists what was written: (type, target URI, record id, offset).
    """

    stream: io.BufferedIOBase | io.BytesIO
    gzip: bool = True
    records: list[tuple[str, str | None, str, int]] = field(default_factory=list)

    def write(
        self,
        kind: WarcRecordType,
        content: bytes,
        uri: str | None = None,
        content_type: str = "application/http; msgtype=response",
        date: datetime | None = None,
        headers: Iterable[tuple[str, str | bytes]] = (),
    ) -> str:
        record = WarcRecord()
        record.init_headers(kind)
        if uri is not None:
            record.headers["WARC-Target-URI"] = uri
        record.headers["Content-Type"] = content_type
        if date is not None:
            record.headers["WARC-Date"] = date.strftime("%Y-%m-%dT%H:%M:%SZ")
        for name, value in headers:  # bytes: written as they are (not UTF-8, say)
            if isinstance(value, bytes):
                record.headers.set_bytes(name.encode(), value)
            else:
                record.headers[name] = value
        record.set_bytes_content(content)
        offset = self.stream.tell()
        if self.gzip:
            writer = GzipWriter(self.stream)
            record.write(writer, checksum_data=True)
            writer.finish()
        else:
            record.write(self.stream, checksum_data=True)
        record_id = record.record_id or ""
        self.records.append((str(kind), uri, record_id, offset))
        return record_id

    def response(
        self,
        uri: str,
        payload: bytes,
        content_type: str = "text/html; charset=utf-8",
        status: str = "200 OK",
        date: datetime | None = None,
    ) -> str:
        http = (
            f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(payload)}\r\nServer: nginx\r\n\r\n"
        ).encode() + payload
        return self.write(
            WarcRecordType.response,
            http,
            uri,
            date=date,
            headers=[("WARC-Payload-Digest", _digest(payload))],
        )


def write_crawl(
    stream: io.BufferedIOBase | io.BytesIO,
    pages: Iterable[Page],
    *,
    gzip: bool = True,
    extras: bool = True,
    revisits: int = 2,
    info: bool = True,
) -> ArchiveWriter:
    """A crawl of ``pages`` as one WARC: warcinfo, then request/response/metadata per page.

    ``extras`` adds, in among the pages, what ingest must skip: a resource, an
    image, a style sheet, robots.txt, a 404 page; ``revisits`` revisit records of
    the first pages come at the end; ``info`` False leaves out the warcinfo
    record (for records appended to a crawl, as a crawler still running does).
    """
    out = ArchiveWriter(stream, gzip)
    if info:  # not when records are added to a crawl written before
        fields = b"software: newsstore test crawler\r\nformat: WARC File Format 1.1\r\n"
        out.write(WarcRecordType.warcinfo, fields, content_type="application/warc-fields")
    written: list[tuple[Page, str]] = []
    for number, page in enumerate(pages):
        request = f"GET {page.url} HTTP/1.1\r\nHost: example\r\n\r\n".encode()
        out.write(
            WarcRecordType.request,
            request,
            page.url,
            "application/http; msgtype=request",
            page.fetched,
        )
        declared = f"text/html; charset={page.charset}"
        record_id = out.response(page.url, page.html, declared, date=page.fetched)
        written.append((page, record_id))
        out.write(
            WarcRecordType.metadata,
            f"via: https://www.example/\r\nhopsFromSeed: {number % 3}\r\n".encode(),
            page.url,
            "application/warc-fields",
            page.fetched,
        )
        if extras and number == 2:
            _extras(out, page)
    for page, record_id in written[:revisits]:
        _revisit(out, page, record_id)
    return out


def _extras(out: ArchiveWriter, page: Page) -> None:
    """The records of a crawl that are no article: each must be skipped, and counted."""
    host = page.url.split("/")[2]
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    out.response(f"https://{host}/logo.png", png, "image/png")
    out.response(f"https://{host}/site.css", STYLE.encode(), "text/css")
    out.response(f"https://{host}/robots.txt", b"User-agent: *\nDisallow: /search\n", "text/plain")
    missing = b"<html><head><title>Page not found</title></head><body><h1>Not found</h1>"
    missing += b"<p>The page you asked for does not exist. Try the search.</p></body></html>"
    out.response(f"https://{host}/gone", missing, status="404 Not Found")
    out.write(WarcRecordType.resource, png, f"urn:screenshot:{page.url}", "image/png")


def _revisit(out: ArchiveWriter, page: Page, record_id: str) -> None:
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nServer: nginx\r\n\r\n"
    out.write(
        WarcRecordType.revisit,
        http,
        page.url,
        date=page.fetched + timedelta(days=1),
        headers=[
            ("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"),
            ("WARC-Refers-To", record_id),
            ("WARC-Refers-To-Target-URI", page.url),
            ("WARC-Payload-Digest", _digest(page.html)),
        ],
    )


def write_wacz(path: Path, warcs: dict[str, bytes]) -> None:
    """A WACZ 1.1 file: the WARCs under ``archive/`` (stored, not deflated, as the spec asks),
    a ``datapackage.json`` listing them, and empty ``indexes/`` and ``pages/``."""
    resources = [
        {
            "name": name,
            "path": f"archive/{name}",
            "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
        }
        for name, data in warcs.items()
    ]
    package = {"profile": "data-package", "wacz_version": "1.1.1", "resources": resources}
    with zipfile.ZipFile(path, "w") as wacz:
        wacz.writestr("datapackage.json", json.dumps(package), zipfile.ZIP_DEFLATED)
        for name, data in warcs.items():
            wacz.writestr(f"archive/{name}", data, zipfile.ZIP_STORED)
        wacz.writestr("pages/pages.jsonl", '{"format": "json-pages-1.0"}\n', zipfile.ZIP_DEFLATED)


def pages(count: int, seed: int = 0) -> Iterator[Page]:
    """``count`` distinct pages."""
    for number in range(count):
        yield news_page(number, seed)
