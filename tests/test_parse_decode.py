"""Decoding (ingest.parse.decode): per file, and honest."""

from __future__ import annotations

import codecs

import pytest

from ingest.parse.decode import (
    MOJIBAKE_NOTE,
    content_type_charset,
    decode,
    decode_markup,
    repair_mojibake,
)
from ingest.parse.document import parse_document
from ingest.records import RawDocument


@pytest.mark.parametrize(
    ("data", "text", "encoding"),
    [
        (b"Plain ASCII", "Plain ASCII", "utf-8"),
        ("£5 for café".encode(), "£5 for café", "utf-8"),
        (b"\xef\xbb\xbfWith a BOM", "With a BOM", "utf-8-sig"),
        (
            "Fee of £15.8m for the striker, the club said today.".encode("latin-1"),
            "Fee of £15.8m for the striker, the club said today.",
            "cp1252",
        ),
        (
            "He said “it will be fine” – then left the building without a word.".encode("cp1252"),
            "He said “it will be fine” – then left the building without a word.",
            "cp1252",
        ),
    ],
)
def test_decoding(data: bytes, text: str, encoding: str) -> None:
    decoded = decode(data)
    assert (decoded.text, decoded.encoding) == (text, encoding)


def test_cyrillic_in_a_legacy_encoding_is_guessed() -> None:
    sentence = "Правительство России объявило о новых мерах поддержки экономики страны. " * 3
    decoded = decode(sentence.encode("cp1251"))
    text, encoding = decoded.text, decoded.encoding
    assert text == sentence
    assert encoding.replace("_", "").lower() in {"cp1251", "windows1251"}


# --- decoding: per file, and honest -------------------------------------------------------


def test_a_few_invalid_bytes_in_utf8_are_replaced_and_counted() -> None:
    records = "".join(f'{{"title": "Café {n}", "text": "Déjà vu"}}\n' for n in range(50))
    data = records.encode()
    broken = data[:100] + b"\xff\xfe" + data[100:]
    decoded = decode(broken)
    assert decoded.encoding == "utf-8" and decoded.replaced == 2
    assert decoded.text.count("Café") == 50 and "Ã" not in decoded.text


def test_a_file_wholly_in_a_legacy_encoding_is_read_in_it() -> None:
    text = "Le café de la gare, où l'on sert du thé à l'été. " * 20
    decoded = decode(text.encode("cp1252"))
    assert (decoded.text, decoded.encoding, decoded.replaced) == (text, "cp1252", 0)


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"])
def test_a_byte_order_mark_says_the_encoding(codec: str) -> None:
    text = "Headline: café “quoted”\n\nA paragraph.\n"
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    decoded = decode(data)
    assert decoded.text == text and decoded.replaced == 0
    assert decoded.encoding == {"utf-16-be": "utf-16"}.get(codec, codec)


def test_utf16_cut_in_the_middle_of_a_character_keeps_the_rest() -> None:
    data = "Headline\n\nBody.".encode("utf-16")[:-1]
    decoded = decode(data)
    assert decoded.text == "Headline\n\nBody\ufffd" and decoded.replaced == 1


@pytest.mark.parametrize(
    ("saved", "meant"),
    [
        ("CafÃ© au lait costs 3â‚¬", "Café au lait costs 3€"),
        ("Ð\x9cÐ¾Ñ\x81ÐºÐ²Ð° is big", "Москва is big"),
        ("Itâ€™s a â€œquoteâ€\x9d", "It’s a “quote”"),
    ],
)
def test_mojibake_is_repaired(saved: str, meant: str) -> None:
    """UTF-8 read as Latin-1 or Windows-1252 before it was saved, then saved as UTF-8."""
    assert repair_mojibake(saved) == meant


@pytest.mark.parametrize(
    "text",
    [
        "AMANHÃ SERÁ OUTRO DIA, A MAÇÃ e a IRMÃ",
        "ÇA VA? À BIENTÔT. Straße, Œuvre, naïve café",
        "São Paulo’s “quotes”, the ﬁ ligature and ＡＢ full width stay as written",
        "Москва, 서울, 東京",
    ],
)
def test_text_without_mojibake_is_left_alone(text: str) -> None:
    assert repair_mojibake(text) is text


def test_a_text_document_with_mojibake_is_stored_repaired_with_a_note() -> None:
    saved = "Ð\x9cÐ¾Ñ\x81ÐºÐ²Ð° Ð¶Ð´Ñ\x91Ñ\x82\n\nCafÃ© prices rose again in the city this week."
    raw = saved.encode("utf-8")
    parsed = parse_document(RawDocument(origin="/in/dump.txt", raw=raw, sha256="0"))
    assert parsed.articles[0].title == "Москва ждёт"
    assert parsed.articles[0].paragraphs[0].text.startswith("Café prices")
    assert MOJIBAKE_NOTE in parsed.notes


def test_a_lone_c1_character_is_kept_as_written() -> None:
    """A dash read as Latin-1 ("\\x97") alone is no reason to rewrite a text (offsets into it)."""
    text = "I gave an order\x97a very painful one"
    assert repair_mojibake(text) is text


@pytest.mark.parametrize(
    ("content_type", "charset"),
    [
        ("text/html; charset=ISO-8859-1", "cp1252"),  # as browsers read it
        ('text/html;charset="koi8-r"', "koi8-r"),
        ("text/html; charset=utf-8", "utf-8"),
        ("text/html; charset=bogus", None),
        ("text/html", None),
        (None, None),
    ],
)
def test_the_charset_an_http_content_type_names(
    content_type: str | None, charset: str | None
) -> None:
    assert content_type_charset(content_type) == charset


def test_the_transport_charset_wins_over_the_page_s_own_but_not_over_utf8() -> None:
    page = '<meta charset="windows-1252"><p>Κυβέρνηση</p>'
    assert decode_markup(page.encode("iso-8859-7"), "iso8859-7").text == page
    assert decode_markup("<p>Café</p>".encode(), "koi8-r").encoding == "utf-8"
