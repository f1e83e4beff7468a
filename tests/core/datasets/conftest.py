"""Fixtures for the dataset tests: small example files (the project: tests/core/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.core.db.project import Project


@pytest.fixture
def write(tmp_path: Path):  # type: ignore[no-untyped-def]
    """write(name, text_or_bytes, encoding="utf-8") -> Path of a file in tmp_path."""

    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode(encoding))
        return path

    return _write


@pytest.fixture
def db_count(project: Project):  # type: ignore[no-untyped-def]
    """db_count(table="example") -> number of rows in that table of the project (any backend)."""
    from sqlalchemy import text

    def _count(table: str = "example") -> int:
        with project.engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())

    return _count
