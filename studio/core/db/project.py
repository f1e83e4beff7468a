"""A project: one SQLite file (``*.studio``), the document a user opens.

Every change is committed at once in its own transaction (nothing unsaved to lose).
Opening checks that the file is a studio project, refuses one written by a newer
studio, and upgrades an older one after backing it up with the SQLite backup API.
"""

from __future__ import annotations

import contextlib
import errno
import getpass
import os
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError

from studio import __version__
from studio.core.db import engine as engine_module
from studio.core.db import migrate
from studio.core.db.engine import APPLICATION_ID, make_engine, raw_connect
from studio.core.db.server import (
    APP_ID_VALUE,
    create_database,
    inspect_server,
    is_server_location,
    make_server_engine,
    parse_location,
)
from studio.core.db.transactions import describe_db_error
from studio.core.errors import ProjectFileError, UserError

if TYPE_CHECKING:
    from sqlmodel import Session

SQLITE_HEADER = b"SQLite format 3\x00"
PROJECT_SUFFIX = ".studio"


def current_user() -> str:
    """The name recorded as author/actor of changes.

    ``STUDIO_USER`` first, then the display name set with ``studio config set
    display-name`` (kept in the user's settings folder, never in the project), then
    the OS login.
    """
    env = os.environ.get("STUDIO_USER")
    if env:
        return env
    from studio.core.identity import configured_display_name

    configured = configured_display_name()
    if configured:
        return configured
    try:
        return getpass.getuser()
    except Exception:  # getpass fails without a login name (some containers)
        return "unknown"


class Project:
    """An open project: a file, or a database on a PostgreSQL server.

    Create with :func:`open_project` or :func:`new_project`. ``location`` names it either
    way (the file path, or ``postgresql://user@host:port/db`` without a password);
    ``path`` is the file and exists only for a file project.
    """

    def __init__(
        self,
        path: Path | None,
        engine: Engine,
        *,
        read_only: bool = False,
        location: str | None = None,
    ) -> None:
        if path is None and location is None:
            raise ValueError("a project needs a file path or a server location")
        self._path = path
        self.location: str = location if location is not None else str(path)
        """The file path or the server URL (never with a password): shown and remembered."""
        self.is_server: bool = path is None
        """True for a project on a PostgreSQL server (no file, no lock files)."""
        self.engine = engine
        self.read_only = read_only
        """True when the project could not be written: reads work, every save fails."""
        if path is not None:
            event.listen(engine, "begin", self._check_present)
            event.listen(engine, "do_connect", self._check_present)

    @property
    def path(self) -> Path:
        """The project file. A server project has none: use ``location``."""
        if self._path is None:
            raise UserError(
                f"{self.location} is a project on a database server: it has no file.",
                where=self.location,
            )
        return self._path

    @property
    def file(self) -> Path | None:
        """The project file, or None for a server project."""
        return self._path

    @property
    def name(self) -> str:
        """A short name: the file's stem, or the server database's name."""
        if self._path is not None:
            return self._path.stem
        return self.location.split("?", 1)[0].rsplit("/", 1)[-1]

    def _check_present(self, *_args: object) -> None:
        """Refuse every transaction once the file is gone (one stat, ~2 µs).

        SQLite would go on writing into the deleted file (lost at close) or a new
        connection would create an empty file at the old path.
        """
        if self._path is not None and not self._path.exists():
            raise UserError(
                f"{self._path} was deleted or moved while it was open, so nothing more can be "
                "read from or saved to it. Put the file back, or open it from where it is now.",
                where=str(self._path),
            )

    def session(self) -> contextlib.AbstractContextManager[Session]:
        """An ORM unit of work (:func:`studio.core.db.transactions.session`)."""
        from studio.core.db.transactions import session

        return session(self)

    def save_copy(self, dest: Path) -> None:
        """Write a consistent copy with the SQLite backup API (never a file copy of an open DB).

        A server project has no file to back up: ``studio project copy`` copies it table
        by table (:mod:`studio.core.db.copy`).
        """
        dest = Path(dest)
        if self._path is None:
            raise UserError(
                f"{self.location} is on a database server; copy it to a file with "
                f"`studio project copy {self.location} {dest}`.",
                where=self.location,
            )
        if dest.resolve() == self.path.resolve():
            raise UserError(f"{dest} is the open project itself; choose another file name.")
        self._check_present()  # else raw_connect would create an empty file to copy
        tmp = dest.with_name(dest.name + ".part")
        try:
            with (
                contextlib.closing(raw_connect(self.path)) as src,
                contextlib.closing(sqlite3.connect(str(tmp))) as dst,
            ):
                src.backup(dst)
                dst.execute("PRAGMA journal_mode = DELETE")
            os.replace(tmp, dest)
        except (sqlite3.Error, OSError) as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
                raise UserError(
                    f"Could not write {dest}: the disk is full.", where=str(dest)
                ) from exc
            raise UserError(f"Could not write a copy to {dest}: {exc}", where=str(dest)) from exc

    def close(self) -> None:
        """Release connections (checkpoints the WAL into the main file)."""
        self.engine.dispose()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check_header(path: Path) -> None:
    try:
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except FileNotFoundError as exc:
        raise ProjectFileError(f"{path} does not exist.", where=str(path)) from exc
    except IsADirectoryError as exc:
        raise ProjectFileError(f"{path} is a folder, not a project file.", where=str(path)) from exc
    except PermissionError as exc:
        raise ProjectFileError(
            f"{path} cannot be read: permission denied.", where=str(path)
        ) from exc
    if header != SQLITE_HEADER:
        if not header:
            raise ProjectFileError(f"{path} is empty: it is not a studio project.", where=str(path))
        raise ProjectFileError(
            f"{path} is not a studio project (it is not an SQLite database).", where=str(path)
        )


