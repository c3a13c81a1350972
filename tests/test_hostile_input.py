"""Hostile input: no file, name or worker can stop an ingest, hang it, or lose what it read.

Each test builds one family of what real crawls hold (special files, inflating
archives, odd names, bytes that are almost an encoding, a worker the kernel
kills) beside good files, runs ``newsstore ingest`` as a user would, and checks
the promise: the good files are stored, the bad one is a failed row with its
reason (its bytes kept where they could be read) and one line on stderr, no
traceback, no hang, and the documented exit status (0: all stored, 1: some
failed, 130: interrupted). The parsers' own families (dates, numbers, nesting
at their extremes) are fuzzed in ``tests/test_fuzz_parsers.py``; the
database's (paths, read-only files, locks, outputs) in ``tests/test_hostile_db.py``.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner, Result

from db.raw import unpack
from db.session import make_engine
from ingest.cli import app
from tests.conftest import SEED, write

GOOD = "A good headline\n\nA good paragraph about the harbour and its ferry.\n"


def _ingest(runner: CliRunner, *args: str | Path) -> Result:
    result = runner.invoke(app, ["ingest", *map(str, args)])
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def _errors(result: Result) -> dict[str, str]:
    """The files of the run's 'error: PATH: reason' lines, by name, with their reasons."""
    found = {}
    for line in result.stderr.splitlines():
        if line.startswith("error: /"):
            path, _, reason = line.removeprefix("error: ").partition(": ")
            found[Path(path).name] = reason
    return found


