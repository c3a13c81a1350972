"""The user cache (ingest.places.user_cache): marshal files keyed by what made them."""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest

from ingest.places import user_cache

KEY = ("thing 1.0", "maker abc")
PAYLOAD = (("a", 1, 2.5, None, True), {"b": ("c",)}, [1, 2], b"bytes")


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "newsstore"


def test_a_payload_is_read_back_under_its_name_and_key(cache_dir: Path) -> None:
    assert user_cache.read("thing", KEY) is None  # nothing written yet
    user_cache.write("thing", KEY, PAYLOAD)
    assert user_cache.read("thing", KEY) == PAYLOAD
    (file,) = cache_dir.iterdir()  # no temporary file left behind
    assert file == user_cache.path("thing", KEY)
    assert file.name.startswith("thing-") and file.suffix == ".marshal"
    assert user_cache.read("other", KEY) is None
    assert user_cache.read("thing", ("thing 2.0", "maker abc")) is None


def test_a_damaged_file_reads_as_nothing_and_is_rewritten(cache_dir: Path) -> None:
    user_cache.write("thing", KEY, PAYLOAD)
    file = user_cache.path("thing", KEY)
    assert file is not None
    good = file.read_bytes()
    for damaged in (good[: len(good) // 2], b"not marshal data", b"", marshal.dumps([1, 2, 3])):
        file.write_bytes(damaged)
        assert user_cache.read("thing", KEY) is None
        user_cache.write("thing", KEY, PAYLOAD)
        assert user_cache.read("thing", KEY) == PAYLOAD


def test_the_key_is_stored_in_the_file_and_compared(cache_dir: Path) -> None:
    user_cache.write("thing", KEY, PAYLOAD)
    file, impostor = user_cache.path("thing", KEY), user_cache.path("thing", ("other",))
    assert file is not None and impostor is not None and impostor != file
    impostor.write_bytes(file.read_bytes())  # the right name is not enough
    assert user_cache.read("thing", ("other",)) is None


def test_the_python_and_marshal_versions_are_part_of_every_key(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = user_cache.path("thing", KEY)
    monkeypatch.setattr(marshal, "version", marshal.version + 1)
    assert user_cache.path("thing", KEY) != file


def test_writing_drops_this_installations_older_files_of_the_name(cache_dir: Path) -> None:
    user_cache.write("thing", ("old",), PAYLOAD)
    user_cache.write("other", ("old",), PAYLOAD)
    elsewhere = cache_dir / "thing-0123456789abcdef-0123456789abcdef.marshal"
    elsewhere.write_bytes(b"another installation's")
    user_cache.write("thing", KEY, PAYLOAD)
    assert user_cache.read("thing", ("old",)) is None
    assert user_cache.read("other", ("old",)) == PAYLOAD
    assert elsewhere.exists()
    assert len(list(cache_dir.iterdir())) == 3


def test_without_a_cache_directory_nothing_is_cached_and_nothing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(not_a_directory))
    user_cache.write("thing", KEY, PAYLOAD)
    assert user_cache.read("thing", KEY) is None


def test_a_relative_xdg_cache_home_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    file = user_cache.path("thing", KEY)
    assert file is not None and file.parent == tmp_path / ".cache" / "newsstore"
