#!/usr/bin/env python3
"""Redo the choice of the HTML reader's vote rule on benchmark data: extractors, pooled, voted.

usage: python benchmarks/html_votes.py DATASET_DIR [DATASET_DIR ...]
           [--cache DIR] [--max-cost 2.0] [--extractors NAME ...] [--dumps]

Why it exists: ``ingest.parse.formats.html`` keeps trafilatura's paragraphs and adds
those that readability-lxml and resiliparse both keep (``ingest.parse.formats.html_votes``).
That rule was picked among 2,361 ways of combining eight extractors, by leave-one-dataset-out
(LODO) cross-validation on five public benchmarks. This script redoes the whole choice on any
benchmark folders one has, so that the rule can be checked, or chosen again when the
extractors or the data change. Not a test: a figure anyone can rerun.

What it does:
1. Runs each candidate extractor on every page (``EXTRACTORS``; one whose package is not
   installed is skipped with a note) and, with ``--cache DIR``, keeps its text and time per
   page in ``DIR/<dataset>/<extractor>.jsonl``, redone when the package's version changes
   (delete the cache after changing newsstore's parser). ``newsstore`` is ``parse_html``
   with its second opinions switched off: the reader the rule extends, not the rule itself.
2. Pools each page's paragraphs (``build_pool``): one candidate per distinct paragraph, each
   with the set ("votes") of extractors that have it, matched by 80% of their distinct words.
3. Scores every rule of two families on every page (``rules``): ``kofn`` keeps a candidate
   that at least k of the extractors in S have; ``nsplus`` keeps newsstore's paragraphs, adds
   others' that at least m of S (newsstore not in S) have, and drops newsstore's that fewer
   than r of S have. Each rule's cost is the median over all pages of the time of the
   extractors it needs plus the pool's (when it has two or more to pool), over newsstore's
   median time. The pool timed is that of all the extractors, as in the study: a little
   high for rules of few of them.
   Times are wall times, so a busy machine moves them by some 10%; the reader's rule
   costs about 1.9x, near the 2x cap.
4. For each dataset held out, picks the rule with the best mean F1 over the others, among
   all rules and among those costing at most ``--max-cost`` times newsstore, and scores it
   on the held-out set.

With ``--dumps`` every extractor reads the page's text dump instead (``page_dump``: the
blocks newsstore reads in the HTML, blank-line apart, as a crawler saves a page's text):
newsstore as ``newsstore ingest page.txt`` reads it (the ``generic`` layout's body), the
others the dump as HTML of one ``<p>`` per block. It asks whether any vote of the others
would improve the text reader, which ships alone; so far none does (README, "Extraction,
measured").

Reading the output (stdout; progress goes to stderr): F1 is body-word F1, a bag of
case-folded ``\\w+`` tokens against the true text, per page, averaged over the pages of a
dataset (pages whose truth has no word are skipped); "macro" is the mean over datasets.
"alone" is each extractor by itself; "oracle" the best extractor on each page, a ceiling
no rule of these reaches; "shipped rule" is what the reader does now. In the LODO tables
each row is a fold: the held-out dataset, the rule chosen on the others, its mean F1 there
("train") and on the held-out set ("held-out"), and its cost. The LODO macro is the honest
estimate of the choice procedure; a rule chosen in every fold is a stable choice.

A dataset folder holds ``truth.jsonl`` (one ``{"id", "html", "body"}`` per line, ``html``
the page's path in the folder, ``.gz`` or not) or, as the article-extraction benchmark,
``ground-truth.json`` (``{id: {"articleBody"}}``) beside ``html/<id>.html.gz``. Needs no
package beyond the project's; boilerpy3 is used when installed (``pip install boilerpy3``).
On the five sets of the study (2,492 pages, one core): about 9 minutes with an empty
cache, about 1 with a full one.
"""

from __future__ import annotations