def _inspect(path: Path) -> tuple[int, str | None, bool]:
    """Return (application_id, alembic revision, has other tables) read without writing."""
    try:
        uri = path.resolve().as_uri() + "?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=5)) as conn:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            rev = None
            if "alembic_version" in tables:
                rev = _stamped_revision(conn, path, has_tables=bool(tables - {"alembic_version"}))
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise ProjectFileError(
                    f"{path} is damaged (SQLite integrity check: {check}). Open a backup copy.",
                    where=str(path),
                )
            return int(app_id), rev, bool(tables - {"alembic_version"})
    except sqlite3.DatabaseError as exc:
        raise ProjectFileError(describe_db_error(exc, path), where=str(path)) from exc


_DAMAGED_VERSION = (
    "{path} is damaged: its schema version table (alembic_version) {what}, so Studio cannot "
    "tell which upgrades it needs. Nothing was changed. Open a backup copy (files named "
    "{name}.backup-...), or ask for help with this file."
)


def _stamped_revision(conn: sqlite3.Connection, path: Path, *, has_tables: bool) -> str | None:
    """The one revision in ``alembic_version``; ProjectFileError when the table is damaged.

    An empty table in a file that holds other tables is damaged, not new: upgrading it
    from nothing would try to create tables that exist (and back the file up on every try).
    """

    def damaged(what: str) -> ProjectFileError:
        return ProjectFileError(
            _DAMAGED_VERSION.format(path=path, what=what, name=path.name), where=str(path)
        )

    try:
        rows = conn.execute("SELECT version_num FROM alembic_version LIMIT 2").fetchall()
    except sqlite3.DatabaseError:
        raise damaged("cannot be read") from None
    if len(rows) > 1:
        raise damaged("holds more than one version")
    if not rows:
        if has_tables:
            raise damaged("is empty")
        return None
    rev = rows[0][0]
    if not isinstance(rev, str) or not rev.strip():
        raise damaged("holds an empty version")
    return rev


def _existing_backup(path: Path, from_rev: str | None) -> Path | None:
    """A backup of ``path`` at ``from_rev`` made after the file last changed, if any.

    A failed upgrade rolls back and leaves the file as it was, so the backup made before
    it still holds the same content: opening again reuses it instead of adding one backup
    per attempt.
    """
    try:
        changed = path.stat().st_mtime
    except OSError:
        return None
    for candidate in sorted(
        path.parent.glob(f"{path.name}.backup-{from_rev or 'none'}-*"), reverse=True
    ):
        with contextlib.suppress(OSError):
            if candidate.stat().st_mtime >= changed:
                return candidate
    return None


def _backup_before_upgrade(path: Path, from_rev: str | None) -> Path:
    existing = _existing_backup(path, from_rev)
    if existing is not None:
        return existing
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.name}.backup-{from_rev or 'none'}-{stamp}")
    with (
        contextlib.closing(raw_connect(path)) as src,
        contextlib.closing(sqlite3.connect(str(backup))) as dst,
    ):
        src.backup(dst)
    return backup


def _check_writable(path: Path) -> None:
    if is_read_only(path):
        raise ProjectFileError(
            f"{path} is read-only. Studio saves every change at once, so it needs to write the "
            "file and its folder: change the permissions or use a copy.",
            where=str(path),
        )


