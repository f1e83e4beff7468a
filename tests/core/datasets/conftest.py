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
    """db_count(table="example") -> number of rows in that table of the project file."""
    import sqlite3

    def _count(table: str = "example") -> int:
        conn = sqlite3.connect(project.path)
        try:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        finally:
            conn.close()

    return _count
