"""Bytes to text, decided per document and kept honest.

UTF-8 (or UTF-16/32, when a BOM says so) stays UTF-8 when only a few bytes are
invalid, with those bytes replaced and counted; a legacy encoding is chosen
only when the file as a whole reads as one (its high bytes are not UTF-8 at
all). One stray byte must not turn every "Café" of a file into "CafÃ©".

A text document can also hold mojibake in valid UTF-8: a crawler that read a
UTF-8 page as Latin-1 and saved what it read ("CafÃ©", Korean as "ì\x97\x94").
``repair_mojibake`` undoes that with ftfy, which only touches sequences that
cannot be anything else.

Markup refines that: a page or feed that declares its charset (``<meta
charset>``, an XML declaration) is read in it when its bytes are not UTF-8.
Left to themselves, trafilatura and feedparser would guess a legacy encoding
for a whole page because of one stray byte. The raw bytes are never altered:
they are stored as read.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import ftfy
from charset_normalizer import from_bytes
from ftfy.badness import is_bad
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

from ingest.parse.detect import SNIFF_BYTES

# Share of non-ASCII bytes under which a non-UTF-8 file is taken as Windows-1252.
_MOSTLY_ASCII = 0.10


@dataclass(frozen=True)
class Decoded:
    """A document's text, the encoding that gave it, and how many bytes had to be replaced."""

    text: str
    encoding: str
    replaced: int = 0


# Byte order marks, longest first: UTF-32-LE's starts with UTF-16-LE's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32"),
    (codecs.BOM_UTF8, "utf-8", "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"),
)


def unicode_bom(data: bytes) -> str | None:
    """The encoding a byte order mark at the start of ``data`` declares, if any."""
    for bom, _, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def decode(data: bytes) -> Decoded:
    """Decode ``data`` to text, choosing the encoding for the file as a whole.

    1. A byte order mark decides: UTF-8, UTF-16 or UTF-32.
    2. Valid UTF-8 is UTF-8.
    3. UTF-8 with a few invalid bytes stays UTF-8, those bytes replaced by
       U+FFFD and counted, when the file holds at least as many well-formed
       multi-byte characters as invalid sequences: a legacy encoding seldom
       forms even one valid UTF-8 sequence by chance.
    4. Otherwise a legacy encoding: Windows-1252 for a mostly-ASCII file (charset
       detectors tend to call such files Shift-JIS), else charset-normalizer's guess.
    """
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            return _replacing(data[len(bom) :], codec, name)
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    as_utf8 = _replacing(data, "utf-8", "utf-8")
    if as_utf8.replaced and _multibyte(as_utf8.text) >= _invalid_sequences(as_utf8.text, data):
        return as_utf8
    high = len(data) - len(data.translate(None, _HIGH))
    if high / len(data) < _MOSTLY_ASCII:
        try:
            return Decoded(data.decode("cp1252"), "cp1252")
        except UnicodeDecodeError:
            pass
    best = from_bytes(data).best()
    if best is not None:
        return Decoded(str(best), best.encoding)
    # cp1252 leaves five bytes undefined; replacing them keeps the text usable
    # and the raw bytes are stored untouched anyway.
    return _replacing(data, "cp1252", "cp1252")


_HIGH = bytes(range(0x80, 0x100))


def _replacing(data: bytes, codec: str, name: str) -> Decoded:
    """``data`` decoded with ``codec``, invalid bytes replaced by U+FFFD and counted."""
    try:
        return Decoded(data.decode(codec), name)
    except UnicodeDecodeError:
        pass
    _replaced[0] = 0
    text = codecs.decode(data, codec, _COUNTING)
    return Decoded(text, name, _replaced[0])


def _multibyte(text: str) -> int:
    """How many characters of ``text`` took more than one byte in UTF-8 (U+FFFD aside)."""
    return len(text) - len(text.encode("ascii", "ignore")) - text.count("\ufffd")


def _invalid_sequences(text: str, data: bytes) -> int:
    """How many U+FFFD decoding made: those in ``text`` less those the bytes spelled out."""
    return text.count("\ufffd") - data.count("\ufffd".encode())


# A codec error handler that replaces invalid bytes as "replace" does, counting them
# in ``_replaced`` (one process decodes one document at a time).
_COUNTING = "newsstore-count-replaced"
_replaced = [0]