def _documents(db_url: str) -> dict[str, tuple[str, str | None, bytes]]:
    """Each stored document by file name: status, error, raw bytes."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT origin, status, error, raw, raw_codec FROM documents")
            )
            return {
                Path(r.origin).name: (r.status, r.error, unpack(r.raw, r.raw_codec)) for r in rows
            }
    finally:
        engine.dispose()


def _titles(db_url: str) -> list[str]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            return list(
                connection.execute(text("SELECT title FROM articles ORDER BY id")).scalars()
            )
    finally:
        engine.dispose()


# --- special files --------------------------------------------------------------------


def test_special_files_are_refused_unread(runner: CliRunner, db_url: str, tmp_path: Path) -> None:
    """A FIFO would block the run forever, /dev/zero fill memory: only regular files are read."""
    folder = tmp_path / "in"
    write(folder / "good.txt", GOOD)
    os.mkfifo(folder / "fifo.txt")
    (folder / "zero.txt").symlink_to("/dev/zero")
    (folder / "null.txt").symlink_to("/dev/null")
    listening = socket.socket(socket.AF_UNIX)
    short = Path("/tmp") / f"newsstore-{os.getpid()}.txt"  # socket paths are short
    listening.bind(str(short))
    try:
        result = _ingest(runner, folder, short, "--max-size", "1K")
    finally:
        listening.close()
        short.unlink()
    assert result.exit_code == 1
    assert _errors(result) == {
        "fifo.txt": "not a regular file: a FIFO (named pipe)",
        "null.txt": "not a regular file: a character device",
        "zero.txt": "not a regular file: a character device",
        short.name: "not a regular file: a socket",
    }
    stored = _documents(db_url)
    assert stored["good.txt"][0] == "ingested"
    assert {name: row[0] for name, row in stored.items() if name != "good.txt"} == dict.fromkeys(
        ("fifo.txt", "null.txt", "zero.txt", short.name), "failed"
    )
    assert "1 new articles" in result.stdout and "4 failed" in result.stdout


# --- archives that inflate ----------------------------------------------------------------


def test_inflating_files_are_bounded_by_max_size_in_memory_too(db_url: str, tmp_path: Path) -> None:
    """300 KB that unpack to 100-200 MB: refused at --max-size while unpacking, memory flat."""
    folder = tmp_path / "in"
    write(folder / "good.txt", GOOD)
    page = b"A headline\n\n" + b"word after word, " * 7_000_000  # 119 MB
    html = b"<html><body><h1>Title</h1><p>" + b"word after word, " * 12_000_000 + b"</p>"
    write(folder / "dump.txt.gz", gzip.compress(page, 9))
    write(folder / "page.html.gz", gzip.compress(html, 9))
    for name in ("dump.txt.gz", "page.html.gz"):
        assert (folder / name).stat().st_size < 1_000_000
    # The peak resident memory of the ingest and every process it starts, measured by
    # the kernel: in a process of its own, so that nothing else this test run did counts.
    measure = (
        "import resource, subprocess, sys; "
        "done = subprocess.run(sys.argv[1:]); "
        "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    command = [sys.executable, "-m", "ingest", "--db", db_url, "ingest", str(folder)]
    result = subprocess.run(
        [sys.executable, "-c", measure, *command, "--max-size", "1M", "--workers", "2"],
        capture_output=True,
        timeout=600,
    )
    status, peak_kib = map(int, result.stdout.decode().split()[-2:])
    assert status == 1, result.stderr.decode()
    assert peak_kib < 500 * 1024
    stored = _documents(db_url)
    for name in ("dump.txt.gz", "page.html.gz"):
        status_, error, raw = stored[name]
        assert status_ == "failed" and error is not None
        assert error.startswith("too large: gzip data unpacks to more than 1,048,576 bytes")
        assert raw == (folder / name).read_bytes()  # the bytes as they are on disk
    assert stored["good.txt"][0] == "ingested"


# --- names and paths ------------------------------------------------------------------------


def test_odd_file_names_are_stored_and_reported_on_one_line(
    runner: CliRunner, db_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    names = [
        os.fsdecode(b"latin-1 caf\xe9.txt"),  # not UTF-8: surrogate escapes in Python
        "new\nline.txt",
        "tab\tand #?%20&;'\".txt",
        "-starts-with-a-dash.txt",
        "é" * 100 + ".txt",  # 204 bytes of UTF-8
        " spaced .txt",
    ]
    for n, name in enumerate(names):
        write(folder / name, f"Headline {n}\n\nThe body of story {n}.\n")
    write(folder / os.fsdecode(b"broken \xff.txt"), b"")  # fails: its error names it
    result = _ingest(runner, folder)
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "broken \\xff.txt: empty file" in lines[0]
    assert "6 new articles" in result.stdout
    origins = set(_documents(db_url))
    assert "latin-1 caf\\xe9.txt" in origins and "new\nline.txt" in origins
    again = _ingest(runner, folder)  # and each is recognised on a rerun
    assert "6 unchanged" in again.stdout


def test_a_name_with_a_newline_is_reported_on_one_line(
    runner: CliRunner, db_url: str, tmp_path: Path
) -> None:
    bad = write(tmp_path / "two\nlines.txt", b"\x00\x01 binary")
    result = _ingest(runner, bad)
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if "lines.txt" in line]
    assert lines == [f"error: {tmp_path}/two\\nlines.txt: binary content (NUL bytes), not text"]


def test_the_same_file_named_twice_is_ingested_once(
    runner: CliRunner, db_url: str, tmp_path: Path
) -> None:
    good = write(tmp_path / "in" / "good.txt", GOOD)
    result = _ingest(runner, good, tmp_path / "in", good, f"{tmp_path}/in/../in/good.txt")
    assert result.exit_code == 0, result.output
    assert "1 files: 1 new articles" in result.stdout
    assert list(_documents(db_url)) == ["good.txt"]


def test_missing_paths_and_folders_that_cannot_be_listed_fail_with_their_reason(
    runner: CliRunner, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "in"
    write(folder / "good.txt", GOOD)
    locked = folder / "locked"
    write(locked / "hidden.txt", GOOD)
    real_scandir, real_open = os.scandir, os.open

    def refusing(path: object, *args: object) -> object:
        # What a folder without read permission does (tests may run as root, whom
        # permissions do not stop).
        if str(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(path))
        return (real_open if args else real_scandir)(path, *args)  # type: ignore[operator]

    monkeypatch.setattr(os, "scandir", refusing)
    monkeypatch.setattr(os, "open", refusing)
    result = _ingest(runner, folder, tmp_path / "missing.txt")
    assert result.exit_code == 1
    assert _errors(result) == {
        "locked": "permission denied (a folder that cannot be listed)",
        "missing.txt": "no such file",
    }
    assert _documents(db_url)["good.txt"][0] == "ingested"


# --- encodings -----------------------------------------------------------------------------


def test_a_stray_byte_does_not_change_a_files_encoding(
    runner: CliRunner, db_url: str, tmp_path: Path
) -> None:
    records = [{"title": f"Café {n}", "text": f"Le café numéro {n}."} for n in range(50)]
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    cut = data.index("numéro 20".encode()) + 3  # in the middle of a record's text
    write(tmp_path / "in" / "cafes.jsonl", data[:cut] + b"\x93" + data[cut:])
    seed = SEED.read_bytes()
    at = seed.index("“".encode())
    write(tmp_path / "in" / "seed.txt", seed[:at] + b"\xfe" + seed[at:])
    result = _ingest(runner, tmp_path / "in")
    assert result.exit_code == 0, result.output  # bytes replaced are noted, nothing failed
    titles = _titles(db_url)
    assert sum(t.startswith("Café ") for t in titles) == 50 and not any("Ã" in t for t in titles)
    stored = _documents(db_url)
    assert stored["seed.txt"][0] == "ingested"
    assert "1 invalid utf-8 byte replaced by U+FFFD" in (stored["seed.txt"][1] or "")
    assert "warning: " in result.stderr and "seed.txt: 1 invalid utf-8 byte replaced" in (
        result.stderr
    )
    engine = make_engine(db_url)
    with engine.connect() as connection:
        body = connection.execute(
            text("SELECT group_concat(text, ' ') FROM paragraphs")
            if engine.dialect.name == "sqlite"
            else text("SELECT string_agg(text, ' ') FROM paragraphs")
        ).scalar()
    engine.dispose()
    assert "“" in body and "‚Äú" not in body and "â€œ" not in body


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_unicode_with_a_byte_order_mark_is_text(
    runner: CliRunner, db_url: str, tmp_path: Path, codec: str
) -> None:
    data = "Une manchette\n\nUn paragraphe sur le café du port.\n".encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    write(tmp_path / "a.txt", data)
    result = _ingest(runner, tmp_path / "a.txt")
    assert result.exit_code == 0, result.output
    assert _titles(db_url) == ["Une manchette"]


# --- records with values at their extremes -------------------------------------------------


def test_dates_and_numbers_at_their_extremes_cost_nothing_else(
    runner: CliRunner, db_url: str, tmp_path: Path
) -> None:
    """One record's impossible date or huge number once stopped the whole run, every rerun."""
    folder = tmp_path / "in"
    write(folder / "good.txt", GOOD)
    records = [
        {"title": "Far future", "text": "Body.", "published_at": "9999-12-31T23:00:00-05:00"},
        {"title": "Year zero", "text": "Body.", "published_at": "0000-01-01T00:00:00Z"},
        {"title": "A plain record", "text": "Its body."},
    ]
    lines = [json.dumps(r) for r in records]
    lines.append('{"title": "Huge number", "text": "Body.", "n": ' + "9" * 5000 + "}")
    write(folder / "records.jsonl", "\n".join(lines) + "\n")
    items = "".join(
        f"<item><title>Item {n}</title><description>Text {n}.</description>"
        f"<pubDate>{date}</pubDate></item>"
        for n, date in enumerate(
            ["Fri, 31 Dec 9999 23:59:59 -0500", "Sat, 01 Jan 0000 00:00:00 GMT", "99 Foo 99999"]
        )
    )
    write(
        folder / "feed.rss", f'<rss version="2.0"><channel><title>F</title>{items}</channel></rss>'
    )
    result = _ingest(runner, folder)
    assert "Traceback" not in result.stderr
    titles = set(_titles(db_url))
    assert {"A good headline", "A plain record", "Item 0", "Item 1", "Item 2"} <= titles
    assert {name: row[0] for name, row in _documents(db_url).items()} == dict.fromkeys(
        ("good.txt", "records.jsonl", "feed.rss"), "ingested"
    )
    again = _ingest(runner, folder)  # and the rerun is not stopped either
    assert again.exit_code == result.exit_code and "3 unchanged" in again.stdout


