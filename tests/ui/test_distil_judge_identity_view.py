"""Who judged, in the Distil view: the judge cell's tooltip and the detail pane name the
judge ("judged by NAME@V (model) at TIME"), and Resume of a teacher run started with a
judge scores what it produced with that judge.

A real demo project file, real widgets offscreen, a loopback server through the openai
SDK. The expected texts are written by hand from the rows inserted here.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.distil_judge import JUDGE_MODEL, JUDGE_TABLE, add_judge_prompts
from helpers.loopback_server import LoopbackServer
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from test_distil_judge_dialog import TeacherAndJudge, _pick
from test_distil_view import TeacherResponder

from studio.core.db.project import open_project
from studio.core.distil.outputs import OutputsSpec, create_outputs_run
from studio.core.llm.providers import ProviderConfig
from studio.ui.context import AppContext
from studio.ui.distil.candidates_model import COL_JUDGE
from studio.ui.distil.view import DistilView

pytestmark = pytest.mark.gui

AT = "2026-12-07 15:31:40.885313"
# (judge_score, judge_ref, judge_model, judged_at) per inserted candidate, and the tooltip
# of its judge cell, by hand
JUDGED: list[tuple[tuple[Any, ...], str]] = [
    (
        (0.8, "grader@2", "gpt-x", AT),
        "Score 0.8, judged by grader@2 (gpt-x) at 2026-12-07 15:31 UTC",
    ),
    ((0.7, None, None, None), "Score 0.7, judge not recorded"),
    (
        (None, "grader@2", "gpt-x", AT),
        "No score: the judge's answer was unreadable "
        "(judged by grader@2 (gpt-x) at 2026-12-07 15:31 UTC)",
    ),
    ((None, None, None, None), "Not judged"),
]


def _sql(path: Path, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(query, params).fetchall()


@pytest.fixture
def project_file(project_file: Path) -> Path:
    """The demo copy without teacher outputs, plus the judge prompt ``grader``."""
    with contextlib.closing(sqlite3.connect(project_file)) as conn, conn:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("DELETE FROM candidate")
        conn.execute("DELETE FROM eval_run WHERE kind = 'distil'")
    add_judge_prompts(project_file)
    return project_file


def _view(qtbot: QtBot, context: AppContext) -> DistilView:
    view = DistilView(context)
    qtbot.addWidget(view)
    view.resize(1130, 760)
    view.show()
    qtbot.waitUntil(lambda: view.dataset is not None and view.counts is not None, timeout=10000)
    qtbot.waitUntil(lambda: not context.runner.busy, timeout=10000)
    return view


def test_judge_cell_tooltip_and_detail_name_the_judge(
    qtbot: QtBot, context: AppContext, project_file: Path
) -> None:
    with contextlib.closing(sqlite3.connect(project_file)) as conn, conn:
        rows = conn.execute(
            "SELECT id FROM example WHERE dataset_id = 1 AND split = 'train' "
            "AND status = 'needs_review' ORDER BY id LIMIT ?",
            (len(JUDGED),),
        ).fetchall()
        for (eid,), ((score, ref, model, at), _tip) in zip(rows, JUDGED, strict=True):
            conn.execute(
                "INSERT INTO candidate (dataset_id, example_id, prompt_ref, model, params_json,"
                " output_kind, output, label, samples, agreement, valid, reason, status,"
                " judge_score, judge_ref, judge_model, judged_at, response_id, created_at,"
                " decided_by) VALUES (1, ?, 'banking-intent@3', 'gpt-4o', '{}', 'text',"
                " 'card_arrival', 'card_arrival', 1, NULL, 1, '', 'pending', ?, ?, ?, ?, '',"
                " '2026-12-07 12:00:00', '')",
                (eid, score, ref, model, at),
            )
    context.set_project(open_project(project_file))
    view = _view(qtbot, context)
    model = view.review.model
    assert model.rowCount() == len(JUDGED)
    assert not view.review.table.isColumnHidden(COL_JUDGE)  # some candidates are judged
    for r, (_cols, tip) in enumerate(JUDGED):
        assert model.index(r, COL_JUDGE).data(Qt.ItemDataRole.ToolTipRole) == tip, r
    assert [model.index(r, COL_JUDGE).data() for r in range(4)] == ["0.8", "0.7", "–", "–"]

    # the detail pane says the same beside the score
    details = {
        0: "Judge score: 0.8, judged by grader@2 (gpt-x) at 2026-12-07 15:31 UTC",
        1: "Judge score: 0.7, judge not recorded",
        2: "Judge score: unreadable, judged by grader@2 (gpt-x) at 2026-12-07 15:31 UTC",
    }
    for r in range(4):
        view.review.select_row(r)
        qtbot.waitUntil(lambda r=r: view.review.current() is model.rows[r], timeout=5000)
        shown = view.review.detail.toPlainText()
        if r in details:
            assert details[r] in shown, (r, shown)
        else:
            assert "Judge score" not in shown and "judged by" not in shown


@pytest.fixture
def server(project_file: Path) -> Iterator[LoopbackServer]:
    rows = _sql(project_file, "SELECT search_text, label FROM example WHERE label IS NOT NULL")
    mapping = {str(t): str(lab) for t, lab in rows}
    responder = TeacherAndJudge(TeacherResponder(mapping, sorted(set(mapping.values()))))
    srv = LoopbackServer(latency=0.002, responder=responder)  # type: ignore[arg-type]
    srv.start()
    yield srv
    srv.stop()


def test_resume_in_the_app_judges_with_the_runs_judge(
    qtbot: QtBot, context: AppContext, project_file: Path, server: LoopbackServer
) -> None:
    ids = [
        int(r[0])
        for r in _sql(
            project_file,
            "SELECT id FROM example WHERE dataset_id = 1 AND split = 'validation' "
            "AND status NOT IN ('approved', 'rejected') ORDER BY id",
        )
    ]
    assert ids
    # a run created with a judge and never executed (its process died at once): the
    # Teacher Runs tab lists it as resumable
    provider = ProviderConfig(
        name="Local teacher", base_url=server.base_url, kind="compatible", default_model="m"
    )
    with open_project(project_file) as project:
        spec = OutputsSpec(
            dataset=1,
            prompt_ref="banking-intent@3",
            provider=provider,
            example_ids=ids,
            judge="grader@1",
        )
        run_id = create_outputs_run(project, spec)
    context.set_project(open_project(project_file))
    view = _view(qtbot, context)
    view.tabs.setCurrentWidget(view.runs)
    qtbot.waitUntil(lambda: bool(view.runs.entries), timeout=10000)
    assert view.runs.entries[0].info.id == run_id
    view.runs.table.selectRow(0)
    assert view.runs.resume_button.isEnabled()
    with qtbot.waitSignal(view.run_finished, timeout=60000) as finished:
        qtbot.mouseClick(view.runs.resume_button, Qt.MouseButton.LeftButton)
    outcome = finished.args[0]
    n = outcome.stored
    assert n > 0 and outcome.run_id == run_id
    judged = view.last_judge
    assert judged is not None and (judged.judge_ref, judged.judge_model) == (
        "grader@1",
        JUDGE_MODEL,
    )
    texts = dict(
        _sql(project_file, "SELECT e.id, e.search_text FROM example e JOIN candidate c "
             "ON c.example_id = e.id WHERE c.run_id = ? AND c.status = 'pending'", (run_id,))
    )  # fmt: skip
    want = {int(eid): JUDGE_TABLE[_pick(str(t))][1] for eid, t in texts.items()}
    assert len(want) == n
    assert judged.calls == n and judged.unreadable == sum(1 for s in want.values() if s is None)
    assert server.chat_requests == outcome.calls + n
    stored = _sql(
        project_file,
        "SELECT example_id, judge_score, judge_ref, judge_model FROM candidate WHERE run_id = ?",
        (run_id,),
    )
    for eid, score, ref, model in stored:
        assert (ref, model) == ("grader@1", JUDGE_MODEL), eid
        expected = want[int(eid)]
        assert score == (None if expected is None else pytest.approx(expected)), eid
    assert "Judge:" in view.progress.status.text()


def test_bulk_accept_with_a_judge_threshold_warns_about_mixed_judges(
    qtbot: QtBot, context: AppContext, project_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # three clear candidates scored 0.9: two by grader@2, one before judges were recorded
    judged = [("grader@2", "gpt-x"), ("grader@2", "gpt-x"), (None, None)]
    with contextlib.closing(sqlite3.connect(project_file)) as conn, conn:
        rows = conn.execute(
            "SELECT id, label FROM example WHERE dataset_id = 1 AND split = 'train' "
            "AND status = 'needs_review' AND label IS NOT NULL ORDER BY id LIMIT 3"
        ).fetchall()
        for (eid, label), (ref, model) in zip(rows, judged, strict=True):
            conn.execute(
                "INSERT INTO candidate (dataset_id, example_id, prompt_ref, model, params_json,"
                " output_kind, output, label, samples, agreement, valid, reason, status,"
                " judge_score, judge_ref, judge_model, judged_at, response_id, created_at,"
                " decided_by) VALUES (1, ?, 'banking-intent@3', 'gpt-4o', '{}', 'text', ?, ?,"
                " 3, 1.0, 1, '', 'pending', 0.9, ?, ?, ?, '', '2026-12-07 12:00:00', '')",
                (eid, label, label, ref, model, AT if ref else None),
            )
    context.set_project(open_project(project_file))
    statuses: list[str] = []
    context.status_requested.connect(lambda text, _ms: statuses.append(text))
    view = _view(qtbot, context)
    assert view.review.model.rowCount() == 3
    view.review.bulk_judge_check.setChecked(True)
    view.review.bulk_judge_min.setValue(0.8)
    asked: list[str] = []

    def question(_parent: Any, _title: str, text: str, *_a: Any) -> Any:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    with qtbot.waitSignal(view.decided, timeout=10000):
        view.review.bulk_button.click()
    qtbot.waitUntil(lambda: not context.runner.busy, timeout=10000)
    mix = "2 by grader@2 (gpt-x), 1 by judge not recorded"
    assert len(asked) == 1 and "Accept 3 pending candidate(s)" in asked[0]
    assert "Warning: The judge scores come from 2 different judges" in asked[0] and mix in asked[0]
    done = [s for s in statuses if s.startswith("Accepted 3 candidate(s)")]
    assert done and "2 different judges" in done[-1] and mix in done[-1]
    accepted = _sql(project_file, "SELECT count(*) FROM candidate WHERE status = 'accepted'")
    assert accepted[0][0] == 3
