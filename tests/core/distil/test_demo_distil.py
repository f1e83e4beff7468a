"""The demo's distil step (issue 13 §5): 200 unlabelled inputs, teacher outputs with 3
samples each, "accept where agreement = 1 and valid", undoable.

Read from the demo project (the file, or copied to PostgreSQL) on a connection of its own
and checked against the CSV's banking77 intents, read here with the csv module (the
simulated teacher never writes them to the dataset).
"""

from __future__ import annotations

import csv
import json
import math
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from helpers.backends import other_connection

from studio.core.datasets.operations import undo_operation
from studio.core.db.project import open_project

REPO = Path(__file__).resolve().parents[3]
CSV = REPO / "resources" / "demo" / "banking77_distil.csv"


def test_demo_distils_200_rows_and_accepts_the_unanimous(
    demo_template: Path, tmp_path: Path, place: Callable[[Path], Path | str]
) -> None:
    with CSV.open(newline="", encoding="utf-8") as fh:
        truth = {" ".join(r["text"].split()): r["category"] for r in csv.DictReader(fh)}
    assert len(truth) == 200
    path = tmp_path / "demo.studio"
    shutil.copyfile(demo_template, path)
    where = place(path)
    with other_connection(where) as conn:
        rows, ds, newest = _read(conn)
    # One candidate per new row, none for the curated rows
    assert len(rows) == 200
    assert {" ".join(r[1].split()) for r in rows} == set(truth)
    assert {(r[2], r[8], r[9], r[11]) for r in rows} == {("train", 1, 3, "distil")}
    assert all(r[12] for r in rows)  # recorded against the simulated model, and says so
    accepted = [r for r in rows if r[6] == "accepted"]
    pending = [r for r in rows if r[6] == "pending"]
    assert len(accepted) + len(pending) == 200
    # Accepted exactly where all three samples agreed; the rest wait for a person
    assert all(r[7] == 1.0 for r in accepted)
    assert all(abs(r[7] - 2 / 3) < 1e-9 for r in pending)
    assert all((r[3], r[4], r[5]) == ("approved", r[10], "teacher") for r in accepted)
    assert all((r[3], r[4], r[5]) == ("draft", None, "") for r in pending)
    # Most accepted labels are banking77's (the teacher is wrong on a few on purpose)
    right = sum(r[4] == truth[" ".join(r[1].split())] for r in accepted)
    assert right / len(accepted) >= 0.88
    assert len(pending) >= 10  # some disagreement to review by hand
    assert tuple(newest) == (f"Accept {len(accepted)} teacher outputs", len(accepted))

    # The demo's operations are the user's who built it (conftest: "tester", as the tests
    # run), so their plain undo (personal: their own newest) takes the review step
    with other_connection(where) as conn:
        actors = {r[0] for r in conn.execute("SELECT DISTINCT actor FROM operation").fetchall()}
    assert actors == {"tester"}
    # The review step is undone like any dataset change, candidates included
    project = open_project(where)
    try:
        undo_operation(project, ds)
    finally:
        project.close()
    with other_connection(where) as conn:
        after = [
            tuple(r)
            for r in conn.execute(
                "SELECT c.status, e.status, e.label FROM candidate c JOIN example e "
                "ON e.id = c.example_id"
            ).fetchall()
        ]
    assert set(after) - {a for a in after if a[0] == "audit"} == {("pending", "draft", None)}


def test_demo_audit_measures_the_teacher_on_50_human_rows(demo_template: Path) -> None:
    from studio.core.decide.store import load_report
    from studio.core.distil.evidence import distil_evidence

    with other_connection(demo_template) as conn:
        audit = conn.execute(
            "SELECT e.split, e.status, e.ideal_source, c.label = e.label, c.valid, c.samples "
            "FROM candidate c JOIN example e ON e.id = c.example_id WHERE c.status = 'audit'"
        ).fetchall()
    assert len(audit) == 50
    assert all(a[0] in ("train", "validation") and a[1:3] == ("approved", "human") for a in audit)
    assert all(a[4] == 1 and a[5] == 3 for a in audit)
    k = sum(a[3] for a in audit)  # hand count: the teacher's label equals the human's
    project = open_project(demo_template)
    try:
        ev = distil_evidence(project, "Banking intents (demo)")
        report = load_report(project)
    finally:
        project.close()
    assert (ev.teacher_correct, ev.teacher_compared, ev.teacher_from_audit) == (k, 50, 50)
    # The demo's saved decision report carries it, with its n and Wilson interval
    assert report is not None
    facts = report["evidence"]
    assert (facts["teacher_correct"], facts["teacher_compared"]) == (k, 50)
    z = 1.959963984540054
    centre = (k / 50 + z * z / 100) / (1 + z * z / 50)
    half = z / (1 + z * z / 50) * math.sqrt(k / 50 * (1 - k / 50) / 50 + z * z / (4 * 2500))
    assert abs(facts["teacher_ci_low"] - (centre - half)) < 1e-9
    assert abs(facts["teacher_ci_high"] - (centre + half)) < 1e-9
    # The simulated teacher is wrong on about 6 % of queries (module docstring)
    assert 0.8 <= k / 50 < 1.0


