"""The demo's student-vs-teacher run in the Evaluate view (issue 13 §5): listed in Past
Runs with its verdict, and opened on its summary with the simulated-model note.

The verdict and the scores are read from the project file with sqlite3 (the figures
themselves are recounted in tests/core/distil/test_demo_student.py).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

from studio.core.demo.run import DEMO_NOTE, LARGE_MODEL, STUDENT_MODEL
from studio.ui.context import AppContext
from studio.ui.evaluate.view import EvaluateView


def test_evaluate_shows_the_student_vs_teacher_verdict(
    qtbot: object,
    open_context: AppContext,
    project_file: Path,
    wait_idle: Callable[..., None],
) -> None:
    from studio.ui.main_window import MainWindow
    from studio.ui.settings import AppSettings

    conn = sqlite3.connect(project_file)
    try:
        run_id, summary_json = conn.execute(
            "SELECT r.id, r.summary_json FROM eval_run r JOIN eval_variant v ON v.run_id = r.id "
            "WHERE v.model = ?",
            (STUDENT_MODEL,),
        ).fetchone()
    finally:
        conn.close()
    summary = json.loads(summary_json)["summary"]
    verdict = summary["comparison"]["verdict"]
    scores = {v["model"]: v["score"] for v in summary["variants"]}

    window = MainWindow(open_context, settings=AppSettings())
    qtbot.addWidget(window)  # type: ignore[attr-defined]
    window.show()
    window.navigate("evaluate", {"run_id": run_id})
    view = window.view("evaluate")
    assert isinstance(view, EvaluateView)
    qtbot.waitUntil(lambda: view.run_id == run_id and view.loaded is not None, timeout=10000)  # type: ignore[attr-defined]
    assert view.summary.verdict.text() == verdict
    assert "not distinguishable" in verdict and STUDENT_MODEL in verdict
    assert view.summary.note.text() == f"Note: {DEMO_NOTE}."
    assert scores[STUDENT_MODEL] < scores[LARGE_MODEL]
    qtbot.waitUntil(lambda: view.runs.entry(run_id) is not None, timeout=10000)  # type: ignore[attr-defined]
    entry = view.runs.entry(run_id)
    assert entry is not None and entry.verdict == verdict
    wait_idle(open_context)
