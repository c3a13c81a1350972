"""Rebuild ``ingest/places/data/demonyms.csv`` from the ``countryinfo`` package's data.

Why: the public geoparsing gold sets count adjectival uses of country names as toponyms
("Russian forces", "the Palestinians": 7% of LGL's gold, 10% and 16% of the two held-back
sets'), and users want to count either. newsstore records them as mentions of the country
with their own form (``location_mentions.form = 'adjective'``). The demonyms come from
``countryinfo`` (MIT; one JSON file per country with its ISO code and demonym), read
here rather than at run time: it is a tool for this script only. Each demonym gets its
plural where English forms one with -s ("Russians", "Israelis"; not "Chinese", "British").

    pip download --no-deps 'countryinfo>=1.0' && unzip countryinfo-*.whl -d countryinfo
    python .scripts/demonyms.py countryinfo/countryinfo/data > ingest/places/data/demonyms.csv
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path


def plural(demonym: str) -> str | None:
    """The plural English forms with -s, else None (Chinese, British, French, Swiss)."""
    if demonym.endswith(("an", "i", "ian", "ot", "ch", "er")) and not demonym.endswith("ch"):
        return demonym + "s"
    return None


def rows(folder: Path) -> list[tuple[str, str]]:
    """(surface, gazetteer id) for every demonym and its plural, one reading a surface.

    A demonym several countries share (American: the United States and the Northern
    Mariana Islands) names the most populous. Skipped: lists ('Antiguan, Barbudan',
    'Kittian and Nevisian') and demonyms that are the country's own name (Gibraltar).
    """
    claims: dict[str, list[tuple[int, str]]] = {}
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        code = (data.get("ISO") or {}).get("alpha2")
        demonym = (data.get("demonym") or "").strip()
        names = {data.get("name"), *(data.get("altSpellings") or [])}
        if not code or not demonym or not demonym[0].isupper() or demonym in names:
            continue
        if "," in demonym or " and " in demonym:
            continue
        population = int(data.get("population") or 0)
        for surface in (demonym, plural(demonym)):
            if surface:
                claims.setdefault(surface, []).append((population, code))
    return sorted((surface, f"iso3166-1:{max(c)[1]}") for surface, c in claims.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="countryinfo's data/ folder")
    args = parser.parse_args()
    sys.stdout.write(
        "# Demonyms of countries and their plurals, made by .scripts/demonyms.py from the\n"
        "# countryinfo package's data (MIT); do not edit by hand.\n"
    )
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["surface", "gazetteer_id"])
    out.writerows(rows(args.folder))


if __name__ == "__main__":
    main()
