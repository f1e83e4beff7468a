"""SQL that differs between SQLite and PostgreSQL, in one place (ISSUE-14 §1).

Services write portable SQL where one spelling works on both (``TRUE``/``FALSE``,
``INSERT … RETURNING id``, ``INSERT … ON CONFLICT DO NOTHING``); the few spellings that
differ come from here, chosen by the connection's dialect.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy import Connection


def is_postgresql(conn: Connection) -> bool:
    """True on a PostgreSQL connection."""
    return conn.dialect.name == "postgresql"


def driver_placeholder(conn: Connection) -> str:
    """The DB-API placeholder of the connection's driver (``?`` sqlite3, ``%s`` psycopg)."""
    return "%s" if is_postgresql(conn) else "?"


def regexp_sql(expr: str, param: str, *, postgresql: bool) -> str:
    """``expr`` matches the regular expression bound as ``:param``, case-insensitively.

    SQLite: the ``REGEXP`` function registered in :mod:`studio.core.db.engine` (Python
    ``re``, case-insensitive and multiline). PostgreSQL: the ``~*`` operator (POSIX
    regular expressions; ``(?n)`` makes ``^``/``$`` anchor at each line, like MULTILINE).
    The pattern bound there is the user's Python regex as
    :func:`studio.core.db.pg_regex.postgres_regex` spells it for PostgreSQL.
    """
    if postgresql:
        return f"{expr} ~* ('(?n)' || :{param})"
    return f"{expr} REGEXP :{param}"


def qmark_to_psycopg(sql: str, named: bool) -> str:
    """Rewrite sqlite3's placeholders (``?`` or ``:name``) as psycopg's (``%s``/``%(name)s``).

    Outside string literals only; every ``%`` becomes ``%%`` (psycopg reads ``%`` as a
    placeholder wherever it is), and ``::`` casts are left alone.
    """
    out: list[str] = []
    i, n = 0, len(sql)
    quote: str | None = None
    while i < n:
        ch = sql[i]
        if quote is not None:
            out.append("%%" if ch == "%" else ch)
            if ch == quote:
                quote = None
            i += 1
            continue
        if ch in ("'", '"'):
            quote = ch
            out.append(ch)
        elif ch == "%":
            out.append("%%")
        elif ch == "?" and not named:
            out.append("%s")
        elif ch == ":" and named and i + 1 < n and (sql[i + 1].isalpha() or sql[i + 1] == "_"):
            if i > 0 and sql[i - 1] == ":":
                out.append(ch)
            else:
                j = i + 1
                while j < n and (sql[j].isalnum() or sql[j] == "_"):
                    j += 1
                out.append(f"%({sql[i + 1 : j]})s")
                i = j
                continue
        elif ch == ":" and i + 1 < n and sql[i + 1] == ":":
            out.append("::")
            i += 2
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)


class _PgCursor:
    """A psycopg cursor that takes sqlite3-style SQL (see :func:`qmark_to_psycopg`)."""

    def __init__(self, cursor: Any) -> None:
        self._cur = cursor
        # timestamps come back as SQLite gives them to a raw reader: text, not datetime,
        # in SQLite's form (UTC, no offset; see time_text)
        for name, loader in _text_loaders().items():
            cursor.adapters.register_loader(name, loader)

    def execute(self, sql: str, params: Any = None) -> _PgCursor:
        if params is None:
            self._cur.execute(sql)
        else:
            self._cur.execute(qmark_to_psycopg(sql, isinstance(params, Mapping)), params)
        return self

    def executemany(self, sql: str, seq: Iterable[Any]) -> _PgCursor:
        rows = list(seq)
        if rows:
            named = isinstance(rows[0], Mapping)
            self._cur.executemany(qmark_to_psycopg(sql, named), rows)
        return self

    def fetchone(self) -> Any:
        return self._cur.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self._cur.fetchall())

    def fetchmany(self, size: int) -> list[Any]:
        return list(self._cur.fetchmany(size))

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cur)

    @property
    def rowcount(self) -> int:
        return int(self._cur.rowcount)

    def close(self) -> None:
        self._cur.close()


class _PgDriver:
    """The parts of a sqlite3 connection the services use, on a psycopg connection."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw

    def cursor(self) -> _PgCursor:
        return _PgCursor(self._raw.cursor())

    def execute(self, sql: str, params: Any = None) -> _PgCursor:
        return self.cursor().execute(sql, params)

    def executemany(self, sql: str, seq: Iterable[Any]) -> _PgCursor:
        return self.cursor().executemany(sql, seq)

    def commit(self) -> None:
        self._raw.commit()

    def rollback(self) -> None:
        self._raw.rollback()


@functools.cache
def _text_loaders() -> dict[str, Any]:
    from psycopg.types.datetime import TimestampLoader, TimestamptzLoader

    class TimestampAsText(TimestampLoader):
        def load(self, data: Any) -> str:  # type: ignore[override]
            return time_text(super().load(data))

    class TimestamptzAsText(TimestamptzLoader):
        def load(self, data: Any) -> str:  # type: ignore[override]
            return time_text(super().load(data))

    return {"timestamp": TimestampAsText, "timestamptz": TimestamptzAsText}


def is_driver_error(exc: BaseException) -> bool:
    """True for an error raised by either backend's DB-API driver (sqlite3, psycopg)."""
    import sqlite3

    return isinstance(exc, sqlite3.Error) or type(exc).__module__.startswith("psycopg")


