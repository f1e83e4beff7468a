"""A damaged ``alembic_version`` table: a clear message and at most one backup (ISSUE-10 §7)."""

from __future__ import annotations

import contextlib
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from studio.core.db.project import new_project, open_project
from studio.core.errors import ProjectFileError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_project_file import make_old_project


def _sql(path: Path, *statements: str) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        for st in statements:
            conn.execute(st)
        conn.commit()


def _backups(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.backup-*"))


@pytest.mark.parametrize(
    ("statements", "what"),
    [
        (["DELETE FROM alembic_version"], "is empty"),
        (["INSERT INTO alembic_version VALUES ('0001')"], "holds more than one version"),
        (["UPDATE alembic_version SET version_num = ''"], "holds an empty version"),
        (
            ["DROP TABLE alembic_version", "CREATE TABLE alembic_version (x INTEGER)"],
            "cannot be read",
        ),
    ],
)
def test_damaged_table_is_refused_untouched_without_backups(
    tmp_path: Path, statements: list[str], what: str
) -> None:
    path = tmp_path / "team.studio"
    new_project(path).close()
    _sql(path, *statements)
    before = path.read_bytes()
    for _attempt in range(3):
        with pytest.raises(ProjectFileError) as info:
            open_project(path)
        msg = info.value.message
        assert msg.startswith(
            f"{path} is damaged: its schema version table (alembic_version) {what}"
        )
        assert "Nothing was changed" in msg
    assert path.read_bytes() == before
    assert _backups(tmp_path) == []


def test_a_failing_upgrade_makes_one_backup_however_often_it_is_tried(tmp_path: Path) -> None:
    path = tmp_path / "old.studio"
    make_old_project(path, "0001")
    # A table that the 0002 upgrade creates already exists: the upgrade fails every time
    with contextlib.closing(sqlite3.connect(path)) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    from sqlmodel import SQLModel

    import studio.core.models  # noqa: F401  (registers every table of the newest schema)

    missing = sorted(set(SQLModel.metadata.tables) - tables)
    assert missing, "0001 lacks some newer table"
    _sql(path, f"CREATE TABLE {missing[0]} (id INTEGER PRIMARY KEY)")
    messages = []
    for _attempt in range(3):
        with pytest.raises(ProjectFileError) as info:
            open_project(path)
        messages.append(info.value.message)
        # Backups are named to the second: let the next attempt fall in a later second, so
        # that one more backup would show as a second file (it used to, on a slow machine)
        second = int(time.time())
        while int(time.time()) == second:
            time.sleep(0.02)
    backups = _backups(tmp_path)
    assert len(backups) == 1 and backups[0].name.startswith("old.studio.backup-0001-")
    assert all(f"a copy made before the upgrade is {backups[0].name}" in m for m in messages)
    assert all("failed and was undone" in m and "Traceback" not in m for m in messages)