import argparse
import gzip
import html
import importlib.metadata
import json
import logging
import math
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

from ingest.parse.formats.html_votes import SHARED

Extract = Callable[[bytes], str]

# The study's order: the pool takes paragraphs from the first extractors first, and a
# later extractor's paragraph joins an earlier one's, so the order is part of the method.
EXTRACTORS = (
    "newsstore",
    "trafprec",
    "trafbal",
    "trafdef",
    "readability",
    "justext",
    "resiliparse",
    "boilerpy3",
)
# The distribution each extractor comes from: its version keys the cache.
PACKAGES = {
    "newsstore": "newsstore",
    "trafprec": "trafilatura",
    "trafbal": "trafilatura",
    "trafdef": "trafilatura",
    "readability": "readability-lxml",
    "justext": "jusText",
    "resiliparse": "resiliparse",
    "boilerpy3": "boilerpy3",
}
SHIPPED = ("nsplus", ("readability", "resiliparse"), 2, 0)  # the reader's rule today
# The share of distinct words two paragraphs must share to be the same: the reader's own.
OVERLAP = SHARED
WORD = re.compile(r"\w+")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- scoring


def words(text: str) -> Counter[str]:
    """The bag of case-folded word tokens the F1 is counted on."""
    return Counter(WORD.findall(text.casefold()))


def f1_of(common: int, got: int, want: int) -> float:
    """F1 from the tokens in common, those extracted and those of the truth."""
    precision = common / got if got else 0.0
    recall = common / want if want else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def f1(got: str, want: str) -> float:
    g, w = words(got), words(want)
    return f1_of(sum((g & w).values()), sum(g.values()), sum(w.values()))


# ---------------------------------------------------------------- datasets


@dataclass(frozen=True)
class Page:
    id: str
    path: Path
    body: str


def load_dataset(folder: Path) -> list[Page]:
    """The pages of a dataset folder whose truth has a word, in either layout."""
    if (folder / "truth.jsonl").exists():
        lines = (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines if line.strip()]
        pages = [Page(str(r["id"]), folder / r["html"], r["body"]) for r in rows]
    elif (folder / "ground-truth.json").exists():
        truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
        pages = [
            Page(key, folder / "html" / f"{key}.html.gz", value["articleBody"])
            for key, value in sorted(truth.items())
        ]
    else:
        raise SystemExit(f"{folder}: no truth.jsonl or ground-truth.json")
    return [page for page in pages if WORD.search(page.body)]


def read_page(path: Path) -> bytes:
    """The page's bytes as stored (decoding is each extractor's own business)."""
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


# ---------------------------------------------------------------- extractors


def _newsstore() -> Extract:
    # imported here, as every extractor's package is: only when it runs
    from unittest import mock

    from ingest.errors import ParseError
    from ingest.parse.formats import html as reader

    def no_second_opinion(page: str) -> tuple[list[str], list[str]]:
        return [], []

    def run(raw: bytes) -> str:
        with mock.patch.object(reader, "second_opinions", no_second_opinion):
            try:
                article = reader.parse_html(raw)
            except ParseError:
                return ""
        return "\n".join(p.text for p in article.paragraphs)

    return run


def _trafilatura(**options: Any) -> Extract:
    # imported here: an extractor's package only when it runs
    import trafilatura

    def run(raw: bytes) -> str:
        return trafilatura.extract(raw, **options) or ""

    return run


def _readability() -> Extract:
    # imported here: an extractor's package only when it runs (the reader's own call)
    from ingest.parse.formats.html_votes import readability_paragraphs

    return _as_the_reader_reads(readability_paragraphs)


def _as_the_reader_reads(paragraphs: Callable[[str], list[str]]) -> Extract:
    """A second opinion of the reader's, given the page decoded as ``parse_html`` decodes bytes."""
    # imported here, as the extractors' packages are
    from trafilatura.utils import decode_file

    from ingest.parse.formats import valid_char_refs

    return lambda raw: "\n".join(paragraphs(valid_char_refs(decode_file(raw))))


