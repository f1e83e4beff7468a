"""Migration 0008 (judge identity) on a project that already has judge scores, on both
backends: the scores keep their values and get no judge ("judge not recorded"); and
``project copy`` carries the new columns.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from studio.core.datasets.catalog import create_dataset
from studio.core.datasets.curation import add_example
from studio.core.db import migrate
from studio.core.db.copy import copy_project
from studio.core.db.project import Project, new_project, open_project
from studio.core.distil.candidates import list_candidates

# (judge_score written at revision 0007) per candidate: two scores and one never judged
SCORES = (0.7, None, 0.0)


def _candidate(project: Project, ds: int, eid: int, score: float | None) -> None:
    with project.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO candidate (dataset_id, example_id, prompt_ref, model, params_json, "
                "output_kind, output, samples, valid, reason, status, judge_score, "
                "response_id, created_at, decided_by) VALUES (:d, :e, 'teacher@1', 'big', '{}', "
                "'text', 'card_lost', 1, TRUE, '', 'pending', :s, '', "
                "'2026-12-07 15:00:00.000000', '')"
            ),
            {"d": ds, "e": eid, "s": score},
        )


def _downgrade_to_0007(project: Project) -> None:
    cfg = migrate.alembic_config()
    sqlite = not project.is_server
    with project.engine.connect() as conn:
        if sqlite:  # batch mode copies tables: foreign keys off, as upgrade_to_head does
            conn.execute(text("PRAGMA foreign_keys = OFF"))
            conn.commit()
        with conn.begin():
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0007")
        if sqlite:
            conn.execute(text("PRAGMA foreign_keys = ON"))
            conn.commit()


def test_scores_from_0007_keep_their_value_with_the_judge_not_recorded(
    project: Project,
) -> None:
    info = create_dataset(project, "intents", task_type="classification", label_set=["card_lost"])
    eids = [add_example(project, info.id, {"text": f"q{i}"}).example_ids[0] for i in SCORES]
    location = project.location
    _downgrade_to_0007(project)
    with project.engine.connect() as conn:
        assert migrate.current_revision(conn) == "0007"
        columns = {c["name"] for c in inspect(conn).get_columns("candidate")}
        assert "judge_ref" not in columns and "judge_score" in columns
    for eid, score in zip(eids, SCORES, strict=True):
        _candidate(project, info.id, eid, score)  # what an older studio wrote
    project.close()

    upgraded = open_project(location)  # opening upgrades to head
    try:
        with upgraded.engine.connect() as conn:
            assert migrate.current_revision(conn) == migrate.head_revision()
        rows = {r.example_id: r for r in list_candidates(upgraded, "intents")}
        for eid, score in zip(eids, SCORES, strict=True):
            r = rows[eid]
            assert r.judge_score == score
            assert (r.judge_ref, r.judge_model, r.judged_at) == (None, None, None)
            assert r.judged_by() == ("" if score is None else "judge not recorded")
    finally:
        upgraded.close()


@pytest.mark.sqlite_only  # copies a file to a server and back itself
def test_project_copy_carries_the_judge_columns(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from helpers.pg_server import drop_pg_database, fresh_pg_database

    src = tmp_path / "src.studio"
    with new_project(src) as project:
        info = create_dataset(project, "intents", task_type="classification", label_set=["a"])
        eids = [add_example(project, info.id, {"text": f"q{i}"}).example_ids[0] for i in range(3)]
        for eid in eids:
            _candidate(project, info.id, eid, None)
        with project.engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE candidate SET judge_score = 0.8, judge_ref = 'grader@2', "
                    "judge_model = 'gpt-x', judged_at = '2026-12-07 15:31:40.885313' "
                    "WHERE example_id = :e"
                ),
                {"e": eids[0]},
            )
            conn.execute(
                text(
                    "UPDATE candidate SET judge_ref = 'grader@2', judge_model = 'gpt-x', "
                    "judged_at = '2026-12-07 15:31:41.000001' WHERE example_id = :e"
                ),
                {"e": eids[1]},
            )
    server = request.getfixturevalue("pg_server")
    location = fresh_pg_database(server)
    try:
        there = copy_project(src, location)
        assert there.ok
        back = tmp_path / "back.studio"
        assert copy_project(location, back).ok
        for where in (location, back):
            with open_project(where) as p:
                got = {
                    r.example_id: (r.judge_score, r.judge_ref, r.judge_model, r.judged_at)
                    for r in list_candidates(p, "intents")
                }
            assert got == {
                eids[0]: (0.8, "grader@2", "gpt-x", "2026-12-07 15:31:40.885313"),
                eids[1]: (None, "grader@2", "gpt-x", "2026-12-07 15:31:41.000001"),
                eids[2]: (None, None, None, None),
            }, where
    finally:
        drop_pg_database(server, location)