# --- bugs and dying workers ----------------------------------------------------------------

# ``newsstore`` whose worker dies (as the out-of-memory killer kills) on one file: always,
# or only the first time (a worker killed from outside, which a second try survives).
_KILLING = """
import os, signal, sys
from pathlib import Path
from ingest import prepare
from ingest.cli import main

victim, once = sys.argv.pop(1), sys.argv.pop(1)
real = prepare.read_and_prepare

def dying(origin, max_size, homes=None, dictionaries=None):
    if origin.endswith(victim) and not (once and Path(once).exists()):
        if once:
            Path(once).touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return real(origin, max_size, homes, dictionaries)

prepare.read_and_prepare = dying
sys.argv[0] = "newsstore"
main()
"""


@pytest.mark.parametrize("always", [True, False])
def test_a_worker_that_dies_is_noticed(db_url: str, tmp_path: Path, always: bool) -> None:
    folder = tmp_path / "in"
    for n in range(100):
        write(folder / f"{n:03d}.txt", f"Story {n}\n\nThe body of story {n}, at the harbour.\n")
    once = "" if always else str(tmp_path / "killed")
    done = subprocess.run(
        [sys.executable, "-c", _KILLING, "042.txt", once, "--db", db_url, "ingest", str(folder)],
        capture_output=True,
        timeout=600,
    )
    err = done.stderr.decode()
    assert done.returncode == 1 and "Traceback" not in err
    assert "a worker process died" in err
    stored = _documents(db_url)
    assert len(stored) == 100
    failed = {name for name, (status, *_) in stored.items() if status == "failed"}
    assert failed == ({"042.txt"} if always else set())
    if always:
        assert "042.txt: the process preparing it died (killed by SIGKILL" in err
        assert stored["042.txt"][2] == (folder / "042.txt").read_bytes()


def test_a_bug_fails_one_document_and_says_it_is_a_bug(
    runner: CliRunner, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest import fingerprint

    real = fingerprint.fingerprint

    def buggy(article: object) -> object:
        if article.title == "Poison":  # type: ignore[attr-defined]
            raise ZeroDivisionError("division by zero")
        return real(article)  # type: ignore[arg-type]

    monkeypatch.setattr("ingest.prepare.fingerprint", buggy)
    write(tmp_path / "in" / "a.txt", GOOD)
    write(tmp_path / "in" / "b.txt", "Poison\n\nA paragraph that trips a bug.\n")
    monkeypatch.setenv("NEWSSTORE_DEBUG", "1")
    # In this process (--workers 0): the traceback of a worker goes to the terminal,
    # out of the test runner's reach.
    result = runner.invoke(app, ["ingest", str(tmp_path / "in"), "--workers", "0"])
    assert result.exit_code == 1
    assert _errors(result)["b.txt"] == "internal error: ZeroDivisionError: division by zero"
    assert "Traceback (most recent call last)" in result.stderr  # asked for, with the variable
    assert _documents(db_url)["a.txt"][0] == "ingested"
