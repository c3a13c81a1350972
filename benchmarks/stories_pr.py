#!/usr/bin/env python3
"""Stories: precision and recall of the grouping rule on labelled pairs, and the threshold curve.

usage: python benchmarks/stories_pr.py [--corpus DIR] [--originals 800] [--seed 21]
                                      [--max-anchors N] [--key-words N]
       python benchmarks/stories_pr.py --ingest [--originals 150]

Builds a labelled set of pairs from original articles: generated text by
default, or the articles of ``--corpus`` (folders of plain-text files, the
first line a headline and the rest paragraphs, like the BBC corpus), read at
run time and never written anywhere (only file names and scores are printed).

Copies (one story), made from an original O:
  wire       a site's own lead paragraph added, the last paragraph cut, 1% of words changed
  edits3/8   3% / 8% of words changed
  excerpt2/3 the first 2 / 3 paragraphs only (an aggregator's excerpt)
  update1    a paragraph added at the end (an updated version)
  update2    two paragraphs added, one mid-text, 1% of words changed
  wire_upd   wire, with a paragraph added
Different stories on one topic:
  same_topic O and the 3 articles of its topic sharing most words with it
  follow_up  another article of the topic with one of O's later paragraphs pasted in
  quotes_lead O's first 2 paragraphs (an excerpt) beside another article of the topic that
             quotes O's first paragraph

It reports (1) precision/recall of Jaccard >= t and of containment >= t on the
exact shingle sets, (2) the rule newsstore applies (``ingest.signature``:
candidates by shared band key or shared long paragraph, then Jaccard >= 0.30
or containment >= 0.70), overall and per kind, and, with ``--corpus``, (3)
the corpus's pairs of articles with one headline and different text, and
whether the rule groups them.

``--ingest`` checks the same on newsstore itself: the originals and their
variants are written as page dumps, ingested into a fresh SQLite database
once in one run and once in two runs (half, then the rest), and the pairs'
``story_id`` compared: the two groupings must be equal.

Not a test: a figure anyone can rerun (README, "Stories").
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest import signature
from ingest.fingerprint import paragraph_hash
from ingest.signature import (
    MIN_CONTAINMENT,
    MIN_JACCARD,
    anchors,
    band_keys,
    containment,
    jaccard,
    paragraph_shingles,
    same_story,
    shingles,
    words,
)

Article = tuple[str, list[str]]  # headline, paragraphs


@dataclass
class Body:
    """What the rule reads of one body: shingles, band keys, anchors."""

    shingled: frozenset[str]
    bands: tuple[int, ...]
    anchors: frozenset[int]  # its first long paragraphs (``signature.anchors``)
    parts: tuple[frozenset[str], ...]

    @classmethod
    def of(cls, paragraphs: list[str]) -> Body:
        shingled = shingles(paragraphs)
        hashed = [(p, paragraph_hash(p)) for p in paragraphs]
        looked_up = frozenset(anchors(hashed))
        return cls(shingled, band_keys(paragraphs), looked_up, paragraph_shingles(paragraphs))


def candidates(a: Body, b: Body) -> bool:
    """Whether newsstore would compare the two: a shared band key, or a paragraph among both's
    first long ones (``ingest.store.stories._candidates``)."""
    shared = any(x == y for x, y in zip(a.bands, b.bands, strict=False))
    return shared or bool(a.anchors & b.anchors)


# --- originals ----------------------------------------------------------------------------


def generated(n: int, r: random.Random) -> dict[str, Article]:
    """``n`` articles in 8 topics: each topic's words, plus common words every topic uses."""
    common = (
        "the of and to in a is that for on said with was as by at from it has have be "
        "this are were will not but their they which been more after also its who would"
    ).split()
    topics = {}
    for t in range(8):
        topics[t] = [
            f"{chr(97 + t)}{''.join(r.choice('aeioulmnrst') for _ in range(5))}" for _ in range(300)
        ]
    out = {}
    for i in range(n):
        t = i % 8
        vocab = topics[t]
        paragraphs = []
        for _ in range(r.randint(5, 10)):
            length = r.randint(25, 60)
            ws = [r.choice(common) if r.random() < 0.45 else r.choice(vocab) for _ in range(length)]
            paragraphs.append(" ".join(ws).capitalize() + ".")
        out[f"topic{t}/{i:04d}"] = (f"Headline {i}", paragraphs)
    return out