def wrap_driver(raw: Any) -> Any:
    """A DB-API connection taking sqlite3-style SQL: sqlite3's as is, psycopg's wrapped."""
    if type(raw).__module__.startswith("psycopg"):
        return _PgDriver(raw)
    return raw


def driver(conn: Connection) -> Any:
    """The DB-API connection under ``conn``, taking sqlite3-style SQL on either backend.

    The services' hot paths skip SQLAlchemy's Row objects and read through the driver
    (``raw.execute(sql, params)``); on PostgreSQL the same calls go through psycopg with
    the placeholders rewritten. The result rows are plain tuples on both.
    """
    raw = conn.connection.driver_connection
    if is_postgresql(conn):
        return _PgDriver(raw)
    return raw


def json_object_sql(pairs: Iterable[tuple[str, str]], *, postgresql: bool) -> str:
    """A JSON object (as text) built in SQL from ``(key, sql expression)`` pairs."""
    parts = ", ".join(f"'{key}', {expr}" for key, expr in pairs)
    if postgresql:
        return f"json_build_object({parts})::text"
    return f"json_object({parts})"


@functools.cache
def column_type_sql(table: str, column: str) -> str:
    """The PostgreSQL type of ``table.column`` in the studio's schema (for casts)."""
    from sqlalchemy.dialects import postgresql
    from sqlmodel import SQLModel

    import studio.core.models  # noqa: F401  (registers every table)

    col = SQLModel.metadata.tables[table].c[column]
    return str(col.type.compile(dialect=postgresql.dialect()))  # type: ignore[no-untyped-call]


def json_value_sql(
    json_expr: str, key: str | None, table: str, column: str, *, postgresql: bool
) -> str:
    """The value at ``key`` (the whole document when None) of the JSON text ``json_expr``,
    typed as ``table.column`` is: SQLite's ``json_extract`` gives typed values already;
    PostgreSQL's ``->>``/``#>>`` give text, cast to the column's type."""
    if not postgresql:
        return f"json_extract({json_expr}, '$" + (f".{key}" if key else "") + "')"
    text_value = f"({json_expr})::json ->> '{key}'" if key else f"({json_expr})::json #>> '{{}}'"
    return f"({text_value})::{column_type_sql(table, column)}"


def json_quote_sql(expr: str, *, postgresql: bool, text_param: bool = False) -> str:
    """``expr`` as JSON text (``"a"``, ``3``, ``null``): SQLite's ``json_quote``.

    ``text_param``: ``expr`` is a bound parameter holding text (PostgreSQL needs its type).
    """
    if not postgresql:
        return f"json_quote({expr})"
    if text_param:
        expr = f"CAST({expr} AS text)"
    return f"coalesce(to_json({expr})::text, 'null')"


def lock_rows(conn: Connection, select_sql: str, params: Mapping[str, Any]) -> None:
    """Lock the rows ``select_sql`` reads until the transaction ends (PostgreSQL only).

    PostgreSQL runs READ COMMITTED: two writers may read the same rows, then both write.
    A compare-and-set in the UPDATE itself needs no lock (the second UPDATE waits for
    the first and re-checks its WHERE on the committed row), but a read-then-decide
    (history's *before* values, "has every labeller labelled it?") does: ``FOR UPDATE``
    makes the second writer wait and then read what the first committed. ``select_sql``
    should say ``ORDER BY id`` so two writers take their locks in one order (no
    deadlock). SQLite: nothing to do, ``BEGIN IMMEDIATE`` (transactions.write_tx)
    already holds the whole database.
    """
    if is_postgresql(conn):
        from sqlalchemy import text

        conn.execute(text(f"{select_sql} FOR UPDATE"), dict(params))


def json_ids_sql(param: str, *, postgresql: bool) -> str:
    """A subquery of the integers in the JSON array bound as ``:param`` (``[1, 2, 3]``):
    one parameter however many ids, for ``col IN (…)``."""
    if postgresql:
        return f"SELECT CAST(value AS bigint) FROM json_array_elements_text(CAST(:{param} AS json))"
    return f"SELECT value FROM json_each(:{param})"


def time_text(value: Any) -> str:
    """A timestamp column's value as SQLite hands it to a ``text()`` reader
    (``2026-12-07 15:31:40.885313``): text stays as it is; the timezone-aware datetime
    PostgreSQL's ``timestamptz`` gives is written the same way, in UTC, so listings and
    JSON read the same on both backends."""
    from datetime import UTC, datetime

    from studio.core.db.engine import db_time

    if isinstance(value, datetime):
        return db_time(value if value.tzinfo else value.replace(tzinfo=UTC))
    return str(value)
