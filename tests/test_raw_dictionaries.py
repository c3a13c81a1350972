"""zstd dictionaries per format (db.raw_dictionaries, and db.raw with a dictionary): trained,
stored once, named by every frame made with them, and found again by every reader."""

from __future__ import annotations

import random

import pytest
import zstandard
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from db import raw_dictionaries
from db.engine import make_engine
from db.migrate import ensure_current
from db.raw import ZSTD, Dictionary, RawCodecError, dictionary_id, pack, raw_bytes, unpack

WORDS = "harbour ferry council mayor storm school bridge river market prices trade talks".split()


def pages(count: int, seed: int = 5) -> list[bytes]:
    """Distinct documents of one layout: what a dictionary is for."""
    rng = random.Random(seed)
    made = []
    for n in range(count):
        body = " ".join(rng.choice(WORDS) for _ in range(60))
        made.append(
            f"18.0 C\nLisbon\nMonday, March 3, 2025\n\nStory {n}\n\n{body}.\n\n"
            "March 1, 2025 at 10:15AM\n\nby Example Wire(World)\n\nMost Popular Articles\n".encode()
        )
    return made


def test_a_trained_dictionary_packs_smaller_and_its_frames_name_it() -> None:
    samples = pages(300)
    made, saving = raw_dictionaries.train("text", samples, raw_dictionaries.FIRST_ID)
    assert made.id == raw_dictionaries.FIRST_ID and saving > raw_dictionaries.MIN_SAVING
    later = pages(20, seed=6)
    for data in later:
        packed = pack(data, made)
        assert packed.codec == ZSTD and packed.dictionary == made.id
        assert packed.size < pack(data).size
        assert dictionary_id(packed.data) == made.id
        assert unpack(packed.data, ZSTD, len(data), {made.id: made.data}.get) == data
    assert dictionary_id(pack(later[0]).data) == 0


def test_a_frame_whose_dictionary_is_missing_is_a_clear_error_and_null_in_sql() -> None:
    made, _ = raw_dictionaries.train("text", pages(300), raw_dictionaries.FIRST_ID)
    packed = pack(pages(1, seed=9)[0], made)
    with pytest.raises(RawCodecError, match="needs zstd dictionary 32768"):
        unpack(packed.data, ZSTD)
    with pytest.raises(RawCodecError, match="needs zstd dictionary 32768"):
        unpack(packed.data, ZSTD, None, {}.get)
    assert raw_bytes(packed.data, ZSTD) is None
    # The wrong dictionary under the right id: zstd refuses it, it does not guess.
    other, _ = raw_dictionaries.train("text", pages(300, seed=11), raw_dictionaries.FIRST_ID + 1)
    with pytest.raises(RawCodecError, match="damaged zstd data"):
        unpack(packed.data, ZSTD, None, {made.id: other.data}.get)


def test_samples_a_dictionary_cannot_help_give_a_marker_without_data(engine: Engine) -> None:
    noise = [random.Random(n).randbytes(400) for n in range(300)]
    made, saving = raw_dictionaries.train("html", noise, raw_dictionaries.FIRST_ID)
    assert saving < raw_dictionaries.MIN_SAVING
    with Session(engine) as session, session.begin():
        assert raw_dictionaries.add(session, made, len(noise), saving) is None
        assert raw_dictionaries.tried(session) == {"html"}
        assert raw_dictionaries.usable(session) == {}
        assert raw_dictionaries.next_id(session) == raw_dictionaries.FIRST_ID + 1
    with engine.connect() as connection:
        row = connection.execute(text("SELECT format, data, documents FROM raw_dictionaries"))
        assert row.one() == ("html", None, 300)


def test_too_few_samples_to_train_on_are_no_error() -> None:
    made, saving = raw_dictionaries.train("text", [b"a", b"b"], raw_dictionaries.FIRST_ID)
    assert saving == 0.0 and made.data == b""


