"""Driver-level SQL for the store's hot path: bulk inserts, look-ups by lists of values, new ids.

These bypass parts of SQLAlchemy on purpose, each for a measured cost given in
its docstring; keeping them apart lets the rest of the store read as what it
writes, not how the driver is fed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Insert, Table, func, insert, select, text
from sqlalchemy.orm import Session

from db.base import Base, table_of
from db.in_lists import IN_CHUNK, chunks, placeholder

__all__ = [
    "IN_CHUNK",
    "chunks",
    "executemany",
    "insert_returning_ids",
    "new_id",
    "placeholder",
    "reserve_ids",
    "select_in",
]


def executemany(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[object]]
) -> None:
    """INSERT many rows, given as tuples of ``columns``, straight through ``executemany``.

    On the hot path of ingest (hundreds of thousands of paragraph rows), the
    per-row parameter handling of a SQLAlchemy statement costs more than
    SQLite spends storing the rows, and so did building a dict per row. The
    rows are plain values of the table's own columns, so nothing is lost by
    handing them to the driver.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    # The columns' own conversions (dates as SQLAlchemy stores them in SQLite),
    # looked up once per statement, and applied to those columns only.
    types = [table.c[c].type.dialect_impl(dialect) for c in columns]
    convert = [(i, f) for i, t in enumerate(types) if (f := t.bind_processor(dialect))]
    if convert:
        converted = []
        for row in rows:
            values = list(row)
            for i, f in convert:
                if values[i] is not None:
                    values[i] = f(values[i])
            converted.append(tuple(values))
        rows = converted
    mark = placeholder(connection)
    names = ", ".join(f'"{c}"' for c in columns)
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join([mark] * len(columns))})'
    connection.exec_driver_sql(sql, list(rows))


def select_in(session: Session, sql: str, values: Iterable[object]) -> Iterator[Any]:
    """The rows of a look-up written as driver SQL, for ``values`` in lists of ``IN_CHUNK``.

    ``sql`` holds one ``{marks}`` where the list goes; the look-ups that use
    this say why they are driver SQL (``ingest.store.plan``).
    """
    connection = session.connection()
    mark = placeholder(connection)
    for chunk in chunks(list(values)):
        marks = ", ".join([mark] * len(chunk))
        yield from connection.exec_driver_sql(sql.format(marks=marks), tuple(chunk))


def insert_returning_ids(
    session: Session, model: type[Base], rows: list[dict[str, object]]
) -> list[int]:
    """Insert rows with one executemany and return their new ids, in order.

    SQLite cannot promise that a multi-row INSERT ... RETURNING returns the
    ids in the order of the rows, so SQLAlchemy would send one INSERT per
    row there. The ids are numbered here instead: the transaction began
    IMMEDIATE (``db.session``), so no other writer can take one meanwhile.
    """
    if not rows:
        return []
    table = table_of(model)
    if session.get_bind().dialect.name == "sqlite":
        last = int(session.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0)
        ids = list(range(last + 1, last + 1 + len(rows)))
        keys = list(rows[0])
        executemany(
            session,
            table,
            ["id", *keys],
            [(i, *map(row.__getitem__, keys)) for row, i in zip(rows, ids, strict=True)],
        )
        return ids
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return [int(i) for i in session.execute(statement, rows).scalars()]


def reserve_ids(session: Session, model: type[Base], n: int) -> list[int]:
    """``n`` new ids for rows of ``model`` not written yet, in increasing order.

    For rows that must be named before they are written (an article names
    its story, which is named after it). On SQLite, one more than the largest
    id: the transaction began IMMEDIATE (``db.session``), so no other writer
    can take one meanwhile. On PostgreSQL, from the table's sequence.
    """
    if n <= 0:
        return []
    table = table_of(model)
    if session.get_bind().dialect.name == "sqlite":
        last = int(session.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0)
        return list(range(last + 1, last + 1 + n))
    sql = text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)")
    return sorted(int(i) for i in session.scalars(sql, dict(t=table.name, n=n)))


def new_id(session: Session, statement: Insert) -> int:
    """Run a single-row INSERT and return the new row's id.

    No other writer can have made the same row meanwhile: writing
    transactions take turns on both engines (``db.session``).
    """
    table = statement.table
    return int(session.execute(statement.returning(table.c.id)).scalar_one())
