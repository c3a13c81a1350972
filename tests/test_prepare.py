"""The barrier around each document: whatever goes wrong preparing one fails that one alone."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ingest import prepare
from ingest.parse import layouts
from ingest.records import RawDocument
from tests.conftest import write


def _raw(data: bytes) -> RawDocument:
    return RawDocument(origin="/in/a.txt", raw=data, sha256=hashlib.sha256(data).hexdigest())


def test_a_rejection_keeps_its_reason() -> None:
    failed = prepare.prepare(_raw(b"   \n"))
    assert (failed.error, failed.reason, failed.articles) == ("empty file", "not text", ())


def test_an_unexpected_exception_fails_the_document_as_an_internal_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(document: object) -> object:
        raise OverflowError("date value out of range")

    monkeypatch.setattr(layouts, "parse", broken)
    monkeypatch.delenv("NEWSSTORE_DEBUG", raising=False)
    failed = prepare.prepare(_raw(b"A headline\n\nA paragraph.\n"))
    assert failed.reason == "internal error"
    assert failed.error == "internal error: OverflowError: date value out of range"
    assert failed.raw.raw == b"A headline\n\nA paragraph.\n"  # nothing lost
    assert capsys.readouterr().err == ""


def test_newsstore_debug_prints_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(document: object) -> object:
        raise KeyError("missing")

    monkeypatch.setattr(layouts, "parse", broken)
    monkeypatch.setenv("NEWSSTORE_DEBUG", "1")
    failed = prepare.prepare(_raw(b"A headline\n\nA paragraph.\n"))
    assert failed.error == "internal error: KeyError: 'missing'"
    err = capsys.readouterr().err
    assert (
        "newsstore: traceback for /in/a.txt:" in err and "Traceback (most recent call last)" in err
    )


def test_reading_is_behind_the_barrier_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "a.txt", "A headline\n\nA paragraph.\n")

    def broken(origin: str, max_size: int) -> object:
        raise RuntimeError("the disk said something odd")

    monkeypatch.setattr(prepare, "read_document", broken)
    failed = prepare.read_and_prepare(str(path))
    assert failed.reason == "internal error" and failed.raw.origin == str(path)
    assert failed.error == "internal error: RuntimeError: the disk said something odd"
