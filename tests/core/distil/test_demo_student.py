"""The demo's student-vs-teacher A/B (issue 13 §5): recorded on the test split after the
distil step, with its verdict.

Every figure is recounted here from the stored answers (``eval_result.output`` against
``example.label``, with the json module) and the exact McNemar p-value from the
discordant pairs with math.comb, then compared with what the runner stored and what
``studio runs show`` prints.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from studio.core.demo.run import DEMO_NOTE, LARGE_MODEL, SMALL_MODEL, STUDENT_MODEL

REPO = Path(__file__).resolve().parents[3]


def _right_by_example(conn: sqlite3.Connection, run_id: int, model: str) -> dict[int, bool]:
    rows = conn.execute(
        "SELECT r.example_id, r.output, e.label, e.split FROM eval_result r "
        "JOIN eval_variant v ON v.id = r.variant_id JOIN example e ON e.id = r.example_id "
        "WHERE r.run_id = ? AND v.model = ?",
        (run_id, model),
    ).fetchall()
    assert rows and {r[3] for r in rows} == {"test"}
    return {int(eid): json.loads(out)["intent"] == label for eid, out, label, _ in rows}


def _cost(conn: sqlite3.Connection, run_id: int, model: str) -> float:
    (total,) = conn.execute(
        "SELECT sum(r.cost_usd) FROM eval_result r JOIN eval_variant v ON v.id = r.variant_id "
        "WHERE r.run_id = ? AND v.model = ?",
        (run_id, model),
    ).fetchone()
    return float(total)


def test_demo_records_student_vs_teacher_with_its_verdict(
    demo_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "demo.studio"
    shutil.copyfile(demo_template, path)
    conn = sqlite3.connect(path)
    try:
        runs = conn.execute(
            "SELECT r.id, r.kind, r.split, r.status, r.recorded_note, r.summary_json, "
            "group_concat(v.model, '|') FROM eval_run r JOIN eval_variant v ON v.run_id = r.id "
            "GROUP BY r.id ORDER BY r.id"
        ).fetchall()
        student_runs = [r for r in runs if r[6] == f"{LARGE_MODEL}|{STUDENT_MODEL}"]
        assert len(student_runs) == 1
        run_id, kind, split, status, note, summary_json, _ = student_runs[0]
        assert (kind, split, status, note) == ("ab", "test", "completed", DEMO_NOTE)
        # After the distil step (the loop's order: prove, distil, student vs teacher)
        distil_id = next(r[0] for r in runs if r[1] == "distil")
        assert run_id > distil_id

        teacher = _right_by_example(conn, run_id, LARGE_MODEL)
        student = _right_by_example(conn, run_id, STUDENT_MODEL)
        (cross_id,) = [r[0] for r in runs if r[6] == f"{LARGE_MODEL}|{SMALL_MODEL}"]
        mini = _right_by_example(conn, cross_id, SMALL_MODEL)
        (labelled_test,) = conn.execute(
            "SELECT count(*) FROM example e JOIN dataset d ON d.id = e.dataset_id "
            "WHERE d.name = 'Banking intents (demo)' AND e.split = 'test' "
            "AND e.status != 'rejected' AND coalesce(e.label, '') != ''"
        ).fetchone()
        cost_teacher = _cost(conn, run_id, LARGE_MODEL)
        cost_student = _cost(conn, run_id, STUDENT_MODEL)
    finally:
        conn.close()

    n = len(teacher)
    assert set(teacher) == set(student) and n == labelled_test
    t_right, s_right = sum(teacher.values()), sum(student.values())
    # As designed: a few points below the teacher, clearly above the un-tuned small model
    assert 0.01 <= (t_right - s_right) / n <= 0.06
    assert (s_right - sum(mini.values())) / n >= 0.03
    # The paired test, by hand: exact two-sided McNemar on the discordant pairs
    only_t = sum(teacher[e] and not student[e] for e in teacher)
    only_s = sum(student[e] and not teacher[e] for e in teacher)
    k, m = min(only_t, only_s), only_t + only_s
    p = min(1.0, 2 * sum(math.comb(m, i) for i in range(k + 1)) / 2**m)

    summary = json.loads(summary_json)["summary"]
    by_model = {v["model"]: v for v in summary["variants"]}
    assert (by_model[LARGE_MODEL]["correct"], by_model[STUDENT_MODEL]["correct"]) == (
        t_right,
        s_right,
    )
    assert by_model[STUDENT_MODEL]["score"] == pytest.approx(s_right / n)
    comparison = summary["comparison"]
    assert comparison["n"] == n
    assert comparison["difference"] == pytest.approx((s_right - t_right) / n)
    assert comparison["p_value"] == pytest.approx(p)
    assert p > 0.05 and "not distinguishable" in comparison["verdict"]
    # The student is the cheap one: a fine-tuned nano against gpt-4.1
    assert cost_student < cost_teacher / 5
    assert by_model[STUDENT_MODEL]["cost_usd"] == pytest.approx(cost_student)

    # `studio runs show` prints the same verdict and says the run is simulated
    shown = subprocess.run(
        [sys.executable, "-m", "studio", "runs", "show", str(run_id), "--project", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert shown.returncode == 0, shown.stderr
    assert f"Verdict: {comparison['verdict']}" in shown.stdout
    assert f"p = {p:.2f}" in shown.stdout and f"{100 * s_right / n:.1f}%" in shown.stdout
    assert DEMO_NOTE in shown.stdout
