"""Which articles a read is about: typed filters that write their own SQL, inside db/ only.

The CLI's ``--source``, ``--since``, ``--until``, ``--place`` and ``--kind``,
and a Python caller, build an ``ArticleFilters``; ``db.search``,
``db.export`` and ``db.queries.top_places`` take it. The SQL it writes is
over the aliases those queries share: ``articles a`` and ``sources s`` (and
``paragraphs p`` for the kind), which no caller outside db/ needs to know.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

# A clause that lets every row through, for a filter that is not set.
EVERYTHING = "1 = 1"


@dataclass(frozen=True)
class ArticleFilters:
    """Which articles may match. All are optional and combine with AND.

    ``kind`` is the kind of paragraph full-text search looks in (search only:
    an export or a count of places is about whole articles).
    """

    source: str | None = None
    since: date | None = None
    until: date | None = None  # inclusive
    place: str | None = None  # a place name, or an ISO country code
    kind: str | None = "body"  # paragraph kind searched; None searches every kind

    def where(self, params: dict[str, Any]) -> str:
        """A WHERE clause over ``articles a`` (``sources s`` may be joined); fills ``params``.

        The parameters are named after the filters (``source``, ``since``,
        ``until``, ``place``): a query that adds its own must use other names.
        """
        clauses = []
        if self.source:
            # By id, so that the articles' index on source_id serves it.
            clauses.append(
                "a.source_id IN (SELECT id FROM sources WHERE lower(name) = lower(:source))"
            )
            params["source"] = self.source
        if self.since:
            clauses.append("a.published_at >= :since")
            params["since"] = self.since.isoformat()
        if self.until and self.until < date.max:  # on or before the last day: no bound
            # Before the next day: published_at holds a time of day too.
            clauses.append("a.published_at < :until")
            params["until"] = (self.until + timedelta(days=1)).isoformat()
        if self.place:
            clauses.append(
                "EXISTS (SELECT 1 FROM article_locations al "
                "JOIN locations l ON l.id = al.location_id "
                "WHERE al.article_id = a.id AND (lower(l.name) = lower(:place) "
                "OR l.country_code = upper(:place)))"
            )
            params["place"] = self.place
        return " AND ".join(clauses) if clauses else EVERYTHING

    def paragraph_where(self, params: dict[str, Any]) -> str:
        """A WHERE clause over ``paragraphs p``: the kind searched; fills ``params['kind']``."""
        if not self.kind:
            return EVERYTHING
        params["kind"] = self.kind
        return "p.kind = :kind"
