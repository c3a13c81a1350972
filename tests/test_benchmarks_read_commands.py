"""benchmarks/read_commands.py: every command it times runs, on a store of a few pages."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from benchmarks.million import Pages
from benchmarks.read_commands import commands, measure
from ingest import pipeline
from ingest.read import iter_paths


def test_every_read_command_runs_and_is_timed(tmp_path: Path, db_url: str, engine: Engine) -> None:
    Pages(5).write(tmp_path / "pages", 0, 12)
    list(pipeline.run(engine, iter_paths([str(tmp_path / "pages")])))
    times = measure(db_url, repeat=1)  # a command that fails stops the benchmark
    assert list(times) == list(commands(db_url, tmp_path, 1))
    for walls, cpus in times.values():
        assert len(walls) == len(cpus) == 1 and walls[0] > 0
