"""A per-user cache for data that is slow to make and can be kept between runs.

Why: ingest runs are short processes, and some of their start-up work (decoding the
gazetteer's package data, building the gazetteer) gives the same result on every run
until something it depends on changes. That result is written to
``$XDG_CACHE_HOME/newsstore`` (``~/.cache/newsstore`` when the variable is unset or
not absolute) and read back by later runs.

Why marshal: it reads built-in values back in a few hundredths of a second and, unlike
pickle, cannot run code: loading a file makes values and calls nothing (pickle calls
whatever the file names), so a file planted in the cache directory could at worst give
wrong data. Callers turn their objects into built-in values (tuples, dicts, strings,
numbers) before writing and back after reading.

Why a file can be trusted: each file is written under a *key*, a tuple of strings
naming everything its content depends on (package versions, digests of the code and
data that made it); this module adds the Python version (marshal's format is per
version) and a digest of its own source. The file's name carries a digest of the key,
and the key itself is stored in the file and compared on reading, so a change to any of
it means another file. Files are written to a temporary name and renamed into place, so
readers never see half a file; a file that is missing, truncated, not marshal data or of
another key reads as nothing, and the caller makes the data again and rewrites it.
Without a writable cache directory nothing is cached and nothing fails.

Why names carry the installation: the file name also carries a digest of ``sys.prefix``
and of this module's path, so that virtualenvs and checkouts sharing one home directory
keep their own files rather than replacing each other's on every run.

``hashlib`` and ``tempfile`` are imported in the functions that use them (as callers
import ``importlib.metadata`` in theirs): their imports are start-up time, and a run
that reads the cache never needs ``tempfile``.
"""

from __future__ import annotations

import marshal
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

#: The directory under the user's cache directory that holds our files.
DIRECTORY = "newsstore"


def remembered(
    name: str,
    key: tuple[str, ...] | None,
    make: Callable[[], T],
    freeze: Callable[[T], Any],
    thaw: Callable[[object], T | None],
) -> T:
    """``make()``, or what an earlier run made under ``key``, read back from the cache.

    ``freeze`` turns the result into built-in values for the file and ``thaw`` turns
    a payload back (None for one of another shape, which is then made afresh). With
    ``key`` None (its parts could not be read) nothing is read or written.
    """
    if key is not None:
        cached = thaw(read(name, key))
        if cached is not None:
            return cached
    made = make()
    if key is not None:
        write(name, key, freeze(made))
    return made


def read(name: str, key: tuple[str, ...]) -> object | None:
    """The payload written under ``name`` and ``key``, or None when there is none.

    None also for a file that cannot be read, is not marshal data, is not of our
    shape or was written under another key: the caller then makes the data afresh.
    The payload is only built-in values; checking its shape is the caller's business.
    """
    full_key = _full_key(key)
    file = _file(name, full_key)
    if file is None:
        return None
    try:
        stored = marshal.loads(file.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not (isinstance(stored, tuple) and len(stored) == 2 and stored[0] == full_key):
        return None
    payload: object = stored[1]
    return payload


def write(name: str, key: tuple[str, ...], payload: Any) -> None:
    """Store ``payload`` under ``name`` and ``key``, atomically.

    ``payload`` must be made of the types marshal knows (tuples, lists, dicts, sets,
    strings, bytes, numbers, booleans, None); marshal raises ValueError for others.

    Files of the same name that this installation wrote under other keys are removed:
    they are of older versions and would only fill the directory. Nothing happens
    when no cache directory can be made or written; the next run makes the data again.
    """
    full_key = _full_key(key)
    file = _file(name, full_key)
    if file is None or full_key is None:
        return
    data = marshal.dumps((full_key, payload))
    import tempfile  # only here: its import costs every run that just reads the cache

    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, file)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        return
    try:
        for stale in file.parent.glob(f"{name}-{_installation()}-*.marshal"):
            if stale != file:
                stale.unlink(missing_ok=True)
    except OSError:
        pass


def path(name: str, key: tuple[str, ...]) -> Path | None:
    """The file for ``name`` and ``key`` in this installation (None: no cache directory)."""
    return _file(name, _full_key(key))


def _file(name: str, full_key: tuple[str, ...] | None) -> Path | None:
    """The file for a full key (see ``_full_key``; None: no cache).

    ``name`` is a plain file-name prefix ('gazetteer'); the digests of the installation
    and of the key follow it, so that ``write`` can find the name's older files.
    """
    if full_key is None:
        return None
    xdg_cache = os.environ.get("XDG_CACHE_HOME", "")
    try:  # a relative XDG_CACHE_HOME is invalid by the spec and ignored
        root = Path(xdg_cache) if os.path.isabs(xdg_cache) else Path.home() / ".cache"
    except RuntimeError:  # no home directory
        return None
    return root / DIRECTORY / f"{name}-{_installation()}-{digest(*full_key)}.marshal"


def digest(*parts: str) -> str:
    """A short digest of some strings, for file names."""
    import hashlib  # start-up time: see the module docstring

    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def file_digest(file: str | Path) -> str:
    """The SHA-256 of a file's bytes, for keys: a source or data file that made a payload.

    Raises OSError when the file cannot be read; callers then cache nothing.
    """
    import hashlib  # start-up time: see the module docstring

    return hashlib.sha256(Path(file).read_bytes()).hexdigest()


def _full_key(key: tuple[str, ...]) -> tuple[str, ...] | None:
    """The caller's key and what every file depends on: marshal's format and ours.

    None when this module's source cannot be read: then nothing is cached.
    """
    try:
        own = file_digest(__file__)
    except OSError:
        return None
    return (
        f"python {sys.implementation.cache_tag} marshal {marshal.version}",
        f"cache {own}",
        *key,
    )


def _installation() -> str:
    return digest(sys.prefix, __file__)
