"""Stage 4, places: the page's city and the places an article's body names, resolved offline.

``locate`` is the stage's entry point; ``mentions`` finds and resolves place names with
the ``gazetteer``, which is built from the package data ``sources`` name (and the aliases
in ``data/``) and kept between runs in a ``user_cache``.
"""