def _justext() -> Extract:
    # imported here: an extractor's package only when it runs
    import justext

    stoplist = justext.get_stoplist("English")

    def run(raw: bytes) -> str:
        return "\n".join(p.text for p in justext.justext(raw, stoplist) if not p.is_boilerplate)

    return run


def _resiliparse() -> Extract:
    # imported here: an extractor's package only when it runs (the reader's own call)
    from ingest.parse.formats.html_votes import resiliparse_paragraphs

    return _as_the_reader_reads(resiliparse_paragraphs)


def _boilerpy3() -> Extract:
    # imported here: an extractor's package only when it runs (and boilerpy3 is optional)
    from boilerpy3 import extractors
    from trafilatura.utils import decode_file

    logging.getLogger("boilerpy3").setLevel(logging.CRITICAL)  # "nested A elements", often
    article = extractors.ArticleExtractor(raise_on_failure=False)
    return lambda raw: article.get_content(decode_file(raw)) or ""


def page_dump(raw: bytes) -> str:
    """The page as a crawler's text dump: its blocks as newsstore reads HTML, blank-line apart.

    The dumps that ``../shared/eval`` makes are the same idea (visible text, one block per
    block element); this one needs nothing outside the project.
    """
    # imported here, as the extractors' packages are: only in --dumps
    import lxml.html
    from lxml import etree

    from ingest.parse.formats.markup import HTML_MARKUP, text_blocks

    try:
        root = lxml.html.fromstring(raw)
    except (ValueError, etree.ParserError):  # an empty or unreadable page dumps as nothing
        return ""
    return "\n\n".join(block.text for block in text_blocks(root, HTML_MARKUP))


def as_html(dump: str) -> bytes:
    """A dump as the HTML an extractor reads: one ``<p>`` per block, nothing else to go on."""
    blocks = "".join(f"<p>{html.escape(block)}</p>" for block in dump.split("\n\n"))
    return f"<html><body>{blocks}</body></html>".encode()


def _newsstore_dump(raw: bytes) -> str:
    """newsstore on the page's dump, as ``newsstore ingest page.txt`` reads it: body paragraphs."""
    # imported here, as the extractors' packages are
    from ingest.errors import IngestError
    from ingest.parse.document import parse_document
    from ingest.records import RawDocument

    document = RawDocument(origin="/dump/page.txt", raw=page_dump(raw).encode(), sha256="")
    try:
        parsed = parse_document(document)
    except IngestError:
        return ""
    return "\n".join(
        p.text for article in parsed.articles for p in article.paragraphs if p.kind == "body"
    )


def on_dumps(name: str, extract: Extract) -> Extract:
    """The extractor run on the page's text dump instead of its HTML (``--dumps``)."""
    if name == "newsstore":
        return _newsstore_dump
    return lambda raw: extract(as_html(page_dump(raw)))


FACTORIES: dict[str, Callable[[], Extract]] = {
    "newsstore": _newsstore,
    "trafprec": lambda: _trafilatura(include_comments=False, favor_precision=True),
    "trafbal": lambda: _trafilatura(include_comments=False),
    "trafdef": _trafilatura,
    "readability": _readability,
    "justext": _justext,
    "resiliparse": _resiliparse,
    "boilerpy3": _boilerpy3,
}


def available(names: Iterable[str]) -> dict[str, Extract]:
    """The extractors asked for whose package is installed, in the study's order."""
    found = {}
    for name in sorted(set(names), key=EXTRACTORS.index):
        try:
            found[name] = FACTORIES[name]()
        except ImportError as error:
            log(f"skipped {name}: {PACKAGES[name]} is not installed ({error})")
    return found


