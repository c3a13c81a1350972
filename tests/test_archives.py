"""ingest.archives: which files are web archives, their WARCs, and the parts workers read."""

from __future__ import annotations

import gzip
import io
import os
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from benchmarks.news_archive import news_page, write_crawl, write_wacz
from ingest import archives, pipeline
from ingest.archives import Warc, archive_kind, opened, parts, warcs
from tests.conftest import write

PAGES = [news_page(n) for n in range(12)]


def _crawl(*, gzip_records: bool = True) -> tuple[bytes, list[int]]:
    out = write_crawl(io.BytesIO(), PAGES, gzip=gzip_records, extras=False, revisits=0)
    assert isinstance(out.stream, io.BytesIO)
    return out.stream.getvalue(), [offset for *_, offset in out.records]


def _kind(path: Path) -> str | None:
    return archive_kind(str(path), os.stat(path))


def test_web_archives_are_told_by_their_content(tmp_path: Path) -> None:
    data, _ = _crawl()
    plain, _ = _crawl(gzip_records=False)
    assert _kind(write(tmp_path / "crawl.dat", data)) == "warc"
    assert _kind(write(tmp_path / "crawl.txt", plain)) == "warc"
    write_wacz(tmp_path / "site.zip", {"a.warc.gz": data})
    assert _kind(tmp_path / "site.zip") == "wacz"
    with zipfile.ZipFile(tmp_path / "other.wacz", "w") as other:
        other.writestr("word/document.xml", "<w/>")
    assert _kind(tmp_path / "other.wacz") is None  # a zip without WARC files
    assert _kind(write(tmp_path / "page.warc", "<html><title>No</title></html>")) is None
    assert _kind(write(tmp_path / "empty.warc.gz", b"")) is None
    assert _kind(write(tmp_path / "page.html.gz", gzip.compress(b"<html>"))) is None
    os.mkfifo(tmp_path / "fifo.warc")
    assert _kind(tmp_path / "fifo.warc") is None  # never opened: it would block


def test_parts_are_runs_of_records_cut_at_their_offsets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, offsets = _crawl()
    path = write(tmp_path / "crawl.warc.gz", data)
    (whole,) = parts(str(path), "warc", lambda name: None)
    assert whole.offsets == tuple(offsets) and whole.end == len(data) and whole.last
    monkeypatch.setattr(archives, "PART_RECORDS", 10)
    cut = list(parts(str(path), "warc", lambda name: None))
    assert [p.offsets for p in cut] == [tuple(offsets[i : i + 10]) for i in range(0, 37, 10)]
    assert [p.end for p in cut] == [offsets[10], offsets[20], offsets[30], len(data)]
    assert [p.last for p in cut] == [False, False, False, True]


def test_a_reingest_resumes_at_the_last_record_stored(tmp_path: Path) -> None:
    data, offsets = _crawl()
    path = write(tmp_path / "crawl.warc.gz", data)
    (warc,) = warcs(str(path), "warc")
    stored = archives.record_id_at(warc, offsets[30])
    assert stored is not None and stored.startswith("<urn:uuid:")
    (resumed,) = parts(str(path), "warc", {str(path): (offsets[30], stored)}.get)
    assert resumed.offsets == tuple(offsets[30:])
    # Not the archive read before (shorter, or another record there): read from the start.
    for left in (
        (len(data) + 5, None),
        (offsets[30], "<urn:uuid:another>"),
        (offsets[30] + 3, None),
    ):
        (whole,) = parts(str(path), "warc", {str(path): left}.get)
        assert whole.offsets[0] in (0, offsets[30] + 3)
    (replaced,) = parts(str(path), "warc", {str(path): (offsets[30], "<urn:uuid:x>")}.get)
    assert replaced.offsets == tuple(offsets)


def test_a_warc_gzipped_as_one_stream_is_one_part_read_whole(
    engine: Engine, tmp_path: Path
) -> None:
    plain, _ = _crawl(gzip_records=False)
    path = write(tmp_path / "crawl.warc.gz", gzip.compress(plain))
    (part,) = parts(str(path), "warc", lambda name: None)
    assert part.whole and part.last
    outcomes = list(pipeline.run(engine, [str(path)], workers=0))
    assert [o.status for o in outcomes].count("ingested") == 12
    with engine.connect() as connection:
        origins = connection.scalars(text("SELECT origin FROM documents")).all()
    assert all(origin.startswith(f"{path}#<urn:uuid:") for origin in origins)


@pytest.mark.parametrize("where", ["member", "header"])
def test_damage_is_found_where_it_is(tmp_path: Path, where: str) -> None:
    data, offsets = _crawl()
    at = offsets[7]
    if where == "member":  # bytes of a gzip member that do not inflate
        broken = data[: at + 40] + b"\xff" * 40 + data[at + 80 :]
    else:  # a member that inflates to no WARC header
        broken = data[:at] + gzip.compress(b"HTTP/1.1 200 OK\r\n\r\n") + data[at:]
    path = write(tmp_path / "broken.warc.gz", broken)
    found = list(parts(str(path), "warc", lambda name: None))
    assert found[0].offsets == tuple(offsets[:7]) and found[0].end == at
    assert found[-1].offsets == (at,) and found[-1].damage and found[-1].last


