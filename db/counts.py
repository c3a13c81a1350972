"""The counts ``newsstore stats`` prints, kept as rows are written rather than counted when read.

Counting articles per source and per month, documents per status and all
paragraphs over the rows themselves reads every row: at a few hundred thousand
articles that took seconds. So the table ``counts`` holds them, one row per
(what, key) with its number ``n``:

- ``("source", "12")``: articles of source 12 (``""``: articles without a source);
- ``("month", "2024-02")``: articles published that month (``""``: undated);
- ``("status", "ingested")``: documents of that status;
- ``("paragraphs", "")``: every paragraph, of every kind.

The store stage (``ingest.store``) adds each write's change with ``add`` in the
transaction (and savepoint) of the write itself, so a rolled-back write takes
its change with it; a row whose count falls to 0 is deleted. ``recount``
counts everything again from the rows (``db optimize`` runs it; so does a copy
of a database), and ``check`` compares the two.

    from db import open_session
    from db.counts import read_counts

    with open_session() as session:
        print(read_counts(session).articles)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from db.base import table_of
from db.in_lists import chunks
from db.models import Count, Source

COUNTS = table_of(Count)
# What is counted, and the key of an article without a source or a date.
SOURCE, MONTH, STATUS, PARAGRAPHS = "source", "month", "status", "paragraphs"
NONE = ""
# A month as stored text gives it, on both engines: 'YYYY-MM' of the timestamp's text.
MONTH_SQL = "substr(CAST({column} AS VARCHAR(32)), 1, 7)"

# Everything counted again from the rows (``recount``); rows of 0 are never written.
RECOUNT = (
    f"""INSERT INTO counts (what, key, n)
        SELECT '{SOURCE}', COALESCE(CAST(source_id AS VARCHAR(20)), ''), count(*)
        FROM articles GROUP BY source_id""",
    f"""INSERT INTO counts (what, key, n)
        SELECT '{MONTH}', COALESCE({MONTH_SQL.format(column="published_at")}, ''), count(*)
        FROM articles GROUP BY {MONTH_SQL.format(column="published_at")}""",
    f"""INSERT INTO counts (what, key, n)
        SELECT '{STATUS}', status, count(*) FROM documents GROUP BY status""",
    f"""INSERT INTO counts (what, key, n)
        SELECT '{PARAGRAPHS}', '', count(*) FROM paragraphs HAVING count(*) > 0""",
)

Key = tuple[str, str]


def source_key(source_id: int | None) -> Key:
    """The count of a source's articles (``NONE``: those without a source)."""
    return (SOURCE, NONE if source_id is None else str(source_id))


def month_key(published_at: datetime | None) -> Key:
    """The month an article counts in: what ``MONTH_SQL`` reads from the stored timestamp."""
    if published_at is None:
        return (MONTH, NONE)
    return (MONTH, f"{published_at.year:04d}-{published_at.month:02d}")


def article_keys(rows: Iterable[tuple[int | None, datetime | None]]) -> Counter[Key]:
    """What articles of (source id, published_at) add: one to their source, one to their month."""
    change: Counter[Key] = Counter()
    for source_id, published_at in rows:
        change[source_key(source_id)] += 1
        change[month_key(published_at)] += 1
    return change


def add(session: Session, change: Counter[Key] | dict[Key, int]) -> None:
    """Add ``change`` (key -> a number, negative to take away) to the stored counts.

    One upsert for the whole change, then the rows it brought to 0 are
    deleted: a source or month with no article left is not listed.
    """
    rows: list[dict[str, object]] = [dict(what=w, key=k, n=n) for (w, k), n in change.items() if n]
    if not rows:
        return
    # Each engine's own upsert; imported here, as reading never needs it (importing the
    # PostgreSQL dialect's package took 40 ms of every read command's start-up).
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(COUNTS)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[COUNTS.c.what, COUNTS.c.key],
            set_={"n": COUNTS.c.n + statement.excluded.n},
        ),
        rows,
    )
    if any(n < 0 for n in change.values()):
        session.execute(delete(COUNTS).where(COUNTS.c.n == 0))


def recount(session: Session | Connection) -> int:
    """Count everything again from the rows, in the caller's transaction; how many counts."""
    session.execute(delete(COUNTS))
    for statement in RECOUNT:
        session.execute(text(statement))
    return int(session.scalar(select(func.count()).select_from(COUNTS)) or 0)


def stored(session: Session | Connection) -> dict[Key, int]:
    """Every stored count, by key."""
    return {(w, k): int(n) for w, k, n in session.execute(select(COUNTS)) if n}


def counted(session: Session | Connection) -> dict[Key, int]:
    """Every count as ``recount`` would store it, counted now from the rows (nothing written)."""
    found: dict[Key, int] = {}
    for statement in RECOUNT:
        query = statement.split("\n", 1)[1]
        found.update({(w, k): int(n) for w, k, n in session.execute(text(query)) if n})
    return found


def check(session: Session | Connection) -> dict[Key, tuple[int, int]]:
    """The counts that differ from the rows: key -> (stored, counted now). Empty when exact."""
    have, want = stored(session), counted(session)
    return {
        key: (have.get(key, 0), want.get(key, 0))
        for key in sorted(have.keys() | want.keys())
        if have.get(key, 0) != want.get(key, 0)
    }


@dataclass(frozen=True)
class Counts:
    """What ``stats`` prints of the counts: articles per source name and per month, and more."""

    articles: int
    paragraphs: int
    by_source: list[tuple[str, int]]  # most articles first, then by name
    by_month: list[tuple[str, int]]  # '(undated)' first, then 'YYYY-MM' in order
    documents: dict[str, int]


def read_counts(session: Session) -> Counts:
    """The stored counts, with sources by name: a read of a table of a few hundred rows."""
    have = stored(session)
    ids = [int(k) for (w, k) in have if w == SOURCE and k != NONE]
    names: dict[int, str] = {}
    for chunk in chunks(ids):
        rows = session.execute(select(Source.id, Source.name).where(Source.id.in_(chunk)))
        names.update((int(i), name) for i, name in rows)
    per_source: Counter[str] = Counter()
    for (what, key), n in have.items():
        if what == SOURCE:
            per_source[(names.get(int(key)) if key != NONE else None) or "(no source)"] += n
    by_source = sorted(per_source.items(), key=lambda item: (-item[1], item[0]))
    # Undated first, as SQLite sorts a NULL month first.
    undated = [("(undated)", have[(MONTH, NONE)])] if have.get((MONTH, NONE)) else []
    months = undated + sorted((k, n) for (w, k), n in have.items() if w == MONTH and k != NONE)
    return Counts(
        articles=sum(n for (w, _), n in have.items() if w == SOURCE),
        paragraphs=have.get((PARAGRAPHS, NONE), 0),
        by_source=by_source,
        by_month=months,
        documents={k: n for (w, k), n in have.items() if w == STATUS},
    )