def read_corpus(folder: Path) -> dict[str, Article]:
    """The corpus's articles (``topic/file``), exact duplicate bodies left out.

    Exact duplicates are ``duplicate`` documents in newsstore, never grouped.
    """
    out: dict[str, Article] = {}
    seen: set[str] = set()
    for path in sorted(folder.glob("*/*.txt")):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        title, _, body = text.partition("\n")
        paragraphs = [p.strip() for p in body.split("\n") if p.strip()]
        key = "\n".join(paragraphs)
        if key in seen or not paragraphs:
            continue
        seen.add(key)
        out[f"{path.parent.name}/{path.name}"] = (title.strip(), paragraphs)
    return out


# --- variants -----------------------------------------------------------------------------


def edit_words(paragraphs: list[str], rate: float, r: random.Random, vocab: list[str]) -> list[str]:
    out = []
    for p in paragraphs:
        ws = p.split()
        out.append(" ".join(r.choice(vocab) if r.random() < rate else w for w in ws))
    return out


def variants(
    paragraphs: list[str],
    r: random.Random,
    vocab: list[str],
    pool: list[list[str]],
    topic: list[list[str]],
) -> dict[str, list[str]]:
    """The copies of one original, by kind of edit."""
    source = " ".join(r.choice(pool)).split()
    n = r.randint(25, 50)
    start = r.randint(0, max(0, len(source) - n))
    lead = " ".join(source[start : start + n])

    def added() -> str:
        return r.choice(r.choice(topic))

    mid = len(paragraphs) // 2
    return {
        "wire": edit_words([lead, *paragraphs[:-1]], 0.01, r, vocab),
        "edits3": edit_words(paragraphs, 0.03, r, vocab),
        "edits8": edit_words(paragraphs, 0.08, r, vocab),
        "excerpt2": paragraphs[:2],
        "excerpt3": paragraphs[:3],
        "update1": [*paragraphs, added()],
        "update2": edit_words(
            [*paragraphs[:mid], added(), *paragraphs[mid:], added()], 0.01, r, vocab
        ),
        "wire_upd": edit_words([lead, *paragraphs[:-1], added()], 0.01, r, vocab),
    }


@dataclass
class Pair:
    kind: str
    label: int  # 1: one story, 0: different stories
    a: Body
    b: Body
    names: tuple[str, str]


