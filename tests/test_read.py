"""Reading files and decoding them without losing a byte."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ingest.errors import ReadError
from ingest.read import decode_bytes, iter_paths, read_document
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


@pytest.mark.parametrize(
    ("data", "text", "encoding"),
    [
        (b"Plain ASCII", "Plain ASCII", "utf-8"),
        ("£5 for café".encode(), "£5 for café", "utf-8"),
        (b"\xef\xbb\xbfWith a BOM", "With a BOM", "utf-8-sig"),
        (
            "Fee of £15.8m for the striker, the club said today.".encode("latin-1"),
            "Fee of £15.8m for the striker, the club said today.",
            "cp1252",
        ),
        (
            "He said “it will be fine” – then left the building without a word.".encode("cp1252"),
            "He said “it will be fine” – then left the building without a word.",
            "cp1252",
        ),
    ],
)
def test_decoding(data: bytes, text: str, encoding: str) -> None:
    assert decode_bytes(data) == (text, encoding)


def test_cyrillic_in_a_legacy_encoding_is_guessed() -> None:
    sentence = "Правительство России объявило о новых мерах поддержки экономики страны. " * 3
    text, encoding = decode_bytes(sentence.encode("cp1251"))
    assert text == sentence
    assert encoding.replace("_", "").lower() in {"cp1251", "windows1251"}
