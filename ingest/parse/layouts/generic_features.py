"""Blocks of a page dump, their cheap features, and chrome recognised by its wording.

Why a separate module: ``ingest.parse.layouts.generic`` decides *where* the article is from the
shape of the page; this module only says *what each block looks like* on its
own (how long, how sentence-like, whether it reads like a cookie notice or a
share button). Keeping the two apart keeps both small and testable.

Everything here is language-light on purpose: about a tenth of the pages we see
are not in English, so the features lean on length, punctuation and line shape,
and the wording rules cover the commonest phrasings in a few languages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.normalize import fold_case
from ingest.parse.layouts.stopwords import STOPWORDS

_BLANK_LINE = re.compile(r"\n[ \t\f\v\u00a0\u3000]*\n")
_WORD = re.compile(r"\w+")
# CJK ideographs and kana carry about three Latin letters' worth of text each,
# Hangul syllables about two; see ``Block.size``.
_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uf900-\ufaff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
# A sentence ends in . ! ? or their CJK forms, possibly inside closing quotes/brackets.
_SENTENCE_END = re.compile(r"[.!?\u3002\uff01\uff1f\u2026][\"'\u201d\u2019\u00bb)\]]*(?:\s|$)")
_TERMINAL = re.compile(r"[.!?:;\u3002\uff01\uff1f\u2026\uff1a][\"'\u201d\u2019\u00bb)\]]*$")
_LIST_MARK = re.compile(r"^(?:[-\u2013\u2022*\u25cf\u25aa]|\d{1,2}[.)])\s")


@dataclass(frozen=True)
class Block:
    """One blank-line-separated block of the page and the features the rules use.

    ``text`` is stripped with whitespace runs collapsed to one space. ``size``
    is its length with CJK characters counted several times, so that length
    thresholds mean about the same for Japanese or Korean as for English.
    ``stop_share`` is the share of words that are function words (see
    ``ingest.parse.layouts.stopwords``); ``sentences`` counts sentence ends; ``terminal`` says
    the block ends like a sentence (or a colon introducing one); ``list_item``
    says it starts with a bullet or a list number.
    """

    index: int
    text: str
    lines: int
    size: int
    words: int
    stop_share: float
    sentences: int
    terminal: bool
    cjk: bool
    list_item: bool


def split_blocks(text: str) -> list[str]:
    """Cut a page dump into its blocks: runs of lines between blank lines.

    Why: the dump format puts one block element per block, so blank lines are
    the only structure we get. A BOM, CRLF/CR line ends and whitespace-only lines
    are normalised first so they cannot merge or split blocks by accident. The
    text is storable already (``ingest.parse.layouts.parse`` makes it so), so a line of
    control characters is a blank line too.
    """
    clean = text.replace("\ufeff", "").replace("\r\n", "\n").replace("\r", "\n")
    return [b.strip() for b in _BLANK_LINE.split(clean) if b.strip()]


def collapse(text: str) -> str:
    """Strip a block and collapse every whitespace run (newlines too) to one space."""
    # str.split() splits on exactly the characters ``\s`` matches, and faster than a regex.
    return " ".join(text.split())


def measure(index: int, raw: str) -> Block:
    """Compute a block's features from its raw text (before whitespace collapse)."""
    text = collapse(raw)
    words = _WORD.findall(text.casefold())
    # No CJK or Hangul in ASCII text (most blocks): no need to look for them.
    cjk = 0 if text.isascii() else len(_CJK.findall(text))
    hangul = 0 if text.isascii() else len(_HANGUL.findall(text))
    stops = sum(1 for w in words if w in STOPWORDS)
    return Block(
        index=index,
        text=text,
        lines=raw.count("\n") + 1,
        size=len(text) + 2 * cjk + hangul,
        words=len(words),
        stop_share=stops / len(words) if words else 0.0,
        sentences=len(_SENTENCE_END.findall(text)),
        terminal=bool(_TERMINAL.search(text)),
        cjk=(cjk + hangul) * 4 > len(text),
        list_item=bool(_LIST_MARK.match(text)),
    )


@dataclass(frozen=True)
class Boilerplate:
    """A wording rule that marks a block as page chrome rather than article.

    ``kind`` is the paragraph kind the block gets, ``reason`` the explanation.
    ``max_words`` limits the rule to short blocks: a long paragraph that merely
    mentions "subscribe" or "cookies" is still article text. ``barrier`` marks
    section headings that end the article or interrupt it (comments, related
    stories, an author profile). ``soft`` rules (a teaser cut off with "...")
    are weak evidence: they alone do not make a clean article look like a page.
    ``clues``, when given, are words the pattern cannot match without (one of
    them at least, as ``fold_case`` writes them): a block with none of them is
    passed over without the search, which for a long alternation of phrases
    costs more than the rest of the block's features together.
    """

    kind: str
    reason: str
    pattern: re.Pattern[str]
    max_words: int = 25
    barrier: bool = False
    soft: bool = False
    clues: tuple[str, ...] = ()


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"

