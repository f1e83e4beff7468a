"""Schema migrations (Alembic, batch mode) run when a project is opened."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    """An Alembic config pointing at the packaged migration scripts (no alembic.ini)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def script_directory() -> ScriptDirectory:
    """The migration scripts shipped with this version of the studio."""
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest schema revision this version knows."""
    head = script_directory().get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise RuntimeError("no migrations found")
    return head


def known_revisions() -> set[str]:
    """Every revision this version of the studio knows."""
    return {rev.revision for rev in script_directory().walk_revisions()}


def current_revision(conn: Connection) -> str | None:
    """The revision stamped in the database, or None for a new/unstamped file."""
    return MigrationContext.configure(conn).get_current_revision()


def upgrade_to_head(engine: Engine) -> None:
    """Upgrade the schema to head in one transaction, foreign keys off (batch mode needs it)."""
    from alembic import command

    cfg = alembic_config()
    with engine.connect() as conn:
        # Batch mode copies tables; enforcing foreign keys while it does breaks it
        conn.execute(text("PRAGMA foreign_keys = OFF"))
        conn.commit()
        with conn.begin():
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        conn.execute(text("PRAGMA foreign_keys = ON"))
        conn.commit()