def version(name: str) -> str:
    try:
        return f"{PACKAGES[name]} {importlib.metadata.version(PACKAGES[name])}"
    except importlib.metadata.PackageNotFoundError:
        return f"{PACKAGES[name]} (no version)"


# ---------------------------------------------------------------- running, with a cache


@dataclass(frozen=True)
class Output:
    text: str
    seconds: float


def run_extractor(extract: Extract, pages: Sequence[Page], label: str) -> dict[str, Output]:
    """The extractor's text and wall time on each page; a failure is an empty text."""
    out = {}
    start = time.perf_counter()
    for number, page in enumerate(pages, 1):
        raw = read_page(page.path)
        began = time.perf_counter()
        try:
            text = extract(raw)
        except Exception:  # third-party code on odd pages: no output, as in the study
            text = ""
        out[page.id] = Output(text, time.perf_counter() - began)
        if number % 500 == 0:
            log(f"  {label}: {number}/{len(pages)} pages")
    log(f"  {label}: {len(pages)} pages in {time.perf_counter() - start:.0f}s")
    return out


def read_cache(path: Path, wanted: str, pages: Sequence[Page]) -> dict[str, Output] | None:
    """The cached outputs, if the file is of this version and covers every page."""
    if not path.exists():
        return None
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or json.loads(lines[0]).get("version") != wanted:
        return None
    rows = (json.loads(line) for line in lines[1:])
    out = {row["id"]: Output(row["text"], row["t"]) for row in rows}
    return out if all(page.id in out for page in pages) else None


def write_cache(path: Path, wanted: str, outputs: dict[str, Output]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps({"version": wanted}) + "\n")
        for pid, output in outputs.items():
            handle.write(json.dumps({"id": pid, "text": output.text, "t": output.seconds}) + "\n")
    partial.replace(path)


def outputs_of(
    name: str, extract: Extract, label: str, pages: Sequence[Page], cache: Path | None
) -> dict[str, Output]:
    """One extractor's outputs on one dataset: from the cache, or run (and cached)."""
    path = cache / label / f"{name}.jsonl" if cache else None
    wanted = version(name)
    cached = read_cache(path, wanted, pages) if path else None
    if cached is not None:
        log(f"  {label}/{name}: cached")
        return cached
    outputs = run_extractor(extract, pages, f"{label}/{name}")
    if path:
        write_cache(path, wanted, outputs)
    return outputs


# ---------------------------------------------------------------- the paragraph pool


def paragraphs(text: str) -> list[tuple[str, list[str]]]:
    """An output's lines, whitespace collapsed, with their tokens; lines with no word dropped."""
    out = []
    for line in text.split("\n"):
        norm = " ".join(line.split())
        tokens = WORD.findall(norm.casefold())
        if tokens:
            out.append((norm, tokens))
    return out


@dataclass
class Candidate:
    """A paragraph of the pool: its text and tokens, who found it first, who has it (bits)."""

    text: str
    tokens: list[str]
    source: int
    words: frozenset[str] = field(init=False)
    votes: int = 0

    def __post_init__(self) -> None:
        self.words = frozenset(self.tokens)


