"""A project on a PostgreSQL server: its URL, its credentials, its engine, its errors.

A server project is named by ``postgresql://user@host:port/db`` (``postgres://`` and
``postgresql+psycopg://`` are read the same way); the driver is psycopg 3. ISSUE-14 §1
rules for credentials, kept here:

* the user comes from the URL; a password written in the URL is refused, because the URL
  is shown, remembered in recent lists and written to logs;
* the password comes from the OS keyring (service :data:`KEYRING_SERVICE`, key
  ``user@host:port``) when one is stored there; otherwise none is passed and libpq reads
  ``PGPASSWORD`` and ``~/.pgpass`` itself (libpq's documented behaviour when a
  connection string has no password);
* query parameters (``sslmode``, ``sslrootcert``, ``connect_timeout``, …) are handed to
  libpq unchanged, so ``?sslmode=require`` is honoured.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from studio.core.errors import ProjectFileError
from studio.core.redact import remember_secret

KEYRING_SERVICE = "studio-postgresql"
DEFAULT_PORT = 5432
_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
# libpq waits forever for an unreachable host unless told otherwise
DEFAULT_CONNECT_TIMEOUT_S = 10
# server-side statement lock wait, the counterpart of SQLite's busy_timeout
LOCK_TIMEOUT_MS = 5000


def is_server_location(location: object) -> bool:
    """True when ``location`` names a PostgreSQL server project rather than a file."""
    return isinstance(location, str) and location.strip().lower().startswith(_SCHEMES)


@dataclass(frozen=True, slots=True)
class ServerLocation:
    """A parsed ``postgresql://`` project location (never holds a password)."""

    user: str
    host: str
    port: int
    database: str
    query: tuple[tuple[str, str], ...] = ()

    @property
    def display(self) -> str:
        """The location as shown and stored: ``postgresql://user@host:port/db[?…]``."""
        query = "&".join(f"{k}={v}" for k, v in self.query)
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}" + (
            f"?{query}" if query else ""
        )

    @property
    def keyring_key(self) -> str:
        """The keyring entry name of this server login: ``user@host:port``."""
        return f"{self.user}@{self.host}:{self.port}"

    def sqlalchemy_url(self, password: str | None = None, database: str | None = None) -> URL:
        """The SQLAlchemy URL (psycopg 3 driver), with ``password`` when one is given."""
        return URL.create(
            "postgresql+psycopg",
            username=self.user,
            password=password,
            host=self.host,
            port=self.port,
            database=database or self.database,
            query=dict(self.query),
        )

    def with_database(self, database: str) -> ServerLocation:
        """The same server login, another database."""
        return ServerLocation(self.user, self.host, self.port, database, self.query)


def parse_location(text: str) -> ServerLocation:
    """Parse ``postgresql://user@host:port/db``.

    Raises:
        ProjectFileError: not such a URL, a password in it, no user or no database.
    """
    raw = text.strip()
    if not is_server_location(raw):
        raise ProjectFileError(
            f"{raw!r} is not a PostgreSQL location (postgresql://user@host:port/db).", where=raw
        )
    # the password is checked before SQLAlchemy parses (its errors would echo the URL)
    netloc = raw.split("://", 1)[1].split("/", 1)[0]
    if "@" in netloc and ":" in netloc.rsplit("@", 1)[0]:
        shown = re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", raw)
        raise ProjectFileError(
            f"{shown} has a password in it. A project location is shown, remembered and "
            "logged, so Studio never takes a password from it: store it in the keyring "
            f"(service {KEYRING_SERVICE}, entry user@host:port), set PGPASSWORD, or put it "
            "in ~/.pgpass.",
            where=shown,
        )
    try:
        url = make_url("postgresql://" + raw.split("://", 1)[1])
    except (ArgumentError, ValueError) as exc:
        raise ProjectFileError(
            f"{raw} is not a valid PostgreSQL location: {exc}", where=raw
        ) from exc
    if not url.username:
        raise ProjectFileError(
            f"{raw} names no user: write postgresql://USER@host:port/database.", where=raw
        )
    if not url.database:
        raise ProjectFileError(
            f"{raw} names no database: write postgresql://user@host:port/DATABASE.", where=raw
        )
    query: list[tuple[str, str]] = []
    for key, value in sorted(url.query.items()):
        if key.lower() == "password":
            raise ProjectFileError(
                "A password in the location's query is refused (it would be stored and "
                f"logged); use the keyring ({KEYRING_SERVICE}), PGPASSWORD or ~/.pgpass.",
                where=key,
            )
        query.append((key, value if isinstance(value, str) else ",".join(value)))
    return ServerLocation(
        user=url.username,
        host=url.host or "localhost",
        port=int(url.port or DEFAULT_PORT),
        database=url.database,
        query=tuple(query),
    )


SESSION_PASSWORDS: dict[str, str] = {}
"""Passwords typed in the app for a login (``user@host:port``), this process only
(:func:`studio.core.db.server_check.use_password`); looked up before the keyring."""


def keyring_password(location: ServerLocation) -> str | None:
    """The password stored in the OS keyring for this login, or None (also without a keyring)."""
    typed = SESSION_PASSWORDS.get(location.keyring_key)
    if typed:
        return typed
    try:
        import keyring

        password = keyring.get_password(KEYRING_SERVICE, location.keyring_key)
    except Exception:  # no backend (headless, CI) or a locked keyring: libpq's own sources
        return None
    if password:
        remember_secret(password)  # redacted wherever it could appear
    return password or None


