"""newsstore's ingest: read raw documents, parse their layout, store articles.

The stages are pure functions over the frozen records in ``ingest.records``;
``ingest.store`` is the only module that writes, and ``ingest.cli`` is the
``newsstore`` command on top.
"""