class _Pool:
    """The candidates so far, indexed for the 80% look-ups by their rarest words.

    A paragraph holding 80% of a candidate's distinct words holds one of its rarest
    ``len - ceil(0.8 len) + 1`` words (rarest: in fewest paragraphs of the page), so only
    those are indexed for the look-ups that start from a candidate.
    """

    def __init__(self, frequency: Counter[str]) -> None:
        self.frequency = frequency
        self.candidates: list[Candidate] = []
        self.exact: dict[str, Candidate] = {}
        self.by_rare_word: dict[str, list[int]] = {}
        self.by_word: dict[str, list[int]] = {}

    def by_rarity(self, words: Iterable[str]) -> list[str]:
        return sorted(words, key=lambda w: (self.frequency[w], w))

    def rarest(self, words: Iterable[str]) -> list[str]:
        ordered = self.by_rarity(words)
        return ordered[: len(ordered) - math.ceil(OVERLAP * len(ordered)) + 1]

    def add(self, new: list[Candidate]) -> None:
        """Adds an extractor's new candidates, once it is done: an extractor's paragraphs
        only ever merge with those of extractors before it."""
        for candidate in new:
            number = len(self.candidates)
            self.candidates.append(candidate)
            self.exact.setdefault(candidate.text, candidate)
            for word in self.rarest(candidate.words):
                self.by_rare_word.setdefault(word, []).append(number)
            for word in candidate.words:
                self.by_word.setdefault(word, []).append(number)

    def known(self, text: str, tokens: list[str]) -> bool:
        """Whether a paragraph is a candidate already, or is to be dropped.

        It is a candidate when the text is the same, or when the two share 80% of the
        larger's distinct words, or when the candidate holds 80% of the paragraph's words.
        It is dropped when candidates that lie (80%) within it cover 80% of its words: it
        is made of them, and they stand for it.
        """
        if text in self.exact:
            return True
        words = frozenset(tokens)
        parts: set[str] = set()
        seen: set[int] = set()
        for word in self.by_rarity(words):
            for number in self.by_rare_word.get(word, ()):
                if number in seen:
                    continue
                seen.add(number)
                other = self.candidates[number].words
                shared = len(words & other)
                if shared >= OVERLAP * max(len(words), len(other)):
                    return True
                if shared >= OVERLAP * len(other):
                    parts |= other
        for word in self.rarest(words):
            for number in self.by_word.get(word, ()):
                if len(words & self.candidates[number].words) >= OVERLAP * len(words):
                    return True
        return len(words - parts) <= (1 - OVERLAP) * len(words)


def build_pool(texts: Sequence[str]) -> list[Candidate]:
    """The paragraph pool of one page from the extractors' texts (in ``EXTRACTORS`` order).

    Each extractor's paragraphs (lines) are taken in turn: one that an earlier
    extractor's candidates stand for (``_Pool.known``) adds none, the others are new ones.
    Then every extractor votes: bit i of ``votes`` is set when extractor i has the
    candidate, verbatim or within one of its paragraphs (80% of the candidate's words).
    Order on the page is not kept: the F1 is a bag of words.
    """
    lines = [paragraphs(text) for text in texts]
    frequency: Counter[str] = Counter()
    for found in lines:
        for _, tokens in found:
            frequency.update(set(tokens))
    pool = _Pool(frequency)
    for source, found in enumerate(lines):
        new = []
        for text, tokens in found:
            if not pool.known(text, tokens):
                new.append(Candidate(text, tokens, source))
        pool.add(new)
    for voter, found in enumerate(lines):
        vote(pool.candidates, voter, found)
    return pool.candidates


def vote(candidates: list[Candidate], voter: int, found: list[tuple[str, list[str]]]) -> None:
    """Sets ``voter``'s bit on the candidates it has: its own, the same text, or 80% of
    the candidate's distinct words within one of its paragraphs."""
    if not found:
        return
    bit = 1 << voter
    texts = {text for text, _ in found}
    postings: dict[str, list[int]] = {}
    for number, (_, tokens) in enumerate(found):
        for word in set(tokens):
            postings.setdefault(word, []).append(number)
    for candidate in candidates:
        if candidate.source == voter or candidate.text in texts:
            candidate.votes |= bit
            continue
        need = OVERLAP * len(candidate.words)
        shared = [word for word in candidate.words if word in postings]
        if len(shared) < need:
            continue
        hits: Counter[int] = Counter()
        for word in shared:
            hits.update(postings[word])
        if max(hits.values()) >= need:
            candidate.votes |= bit


# ---------------------------------------------------------------- the rules


