"""The ids of sources and places: looked up or created on first sight, and remembered.

Every article names a source and places by what they are (a name, a
gazetteer record); its rows hold their ids. Looking each up for every article
would cost a query per name, so the ids a writer has met are kept in
``KnownIds`` and carried from one transaction to the next.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from sqlalchemy import insert, select, update
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Session

from db.models import Location, Source
from ingest.places.gazetteer import Place
from ingest.store.sql import new_id


@dataclass
class KnownIds:
    """Ids of the sources and places a writer has met, carried from one transaction to the next.

    Without them every batch would look each of its sources and places up
    again. A ``Store`` works on its own copy (``Store.known``); the caller
    keeps that copy only once the transaction has committed, because ids
    made in a transaction that is rolled back are gone.
    """

    sources: dict[str, tuple[int, bool]] = field(default_factory=dict)  # name -> id, has category
    locations: dict[str, int] = field(default_factory=dict)  # place_key -> id

    def copy(self) -> KnownIds:
        return KnownIds(dict(self.sources), dict(self.locations))


def place_key(place: Place) -> str:
    """What finds a place's row: its gazetteer id, else its name, kind and country code.

    The one identity of a place for the store: ``Ids.place`` looks rows up and
    caches them by it, and ``ingest.store.form`` names places by it, so a
    place whose gazetteer record gained better coordinates is still the place
    its row was made for.
    """
    return place.gazetteer_id or f"{place.name}|{place.kind}|{place.country_code}"


def place_values(place: Place) -> dict[str, object]:
    """A place as ``locations`` column values: the dataclass mirrors the table."""
    return dataclasses.asdict(place)


class Ids:
    """Source and place ids for one session, cached in ``known``."""

    def __init__(self, session: Session, known: KnownIds | None = None) -> None:
        self.session = session
        self.known = known.copy() if known is not None else KnownIds()

    def forget(self) -> None:
        """Drop the caches: ids made inside a rolled-back savepoint are gone."""
        self.known = KnownIds()

    def source(self, name: str | None, category: str | None) -> int | None:
        """The id of the source called ``name``, created on first sight.

        A source keeps the first category read for it; one stored without a
        category gains the first one read later.
        """
        if not name:
            return None
        known = self.known.sources.get(name)
        if known is not None and (known[1] or not category):
            return known[0]
        row = self.session.execute(
            select(Source.id, Source.category).where(Source.name == name)
        ).first()
        if row is None:
            source_id = new_id(self.session, insert(Source).values(name=name, category=category))
            has_category = bool(category)
        else:
            source_id = int(row.id)
            has_category = row.category is not None
            if not has_category and category:
                self.session.execute(
                    update(Source).where(Source.id == source_id).values(category=category)
                )
                has_category = True
        self.known.sources[name] = (source_id, has_category)
        return source_id

    def place(self, place: Place) -> int:
        """The id of a place's ``locations`` row, created on first sight.

        A place is found by its gazetteer id, else by (name, kind, country code) among
        the rows without a gazetteer record: a row made before the place could be
        resolved gains its coordinates, and a namesake (Washington, Utah beside
        Washington, DC) gets a row of its own.
        """
        key = place_key(place)
        if key in self.known.locations:
            return self.known.locations[key]
        found = None
        if place.gazetteer_id:
            found = self._by_record(place)
        if found is None:
            code_matches = (
                Location.country_code.is_(None)
                if place.country_code is None
                else Location.country_code == place.country_code
            )
            # A place from the gazetteer takes over only a row that has no record yet (made
            # before places were resolved): a namesake's row is another place.
            no_record = Location.gazetteer_id.is_(None) if place.gazetteer_id else sa_true()
            row = self.session.execute(
                select(Location.id, Location.gazetteer_id).where(
                    Location.name == place.name,
                    Location.kind == place.kind,
                    code_matches,
                    no_record,
                )
            ).first()
            if row is not None:
                found = row.id
                if row.gazetteer_id is None and place.gazetteer_id is not None:
                    self.session.execute(
                        update(Location).where(Location.id == found).values(**place_values(place))
                    )
        if found is None:
            found = new_id(self.session, insert(Location).values(**place_values(place)))
        self.known.locations[key] = int(found)
        return int(found)

    def _by_record(self, place: Place) -> int | None:
        """The row of the place's gazetteer record, brought up to what the gazetteer says now.

        The gazetteer improves (countries moved from their capitals to central points,
        admin codes added), and a row made by an earlier version would otherwise keep its
        old point for good: the first time a run meets the place, its row takes the
        gazetteer's current values.
        """
        values = place_values(place)
        columns = [getattr(Location, name) for name in values]
        row = self.session.execute(
            select(Location.id, *columns).where(Location.gazetteer_id == place.gazetteer_id)
        ).first()
        if row is None:
            return None
        if tuple(row[1:]) != tuple(values.values()):
            self.session.execute(update(Location).where(Location.id == row.id).values(**values))
        return int(row.id)
