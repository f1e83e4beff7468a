"""core/db/engine: every connection can use REGEXP without a caller installing it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from studio.core.db import transactions
from studio.core.db.project import new_project, open_project


def test_regexp_works_on_reads_writes_and_orm_sessions_of_a_reopened_project(
    tmp_path: Path,
) -> None:
    path = tmp_path / "p.studio"
    new_project(path).close()
    with open_project(path) as project:
        with transactions.read_conn(project) as conn:
            assert conn.execute(text("SELECT 'Refund please' REGEXP '^refund'")).scalar_one() == 1
        with transactions.write_tx(project) as conn:
            assert conn.execute(text("SELECT 'card lost' REGEXP 'refund'")).scalar_one() == 0
        with transactions.session(project) as orm:
            assert orm.connection().execute(text("SELECT 'a' REGEXP 'A'")).scalar_one() == 1


def test_regexp_is_multiline_and_null_never_matches(tmp_path: Path) -> None:
    with new_project(tmp_path / "p.studio") as project, transactions.read_conn(project) as conn:
        # ^ anchors at the start of every line of the searched text
        second_line = conn.execute(text("SELECT 'first\nsecond' REGEXP '^second$'"))
        assert second_line.scalar_one() == 1
        assert conn.execute(text("SELECT NULL REGEXP 'x'")).scalar_one() == 0
        assert conn.execute(text("SELECT 'x' REGEXP NULL")).scalar_one() == 0