def _count_replaced(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    _replaced[0] += error.end - error.start
    return "\ufffd", error.end


codecs.register_error(_COUNTING, _count_replaced)


def decode_markup(data: bytes, transport: str | None = None) -> Decoded:
    """A page's or feed's text: UTF-8 when it is, else the charset it declares, else guessed.

    ``transport`` is the charset the page was served with (HTTP Content-Type, kept by
    a web archive): as in a browser, it wins over the page's own declaration.
    """
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    for declared in (transport, html_body_declared_encoding(data[:SNIFF_BYTES])):
        if declared and declared.replace("_", "-").lower() not in _UNICODE:
            try:
                return Decoded(data.decode(declared), declared)
            except (UnicodeDecodeError, LookupError):
                pass
    return decode(data)


def content_type_charset(content_type: str | None) -> str | None:
    """The charset an HTTP Content-Type names (``text/html; charset=ISO-8859-1``), as
    browsers read it (ISO-8859-1 as Windows-1252, w3lib's aliases); None when it names
    none that Python knows."""
    return http_content_type_encoding(content_type) if content_type else None


_UNICODE = frozenset({"utf-8", "utf8", "utf-16", "utf-16-le", "utf-16-be", "utf-32"})


def feed_bytes(data: bytes, decoded: Decoded, bom: str | None) -> bytes:
    """What feedparser is given: the bytes, when they are what they declare.

    feedparser finds a feed's encoding in its BOM and XML declaration, and on
    bytes that do not decode in it falls back to guessing, for the whole feed.
    Then, and for a feed with a BOM (decoded here already, in the encoding the BOM
    names), it is given the text as decoded here, as UTF-8 that says so.
    """
    if bom is None and not decoded.replaced:
        if decoded.encoding == "utf-8":
            return data
        if html_body_declared_encoding(data[:SNIFF_BYTES]) == decoded.encoding:
            return data
    text = _XML_ENCODING.sub(r"\1utf-8\2", decoded.text, count=1)
    return text.encode("utf-8")


# The encoding an XML declaration names, between its quotes.
_XML_ENCODING = re.compile(r"""\A(\s*<\?xml[^>]*?\bencoding\s*=\s*["'])[^"']*(["'])""")


# Only ftfy's repairs of a wrong decoding: quotes, ligatures, widths and controls stay as
# written (C1 characters are kept on purpose: ``ingest.normalize``).
_MOJIBAKE_ONLY = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    restore_byte_a0=False,
    fix_c1_controls=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    fix_surrogates=False,
    remove_control_chars=False,
    normalization=None,
    explain=False,
)
MOJIBAKE_NOTE = "text decoded with the wrong encoding before it was saved (mojibake): repaired"


# UTF-8's lead byte and a continuation byte read as Latin-1 or Windows-1252 ("Ã©" for "é"): the
# trace of a text decoded with the wrong encoding. A lone C1 character ("\x97" for a dash read
# as Latin-1) is not enough: such texts are kept as written (``ingest.normalize``), so that
# every paragraph stays a piece of the file, as offsets into it need.
_UTF8_READ_AS_LATIN1 = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
    "\u02c6\u02dc\u2013\u2014\u2018\u2019\u201a\u201c\u201d\u201e\u2020\u2021\u2022"
    "\u2026\u2030\u2039\u203a\u20ac\u2122]"
)


def repair_mojibake(text: str) -> str:
    """``text`` with mojibake undone (ftfy), or ``text`` itself when it holds none.

    Why: the article-extraction benchmark's 181 pages, saved as text the way
    lxml reads a page that does not declare its UTF-8, hold mojibake in 45
    cases, and a few (Korean, Russian) are unreadable in whole; repaired, their
    body-word F1 goes from 0.888 to 0.917. ftfy's check took 1.7 ms a page
    there; the repair runs only where the check finds something.
    """
    if text.isascii() or _UTF8_READ_AS_LATIN1.search(text) is None or not is_bad(text):
        return text
    return str(ftfy.fix_text(text, _MOJIBAKE_ONLY))


def replacement_notes(decoded: Decoded) -> tuple[str, ...]:
    if not decoded.replaced:
        return ()
    plural = "s" if decoded.replaced != 1 else ""
    return (f"{decoded.replaced:,} invalid {decoded.encoding} byte{plural} replaced by U+FFFD",)


# Control characters other than tab, newline, carriage return and form feed, and the
# replacement character: what binary data or a wrong decoding leaves in "text". A character
# class, so that counting them is one scan in C rather than a Python loop over every character.
_JUNK = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")


def looks_like_text(text: str) -> bool:
    """False when more than 2% of the characters are control or replacement characters."""
    sample = text[:100_000]
    return len(_JUNK.findall(sample)) <= 0.02 * len(sample)