def labelled(articles: dict[str, Article], originals: int, r: random.Random) -> list[Pair]:
    """Copies and same-topic different stories, from ``originals`` sampled articles."""
    by_topic: dict[str, list[str]] = defaultdict(list)
    for key in articles:
        by_topic[key.split("/")[0]].append(key)
    vocab = sorted({w for _, ps in articles.values() for p in ps for w in p.split()})
    pool = [ps for _, ps in articles.values()]
    word_sets = {k: set(words(" ".join(ps))) for k, (_, ps) in articles.items()}
    bodies: dict[str, Body] = {}

    def body(key: str) -> Body:
        if key not in bodies:
            bodies[key] = Body.of(articles[key][1])
        return bodies[key]

    pairs = []
    keys = sorted(k for k, (_, ps) in articles.items() if len(ps) >= 4)
    for original in r.sample(keys, min(originals, len(keys))):
        title, paragraphs = articles[original]
        others = [k for k in by_topic[original.split("/")[0]] if k != original]
        topic = [articles[k][1] for k in r.sample(others, min(20, len(others)))]
        for kind, copy in variants(paragraphs, r, vocab, pool, topic).items():
            pairs.append(Pair(kind, 1, body(original), Body.of(copy), (original, kind)))
        mine = word_sets[original]
        ranked = sorted(
            others, key=lambda k: (-len(mine & word_sets[k]) / len(mine | word_sets[k]), k)
        )
        for key in ranked[:3]:
            if articles[key][0] == title:
                continue  # one headline: scored apart (``same_headline``)
            if jaccard(body(original).shingled, body(key).shingled) >= 0.5:
                continue  # the corpus's own copy under a new headline: not a different story
            pairs.append(Pair("same_topic", 0, body(original), body(key), (original, key)))
        other = ranked[r.randint(3, min(10, len(ranked) - 1))]
        theirs = articles[other][1]
        pasted = [
            *theirs[: len(theirs) // 2],
            r.choice(paragraphs[2:]),
            *theirs[len(theirs) // 2 :],
        ]
        pairs.append(Pair("follow_up", 0, body(original), Body.of(pasted), (original, other)))
        # the excerpt of an original beside another story that quotes the original's lead
        quoting = [*theirs[: len(theirs) // 2], paragraphs[0], *theirs[len(theirs) // 2 :]]
        pairs.append(
            Pair("quotes_lead", 0, Body.of(paragraphs[:2]), Body.of(quoting), (original, other))
        )
    return pairs


# --- reports ------------------------------------------------------------------------------


def precision_recall(pairs: list[Pair], grouped: Callable[[Pair], bool]) -> tuple[float, float]:
    tp = sum(1 for p in pairs if p.label == 1 and grouped(p))
    fp = sum(1 for p in pairs if p.label == 0 and grouped(p))
    positives = sum(1 for p in pairs if p.label == 1)
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / positives if positives else 1.0)


def rule(p: Pair) -> bool:
    return candidates(p.a, p.b) and same_story(p.a.shingled, p.b.shingled, p.a.parts, p.b.parts)


def report(pairs: list[Pair]) -> None:
    copies = sum(p.label for p in pairs)
    print(f"{len(pairs)} pairs: {copies} copies, {len(pairs) - copies} different stories\n")
    print("| t | Jaccard >= t: P / R | containment >= t: P / R |")
    print("| --- | --- | --- |")
    for t in (0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8):
        pj, rj = precision_recall(pairs, lambda p, t=t: jaccard(p.a.shingled, p.b.shingled) >= t)
        pc, rc = precision_recall(
            pairs, lambda p, t=t: containment(p.a.shingled, p.b.shingled) >= t
        )
        print(f"| {t:.2f} | {pj:.4f} / {rj:.4f} | {pc:.4f} / {rc:.4f} |")
    precision, recall = precision_recall(pairs, rule)
    print(
        f"\nnewsstore's rule (candidates by band key or paragraph, then J >= {MIN_JACCARD}"
        f" or C >= {MIN_CONTAINMENT}): precision {precision:.4f}, recall {recall:.4f}"
    )
    kinds: dict[str, list[Pair]] = defaultdict(list)
    for p in pairs:
        kinds[p.kind].append(p)
    print("\n| kind | pairs | grouped |")
    print("| --- | --- | --- |")
    for kind, of_kind in kinds.items():
        share = sum(rule(p) for p in of_kind) / len(of_kind)
        print(f"| {kind} | {len(of_kind)} | {share:.3f} |")


def same_headlines(articles: dict[str, Article]) -> None:
    """The corpus's pairs with one headline and different text: grouped or not, and the scores."""
    by_title: dict[str, list[str]] = defaultdict(list)
    for key, (title, _) in articles.items():
        by_title[title].append(key)
    rows = []
    for keys in by_title.values():
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                ba, bb = Body.of(articles[a][1]), Body.of(articles[b][1])
                j, c = jaccard(ba.shingled, bb.shingled), containment(ba.shingled, bb.shingled)
                grouped = candidates(ba, bb) and same_story(
                    ba.shingled, bb.shingled, ba.parts, bb.parts
                )
                rows.append((grouped, a, b, j, c))
    print(
        f"\n{len(rows)} pairs with one headline and different text;"
        f" grouped: {sum(r[0] for r in rows)}"
    )
    for grouped, a, b, j, c in sorted(rows, key=lambda row: (row[0], row[3])):
        if not grouped:
            print(f"  apart: {a} / {b}  J {j:.2f}  C {c:.2f}")


# --- the same on newsstore ----------------------------------------------------------------


def page(title: str, paragraphs: list[str], source: str, day: int) -> str:
    """A page dump in the seed's layout (as tests/conftest.py's ``aggregator_page``)."""
    body = "\n\n".join(paragraphs)
    return (
        f"18.0 C\nLisbon\nMonday, March 3, 2025\n\n{title}\n\n{body}\n\n"
        f"March {day}, 2025 at 10:15AM\n\nby {source}\n\nMost Popular Articles\n"
    )


def ingest_check(articles: dict[str, Article], originals: int, r: random.Random) -> None:
    """Ingest originals and their variants in one run and in two; compare and score the stories."""
    from sqlalchemy import create_engine, text

    from db.migrate import upgrade
    from ingest import pipeline
    from ingest.read import iter_paths

    keys = sorted(k for k, (_, ps) in articles.items() if len(ps) >= 4)
    chosen = r.sample(keys, min(originals, len(keys)))
    vocab = sorted({w for _, ps in articles.values() for p in ps for w in p.split()})
    # The text a copy adds (a lead, an update's paragraphs) comes from articles outside the
    # set ingested: a paragraph of another original would put that original's excerpt in
    # the copy whole, which is one story by the text and two by the label.
    spare = sorted(set(keys) - set(chosen)) or keys
    pool = [articles[k][1] for k in spare]
    files: dict[str, tuple[str, str]] = {}  # file name -> (page, story label)
    for n, key in enumerate(chosen):
        title, paragraphs = articles[key]
        files[f"o{n:04d}.txt"] = (page(title, paragraphs, f"Desk {n % 5}(Wire)", 1), key)
        topic = [articles[k][1] for k in r.sample(spare, min(10, len(spare)))]
        for m, (kind, copy) in enumerate(variants(paragraphs, r, vocab, pool, topic).items()):
            files[f"v{n:04d}_{kind}.txt"] = (
                page(f"{kind} {title}", copy, f"Site {m}(Web)", 2 + m),
                key,
            )
    with tempfile.TemporaryDirectory() as tmp:
        groupings = []
        for runs in (1, 2):
            folder = Path(tmp) / f"runs{runs}"
            names = sorted(files)
            r.shuffle(names)
            halves = [names] if runs == 1 else [names[: len(names) // 2], names[len(names) // 2 :]]
            url = f"sqlite:///{folder}/db.sqlite"
            folder.mkdir()
            upgrade(url)
            engine = create_engine(url)
            for i, part in enumerate(halves):
                sub = folder / f"part{i}"
                sub.mkdir()
                for name in part:
                    (sub / name).write_text(files[name][0], encoding="utf-8")
                list(pipeline.run(engine, iter_paths([str(sub)])))
            with engine.connect() as connection:
                rows = connection.execute(
                    text(
                        "SELECT d.origin, a.story_id FROM articles a"
                        " JOIN documents d ON d.id = a.document_id"
                    )
                ).all()
            engine.dispose()
            groupings.append({Path(origin).name: story for origin, story in rows})
        one, two = groupings
        same = _partition(one) == _partition(two)
        print(f"\ningest: {len(files)} pages; one run and two runs group alike: {same}")
        truth = {name: label for name, (_, label) in files.items()}
        names = sorted(one)
        tp = fp = fn = 0
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                together, truly = one[a] == one[b], truth[a] == truth[b]
                tp += together and truly
                fp += together and not truly
                fn += truly and not together
        print(
            f"pairs in one story: precision {tp / max(1, tp + fp):.4f},"
            f" recall {tp / max(1, tp + fn):.4f}"
        )
        mixed: dict[int, set[str]] = defaultdict(set)
        for name, story in one.items():
            mixed[story].add(name)
        for story, names_in in sorted(mixed.items()):
            labels = {truth[n] for n in names_in}
            if len(labels) > 1:  # originals grouped together: which files (names only)
                print(f"  story {story}: " + ", ".join(f"{n}={truth[n]}" for n in sorted(names_in)))
        if not same:
            sys.exit(1)


def _partition(grouping: dict[str, int]) -> set[frozenset[str]]:
    stories: dict[int, set[str]] = defaultdict(set)
    for name, story in grouping.items():
        stories[story].add(name)
    return {frozenset(s) for s in stories.values()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="folders of text files (headline, paragraphs)")
    parser.add_argument("--originals", type=int, default=800)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--ingest", action="store_true", help="check grouping through ingest")
    parser.add_argument(
        "--max-anchors",
        type=int,
        help="paragraphs an article looks up (signature.MAX_ANCHORS; 0: all), for the pairs",
    )
    parser.add_argument(
        "--key-words",
        type=int,
        help="words band keys are made of (signature.KEY_WORDS; 0: all), for the pairs",
    )
    args = parser.parse_args()
    if args.key_words is not None:
        signature.KEY_WORDS = args.key_words or None  # read by signature.key_words at each call
    if args.max_anchors is not None:
        signature.MAX_ANCHORS = args.max_anchors  # read by signature.anchors at each call
    r = random.Random(args.seed)
    articles = read_corpus(args.corpus) if args.corpus else generated(1600, r)
    if args.ingest:
        ingest_check(articles, args.originals, r)
        return
    report(labelled(articles, args.originals, r))
    if args.corpus:
        same_headlines(articles)


if __name__ == "__main__":
    main()
