"""newsstore's database layer: typed models, sessions, migrations and the read API.

Python users start here::

    from sqlalchemy import select
    from db import open_session
    from db.models import Article

    with open_session() as session:
        for article in session.scalars(select(Article).limit(5)):
            print(article.title)
"""

from db.session import DEFAULT_URL, database_url, make_engine, open_session

__all__ = ["DEFAULT_URL", "database_url", "make_engine", "open_session"]