@dataclass(frozen=True)
class Rule:
    """``kofn``: keep what >= k of S have. ``nsplus``: newsstore's (extractor 0) paragraphs
    that >= r of S have, and the others' that >= k ("m") of S have; 0 is never in S."""

    family: str
    subset: tuple[int, ...]
    k: int
    r: int = 0

    def keeps(self, votes: int) -> bool:
        count = sum(votes >> i & 1 for i in self.subset)
        if self.family == "nsplus" and votes & 1:
            return count >= self.r
        return count >= self.k

    def uses(self) -> frozenset[int]:
        return frozenset(self.subset) | ({0} if self.family == "nsplus" else set())

    def name(self, names: Sequence[str]) -> str:
        members = "+".join(names[i] for i in self.subset)
        if self.family == "kofn":
            return f"kofn(S={members},k={self.k})"
        return f"nsplus(S={members},m={self.k},r={self.r})"


def rules(count: int) -> list[Rule]:
    """Every rule over ``count`` extractors, extractor 0 being newsstore (2,361 for 8)."""
    out = []
    for size in range(1, count + 1):
        for subset in combinations(range(count), size):
            out += [Rule("kofn", subset, k) for k in range(1, size + 1)]
    for size in range(1, count):
        for subset in combinations(range(1, count), size):
            for m in range(1, size + 1):
                out += [Rule("nsplus", subset, m, r) for r in range(min(2, size) + 1)]
    return out


def keep_masks(all_rules: Sequence[Rule], count: int) -> list[int]:
    """For each rule, the vote patterns it keeps, as bit ``votes`` of an integer."""
    return [
        sum(1 << votes for votes in range(1 << count) if rule.keeps(votes)) for rule in all_rules
    ]


def page_scores(candidates: list[Candidate], truth: Counter[str], keeps: list[int]) -> list[float]:
    """F1 of every rule on one page. Candidates with the same votes are kept or dropped
    together, so a rule's choice on the page is the set of vote patterns it keeps among
    those present: rules that agree on it share one computation."""
    groups: dict[int, tuple[Counter[str], int]] = {}
    for candidate in candidates:
        bag, total = groups.get(candidate.votes, (Counter(), 0))
        bag.update(token for token in candidate.tokens if token in truth)
        groups[candidate.votes] = (bag, total + len(candidate.tokens))
    present = sum(1 << votes for votes in groups)
    want = sum(truth.values())
    memo: dict[int, float] = {}
    out = []
    for keep in keeps:
        chosen = keep & present
        if chosen not in memo:
            memo[chosen] = _selection_f1(groups, chosen, truth, want)
        out.append(memo[chosen])
    return out


def _selection_f1(
    groups: dict[int, tuple[Counter[str], int]], chosen: int, truth: Counter[str], want: int
) -> float:
    bag: Counter[str] = Counter()
    got = 0
    for votes, (tokens, total) in groups.items():
        if chosen >> votes & 1:
            bag.update(tokens)
            got += total
    common = sum(min(n, truth[token]) for token, n in bag.items())
    return f1_of(common, got, want)


# ---------------------------------------------------------------- evaluation


@dataclass
class Scores:
    """One dataset's results: mean F1 per extractor alone, of the oracle and of each rule,
    and per page the extractors' seconds followed by the pool's."""

    label: str
    pages: int
    alone: list[float]
    oracle: float
    rules: list[float]
    seconds: list[list[float]]


def evaluate(
    label: str, pages: Sequence[Page], outputs: list[dict[str, Output]], keeps: list[int]
) -> Scores:
    """Pools, votes and scores every page of a dataset (``outputs``: one per extractor)."""
    total = [0.0] * len(keeps)
    alone = [0.0] * len(outputs)
    oracle = 0.0
    seconds = []
    for number, page in enumerate(pages, 1):
        texts = [found[page.id].text for found in outputs]
        start = time.perf_counter()
        candidates = build_pool(texts)
        built = time.perf_counter() - start
        truth = words(page.body)
        total = [a + b for a, b in zip(total, page_scores(candidates, truth, keeps), strict=True)]
        each = [f1(text, page.body) for text in texts]
        alone = [a + b for a, b in zip(alone, each, strict=True)]
        oracle += max(each)
        seconds.append([found[page.id].seconds for found in outputs] + [built])
        if number % 500 == 0:
            log(f"  {label}: scored {number}/{len(pages)} pages")
    n = len(pages)
    return Scores(label, n, [a / n for a in alone], oracle / n, [t / n for t in total], seconds)


