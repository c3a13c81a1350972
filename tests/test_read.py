"""Reading files and decoding them without losing a byte."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import pytest

from ingest.errors import ReadError
from ingest.read import iter_paths, origin_text, read_document
from tests.conftest import write


def test_folders_are_walked_for_txt_files_in_sorted_order(tmp_path: Path) -> None:
    write(tmp_path / "b" / "2.txt", "x")
    write(tmp_path / "b" / "1.TXT", "x")
    write(tmp_path / "a.txt", "x")
    write(tmp_path / "notes.md", "x")
    found = [Path(p).relative_to(tmp_path).as_posix() for p in iter_paths([str(tmp_path)])]
    assert found == ["a.txt", "b/1.TXT", "b/2.txt"]


def test_origins_are_absolute_and_normalized(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "in" / "a.txt", "x")
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    assert list(iter_paths(["../in"])) == [str(tmp_path / "in" / "a.txt")]


def test_explicit_files_and_stdin_are_taken_as_given(tmp_path: Path) -> None:
    notes = write(tmp_path / "notes.md", "x")
    assert list(iter_paths([str(notes), "-"])) == [str(notes), "-"]


def test_raw_bytes_are_kept_exactly(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbfTitle\r\n\r\nBody \xe2\x80\x9cquoted\xe2\x80\x9d.  \r\n"
    raw = read_document(str(write(tmp_path / "a.txt", data)))
    assert raw.raw == data and raw.size == len(data)
    assert raw.sha256 == hashlib.sha256(data).hexdigest()


def test_missing_file_and_folder_are_read_errors(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="no such file"):
        read_document(str(tmp_path / "missing.txt"))
    (tmp_path / "folder.txt").mkdir()
    with pytest.raises(ReadError, match="folder"):
        read_document(str(tmp_path / "folder.txt"))


# --- hostile paths and files: read only regular files, never more than the limit ----------


def test_only_regular_files_are_read(tmp_path: Path) -> None:
    """A FIFO would block forever and /dev/zero never ends; both report a size of 0."""
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.txt"
    zero.symlink_to("/dev/zero")
    with pytest.raises(ReadError, match="not a regular file: a FIFO"):
        read_document(str(fifo))
    with pytest.raises(ReadError, match="not a regular file: a character device"):
        read_document(str(zero), max_size=10)


def test_a_read_never_takes_more_than_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the size said: a file that grows between stat and read is still cut short."""
    big = write(tmp_path / "big.txt", b"x" * 5000)
    real_fstat = os.fstat

    def shrunk(fd: int) -> os.stat_result:
        found = real_fstat(fd)
        return os.stat_result((found.st_mode, *found[1:6], 10, *found[7:]))  # st_size = 10

    reads: list[int] = []
    real_read = os.read

    def counted(fd: int, n: int) -> bytes:
        reads.append(n)
        return real_read(fd, n)

    monkeypatch.setattr(os, "fstat", shrunk)
    monkeypatch.setattr(os, "read", counted)
    with pytest.raises(ReadError, match="too large: more than 1,000 bytes"):
        read_document(str(big), max_size=1000)
    assert sum(reads) <= 1001


def test_a_path_named_twice_is_given_once(tmp_path: Path) -> None:
    a = write(tmp_path / "in" / "a.txt", "x")
    found = list(iter_paths([str(a), str(tmp_path / "in"), str(a), "-", "-"]))
    assert found == [str(a), "-"]


def test_a_folder_that_cannot_be_listed_is_given_to_be_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "in" / "a.txt", "x")
    locked = tmp_path / "in" / "locked"
    write(locked / "b.txt", "x")
    real_scandir = os.scandir

    def refusing(path: object) -> object:  # what a folder without read permission does
        if str(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "scandir", refusing)
    assert list(iter_paths([str(tmp_path / "in")])) == [str(tmp_path / "in" / "a.txt"), str(locked)]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads folders whatever their permissions")
def test_reading_a_folder_that_cannot_be_listed_says_so(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0)
    try:
        with pytest.raises(ReadError, match="permission denied"):
            read_document(str(locked))
    finally:
        locked.chmod(0o700)


def test_file_names_that_are_not_utf8_are_read_and_stored_as_escaped_text(
    tmp_path: Path,
) -> None:
    name = os.fsdecode(b"caf\xe9 \xff.txt")  # surrogate escapes, as os.listdir gives them
    path = str(tmp_path / name)
    write(Path(path), "x")
    raw = read_document(path)
    assert raw.origin == str(tmp_path) + "/caf\\xe9 \\xff.txt"
    assert raw.origin.encode("utf-8")  # storable and printable
    assert origin_text(str(tmp_path / "plain é.txt")) == str(tmp_path / "plain é.txt")
    assert origin_text("/in/\ud800.txt") == "/in/\\ud800.txt"  # a lone surrogate, not a byte


def test_a_tree_deeper_than_pythons_recursion_limit_is_walked(tmp_path: Path) -> None:
    fd = os.open(tmp_path, os.O_RDONLY)
    for _ in range(1100):  # os.walk recurses once per level: 1,000 is Python's limit
        os.mkdir("d", dir_fd=fd)
        inner = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    with os.fdopen(os.open("deep.txt", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "w") as file:
        file.write("x")
    os.close(fd)
    try:
        (found,) = iter_paths([str(tmp_path)])
        assert found == str(tmp_path) + "/d" * 1100 + "/deep.txt"
    finally:  # shutil.rmtree, which pytest cleans up with, recurses too
        deepest = str(tmp_path) + "/d" * 1100
        os.unlink(deepest + "/deep.txt")
        while deepest != str(tmp_path):
            os.rmdir(deepest)
            deepest = os.path.dirname(deepest)


def test_paths_no_file_can_have_are_read_errors() -> None:
    with pytest.raises(ReadError, match="no such file"):
        read_document("")
    assert list(iter_paths([""])) == [""]  # not the current folder
    with pytest.raises(ReadError, match="cannot read: embedded null"):
        read_document("/tmp/a\x00b.txt")
    with pytest.raises(ReadError, match="cannot read: File name too long"):
        read_document("/tmp/" + "x" * 5000)


def test_a_closed_standard_input_is_a_read_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", None)
    with pytest.raises(ReadError, match="standard input is closed"):
        read_document("-")
