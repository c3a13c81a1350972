"""newsstore's ingest: read raw documents, parse them, store articles.

A document goes through five stages, in this order; the first four are pure
functions over the frozen records in ``ingest.records``, the fifth is the only
one that writes:

1. ``ingest.read``         paths -> raw documents (bytes, kept as they are); a web
                           archive is read record by record instead (``ingest.archives``,
                           ``ingest.parse.formats.warc``): each HTML response a document
2. ``ingest.parse``        bytes -> articles (format, encoding, page layout)
3. ``ingest.fingerprint``  articles -> records with content and paragraph hashes, and
                           the body's MinHash band keys (``ingest.signature``)
4. ``ingest.places``       records -> records with their places, resolved offline
5. ``ingest.store``        records -> rows, in the caller's session; copies of one
                           story grouped (``ingest.store.stories``)

``ingest.prepare`` runs stages 2-4 on one document behind a barrier (whatever
goes wrong makes that document a failed one); ``ingest.pipeline`` runs it over
batches of files, in worker processes (``ingest.workers``), and hands them to
the store; ``ingest.reparse`` runs it again over stored documents, writing
through the same store. ``ingest.cli`` is the ``newsstore`` command on top of
all of it and of ``db``.
"""