def costs(all_rules: Sequence[Rule], results: Sequence[Scores]) -> list[float]:
    """Each rule's median time per page (its extractors' and, when it has two or more to
    pool, the pool's; all datasets together) over newsstore's median time alone."""
    rows = [row for result in results for row in result.seconds]
    base = statistics.median(row[0] for row in rows)
    by_use: dict[frozenset[int], float] = {}
    out = []
    for rule in all_rules:
        use = rule.uses()
        pooled = len(use) > 1
        if use not in by_use:
            by_use[use] = statistics.median(
                sum(row[i] for i in use) + (row[-1] if pooled else 0.0) for row in rows
            )
        out.append(by_use[use] / base)
    return out


@dataclass(frozen=True)
class Fold:
    held_out: str
    rule: int
    train: float
    score: float


def best_rule(results: Sequence[Scores], allowed: Sequence[bool]) -> tuple[int, float]:
    """The allowed rule with the best mean F1 over ``results`` (the first, on a tie)."""
    best, best_mean = -1, -1.0
    for number, ok in enumerate(allowed):
        if ok:
            mean = statistics.fmean(result.rules[number] for result in results)
            if mean > best_mean:
                best, best_mean = number, mean
    return best, best_mean


def lodo(results: Sequence[Scores], allowed: Sequence[bool]) -> list[Fold]:
    """Leave one dataset out: the rule chosen on the others, scored on each in turn."""
    folds = []
    for held in results:
        chosen, train = best_rule([r for r in results if r is not held], allowed)
        folds.append(Fold(held.label, chosen, train, held.rules[chosen]))
    return folds


# ---------------------------------------------------------------- the report


def print_alone(names: Sequence[str], results: Sequence[Scores]) -> None:
    labels = [r.label for r in results]
    width = max(len(label) for label in labels)
    print("Each extractor alone: mean F1 per dataset (rows), macro; median ms per page")
    print(f"{'':{width}}  " + " ".join(f"{name[:11]:>11}" for name in names) + f"  {'oracle':>10}")
    for result in results:
        row = " ".join(f"{f:11.4f}" for f in result.alone)
        print(f"{result.label:{width}}  {row}  {result.oracle:10.4f}  ({result.pages} pages)")
    macro = [statistics.fmean(r.alone[i] for r in results) for i in range(len(names))]
    oracle = statistics.fmean(r.oracle for r in results)
    print(f"{'macro':{width}}  " + " ".join(f"{f:11.4f}" for f in macro) + f"  {oracle:10.4f}")
    rows = [row for r in results for row in r.seconds]
    ms = [1000 * statistics.median(row[i] for row in rows) for i in range(len(names))]
    print(f"{'median ms':{width}}  " + " ".join(f"{m:11.1f}" for m in ms))
    pool = 1000 * statistics.median(row[-1] for row in rows)
    print(f"(pooling and voting: median {pool:.1f} ms per page)\n")


def print_rule(title: str, name: str, number: int, results: Sequence[Scores], cost: float) -> None:
    per = "  ".join(f"{r.label} {r.rules[number]:.4f}" for r in results)
    macro = statistics.fmean(r.rules[number] for r in results)
    print(f"{title}: {name} (cost {cost:.2f}x)\n  {per}  macro {macro:.4f}")