#: The wording rules, first match wins; order from most to least specific.
BOILERPLATE: tuple[Boilerplate, ...] = (
    Boilerplate(
        "comment",
        "heading of the comments section",
        _rx(
            r"^(?:\d+\s+)?(?:comments?|responses?|reactions?|discussion|leave a (?:reply|comment)"
            r"|post a comment|join the (?:discussion|conversation)|kommentare?|commentaires?"
            r"|coment[aá]rios?|commenti|комментари\w*|komentar)(?:\s*\(\d+\))?\s*:?$"
        ),
        max_words=6,
        barrier=True,
    ),
    Boilerplate(
        "comment",
        "count of comments or replies",
        _rx(r"^\d+\s+(?:comments?|responses?|replies|reactions)\b"),
        max_words=14,
        barrier=True,
    ),
    Boilerplate(
        "comment",
        "commenter name line",
        _rx(r"\b(?:says|said|wrote|replied|commented):?$"),
        max_words=5,
    ),
    Boilerplate(
        "related",
        "truncated teaser of another story",
        _rx(r"(?:\.\.\.|\u2026)\s*(?:\(\d+\))?$"),
        max_words=70,
        soft=True,
    ),
    Boilerplate(
        "related",
        "heading of a related-stories list",
        _rx(
            r"^(?:related(?: stories| articles| posts| content| news| coverage| topics| links)?"
            r"|read more|read next|more (?:from|on|in|stories|news|articles)\b.*"
            r"|more\s+\S+(?:\s+\S+)?|see more|don'?t miss|explore further|in other news"
            r"|we recommend|previous (?:article|post|story)|next (?:article|post|story)"
            r"|(?:you|we think you) (?:may|might|will) (?:also )?(?:like|enjoy)\b.*"
            r"|recommended(?: for you| stories| articles)?|see also|also read|further reading"
            r"|most (?:read|popular|shared|viewed|commented)\b.*|trending(?: now| stories)?"
            r"|top stories|popular (?:stories|posts|now)|what to read next|editor'?s picks"
            r"|latest (?:news|stories|articles|posts)|leia (?:também|mais)|veja também"
            r"|mehr zum thema|lesen sie auch|à lire aussi|lire aussi|leggi anche"
            r"|читайте также|baca juga)\s*:?$"
        ),
        max_words=10,
        barrier=True,
    ),
    Boilerplate(
        "footer",
        "heading of an author or company profile",
        # A heading does not end like a sentence: "About 300 people were evacuated." is
        # body, and was taken for a profile heading (found by tests/test_mangled.py).
        _rx(
            r"^(?:about|sobre|über|à propos de|a proposito di|tentang|об авторе)\s+\S.{0,40}"
            r"(?<![.!?])$"
        ),
        max_words=5,
        barrier=True,
    ),
    Boilerplate(
        "related",
        "inline link to another story",
        _rx(
            r"^(?:related|read more|read also|see also|also read|more|watch|listen|baca juga"
            r"|see more|don'?t miss|related article|more on this|read the full story"
            r"|leia também|lesen sie auch|читайте также)\s*:\s*\S"
        ),
        max_words=30,
    ),
    Boilerplate(
        "footer",
        "copyright or legal line",
        _rx(
            r"(?:©|\(c\)\s*\d{4}|copyright\s*(?:©|\(c\)|\d{4})|all rights reserved"
            r"|todos os direitos|alle rechte vorbehalten|tous droits réservés"
            r"|все права защищены|registered trademarks?|trademarks? of\b|subject to copyright"
            r"|^citation:)"
        ),
        max_words=60,
        clues=(
            "©",
            "(c)",
            "copyright",
            "all rights reserved",
            "todos os direitos",
            "alle rechte vorbehalten",
            "tous droits r",
            "защищены",
            "trademark",
            "citation:",
        ),
    ),
    Boilerplate(
        "chrome",
        "cookie or privacy notice",
        _rx(
            r"(?:cookie (?:policy|settings|preferences|consent|notice)|uses? cookies"
            r"|accept (?:all )?cookies|privacy (?:policy|notice|settings)"
            r"|terms (?:of|and) (?:use|service|conditions)|\bgdpr\b|datenschutz)"
        ),
        max_words=60,
        clues=("cookie", "privacy ", "terms ", "gdpr", "datenschutz"),
    ),
    Boilerplate(
        "chrome",
        "newsletter or subscription box",
        _rx(
            r"(?:newsletter|\bsubscribe\b|\bsubscription\b|\bsign up\b|\binbox\b|unsubscribe"
            r"|\bsign in\b|\blog ?in\b|register (?:now|for free|here|today)|create an account"
            r"|already a subscriber|assine|inscreva-se|abonnieren|anmelden)"
        ),
        max_words=30,
        clues=(
            "newsletter",
            "subscri",
            "sign ",
            "inbox",
            "log",
            "register ",
            "create an account",
            "assine",
            "inscreva-se",
            "abonnieren",
            "anmelden",
        ),
    ),
    Boilerplate(
        "share",
        "share or follow buttons",
        _rx(
            r"^\W*(?:click to (?:share|email|print)|share|shares|tweet|email|e-mail|print|pin"
            r"|save|copy(?: link)?|facebook|twitter|linkedin|whatsapp|pinterest|reddit"
            r"|flipboard|telegram|instagram|youtube|rss|follow(?: us)?|compartilhe|teilen"
            r"|partager|condividi)\b"
        ),
        max_words=8,
    ),
    Boilerplate(
        "byline",
        "byline or author line",
        _rx(
            r"^(?:(?:written|posted|reporting|reported) by\s+\S"
            r"|(?:by|von|por|par|di|oleh)\s+(?-i:[A-ZÀ-ÖØ-Þ]))"
        ),
        max_words=16,
    ),
    Boilerplate(
        "byline",
        "author's e-mail address or handle",
        # No @ before the first: "\S+@" would try every @ of a long run of them in turn.
        _rx(r"^(?:[^\s@]+@\S+\.\w+|@\w+)$"),
        max_words=8,
    ),
    Boilerplate(
        "chrome",
        "contact address or feedback request",
        _rx(
            # an address: one character before the @ says so as well as all of them, which
            # were tried from every letter of a long run of them (quadratic)
            r"(?:[\w.+-]@[\w-]{1,63}\.[\w.]+"
            r"|\bsend (?:us )?(?:your |any )?(?:comments|questions|tips|feedback|corrections)\b)"
        ),
        max_words=30,
        clues=("@", "send "),
    ),
    Boilerplate(
        "byline",
        "date or time stamp",
        _rx(
            r"(?:^(?:published|updated|posted|last updated|modified)\b"
            r"|\b\d{1,2}:\d{2}\s*(?:am|pm|a\.m\.|p\.m\.)?\b|\b\d{4}-\d{2}-\d{2}\b"
            rf"|\b{_MONTH} \d{{1,2}},? \d{{4}}\b|\b\d{{1,2}} {_MONTH} \d{{4}}\b"
            r"|\b(?:min(?:ute)?s? read|hours? ago|days? ago)\b)"
        ),
        max_words=14,
    ),
    Boilerplate(
        "chrome",
        "advertising or site chrome",
        _rx(
            r"^(?:advertisement|advertising|sponsored|ad|ads|skip to (?:main )?content"
            r"|skip navigation|menu|search|close|loading\W*|back to top|return to top|home"
            r"|show more|load more|see more|view (?:all|more|comments)"
            r"|anzeige|publicidade|pubblicità|реклама|iklan)\W*$"
        ),
        max_words=6,
    ),
    Boilerplate(
        "chrome",
        "call to action",
        _rx(
            r"(?:\bclick(?:ing)? here\b|continue reading|read the full (?:story|article)"
            r"|\bdownload (?:the|our) app\b|get the app\b|watch (?:the )?video\b)"
        ),
        max_words=12,
        clues=("click", "continue reading", "read the full", "download ", "get the app", "watch "),
    ),
    Boilerplate(
        "chrome",
        "photo caption with a credit",
        _rx(
            r"(?:\((?:image|photo|picture|pic|credit|foto|source)s?\s*:[^)]*\)\s*$"
            r"|(?:credit|image|photo|picture)s?\s*:\s*[^.!?:]{2,60}$"
            r"|^in this\b.{0,40}\b(?:file )?(?:photo|image|picture)\b"
            r"|\((?:ap|afp|reuters|getty|epa|pa)\b[^)]{0,60}\)\s*$"
            r"|(?:getty images|shutterstock|reuters|afp|ap photo)\s*$)"
        ),
        max_words=70,
        clues=(":", "in this", "(", "getty images", "shutterstock", "reuters", "afp", "ap photo"),
    ),
    Boilerplate(
        "chrome",
        "photo or image credit",
        _rx(
            r"^\(?(?:photo|image|picture|credit|source|foto|bild|fotografia)s?\s*(?::|by\b|©)"
            r"|^(?:image|media) (?:copyright|caption)\b"
        ),
        max_words=20,
    ),
)


def boilerplate(block: Block) -> Boilerplate | None:
    """Return the first wording rule that marks the block as chrome, if any."""
    folded = fold_case(block.text)
    for rule in BOILERPLATE:
        if block.words > rule.max_words:
            continue
        if rule.clues and not any(clue in folded for clue in rule.clues):
            continue
        if rule.pattern.search(block.text):
            return rule
    return None