def test_readers_find_a_stored_dictionary_by_the_id_its_frames_name(engine: Engine) -> None:
    samples = pages(300)
    made, saving = raw_dictionaries.train("text", samples, raw_dictionaries.FIRST_ID)
    with Session(engine) as session, session.begin():
        stored = raw_dictionaries.add(session, made, len(samples), saving)
        assert stored == made
        assert raw_dictionaries.usable(session) == {"text": made}
        assert raw_dictionaries.next_id(session) == made.id + 1
    packed = pack(samples[0], made)
    with Session(engine) as session:
        find = raw_dictionaries.lookup(session)
        assert find(made.id) == made.data and find(made.id + 5) is None
        assert unpack(packed.data, ZSTD, len(samples[0]), find) == samples[0]


@pytest.mark.sqlite_only(reason="raw_bytes() is a function of newsstore's SQLite connections")
def test_sql_raw_bytes_reads_a_frame_made_with_a_dictionary(db_url: str) -> None:
    """raw_bytes(raw, raw_codec) finds the dictionary in its own database, on any connection
    newsstore opens (the read-only one of `newsstore sql` and `serve` too)."""
    samples = pages(300)
    made, saving = raw_dictionaries.train("text", samples, raw_dictionaries.FIRST_ID)
    engine = make_engine(db_url)
    ensure_current(engine)
    with Session(engine) as session, session.begin():
        raw_dictionaries.add(session, made, len(samples), saving)
        for n, data in enumerate(samples[:3], start=1):
            session.execute(
                text(
                    "INSERT INTO documents (id, origin, sha256, size, raw, raw_codec, status)"
                    " VALUES (:id, :o, 'x', :size, :raw, 'zstd', 'ingested')"
                ),
                dict(id=n, o=f"/d/{n}", size=len(data), raw=pack(data, made).data),
            )
    engine.dispose()
    reader = make_engine(db_url, readonly=True)
    try:
        with reader.connect() as connection:
            two = connection.exec_driver_sql(
                "SELECT raw_bytes(raw, raw_codec) FROM documents ORDER BY id"
            ).scalars()
            assert list(two) == samples[:3]
            three = connection.exec_driver_sql(
                "SELECT raw_bytes(raw, raw_codec, size) FROM documents ORDER BY id"
            ).scalars()
            assert list(three) == samples[:3]
    finally:
        reader.dispose()


def test_the_zstd_tool_reads_a_frame_with_the_dictionary_stored() -> None:
    """What README tells a user of the plain sqlite3 shell: a frame and its dictionary's bytes
    are all zstd needs (here through the library the zstd tool is built on)."""
    made, _ = raw_dictionaries.train("text", pages(300), raw_dictionaries.FIRST_ID)
    data = pages(1, seed=3)[0]
    frame = pack(data, Dictionary(made.id, "text", made.data)).data
    dictionary = zstandard.ZstdCompressionDict(made.data)
    assert zstandard.ZstdDecompressor(dict_data=dictionary).decompress(frame) == data


def test_two_dictionaries_with_one_id_never_meet_in_one_process() -> None:
    """Two databases may each hold a dictionary 32768: packing for one after the other (one
    process writing to both) uses each one's own bytes."""
    first, _ = raw_dictionaries.train("text", pages(300, seed=1), raw_dictionaries.FIRST_ID)
    second, _ = raw_dictionaries.train("text", pages(300, seed=2), raw_dictionaries.FIRST_ID)
    assert first.id == second.id and first.data != second.data
    data = pages(1, seed=8)[0]
    for made in (first, second, first):
        packed = pack(data, made)
        assert unpack(packed.data, ZSTD, len(data), {made.id: made.data}.get) == data


def test_training_takes_the_first_documents_up_to_a_count_and_a_size() -> None:
    small = [b"x" * 100] * (raw_dictionaries.TRAIN_MAX + 5)
    assert len(raw_dictionaries.samples(small)) == raw_dictionaries.TRAIN_MAX
    large = [b"y" * (raw_dictionaries.TRAIN_BYTES // 3)] * 5
    assert len(raw_dictionaries.samples(large)) == 3
    huge = [b"z" * (raw_dictionaries.TRAIN_BYTES + 1), b"w"]
    assert raw_dictionaries.samples(iter(huge)) == huge[:1]  # one at least
