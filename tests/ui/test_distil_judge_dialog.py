"""The Distil view with a judge: the Generate Teacher Outputs dialog's judge picker, the
judge's scores stored after the teacher's calls, and bulk accept "and judge ≥ X".

A real demo project file, real widgets offscreen, a loopback server through the openai
SDK. The judge answers each row with an entry of the hand table of
:mod:`helpers.distil_judge` chosen by a hash of the row's input text, so the expected
score of every row is computed here from the table, not read from the code.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.distil_judge import JUDGE_TABLE, add_judge_prompts
from helpers.loopback_server import LoopbackServer
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from test_distil_view import TeacherResponder

from studio.core.llm.providers import ProviderConfig
from studio.ui.context import AppContext
from studio.ui.distil.candidates_model import COL_JUDGE
from studio.ui.distil.view import DistilView

pytestmark = pytest.mark.gui

_INPUT = re.compile(r"^Input: (.*)\nAnswer:", re.DOTALL)


def _sql(path: Path, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(query, params).fetchall()


def _pick(text: str) -> int:
    return hashlib.sha256(text.encode()).digest()[0] % len(JUDGE_TABLE)


@pytest.fixture
def project_file(project_file: Path) -> Path:
    """The demo copy without teacher outputs, plus the judge prompt ``grader``."""
    with contextlib.closing(sqlite3.connect(project_file)) as conn, conn:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("DELETE FROM candidate")
        conn.execute("DELETE FROM eval_run WHERE kind = 'distil'")
    add_judge_prompts(project_file)
    return project_file


class TeacherAndJudge:
    """The view tests' teacher; for ``loopback-judge`` the table answer of the input."""

    def __init__(self, teacher: TeacherResponder) -> None:
        self.teacher = teacher
        self.judged: list[str] = []

    def __call__(self, body: dict[str, Any]) -> str:
        if body.get("model") != "loopback-judge":
            return self.teacher(body)
        m = _INPUT.search(str(body["messages"][-1]["content"]))
        shown = m.group(1) if m else ""
        self.judged.append(shown)
        return JUDGE_TABLE[_pick(shown)][0]


@pytest.fixture
def server(project_file: Path) -> Iterator[LoopbackServer]:
    rows = _sql(project_file, "SELECT search_text, label FROM example WHERE label IS NOT NULL")
    mapping = {str(t): str(lab) for t, lab in rows}
    responder = TeacherAndJudge(TeacherResponder(mapping, sorted(set(mapping.values()))))
    srv = LoopbackServer(latency=0.002, responder=responder)  # type: ignore[arg-type]
    srv.start()
    yield srv
    srv.stop()


def test_generate_with_a_judge_then_bulk_accept_and_judge_at_least(
    qtbot: QtBot,
    open_context: AppContext,
    project_file: Path,
    server: LoopbackServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    view = DistilView(open_context)
    qtbot.addWidget(view)
    view.resize(1130, 760)
    view.show()
    qtbot.waitUntil(lambda: view.dataset is not None and view.counts is not None, timeout=10000)
    qtbot.waitUntil(lambda: not open_context.runner.busy, timeout=10000)
    assert view.review.table.isColumnHidden(COL_JUDGE)
    assert not view.review.bulk_judge_check.isVisibleTo(view)
    rows = _sql(
        project_file,
        "SELECT id, search_text FROM example WHERE dataset_id = 1 AND split = 'validation' "
        "AND status NOT IN ('approved', 'rejected')",
    )
    n = len(rows)
    assert n > 0

    dialog = view.open_outputs_dialog()
    dialog.provider.save(
        ProviderConfig(
            name="Local teacher",
            base_url=server.base_url,
            kind="compatible",
            default_model="loopback-big",
        )
    )
    qtbot.waitUntil(lambda: dialog.judge_combo.count() > 1, timeout=10000)
    dialog.set_ref("banking-intent", 3)
    dialog.samples_spin.setValue(2)
    dialog.temperature_spin.setValue(0.7)
    dialog.split_combo.setCurrentText("validation")
    assert dialog.judge_combo.currentData() is None  # no judge unless chosen
    dialog.set_judge("grader@1")
    with qtbot.waitSignal(dialog.plan_shown, timeout=20000):
        dialog.refresh_plan()
    assert dialog.judge_combo.width() >= dialog.judge_combo.minimumSizeHint().width()
    assert dialog.height() <= 800
    assert dialog.judge_plan is not None and dialog.judge_plan.n_calls == n
    assert f"Then up to {n:,} judge call(s) with grader@1" in dialog.plan_label.text()
    # 2 samples per row, then one judge call per row: 3 n calls on the button
    assert f"{3 * n:,} call(s)" in dialog.run_button.text()

    # a judge prompt without {{output}} is refused in the form, before any call
    dialog.set_judge("grader@2")
    qtbot.waitUntil(lambda: "{{output}}" in dialog.problem_label.text(), timeout=20000)
    assert not dialog.run_button.isEnabled()
    dialog.set_judge("grader@1")
    with qtbot.waitSignal(dialog.plan_shown, timeout=20000):
        dialog.refresh_plan()

    with qtbot.waitSignal(view.run_finished, timeout=60000) as finished:
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    outcome = finished.args[0]
    assert outcome.stored == n
    judged = view.last_judge
    assert judged is not None
    assert server.chat_requests == 3 * n
    # hand count: unreadable answers are table rows 8 and 9
    texts = {int(eid): str(t) for eid, t in rows}
    want = {eid: JUDGE_TABLE[_pick(t)][1] for eid, t in texts.items()}
    assert judged.unreadable == sum(1 for s in want.values() if s is None)
    assert judged.scored == n - judged.unreadable and judged.calls == n
    stored = dict(_sql(project_file, "SELECT example_id, judge_score FROM candidate"))
    for eid, score in want.items():
        assert stored[eid] == (None if score is None else pytest.approx(score)), eid
    qtbot.waitUntil(lambda: not view.review.table.isColumnHidden(COL_JUDGE), timeout=10000)
    assert view.review.bulk_judge_check.isVisibleTo(view)
    # nothing clipped in the review bar at this size
    for w in (
        view.review.bulk_button,
        view.review.bulk_judge_check,
        view.review.bulk_judge_min,
        view.review.accept_button,
        view.review.reject_button,
    ):
        assert w.width() >= w.minimumSizeHint().width(), w.objectName()

    # bulk accept where agreement = 1, valid and judge >= 0.85
    view.review.bulk_judge_check.setChecked(True)
    view.review.bulk_judge_min.setValue(0.85)
    asked: list[str] = []

    def question(_parent: Any, _title: str, text: str, *_a: Any) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    valid = {
        int(r[0])
        for r in _sql(
            project_file, "SELECT example_id FROM candidate WHERE valid = 1 AND agreement = 1.0"
        )
    }
    expected = {eid for eid, s in want.items() if s is not None and s >= 0.85 and eid in valid}
    assert expected
    print(
        f"\njudge in the app: {n} rows, {3 * n} calls, {judged.scored} scored, "
        f"{judged.unreadable} unreadable, bulk accept with judge >= 0.85: {len(expected)}"
    )
    with qtbot.waitSignal(view.decided, timeout=10000):
        view.review.bulk_button.click()
    qtbot.waitUntil(lambda: not open_context.runner.busy, timeout=10000)
    assert len(asked) == 1 and "judge score ≥ 0.85" in asked[0]
    assert f"Accept {len(expected)} pending candidate(s)" in asked[0]
    accepted = {
        int(r[0])
        for r in _sql(project_file, "SELECT example_id FROM candidate WHERE status = 'accepted'")
    }
    assert accepted == expected