def test_a_record_too_large_to_skip_ends_what_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, offsets = _crawl()
    monkeypatch.setattr(archives, "MAX_RECORD", 5000)  # the pages' responses are larger
    path = write(tmp_path / "crawl.warc.gz", data)
    found = list(parts(str(path), "warc", lambda name: None))
    assert found[-1].offsets == (offsets[2],)
    assert found[-1].damage is not None and "more than any page" in found[-1].damage


def test_a_wacz_gives_its_warcs_stored_ones_read_in_place(tmp_path: Path) -> None:
    data, offsets = _crawl()
    path = tmp_path / "site.wacz"
    write_wacz(path, {"b.warc.gz": data, "a.warc.gz": data})
    found = warcs(str(path), "wacz")
    assert [w.member for w in found] == ["archive/a.warc.gz", "archive/b.warc.gz"]
    assert all(w.seekable and w.size == len(data) for w in found)
    with opened(found[1], offsets[3], offsets[5]) as stream:
        assert stream.read() == data[offsets[3] : offsets[5]]  # and not a byte past the end
    assert found[0].name == f"{path}!archive/a.warc.gz"


def test_odd_wacz_members_are_read_refused_or_named_safely(tmp_path: Path) -> None:
    data, _ = _crawl()
    path = tmp_path / "odd.wacz"
    with zipfile.ZipFile(path, "w") as wacz:
        wacz.writestr("archive/../../etc/x\n.warc.gz", data, zipfile.ZIP_STORED)
        wacz.writestr("archive/deflated.warc", _crawl(gzip_records=False)[0], zipfile.ZIP_DEFLATED)
        wacz.writestr(
            "archive/bomb.warc", b"WARC/1.1\r\n" + b"\0" * 30_000_000, zipfile.ZIP_DEFLATED
        )
    found = {w.member: w for w in warcs(str(path), "wacz")}
    assert found["archive/bomb.warc"].error is not None
    assert "zip bomb" in (found["archive/bomb.warc"].error or "")
    assert not found["archive/deflated.warc"].seekable
    assert found["archive/../../etc/x\n.warc.gz"].name.endswith("!archive/../../etc/x\\x0a.warc.gz")
    every = list(parts(str(path), "wacz", lambda name: None))
    deflated = [p for p in every if p.member == "archive/deflated.warc"]
    assert len(deflated) == 1 and len(deflated[0].offsets) == 37  # one part: never re-inflated
    assert [p.damage is not None for p in every if p.member == "archive/bomb.warc"] == [True]


def test_an_odd_wacz_ingests_what_it_can(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "odd.wacz"
    with zipfile.ZipFile(path, "w") as wacz:
        wacz.writestr("archive/deflated.warc", _crawl(gzip_records=False)[0], zipfile.ZIP_DEFLATED)
        wacz.writestr(
            "archive/bomb.warc", b"WARC/1.1\r\n" + b"\0" * 30_000_000, zipfile.ZIP_DEFLATED
        )
    outcomes = list(pipeline.run(engine, [str(path)], workers=0))
    statuses = [o.status for o in outcomes if o.status != "part"]
    assert statuses == ["failed"] + ["ingested"] * 12  # by name: bomb.warc first
    assert "zip bomb" in (outcomes[0].error or "")
    assert sum(o.files for o in outcomes) == 1


def test_a_bounded_stream_never_reads_past_its_end() -> None:
    stream = archives.Bounded(io.BytesIO(b"0123456789"), 0, 2, 6)  # type: ignore[arg-type]
    stream.file.seek(2)
    assert stream.read() == b"2345" and stream.tell() == 6 and stream.read() == b""


def test_an_unreadable_warc_is_one_failure(tmp_path: Path) -> None:
    warc = Warc(str(tmp_path / "gone.warc"), None, 0, 10, True)
    with pytest.raises(OSError), opened(warc, 0, 10):
        pass


def test_a_content_length_that_lies_is_damage_where_it_lands(tmp_path: Path) -> None:
    plain, offsets = _crawl(gzip_records=False)
    at = offsets[5]
    header_end = plain.index(b"\r\n\r\n", at)
    declared = plain.rindex(b"Content-Length: ", at, header_end)
    value_end = plain.index(b"\r\n", declared)
    length = int(plain[declared + 16 : value_end])
    lying = plain[:declared] + b"Content-Length: %d" % (length + 7) + plain[value_end:]
    found = list(parts(str(write(tmp_path / "lying.warc", lying)), "warc", lambda name: None))
    assert found[-1].damage is not None
    assert found[-1].offsets[0] > at  # where the lie lands, inside the next record
    assert found[0].offsets == tuple(offsets[:6])


def test_a_gzip_bomb_after_a_record_is_damage_found_at_once(tmp_path: Path) -> None:
    record = b"WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: 5\r\n\r\nhello\r\n\r\n"
    bomb = gzip.compress(record + b"\0" * 100_000_000)  # the record, then 100 MB more
    path = write(tmp_path / "bomb.warc.gz", gzip.compress(record) + bomb)
    found = list(parts(str(path), "warc", lambda name: None))
    assert [(p.offsets, p.damage is not None) for p in found] == [((0,), False), ((77,), True)]


def test_an_archive_that_cannot_be_read_fails_alone(tmp_path: Path) -> None:
    (part,) = parts(str(tmp_path / "gone.warc.gz"), "warc", lambda name: None)
    assert part.last and part.damage is not None and part.damage.startswith("cannot read: ")
