"""The demo project builder and the read-only quick look at a project's prompt list."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from studio.core.db.project import new_project, open_project
from studio.core.demo import create_demo_project, fill_demo_project, open_or_create_demo_project
from studio.core.prompts.service import list_prompts
from studio.core.quick_look import head_revision_from_files, quick_prompt_list


def test_demo_is_built_once_in_the_data_dir_and_complete() -> None:
    project = open_or_create_demo_project()
    try:
        names = [p.name for p in list_prompts(project)]
        assert names == [
            "banking-intent",
            "fee-answer",
            "intent-judge",
            "support-reply",
            "ticket-extract",
        ]
        path = project.path
    finally:
        project.close()
    assert path.parent.name == "data"
    assert not list(path.parent.glob("*.building*"))  # built under a temporary name
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO project_meta (key, value) VALUES ('marker', 'kept')")
    conn.close()
    again = open_or_create_demo_project()  # opens the existing demo, does not rebuild it
    again.close()
    with sqlite3.connect(path) as conn:
        marker = conn.execute("SELECT value FROM project_meta WHERE key = 'marker'").fetchone()
    conn.close()
    assert marker == ("kept",)


def test_fill_demo_project_reports_the_parts_added(tmp_path: Path) -> None:
    with new_project(tmp_path / "d.studio") as project:
        added = fill_demo_project(project)
    assert "add_demo_prompts" in added


def test_quick_look_matches_the_service_list(tmp_path: Path) -> None:
    path = tmp_path / "demo.studio"
    create_demo_project(path)
    quick = quick_prompt_list(path)
    assert quick is not None
    with open_project(path) as project:
        full = list_prompts(project)
    assert [(q.name, q.description, q.latest_version, q.labels) for q in quick] == [
        (f.name, f.description, f.latest_version, f.labels) for f in full
    ]


def test_quick_look_refuses_what_the_real_open_would_refuse(tmp_path: Path) -> None:
    assert head_revision_from_files() is not None
    garbage = tmp_path / "g.studio"
    garbage.write_bytes(b"not sqlite" * 100)
    assert quick_prompt_list(garbage) is None
    assert quick_prompt_list(tmp_path / "missing.studio") is None
    foreign = tmp_path / "f.studio"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE prompt (id, name, description)")
    assert quick_prompt_list(foreign) is None
    newer = tmp_path / "n.studio"
    create_demo_project(newer)
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    assert quick_prompt_list(newer) is None
