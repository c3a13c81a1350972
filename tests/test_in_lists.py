"""db.in_lists: IN lists cut to a length every engine binds, and the driver's mark."""

from __future__ import annotations

from sqlalchemy import create_engine

from db.in_lists import IN_CHUNK, chunks, placeholder


def test_chunks_keep_every_value_once_in_order_and_none_is_too_long() -> None:
    values = list(range(2 * IN_CHUNK + 7))
    cut = list(chunks(values))
    assert [len(c) for c in cut] == [IN_CHUNK, IN_CHUNK, 7]
    assert [v for c in cut for v in c] == values
    assert list(chunks([])) == []


def test_the_mark_is_the_one_the_driver_binds() -> None:
    engine = create_engine("sqlite://")
    with engine.connect() as connection:
        mark = placeholder(connection)
        assert mark == "?"
        marks = ", ".join([mark] * 3)
        row = connection.exec_driver_sql(f"SELECT {marks}", (1, "a", None)).one()
        assert tuple(row) == (1, "a", None)
