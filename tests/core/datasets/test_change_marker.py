"""The change marker the app polls (ISSUE-11 §6, ISSUE-14 §3), on both backends.

Another writer is another project handle (its own engine, as another process has) or a
plain DB-API connection of its own; on PostgreSQL the poll skips the aggregates while
the server's transaction snapshot has not moved, so the cases that could fool that
shortcut are here: a transaction still open at a poll, and a write elsewhere on the
server.
"""

from __future__ import annotations

import csv
from pathlib import Path

from helpers import BANKING77
from helpers.backends import other_connection

from studio.core.datasets import create_dataset, import_file
from studio.core.datasets.curation import set_label
from studio.core.datasets.operations import undo
from studio.core.datasets.watch import change_marker
from studio.core.db.project import Project, open_project


def _dataset(project: Project, tmp_path: Path) -> tuple[int, list[int]]:
    with (BANKING77 / "test.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[:30]
    path = tmp_path / "queries.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text"])
        for r in rows:
            w.writerow([r["text"]])
    info = create_dataset(
        project, "intents", task_type="classification", label_set=["card_arrival", "other"]
    )
    import_file(project, path, "intents")
    with other_connection(project.location) as conn:
        ids = [int(r[0]) for r in conn.execute("SELECT id FROM example ORDER BY id").fetchall()]
    assert len(ids) == 30
    return info.id, ids


def test_the_marker_moves_with_another_writers_edit_and_undo(
    project: Project, tmp_path: Path
) -> None:
    ds, ids = _dataset(project, tmp_path)
    first = change_marker(project)
    assert change_marker(project) == first  # nothing happened
    with open_project(project.location) as other:  # another labeller's handle
        set_label(other, ds, [ids[3]], "card_arrival")
        after_edit = change_marker(project)
        assert after_edit != first
        assert change_marker(project) == after_edit
        undo(other, ds)  # flips the operation's flag: no new operation row
    after_undo = change_marker(project)
    assert after_undo != after_edit
    assert change_marker(project) == after_undo


def test_a_transaction_open_at_a_poll_is_seen_when_it_commits(
    project: Project, tmp_path: Path
) -> None:
    ds, ids = _dataset(project, tmp_path)
    set_label(project, ds, [ids[0]], "other")
    before = change_marker(project)
    with other_connection(project.location) as conn:
        conn.execute("BEGIN")
        conn.execute(
            "UPDATE operation SET undone = NOT undone WHERE id = (SELECT max(id) FROM operation)"
        )
        # not committed yet: the poll sees the old state (and must not remember it as final)
        assert change_marker(project) == before
        conn.execute("COMMIT")
    assert change_marker(project) != before


def test_a_write_that_touches_no_dataset_does_not_count(project: Project, tmp_path: Path) -> None:
    ds, _ids = _dataset(project, tmp_path)
    before = change_marker(project)
    with other_connection(project.location) as conn:
        # a write outside the dataset tables (on PostgreSQL it moves the server's
        # snapshot, so the aggregates are read again: they must read the same)
        conn.execute("INSERT INTO project_meta (key, value) VALUES ('marker-test', 'x')")
    assert change_marker(project) == before
    assert ds > 0
