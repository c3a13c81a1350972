"""Stage 3b: the MinHash signature that finds an article's near-copies (``stories``).

A wire story runs on many sites with a new headline, a lead of the site's own
and a trimmed last paragraph; a site updates its story; an aggregator
republishes the first paragraphs. Their bodies share most of their word
3-shingles (three consecutive words, case folded), so the store groups them
into one story (``ingest.store.stories``). Comparing every pair is out of the
question, so each article gets a MinHash signature of its shingles, cut into
``BANDS`` bands of ``ROWS`` rows; two articles that share a band key are
candidates, as are two that share a body paragraph of ``ANCHOR_WORDS`` words
or more verbatim (an excerpt shares few bands with its original, but a
paragraph). Candidates are then verified on their exact shingle sets.

This is pure and runs in the worker processes (``ingest.fingerprint``); only
the band keys and anchors go to the writer. The settings below are stored in
the database (``story_settings``): band keys made with other settings cannot
be compared, so a change regroups the whole store (``ingest.store.stories``).
Measured choices (README, "Stories"): rensa's ``RMinHash`` over 36
permutations, 12 bands of 3 rows. Narrow bands find more of the rewrites whose
Jaccard similarity is 0.3 to 0.6 than 25 bands of 5 rows did (a pair at 0.5 is
a candidate 4 times in 5, was 1 in 2), with half the band rows to write and
index; the more frequent chance candidates among articles on one topic are
all turned down by the exact check (``benchmarks/stories_pr.py``). The band
keys are made of a body's first ``KEY_WORDS`` (192) words only: what copies
share most is where they start (an excerpt is a start), the pairs benchmark
groups as well with them as with whole bodies, and an article's signature
then costs the same however long it is (two fifths less on the ingest
benchmark's pages of about 425 words). The exact check still reads whole bodies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from itertools import islice

from rensa import RMinHash

SHINGLE_WORDS = 3
NUM_PERM = 36
SEED = 1
BANDS = 12
ROWS = 3
# A body of fewer shingles (about a dozen words) is too short to tell a copy from a
# standing line ("Click to read more."): such an article stays a story of its own.
MIN_SHINGLES = 10
# A shared paragraph of this many words or more makes two articles candidates; an
# article's first MAX_ANCHORS such paragraphs are looked up (``anchors``).
ANCHOR_WORDS = 8
MAX_ANCHORS = 4
# Band keys are made of the shingles of a body's first this many words (None: all).
KEY_WORDS: int | None = 192


@dataclass(frozen=True)
class StorySettings:
    """What band keys depend on: a change of any field makes stored keys incomparable."""

    library: str
    algorithm_version: int
    shingled: str
    seed: int
    num_perm: int
    shingle_words: int
    bands: int
    rows: int
    min_shingles: int
    anchor_words: int
    key_words: int | None


@cache
def settings() -> StorySettings:
    """The settings band keys are made with now (the library's version is kept apart)."""
    return StorySettings(
        library="rensa.RMinHash",
        algorithm_version=int(RMinHash.ALGORITHM_VERSION),
        shingled="casefolded \\w+ words, UTF-8; keys: 3 values mixed",
        seed=SEED,
        num_perm=NUM_PERM,
        shingle_words=SHINGLE_WORDS,
        bands=BANDS,
        rows=ROWS,
        min_shingles=MIN_SHINGLES,
        anchor_words=ANCHOR_WORDS,
        key_words=KEY_WORDS,
    )


def library_version() -> str:
    """rensa's installed version, stored beside the settings for the record."""
    return version("rensa")


@dataclass(frozen=True)
class Signature:
    """What the writer needs to find an article's near-copies without its text.

    ``bands``: one signed 64-bit key per band (empty for a body too short to
    group); ``anchors``: hashes (``fingerprint.paragraph_hash``) of the body
    paragraphs long enough to make a verbatim share meaningful.
    """

    bands: tuple[int, ...]
    anchors: tuple[int, ...]


def words(text: str) -> list[bytes]:
    """The case-folded words of a text (runs of ``\\w`` characters), UTF-8 encoded.

    The same words as ``re.findall(r"\\w+", text.casefold())``, found a
    third as fast (this runs for every article ingested): ASCII text is
    lowered and its punctuation made spaces by one ``bytes.translate`` (for
    ASCII, case folding is lowering); other text is case folded, and its
    characters outside ASCII that are not word characters (curly quotes,
    dashes, no-break spaces) become spaces by one regular expression first;
    then a split. Bytes, not text: shingles are hashed and compared, never
    shown.
    """
    if not text.isascii():
        text = _NON_ASCII_NON_WORD.sub(" ", text.casefold())
    return text.encode("utf-8").translate(_ASCII_FOLD).split()


_NON_ASCII_NON_WORD = re.compile(r"[^\x00-\x7f\w]+")
# ASCII letters lowered, ASCII that is not a word character made a space. Bytes from 128 up
# are parts of UTF-8 sequences, of characters the expression kept: left as they are.
_ASCII_FOLD = bytes(
    c if c >= 128 or chr(c).isalnum() or c == ord("_") else ord(" ")
    for c in bytes(range(256)).lower()
)


def _shingled(tokens: list[bytes]) -> Iterator[bytes]:
    """The 3-shingles of words in order, made as they are read.

    Made by ``zip`` and joined by ``map``, a third cheaper than a formatted
    string each, and never held all at once (nor the words copied): this
    runs for every article ingested, and MinHash reads each shingle once.
    """
    second, third = islice(tokens, 1, None), islice(tokens, 2, None)
    return map(b" ".join, zip(tokens, second, third, strict=False))


def _distinct_at_least(items: Iterable[bytes], wanted: int) -> bool:
    """Whether ``items`` hold ``wanted`` distinct values: read only until they do.

    A body's first few shingles are nearly always distinct, so this is
    mostly one set of the first ``wanted`` (made at C speed), where a set of
    all the body's shingles cost 450 insertions; it reads on only as many
    more at a time as are still missing.
    """
    read = iter(items)
    seen = set(islice(read, wanted))
    while len(seen) < wanted:
        more = list(islice(read, wanted - len(seen)))
        if not more:
            return False
        seen.update(more)
    return True


def shingles(paragraphs: Iterable[str]) -> frozenset[bytes]:
    """The set of a body's word 3-shingles: what two bodies are compared by.

    Read across paragraph breaks, so that a copy that joins or splits
    paragraphs differently keeps its shingles.
    """
    return frozenset(_shingled(words("\n".join(paragraphs))))


def key_words(text: str) -> list[bytes]:
    """The words band keys are made of: the first ``KEY_WORDS`` of a body's (all, if fewer).

    Read from the start of the text and no further than needed (about
    ``KEY_WORDS`` times ``_CHARS_PER_WORD`` characters), so that a long body
    costs what a short one does; the same words as ``words(text)[:KEY_WORDS]``.
    """
    if KEY_WORDS is None:
        return words(text)
    cut = KEY_WORDS * _CHARS_PER_WORD
    if len(text) > cut:
        head = words(text[:cut])
        # Only the last word read can be cut in two, and it is past the ones kept.
        if len(head) > KEY_WORDS:
            return head[:KEY_WORDS]
    return words(text)[:KEY_WORDS]


# Characters read per word wanted: English news averages about six with its space, so
# this reads a few words too many rather than the whole body again.
_CHARS_PER_WORD = 8


def band_keys(paragraphs: Iterable[str]) -> tuple[int, ...]:
    """The ``BANDS`` band keys of a body (none below ``MIN_SHINGLES`` distinct shingles)."""
    tokens = key_words("\n".join(paragraphs))
    # (The shingles are made twice, the first time only a dozen: a list of all of them
    # would cost more than making them again.)
    if not _distinct_at_least(_shingled(tokens), MIN_SHINGLES):
        return ()
    return _keys(_shingled(tokens))


def _keys(shingled: Iterable[bytes]) -> tuple[int, ...]:
    """The band keys of shingles (a minimum per permutation: neither order nor repeats count).

    A band's key is its ``ROWS`` (three) 32-bit MinHash values in one 64-bit
    number: the first two side by side, the third spread over all 64 bits
    (times a large odd constant) and laid over them. Two bands' keys are
    equal, save by a chance of 2 to the -64, only when their values are: what
    a band is for. (A quarter of the time a blake2b hash per band took: 3 µs
    an article against 14.) Signed, so that it fits a BIGINT on PostgreSQL as
    on SQLite.
    """
    minhash = RMinHash(num_perm=NUM_PERM, seed=SEED)
    minhash.update(shingled)
    v = minhash.digest()  # rensa's values are 32-bit
    keys = (
        ((v[i] << 32 | v[i + 1]) ^ (v[i + 2] * _SPREAD)) & _MASK for i in range(0, NUM_PERM, ROWS)
    )
    return tuple(k - _WRAP if k >= _SIGNED else k for k in keys)


# ROWS is 3: the key above is made of three values (``settings`` records the form).
assert ROWS == 3 and NUM_PERM == BANDS * ROWS
_SPREAD = 0x9E3779B97F4A7C15  # 2**64 / the golden ratio, odd
_MASK = (1 << 64) - 1
_SIGNED = 1 << 63
_WRAP = 1 << 64


def is_anchor(text: str) -> bool:
    """Whether a paragraph is long enough that sharing it verbatim makes two articles candidates.

    (Split no further than the words needed: a paragraph is read to its
    ``ANCHOR_WORDS``-th word, not to its end.)
    """
    return len(text.split(None, ANCHOR_WORDS - 1)) >= ANCHOR_WORDS


def anchors(body: Iterable[tuple[str, int]]) -> tuple[int, ...]:
    """The hashes of a body's first ``MAX_ANCHORS`` distinct paragraphs long enough to anchor.

    The first ones, because they are what an excerpt keeps and what an
    update keeps too; a copy found by no band key is nearly always one of
    those (README, "Stories": the pairs benchmark with each cap). Each is a
    look-up in the writer for every article stored, so not every paragraph.
    """
    found: list[int] = []
    for text, text_hash in body:
        if text_hash not in found and is_anchor(text):
            found.append(text_hash)
            if len(found) == MAX_ANCHORS:
                break
    return tuple(found)


def sign(body: Iterable[tuple[str, int]]) -> Signature:
    """The signature of a body, given as (text, paragraph hash) pairs in order."""
    paragraphs = list(body)
    keys = band_keys(text for text, _ in paragraphs)
    return Signature(bands=keys, anchors=anchors(paragraphs) if keys else ())


def jaccard(a: frozenset[bytes], b: frozenset[bytes]) -> float:
    """|a ∩ b| / |a ∪ b| (0 when both are empty)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def containment(a: frozenset[bytes], b: frozenset[bytes]) -> float:
    """How much of the smaller set lies in the larger: an excerpt in its original is 1."""
    smaller = min(len(a), len(b))
    return len(a & b) / smaller if smaller else 0.0


# Two bodies are one story when either holds (README, "Stories": the precision/recall
# curve these were read from, ``benchmarks/stories_pr.py``).
MIN_JACCARD = 0.30
MIN_CONTAINMENT = 0.70


def paragraph_shingles(paragraphs: Iterable[str]) -> tuple[frozenset[bytes], ...]:
    """Each paragraph's own shingles (the paragraphs too short for any left out)."""
    found = (shingles([p]) for p in paragraphs)
    return tuple(part for part in found if part)


# An article contained in another must be so by this many of its paragraphs (or all, if it
# has fewer): one long paragraph quoted elsewhere does not make its short excerpt a copy of
# the quoting article.
MIN_CONTAINED_PARAGRAPHS = 2


def same_story(
    a: frozenset[bytes],
    b: frozenset[bytes],
    a_parts: tuple[frozenset[bytes], ...] = (),
    b_parts: tuple[frozenset[bytes], ...] = (),
) -> bool:
    """Whether two bodies are copies of one story: similar as a whole, or one inside the other.

    Inside: the smaller's shingles are in the larger at ``MIN_CONTAINMENT`` or
    more, and so are half or more of the shingles of at least
    ``MIN_CONTAINED_PARAGRAPHS`` of its paragraphs (``*_parts``:
    ``paragraph_shingles``; not checked when they are not given).
    """
    if len(a) < MIN_SHINGLES or len(b) < MIN_SHINGLES:
        return False
    if jaccard(a, b) >= MIN_JACCARD:
        return True
    if containment(a, b) < MIN_CONTAINMENT:
        return False
    parts, larger = (a_parts, b) if len(a) <= len(b) else (b_parts, a)
    if not parts:
        return True
    inside = sum(1 for part in parts if 2 * len(part & larger) >= len(part))
    return inside >= min(MIN_CONTAINED_PARAGRAPHS, len(parts))
