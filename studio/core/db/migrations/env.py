"""Alembic environment: run against the connection handed in by studio.core.db.migrate."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import studio.core.models  # noqa: F401  (registers every table)

config = context.config
target_metadata = SQLModel.metadata

# Only the autogenerate helper script sets this: it limits the compared tables
_stage_tables = os.environ.get("STUDIO_MIGRATION_TABLES")


def _include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    if _stage_tables and type_ == "table":
        return name in _stage_tables.split(",")
    if _stage_tables and type_ in {"index", "unique_constraint", "foreign_key_constraint"}:
        table = getattr(getattr(obj, "table", None), "name", None)
        return table in _stage_tables.split(",") if table else True
    return True


def _run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    url = config.get_main_option("sqlalchemy.url")
    from sqlalchemy import create_engine

    with create_engine(url or "sqlite://").connect() as own_connection:
        _run_migrations(own_connection)
else:
    _run_migrations(connection)
