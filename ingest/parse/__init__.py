"""Stage 2, parse: a raw document's bytes -> the articles in it.

``document`` is the stage's entry point: undo gzip, ``detect`` the format, ``decode``
the bytes, then hand the text to ``formats`` (HTML, feeds, JSON Lines) or, for a text
dump of a page, to the page ``layouts``. Everything here is pure: bytes in, frozen
records out, no database.
"""
