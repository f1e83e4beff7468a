"""The same test on both backends: a project file, or the same project on PostgreSQL.

A test builds its project as a file (the existing builders) and, for the PostgreSQL
case, copies it to a fresh database with ``studio project copy``'s core
(:func:`studio.core.db.copy.copy_project`): one builder, two backends.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BACKENDS = ("sqlite", "postgresql")


def on_backend(request: pytest.FixtureRequest, path: Path, backend: str) -> str | Path:
    """``path`` itself, or a fresh PostgreSQL database holding a copy of it."""
    if backend == "sqlite":
        return path
    from helpers.pg_server import drop_pg_database, fresh_pg_database
    from studio.core.db.copy import copy_project

    server = request.getfixturevalue("pg_server")
    location = fresh_pg_database(server)
    copy_project(path, location)
    request.addfinalizer(lambda: drop_pg_database(server, location))
    return location


@contextlib.contextmanager
def other_connection(location: str | Path) -> Iterator[Any]:
    """A plain DB-API connection of its own (as another process would have), autocommit.

    ``conn.execute(sql)`` returns a cursor on both (sqlite3, psycopg); SQL without
    parameters reads the same on both.
    """
    if isinstance(location, str) and "://" in location:
        import psycopg

        from studio.core.db.server import parse_location

        loc = parse_location(location)
        conn = psycopg.connect(
            host=loc.host, port=loc.port, user=loc.user, dbname=loc.database, autocommit=True
        )
    else:
        conn = sqlite3.connect(location, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()