def _read(conn: Any) -> tuple[list[Any], int, Any]:
    """The demo's new rows with their candidate and run, its dataset id, its newest
    operation (SQL without parameters: the same on sqlite3 and psycopg)."""
    rows = conn.execute(
        "SELECT e.id, e.search_text, e.split, e.status, e.label, e.ideal_source, c.status, "
        "c.agreement, c.valid, c.samples, c.label, r.kind, r.recorded_note "
        "FROM example e JOIN candidate c ON c.example_id = e.id "
        "JOIN eval_run r ON r.id = c.run_id WHERE c.status != 'audit'"
    ).fetchall()
    (ds,) = conn.execute("SELECT id FROM dataset WHERE name = 'Banking intents (demo)'").fetchone()
    newest = conn.execute(
        "SELECT description, count FROM operation "
        f"WHERE dataset_id = {int(ds)} ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return rows, int(ds), newest


def test_demo_judge_scored_the_200_teacher_candidates(
    demo_template: Path, tmp_path: Path, place: Callable[[Path], Path | str]
) -> None:
    """intent-judge@2 scored every teacher candidate of the demo's distil run, high exactly
    where the teacher's intent is the query's banking77 intent (the CSV, read here)."""
    with CSV.open(newline="", encoding="utf-8") as fh:
        truth = {" ".join(r["text"].split()): r["category"] for r in csv.DictReader(fh)}
    path = tmp_path / "demo.studio"
    shutil.copyfile(demo_template, path)
    with other_connection(place(path)) as conn:
        rows = conn.execute(
            "SELECT e.search_text, c.output, c.judge_score, c.judge_ref, c.judge_model, "
            "c.judged_at, c.status, c.agreement FROM candidate c "
            "JOIN example e ON e.id = c.example_id WHERE c.status != 'audit'"
        ).fetchall()
        audit = conn.execute(
            "SELECT count(*) FROM candidate WHERE status = 'audit' AND judge_score IS NULL "
            "AND judge_ref IS NULL AND judge_model IS NULL AND judged_at IS NULL"
        ).fetchone()
        (plan,) = conn.execute("SELECT summary_json FROM eval_run WHERE kind = 'distil'").fetchone()
    assert len(rows) == 200
    # Who scored: the judge stored on the run, every candidate with its identity and time
    assert json.loads(plan)["distil"]["judge"] == "intent-judge@2"
    assert {(r[3], r[4]) for r in rows} == {("intent-judge@2", "gpt-4.1-mini")}
    assert all(r[2] is not None and r[5] is not None for r in rows)
    assert tuple(audit) == (50,)  # the audit answers are not the run's pending ones: unjudged
    # Hand count from the CSV: the teacher's intent (its JSON answer) is the true one
    right = {
        i for i, r in enumerate(rows) if json.loads(r[1])["intent"] == truth[" ".join(r[0].split())]
    }
    wrong = set(range(len(rows))) - right
    assert 150 <= len(right) < 200 and len(wrong) >= 5  # a good teacher with a few misses
    # A score of 0.5 or more exactly where the teacher was right
    assert {i for i, r in enumerate(rows) if r[2] >= 0.5} == right
    # Its usual grades: 9-10/10 right, 1-2/10 wrong; hedged 7/10 or 4/10 on a small share
    scores = {round(r[2], 6) for r in rows}
    assert scores <= {1.0, 0.9, 0.7, 0.4, 0.2, 0.1}
    hedged = [r for r in rows if round(r[2], 6) in (0.7, 0.4)]
    assert 0 < len(hedged) <= 0.15 * len(rows)
    # The consistently wrong answers (all three samples agree) are the judge's catch:
    # accepted by agreement alone, scored low
    caught = [i for i in wrong if rows[i][7] == 1.0 and rows[i][2] < 0.5]
    assert caught and all(rows[i][6] == "accepted" for i in caught)


def test_demo_decision_report_cites_the_judge(demo_template: Path) -> None:
    """The saved decision report names the judge of the accepted teacher answers, how many
    it scored and their median, recounted here from the candidates."""
    from studio.core.decide.compute import compute_decision
    from studio.core.decide.report import render_markdown
    from studio.core.decide.store import load_report
    from studio.core.demo.decision import demo_answers

    with other_connection(demo_template) as conn:
        scores = sorted(
            float(r[0])
            for r in conn.execute(
                "SELECT judge_score FROM candidate WHERE status = 'accepted' "
                "AND judge_score IS NOT NULL AND judge_ref = 'intent-judge@2'"
            ).fetchall()
        )
        (accepted,) = conn.execute(
            "SELECT count(*) FROM candidate WHERE status = 'accepted'"
        ).fetchone()
    n = len(scores)
    assert n == accepted > 0  # the demo judged every candidate before the review
    median = (scores[(n - 1) // 2] + scores[n // 2]) / 2
    project = open_project(demo_template)
    try:
        facts = (load_report(project) or {})["evidence"]
        md = render_markdown(compute_decision(project, demo_answers(), today=date(2026, 12, 1)))
    finally:
        project.close()
    assert facts["judge"] == "intent-judge@2 (gpt-4.1-mini)"
    assert (facts["judge_accepted"], facts["judge_median"]) == (n, median)
    assert (
        f"judge intent-judge@2 (gpt-4.1-mini) scored {n} of the {accepted} accepted "
        f"candidates, median {median:.2f}"
    ) in md