def _set_up(dbapi_conn: Any, _record: Any) -> None:
    # The counterpart of SQLite's busy_timeout: a statement waiting on a row or table
    # lock gives up after LOCK_TIMEOUT_MS (mapped to DatabaseBusyError) instead of hanging
    cur = dbapi_conn.cursor()
    try:
        cur.execute(f"SET lock_timeout = {LOCK_TIMEOUT_MS}")
        cur.execute("SET TIME ZONE 'UTC'")
    finally:
        cur.close()
    dbapi_conn.commit()


def make_server_engine(location: ServerLocation, *, database: str | None = None) -> Engine:
    """The engine of a server project; the password is looked up, never stored here."""
    password = keyring_password(location)
    query = dict(location.query)
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in query:
        connect_args["connect_timeout"] = DEFAULT_CONNECT_TIMEOUT_S
    engine = create_engine(
        location.sqlalchemy_url(password, database),
        connect_args=connect_args,
        pool_pre_ping=True,
        hide_parameters=True,
    )
    event.listen(engine, "connect", _set_up)
    return engine


def describe_connect_error(exc: BaseException, location: ServerLocation) -> str:
    """A sentence for a failure to connect: unreachable, auth, missing database, other."""
    original = getattr(exc, "orig", exc)
    msg = str(original)
    low = msg.lower()
    where = location.display
    if (
        "password authentication failed" in low
        or "no password supplied" in low
        or ("authentication failed" in low)
    ):
        return (
            f"Could not log in to {where} as {location.user}: the server refused the "
            "password (or none was found). Store it in the keyring (service "
            f"{KEYRING_SERVICE}, entry {location.keyring_key}), set PGPASSWORD, or add it "
            "to ~/.pgpass."
        )
    if "does not exist" in low and "database" in low:
        return (
            f"The database {location.database!r} does not exist on {location.host}:"
            f"{location.port}. Create it with `studio new {where}` (or createdb)."
        )
    if "role" in low and "does not exist" in low:
        return f"The server {location.host}:{location.port} has no user {location.user!r}."
    if "no pg_hba.conf entry" in low:
        return (
            f"The server {location.host}:{location.port} does not accept {location.user} "
            f"from this machine (pg_hba.conf): {msg.strip()}"
        )
    if "ssl" in low:
        reason = msg.strip().splitlines()[-1].split(" failed: ")[-1]
        return (
            f"Could not open a secure connection to {location.host}:{location.port}: "
            f"{reason}. Check the location's sslmode (and sslrootcert) against the server."
        )
    if (
        "connection refused" in low
        or "could not connect" in low
        or "timeout expired" in low
        or "could not translate host name" in low
        or "name or service not known" in low
        or "connection to server" in low
    ):
        return (
            f"Cannot reach the PostgreSQL server at {location.host}:{location.port} "
            f"({msg.strip().splitlines()[-1].strip() if msg.strip() else 'no answer'}). "
            "Check that it is running and the host and port are right."
        )
    return f"Could not open {where}: {msg.strip()}"


APP_ID_VALUE = "prompt-dataset-studio"  # project_meta 'app_id', written by new_project


@dataclass(frozen=True, slots=True)
class ServerState:
    """What a server database holds, read before anything is changed."""

    tables: frozenset[str]
    revision: str | None
    is_studio: bool
    read_only: bool


def inspect_server(engine: Engine, location: ServerLocation) -> ServerState:
    """Connect and read the tables, the stamped revision and whether we may write.

    Raises:
        ProjectFileError: cannot connect (unreachable, login refused, no such database).
    """
    from sqlalchemy import inspect, text
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as conn:
            tables = frozenset(inspect(conn).get_table_names())
            revision: str | None = None
            is_studio = False
            if "alembic_version" in tables:
                rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
                revision = rows[0][0] if len(rows) == 1 else None
            if "project_meta" in tables:
                app = conn.execute(
                    text("SELECT value FROM project_meta WHERE key = 'app_id'")
                ).scalar()
                is_studio = app == APP_ID_VALUE
            read_only = bool(
                conn.execute(
                    text(
                        "SELECT current_setting('transaction_read_only') = 'on'"
                        + (
                            " OR NOT has_table_privilege('project_meta', 'INSERT')"
                            if "project_meta" in tables
                            else ""
                        )
                    )
                ).scalar()
            )
    except DBAPIError as exc:
        raise ProjectFileError(
            describe_connect_error(exc, location), where=location.display
        ) from exc
    return ServerState(tables, revision, is_studio, read_only)


def create_database(location: ServerLocation) -> bool:
    """Create the location's database when it does not exist; True when it was created.

    Connects to the server's ``postgres`` maintenance database with the same login.

    Raises:
        ProjectFileError: the server cannot be reached or refuses (no CREATEDB right).
    """
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    admin = make_server_engine(location, database="postgres")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": location.database}
            ).first()
            if exists:
                return False
            conn.commit()
            quoted = '"' + location.database.replace('"', '""') + '"'
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                f"CREATE DATABASE {quoted}"
            )
            return True
    except DBAPIError as exc:
        original = str(getattr(exc, "orig", exc)).strip()
        if "permission denied" in original.lower():
            raise ProjectFileError(
                f"Could not create the database {location.database!r} on {location.host}:"
                f"{location.port}: {location.user} may not create databases. Ask the "
                "server's administrator to create it (empty), then run `studio new` again.",
                where=location.display,
            ) from exc
        raise ProjectFileError(
            describe_connect_error(exc, location), where=location.display
        ) from exc
    finally:
        admin.dispose()