def print_lodo(
    title: str, folds: Sequence[Fold], names: Sequence[str], cost: Sequence[float]
) -> None:
    """One LODO table; ``names`` are the rules'."""
    width = max(len(f.held_out) for f in folds)
    print(f"LODO, {title}: held-out | rule chosen on the others | train | held-out | cost")
    for fold in folds:
        print(
            f"  {fold.held_out:{width}}  {names[fold.rule]}  {fold.train:.4f}  "
            f"{fold.score:.4f}  {cost[fold.rule]:.2f}x"
        )
    macro = statistics.fmean(f.score for f in folds)
    chosen = Counter(names[f.rule] for f in folds)
    print(f"  LODO macro {macro:.4f}; chosen: " + "; ".join(f"{n} x{c}" for n, c in chosen.items()))
    print()


def report(
    names: Sequence[str],
    all_rules: Sequence[Rule],
    results: Sequence[Scores],
    max_cost: float,
    shipped: tuple[str, tuple[str, ...], int, int] | None = SHIPPED,
) -> None:
    """Prints the whole result (see the module's docstring for how to read it)."""
    rule_names = [rule.name(names) for rule in all_rules]
    cost = costs(all_rules, results)
    print_alone(names, results)
    # On dumps the reader ships newsstore alone (``shipped`` None): "alone" shows it.
    if shipped is not None and all(name in names for name in shipped[1]):
        family, members, m, r = shipped
        rule = Rule(family, tuple(names.index(name) for name in members), m, r)
        number = all_rules.index(rule)
        print_rule("Shipped rule", rule_names[number], number, results, cost[number])
    for title, allowed in (
        ("any cost", [True] * len(cost)),
        (f"cost <= {max_cost}x", [c <= max_cost for c in cost]),
    ):
        number, mean = best_rule(results, allowed)
        print_rule(
            f"Best on all ({title}, in-sample)", rule_names[number], number, results, cost[number]
        )
    print()
    if len(results) < 2:
        print("LODO needs two datasets at least.")
        return
    print_lodo("any cost", lodo(results, [True] * len(cost)), rule_names, cost)
    allowed = [c <= max_cost for c in cost]
    print_lodo(f"cost <= {max_cost}x newsstore", lodo(results, allowed), rule_names, cost)


def labels_of(folders: Sequence[Path]) -> list[str]:
    """Each folder's name, numbered when two have the same."""
    names = [folder.resolve().name for folder in folders]
    return [n if names.count(n) == 1 else f"{n}-{i}" for i, n in enumerate(names, 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("datasets", type=Path, nargs="+", metavar="DATASET_DIR")
    parser.add_argument("--cache", type=Path, help="keep extractor outputs here, per dataset")
    parser.add_argument("--max-cost", type=float, default=2.0, help="x newsstore's median time")
    parser.add_argument("--extractors", nargs="+", choices=EXTRACTORS, default=list(EXTRACTORS))
    parser.add_argument(
        "--dumps", action="store_true", help="every extractor reads the page's text dump"
    )
    args = parser.parse_args()
    if "newsstore" not in args.extractors:
        parser.error("newsstore is the reader the rules extend: it cannot be left out")
    extractors = available(args.extractors)
    if args.dumps:
        extractors = {name: on_dumps(name, extract) for name, extract in extractors.items()}
    names = list(extractors)
    all_rules = rules(len(names))
    keeps = keep_masks(all_rules, len(names))
    log(f"{len(names)} extractors, {len(all_rules)} rules")
    results = []
    for folder, label in zip(args.datasets, labels_of(args.datasets), strict=True):
        pages = load_dataset(folder)
        log(f"{label}: {len(pages)} pages")
        kept = f"{label}-dumps" if args.dumps else label
        outputs = [outputs_of(n, e, kept, pages, args.cache) for n, e in extractors.items()]
        results.append(evaluate(label, pages, outputs, keeps))
    report(names, all_rules, results, args.max_cost, shipped=None if args.dumps else SHIPPED)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
