"""Schema migrations (Alembic, batch mode) run when a project is opened.

Alembic (with the SQLAlchemy parts it loads) costs about 0.4 s to import, and opening
a project that is already at the newest revision does not need it: the revisions are
read from the migration scripts' text (``revision = '...'`` / ``down_revision = '...'``),
and Alembic is imported only to upgrade an older file. A test checks that this reading
agrees with Alembic's own view of the scripts.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSIONS_DIR = MIGRATIONS_DIR / "versions"
_REVISION_RE = re.compile(r"^revision(?:\s*:[^=\n]*)?\s*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_RE = re.compile(r"^down_revision(?:\s*:[^=\n]*)?\s*=\s*(.+)$", re.MULTILINE)
_QUOTED_RE = re.compile(r"['\"]([^'\"]+)['\"]")
# pg_advisory_xact_lock key held while a server project's schema is upgraded ('STUD' + 1)
MIGRATION_LOCK_KEY = 0x53545544_0001


def alembic_config() -> Config:
    """An Alembic config pointing at the packaged migration scripts (no alembic.ini)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def script_directory() -> ScriptDirectory:
    """The migration scripts shipped with this version of the studio."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def scan_revisions(folder: Path = VERSIONS_DIR) -> tuple[frozenset[str], str] | None:
    """(every revision, the single head) read from the scripts' text; None if unsure.

    None (then the caller asks Alembic) when a script has no plain ``revision = '…'``
    line, when there is no script or not exactly one head, or when a script is missing
    from the folder (only compiled files shipped).
    """
    revisions: set[str] = set()
    downs: set[str] = set()
    scripts = [p for p in folder.glob("*.py") if p.name != "__init__.py"]
    if not scripts:
        return None
    for path in scripts:
        text = path.read_text(encoding="utf-8")
        rev = _REVISION_RE.search(text)
        if rev is None:
            return None
        revisions.add(rev.group(1))
        down = _DOWN_RE.search(text)
        if down is not None:
            # a quoted id, a tuple/list of them (a merge), or None (the first script)
            downs.update(_QUOTED_RE.findall(down.group(1)))
    heads = revisions - downs
    if len(heads) != 1 or not downs <= revisions:
        return None
    return frozenset(revisions), heads.pop()


@functools.cache
def _revisions() -> tuple[frozenset[str], str]:
    scanned = scan_revisions()
    if scanned is not None:
        return scanned
    scripts = script_directory()
    head = scripts.get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise RuntimeError("no migrations found")
    return frozenset(rev.revision for rev in scripts.walk_revisions()), head


def head_revision() -> str:
    """The newest schema revision this version knows."""
    return _revisions()[1]


def known_revisions() -> set[str]:
    """Every revision this version of the studio knows."""
    return set(_revisions()[0])


def current_revision(conn: Connection) -> str | None:
    """The revision stamped in the database, or None for a new/unstamped file."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def upgrade_to_head(engine: Engine) -> None:
    """Upgrade the schema to head in one transaction.

    SQLite: foreign keys off while batch mode copies tables (enforcing them breaks it).
    PostgreSQL: DDL is transactional, so a failed upgrade leaves the database as it was;
    an advisory lock makes a second program opening the same old database wait for the
    first one's upgrade instead of running it twice.
    """
    from alembic import command
    from sqlalchemy import text

    cfg = alembic_config()
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            conn.execute(text("PRAGMA foreign_keys = OFF"))
            conn.commit()
        with conn.begin():
            if not sqlite:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
                if current_revision(conn) == head_revision():
                    return
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        if sqlite:
            conn.execute(text("PRAGMA foreign_keys = ON"))
            conn.commit()
