"""``python -m ingest`` runs the newsstore CLI."""

from ingest.cli import main

main()