def is_read_only(path: Path) -> bool:
    """True when ``path`` or its folder cannot be written, or the file has no write bit.

    The write bits count even for a user who could write anyway (root): ``chmod 444``
    says "do not change this file", and Studio honours it.
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    no_write_bits = not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    return no_write_bits or not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK)


def _open_read_only(path: Path, rev: str | None) -> Project:
    if rev != migrate.head_revision():
        raise ProjectFileError(
            f"{path} is read-only and was saved by an older version of Studio, so it cannot be "
            "upgraded here. Make it writable (or use a copy) to open it.",
            where=str(path),
        )
    # Without a writable folder SQLite cannot create the WAL index: read a snapshot
    engine = make_engine(path, read_only=True, immutable=not os.access(path.parent, os.W_OK))
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").fetchone()
    except (OperationalError, DBAPIError) as exc:
        engine.dispose()
        raise ProjectFileError(describe_db_error(exc, path), where=str(path)) from exc
    return Project(path, engine, read_only=True)


def _check_not_locked(engine: Engine, path: Path) -> None:
    # A short write probe: a file held by another writer fails here with a clear
    # message instead of freezing on the first edit.
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA busy_timeout = 1500")
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            conn.exec_driver_sql("ROLLBACK")
        except OperationalError as exc:
            raise ProjectFileError(describe_db_error(exc, path), where=str(path)) from exc
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {engine_module.BUSY_TIMEOUT_MS}")


def open_project(path: str | Path, *, allow_read_only: bool = True) -> Project:
    """Open an existing project, migrating it (after a backup) if it is older.

    A file that cannot be written (:func:`is_read_only`) opens read-only
    (``project.read_only``; every save fails with a sentence) unless ``allow_read_only``
    is False.

    Raises:
        ProjectFileError: missing, not a studio project, damaged, newer, locked, or
            read-only when that is not allowed (or too old to upgrade).
    """
    if is_server_location(path):
        return _open_server(str(path), allow_read_only=allow_read_only)
    path = Path(path).expanduser()
    _check_header(path)
    app_id, rev, has_tables = _inspect(path)
    if app_id != APPLICATION_ID:
        raise ProjectFileError(
            f"{path} is an SQLite database but not a studio project.", where=str(path)
        )
    if rev is not None and rev not in migrate.known_revisions():
        raise ProjectFileError(
            f"{path} was saved by a newer version of Studio (schema {rev}); this is version "
            f"{__version__}. Update Studio to open it.",
            where=str(path),
        )
    if allow_read_only and is_read_only(path):
        return _open_read_only(path, rev)
    _check_writable(path)
    engine = make_engine(path)
    backup: Path | None = None
    try:
        _check_not_locked(engine, path)
        if rev != migrate.head_revision():
            if rev is not None or has_tables:
                backup = _backup_before_upgrade(path, rev)
            migrate.upgrade_to_head(engine)
    except ProjectFileError:
        engine.dispose()
        raise
    except (OperationalError, DBAPIError) as exc:
        engine.dispose()
        message = describe_db_error(exc, path).rstrip(".") + "."
        if backup is not None:
            # The upgrade was rolled back, so the backup still holds what the file holds;
            # but rolling back rewrote the file after the backup was made. Marking the
            # backup as of now lets the next attempt reuse it (_existing_backup) instead
            # of adding one backup per attempt.
            with contextlib.suppress(OSError):
                os.utime(backup)
            message += (
                f" Upgrading it from schema {rev} failed and was undone; the file is "
                f"as it was, and a copy made before the upgrade is {backup.name}."
            )
        raise ProjectFileError(message, where=str(path)) from exc
    return Project(path, engine)


def new_project(path: str | Path, *, overwrite: bool = False) -> Project:
    """Create an empty project file at ``path`` with the current schema.

    ``path`` may be a ``postgresql://user@host:port/db`` location: the database is
    created when missing, and must hold no tables when it exists (``overwrite`` is
    ignored there: a server database is never emptied by Studio).
    """
    if is_server_location(path):
        return _new_server(str(path))
    path = Path(path).expanduser()
    if path.exists() and not overwrite:
        raise ProjectFileError(f"{path} already exists; choose another name.", where=str(path))
    if not path.parent.exists():
        raise ProjectFileError(f"The folder {path.parent} does not exist.", where=str(path))
    tmp = path.with_name(path.name + ".creating")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    try:
        with contextlib.closing(sqlite3.connect(str(tmp))) as conn:
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute("PRAGMA journal_mode = DELETE")
        engine = make_engine(tmp)
        try:
            migrate.upgrade_to_head(engine)
            with engine.begin() as conn:
                conn.execute(
                    text("INSERT INTO project_meta (key, value) VALUES (:k, :v)"),
                    [
                        {"k": "app_id", "v": "prompt-dataset-studio"},
                        {"k": "created_with", "v": __version__},
                        {"k": "created_at", "v": datetime.now(UTC).isoformat()},
                    ],
                )
        finally:
            engine.dispose()
        with contextlib.closing(sqlite3.connect(str(tmp))) as conn:
            conn.execute("PRAGMA journal_mode = DELETE")
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(str(tmp) + suffix).unlink()
        os.replace(tmp, path)
    except sqlite3.Error as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise ProjectFileError(describe_db_error(exc, path), where=str(path)) from exc
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if exc.errno == errno.ENOSPC:
            raise ProjectFileError(
                f"Could not create {path}: the disk is full.", where=str(path)
            ) from exc
        raise ProjectFileError(
            f"Could not create {path}: {exc.strerror or exc}.", where=str(path)
        ) from exc
    return open_project(path)


def _meta_rows() -> list[dict[str, str]]:
    return [
        {"k": "app_id", "v": APP_ID_VALUE},
        {"k": "created_with", "v": __version__},
        {"k": "created_at", "v": datetime.now(UTC).isoformat()},
    ]


def _open_server(text_location: str, *, allow_read_only: bool) -> Project:
    """Open a project on PostgreSQL: check it is a studio project, upgrade it if older.

    No backup is made before an upgrade: PostgreSQL runs the whole upgrade in one
    transaction (its DDL is transactional), so a failed one leaves the database as it was.
    """
    location = parse_location(text_location)
    where = location.display
    engine = make_server_engine(location)
    try:
        state = inspect_server(engine, location)
        if not state.tables:
            raise ProjectFileError(
                f"{where} is an empty database, not a studio project yet: create one there "
                f"with `studio new {where}`.",
                where=where,
            )
        if not state.is_studio:
            raise ProjectFileError(
                f"{where} is a PostgreSQL database but not a studio project.", where=where
            )
        rev = state.revision
        if rev is not None and rev not in migrate.known_revisions():
            raise ProjectFileError(
                f"{where} was saved by a newer version of Studio (schema {rev}); this is "
                f"version {__version__}. Update Studio to open it.",
                where=where,
            )
        if state.read_only:
            if not allow_read_only:
                raise ProjectFileError(
                    f"{where} is read-only for {location.user}: Studio saves every change at "
                    "once, so it needs INSERT rights (or a writable server).",
                    where=where,
                )
            if rev != migrate.head_revision():
                raise ProjectFileError(
                    f"{where} is read-only and was saved by an older version of Studio, so it "
                    "cannot be upgraded here.",
                    where=where,
                )
            return Project(None, engine, read_only=True, location=where)
        if rev != migrate.head_revision():
            migrate.upgrade_to_head(engine)
    except ProjectFileError:
        engine.dispose()
        raise
    except (OperationalError, DBAPIError) as exc:
        engine.dispose()
        raise ProjectFileError(describe_db_error(exc, where), where=where) from exc
    return Project(None, engine, location=where)


def _new_server(text_location: str) -> Project:
    """Create a studio project in a PostgreSQL database (created when missing).

    An existing database must be empty: one holding any table (a studio project or
    anything else) is refused, so nothing is ever mixed into someone's data.
    """
    location = parse_location(text_location)
    where = location.display
    create_database(location)
    engine = make_server_engine(location)
    try:
        state = inspect_server(engine, location)
        if state.is_studio:
            raise ProjectFileError(f"{where} already holds a studio project.", where=where)
        if state.tables:
            shown = ", ".join(sorted(state.tables)[:5]) + (", …" if len(state.tables) > 5 else "")
            raise ProjectFileError(
                f"{where} already has tables that are not a studio project ({shown}); "
                "choose an empty database.",
                where=where,
            )
        migrate.upgrade_to_head(engine)
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO project_meta (key, value) VALUES (:k, :v)"), _meta_rows()
            )
    except ProjectFileError:
        engine.dispose()
        raise
    except (OperationalError, DBAPIError) as exc:
        engine.dispose()
        raise ProjectFileError(describe_db_error(exc, where), where=where) from exc
    engine.dispose()
    return _open_server(where, allow_read_only=False)
