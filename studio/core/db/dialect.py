"""SQL that differs between SQLite and PostgreSQL, in one place (ISSUE-14 §1).

Services write portable SQL where one spelling works on both (``TRUE``/``FALSE``,
``INSERT … RETURNING id``, ``INSERT … ON CONFLICT DO NOTHING``); the few spellings that
differ come from here, chosen by the connection's dialect.
"""

from __future__ import annotations

from sqlalchemy import Connection


def is_postgresql(conn: Connection) -> bool:
    """True on a PostgreSQL connection."""
    return conn.dialect.name == "postgresql"


def driver_placeholder(conn: Connection) -> str:
    """The DB-API placeholder of the connection's driver (``?`` sqlite3, ``%s`` psycopg)."""
    return "%s" if is_postgresql(conn) else "?"


def regexp_match(conn: Connection, column: str, param: str) -> str:
    """``column`` matches the regular expression bound as ``:param``, case-insensitively.

    SQLite: the ``REGEXP`` function registered in :mod:`studio.core.db.engine` (Python
    ``re``, case-insensitive and multiline). PostgreSQL: the ``~*`` operator (POSIX
    regular expressions; ``(?n)`` makes ``^``/``$`` anchor at each line, like MULTILINE).
    """
    if is_postgresql(conn):
        return f"{column} ~* ('(?n)' || :{param})"
    return f"{column} REGEXP :{param}"
