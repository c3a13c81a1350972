"""newsstore db copy: the whole database moved, ids and raw bytes kept, the target usable after."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ingest.cli import app
from tests.conftest import SEED, write


def test_copy_keeps_everything_and_the_target_works(
    runner: CliRunner, db_url: str, tmp_path: Path
) -> None:
    write(tmp_path / "in" / "a.txt", "A plain headline about Paris\n\nIt rained in Paris.\n")
    assert runner.invoke(app, ["ingest", str(SEED), str(tmp_path / "in")]).exit_code == 0
    target = tmp_path / "copy.db"
    copied = runner.invoke(app, ["db", "copy", "--to", str(target)])
    assert copied.exit_code == 0, copied.output
    assert "2 documents" in copied.stdout and "2 articles" in copied.stdout
    exports = [runner.invoke(app, ["--db", url, "export"]).stdout for url in (db_url, str(target))]
    assert exports[0] == exports[1] and exports[0].count("\n") == 2
    raw = runner.invoke(app, ["--db", str(target), "sql", "SELECT raw FROM documents WHERE id = 1"])
    assert raw.exit_code == 0
    hits = json.loads(
        runner.invoke(app, ["--db", str(target), "search", "Vladivostok", "--json"]).stdout
    )
    assert [h["article_id"] for h in hits] == [1]
    write(
        tmp_path / "more" / "b.txt",
        "Budget approved\n\nThe council approved the new budget on Tuesday.\n",
    )
    more = runner.invoke(app, ["--db", str(target), "ingest", str(tmp_path / "more")])
    assert more.exit_code == 0 and "1 new articles" in more.stdout
    again = runner.invoke(app, ["db", "copy", "--to", str(target)])
    assert again.exit_code == 1 and "already holds documents" in again.stderr
