"""The Distil view end to end: a real demo project file, candidates, keyboard review,
bulk accept with undo, and teacher outputs generated against a loopback server with the
real openai SDK.

Candidates are inserted with SQL (what a teacher run stores) so that the review tests do
not depend on the teacher run; every figure is checked against the database by SQL.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.loopback_server import LoopbackServer
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from studio.core.llm.providers import ProviderConfig
from studio.ui.context import AppContext
from studio.ui.distil.candidates_model import COL_AGREEMENT, COL_STATUS, COL_VALID
from studio.ui.distil.view import DistilView

pytestmark = pytest.mark.gui

RUN_TIMEOUT_MS = 60000

# (agreement, samples, valid, status, reason) per inserted candidate, in example order.
# Hand count: pending 6 (of which agreement 1 and valid: rows 0, 1, 4 -> 3), accepted 0,
# rejected 1, failed 1; cost 8 x $0.0005 = $0.0040.
CANDIDATES: list[tuple[float | None, int, bool, str, str]] = [
    (1.0, 5, True, "pending", ""),
    (1.0, 5, True, "pending", ""),
    (0.6, 5, True, "pending", ""),
    (1.0, 5, False, "pending", "not one of the dataset's labels"),
    (1.0, 5, True, "pending", ""),
    (0.8, 5, True, "pending", ""),
    (1.0, 5, True, "rejected", ""),
    (None, 1, False, "failed", "the server answered 500"),
]
BULK_EXPECTED = 3


def _sql(path: Path, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(query, params).fetchall()


@pytest.fixture
def project_file(project_file: Path) -> Path:
    """The demo copy without teacher outputs: these tests start from no candidates (the
    demo's own distillation, where present, is removed with its run)."""
    with contextlib.closing(sqlite3.connect(project_file)) as conn, conn:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("DELETE FROM candidate")
        conn.execute("DELETE FROM eval_run WHERE kind = 'distil'")
    return project_file


@pytest.fixture
def distil_file(project_file: Path) -> Path:
    """The demo copy with 8 candidates on its first 8 ``needs_review`` train rows.

    The teacher's answer is the row's own label except where the status says otherwise,
    so an accepted candidate's label can be told apart from the row's before (the rows
    get their ideal output cleared: no human wrote one).
    """
    with contextlib.closing(sqlite3.connect(project_file)) as conn, conn:
        rows = conn.execute(
            "SELECT id, label FROM example WHERE dataset_id = 1 AND split = 'train' "
            "AND status = 'needs_review' ORDER BY id LIMIT ?",
            (len(CANDIDATES),),
        ).fetchall()
        labels = [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT label FROM example WHERE label IS NOT NULL ORDER BY label"
            )
        ]
        for (eid, label), (agreement, samples, valid, status, reason) in zip(
            rows, CANDIDATES, strict=True
        ):
            teacher = labels[(labels.index(label) + 1) % len(labels)]  # differs from the row's
            conn.execute(
                "UPDATE example SET ideal_output = '', ideal_source = '' WHERE id = ?", (eid,)
            )
            conn.execute(
                "INSERT INTO candidate (dataset_id, example_id, prompt_ref, model, params_json,"
                " output_kind, output, label, samples, agreement, valid, reason, status,"
                " tokens_in, tokens_out, cost_usd, response_id, created_at, decided_by)"
                " VALUES (1, ?, 'banking-intent@3', 'gpt-4o', '{}', 'text', ?, ?, ?, ?, ?, ?,"
                " ?, 40, 3, 0.0005, 'resp', '2026-12-07 12:00:00', '')",
                (
                    eid,
                    None if status == "failed" else teacher,
                    None if status == "failed" else teacher,
                    samples,
                    agreement,
                    valid,
                    reason,
                    status,
                ),
            )
    return project_file


@pytest.fixture
def distil_context(context: AppContext, distil_file: Path) -> AppContext:
    from studio.core.db.project import open_project

    context.set_project(open_project(distil_file))
    return context


def _view(qtbot: QtBot, context: AppContext) -> DistilView:
    view = DistilView(context)
    qtbot.addWidget(view)
    view.resize(1130, 760)
    view.show()
    qtbot.waitUntil(lambda: view.dataset is not None and view.counts is not None, timeout=10000)
    qtbot.waitUntil(lambda: not context.runner.busy, timeout=10000)
    return view


def _idle(qtbot: QtBot, context: AppContext) -> None:
    qtbot.waitUntil(lambda: not context.runner.busy, timeout=10000)


def _statuses(path: Path) -> dict[int, str]:
    return dict(_sql(path, "SELECT id, status FROM candidate ORDER BY id"))  # type: ignore[arg-type]


def _example(path: Path, eid: int) -> tuple[Any, ...]:
    return _sql(
        path, "SELECT ideal_output, label, status, ideal_source FROM example WHERE id = ?", (eid,)
    )[0]


def test_candidates_beside_inputs_with_counts_and_cost(
    qtbot: QtBot, distil_context: AppContext, distil_file: Path
) -> None:
    view = _view(qtbot, distil_context)
    model = view.review.model
    assert model.rowCount() == len(CANDIDATES)
    # counts and cost, hand-counted from CANDIDATES
    assert view.counts_label.text() == (
        "Pending 6 · Accepted 0 · Rejected 1 · Failed 1 · Cost so far $0.0040"
    )
    # the inputs are the examples' texts
    texts = dict(_sql(distil_file, "SELECT id, search_text FROM example"))
    for cand in model.rows:
        assert cand.input_text == texts[cand.example_id]
    assert model.index(0, COL_AGREEMENT).data() == "5/5 (100%)"
    assert model.index(2, COL_AGREEMENT).data() == "3/5 (60%)"
    assert model.index(3, COL_VALID).data() == "✗ not one of the dataset's labels"
    assert model.index(7, COL_STATUS).data() == "⚠ failed"
    # the first pending candidate is selected and shown in full
    assert view.review.current() is model.rows[0]
    assert model.rows[0].input_text in view.review.detail.toPlainText()
    # the status filter lists one status
    view.review.status_filter.setCurrentIndex(view.review.status_filter.findData("pending"))
    qtbot.waitUntil(lambda: model.rowCount() == 6, timeout=5000)
    assert {c.status for c in model.rows} == {"pending"}


def test_keyboard_accept_reject_edit_change_the_database(
    qtbot: QtBot, distil_context: AppContext, distil_file: Path
) -> None:
    view = _view(qtbot, distil_context)
    model = view.review.model
    table = view.review.table
    table.setFocus()
    first, second = model.rows[0], model.rows[1]

    qtbot.keyClick(table, Qt.Key.Key_A)
    assert view.review.current() is model.rows[1]  # moved on at once
    _idle(qtbot, distil_context)
    assert _statuses(distil_file)[first.id] == "accepted"
    # the candidate's label became the row's ideal output and the row is approved
    assert _example(distil_file, first.example_id) == (
        first.label,
        first.label,
        "approved",
        "teacher",
    )
    assert model.rows[0].status == "accepted"
    assert view.counts.pending == 5 and view.counts.accepted == 1

    qtbot.keyClick(table, Qt.Key.Key_R)
    _idle(qtbot, distil_context)
    assert _statuses(distil_file)[second.id] == "rejected"
    assert view.review.current() is model.rows[2]  # the next pending row

    # E: edit the label, save = accepted with the edited answer
    third = model.rows[2]
    qtbot.keyClick(table, Qt.Key.Key_E)
    dialog = view.edit_dialog
    assert dialog is not None and dialog.is_label
    labels = view.dataset.label_set
    edited = next(lab for lab in labels if lab != third.label)
    dialog.label_combo.setCurrentText(edited)
    dialog.accept()
    _idle(qtbot, distil_context)
    assert _statuses(distil_file)[third.id] == "accepted"
    assert _example(distil_file, third.example_id)[:3] == (edited, edited, "approved")
    assert view.counts_label.text().startswith("Pending 3 · Accepted 2 · Rejected 2 · Failed 1")

    # Ctrl+Z undoes the edit (one step), and only it
    qtbot.keyClick(table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    _idle(qtbot, distil_context)
    assert _statuses(distil_file)[third.id] == "pending"
    assert _example(distil_file, third.example_id)[0] == ""
    assert _statuses(distil_file)[first.id] == "accepted"
    qtbot.waitUntil(lambda: view.counts is not None and view.counts.pending == 4, timeout=5000)

    # J/K and the arrows move
    view.review.select_row(0)
    qtbot.keyClick(table, Qt.Key.Key_J)
    assert view.review.current_row() == 1
    qtbot.keyClick(table, Qt.Key.Key_Down)
    assert view.review.current_row() == 2
    qtbot.keyClick(table, Qt.Key.Key_K)
    assert view.review.current_row() == 1


def test_bulk_accept_confirms_the_count_and_undo_restores(
    qtbot: QtBot,
    distil_context: AppContext,
    distil_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    view = _view(qtbot, distil_context)
    before_candidates = _statuses(distil_file)
    before_examples = _sql(
        distil_file, "SELECT id, ideal_output, label, status, ideal_source FROM example"
    )
    asked: list[str] = []

    def question(_parent: Any, _title: str, text: str, *_a: Any) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    with qtbot.waitSignal(view.decided, timeout=10000):
        view.review.bulk_button.click()
    _idle(qtbot, distil_context)
    assert len(asked) == 1 and f"Accept {BULK_EXPECTED} pending candidate(s)" in asked[0]
    after = _statuses(distil_file)
    accepted = [cid for cid, s in after.items() if s == "accepted"]
    assert len(accepted) == BULK_EXPECTED
    # exactly those with agreement 1, valid and pending
    expected_ids = {
        r[0]
        for r in _sql(
            distil_file,
            "SELECT id FROM candidate WHERE agreement = 1.0 AND valid = 1 AND status = 'accepted'",
        )
    }
    assert set(accepted) == expected_ids
    qtbot.waitUntil(lambda: view.counts is not None and view.counts.accepted == 3, timeout=5000)
    assert distil_context.undo_stack.count() == 1

    distil_context.undo_stack.undo()
    _idle(qtbot, distil_context)
    assert _statuses(distil_file) == before_candidates
    assert (
        _sql(distil_file, "SELECT id, ideal_output, label, status, ideal_source FROM example")
        == before_examples
    )
    qtbot.waitUntil(lambda: view.counts is not None and view.counts.accepted == 0, timeout=5000)


class TeacherResponder:
    """Answers a banking query with its label, except for about one query in five."""

    def __init__(self, labels_by_text: dict[str, str], intents: list[str]) -> None:
        self.labels_by_text = labels_by_text
        self.intents = intents

    def __call__(self, body: dict[str, Any]) -> str:
        messages = body.get("messages") or []
        text = str(messages[-1].get("content", "")) if messages else ""
        truth = self.labels_by_text.get(text, self.intents[0])
        if hashlib.sha256(text.encode()).digest()[0] % 5 == 0:
            return self.intents[(self.intents.index(truth) + 1) % len(self.intents)]
        return truth


@pytest.fixture
def teacher_server(project_file: Path) -> Iterator[LoopbackServer]:
    rows = _sql(project_file, "SELECT search_text, label FROM example WHERE label IS NOT NULL")
    mapping = {str(t): str(lab) for t, lab in rows}
    server = LoopbackServer(
        latency=0.002, responder=TeacherResponder(mapping, sorted(set(mapping.values())))
    )  # type: ignore[arg-type]
    server.start()
    yield server
    server.stop()


def test_generate_teacher_outputs_against_a_loopback_server(
    qtbot: QtBot,
    open_context: AppContext,
    project_file: Path,
    teacher_server: LoopbackServer,
) -> None:
    view = _view(qtbot, open_context)
    assert view.review.model.rowCount() == 0
    assert view.review.empty_hint.isVisibleTo(view)
    # rows without an approved human ideal in validation (hand count by SQL)
    expected = _sql(
        project_file,
        "SELECT count(*) FROM example WHERE dataset_id = 1 AND split = 'validation' "
        "AND status NOT IN ('approved', 'rejected')",
    )[0][0]
    assert expected > 0

    dialog = view.open_outputs_dialog()
    assert dialog is not None
    dialog.provider.save(
        ProviderConfig(
            name="Local teacher",
            base_url=teacher_server.base_url,
            kind="compatible",
            default_model="loopback-big",
        )
    )
    qtbot.waitUntil(lambda: dialog.prompt_combo.count() > 0, timeout=10000)
    dialog.set_ref("banking-intent", 3)
    dialog.split_combo.setCurrentText("validation")  # selects "Rows matching"
    assert dialog.filter_radio.isChecked()
    assert not dialog.include_test.isChecked()  # the test split stays unseen by default
    with qtbot.waitSignal(dialog.plan_shown, timeout=20000) as shown:
        dialog.refresh_plan()
    plan = shown.args[0]
    assert plan.rows == expected
    assert plan.n_calls == expected and plan.n_cached == 0
    assert f"{expected:,} row(s) will get a teacher answer" in dialog.plan_label.text()
    assert f"{expected:,} call(s)" in dialog.run_button.text()

    with qtbot.waitSignal(view.run_finished, timeout=RUN_TIMEOUT_MS) as finished:
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    outcome = finished.args[0]
    assert outcome.stored + outcome.failed == expected
    assert outcome.calls == expected == teacher_server.chat_requests
    qtbot.waitUntil(lambda: view.review.model.rowCount() == expected, timeout=10000)
    stored = _sql(project_file, "SELECT count(*) FROM candidate WHERE status = 'pending'")[0][0]
    assert stored == outcome.stored
    assert view.counts is not None and view.counts.pending == stored
    assert view.tabs.currentWidget() is view.review
    # the Teacher Runs tab lists the run once its final status is stored
    qtbot.waitUntil(
        lambda: bool(view.runs.entries) and view.runs.entries[0].info.status == "completed",
        timeout=5000,
    )
    assert view.runs.entries[0].info.id == outcome.run_id
    assert view.runs.entries[0].verdict.startswith(f"{outcome.stored} candidate(s) stored")


def _plan_dialog(qtbot: QtBot, view: DistilView, server: LoopbackServer, split: str) -> Any:
    dialog = view.open_outputs_dialog()
    dialog.provider.save(
        ProviderConfig(
            name="Local teacher", base_url=server.base_url, kind="compatible", default_model="m"
        )
    )
    qtbot.waitUntil(lambda: dialog.prompt_combo.count() > 0, timeout=10000)
    dialog.set_ref("banking-intent", 3)
    dialog.concurrency.setValue(1)
    dialog.split_combo.setCurrentText(split)
    with qtbot.waitSignal(dialog.plan_shown, timeout=20000):
        dialog.refresh_plan()
    return dialog


@pytest.fixture
def slow_server(project_file: Path) -> Iterator[LoopbackServer]:
    rows = _sql(project_file, "SELECT search_text, label FROM example WHERE label IS NOT NULL")
    mapping = {str(t): str(lab) for t, lab in rows}
    responder = TeacherResponder(mapping, sorted(set(mapping.values())))
    server = LoopbackServer(latency=0.15, responder=responder)  # type: ignore[arg-type]
    server.start()
    yield server
    server.stop()


def test_cancel_then_resume_from_teacher_runs(
    qtbot: QtBot, open_context: AppContext, project_file: Path, slow_server: LoopbackServer
) -> None:
    view = _view(qtbot, open_context)
    dialog = _plan_dialog(qtbot, view, slow_server, "train")
    rows = dialog.plan.rows
    assert rows > 20  # long enough to cancel in the middle at 0.15 s per call

    with qtbot.waitSignal(view.run_started, timeout=10000):
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert view.tabs.currentWidget() is view.progress
    qtbot.waitUntil(lambda: slow_server.chat_requests >= 3, timeout=20000)
    with qtbot.waitSignal(view.run_finished, timeout=RUN_TIMEOUT_MS) as first:
        qtbot.mouseClick(view.progress.cancel_button, Qt.MouseButton.LeftButton)
    cancelled = first.args[0]
    assert cancelled.cancelled
    assert "Resume it from the Teacher Runs tab" in view.progress.status.text()
    # a call the cancel abandoned after sending it may reach the server only now (late on
    # a busy machine): count it as the cancelled part's
    slow_server.settle()
    sent_before = slow_server.chat_requests
    assert sent_before < rows
    qtbot.waitUntil(
        lambda: bool(view.runs.entries) and view.runs.entries[0].info.status == "cancelled",
        timeout=5000,
    )
    entry = view.runs.entries[0]
    assert entry.info.id == cancelled.run_id
    assert entry.verdict.startswith(f"{cancelled.stored} candidate(s) stored")

    # Resume: select the run in Teacher Runs and press Resume
    view.tabs.setCurrentWidget(view.runs)
    view.runs.table.selectRow(0)
    assert view.runs.resume_button.isEnabled()
    with qtbot.waitSignal(view.run_finished, timeout=RUN_TIMEOUT_MS) as second:
        qtbot.mouseClick(view.runs.resume_button, Qt.MouseButton.LeftButton)
    resumed = second.args[0]
    assert resumed.run_id == cancelled.run_id and not resumed.cancelled
    # answered calls are not repeated: the two parts answered every row once; only the
    # one call in flight when Cancel was pressed (concurrency 1) was sent again
    assert cancelled.calls + resumed.calls == rows
    assert slow_server.chat_requests - sent_before == resumed.calls
    assert sent_before - cancelled.calls <= 1
    stored = _sql(
        project_file,
        "SELECT count(*) FROM candidate WHERE run_id = ? AND status IN ('pending', 'failed')",
        (resumed.run_id,),
    )[0][0]
    assert stored == rows
    qtbot.waitUntil(lambda: view.review.model.rowCount() == rows, timeout=10000)
    qtbot.waitUntil(
        lambda: bool(view.runs.entries) and view.runs.entries[0].info.status == "completed",
        timeout=5000,
    )


def test_distil_is_in_the_sidebar(
    qtbot: QtBot, main_window: Any, distil_file: Path, context: AppContext
) -> None:
    from studio.core.db.project import open_project

    titles = [main_window.nav.item(i).text() for i in range(main_window.nav.count())]
    assert titles.index("Distil") == titles.index("Evaluate") + 1
    main_window.navigate("distil")  # built with no project open: nothing to show yet
    view = main_window.view_stack.currentWidget()
    assert isinstance(view, DistilView)
    context.set_project(open_project(distil_file))
    qtbot.waitUntil(lambda: view.counts is not None, timeout=10000)
    assert view.review.model.rowCount() == len(CANDIDATES)
    assert view.counts_label.text().startswith("Pending 6 · Accepted 0")


def test_generate_inputs_opens_the_synthetic_inputs_dialog(
    qtbot: QtBot, distil_context: AppContext
) -> None:
    view = _view(qtbot, distil_context)
    assert view.inputs_button.isVisibleTo(view)  # the dialog's module is installed
    dialog = view.open_inputs_dialog()
    assert dialog is not None and dialog.isVisible()
    assert dialog.dataset_ref == view.dataset.id
    _idle(qtbot, distil_context)
    with qtbot.waitSignal(view.loaded, timeout=10000):  # closing re-reads the datasets
        dialog.reject()
    _idle(qtbot, distil_context)


def test_key_questions_come_before_any_run(
    qtbot: QtBot,
    open_context: AppContext,
    project_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No key for OpenAI: an error, no run. A key over plain http to another machine:
    the Evaluate view's question, and No keeps the key home (no run either)."""
    from studio.core.distil.outputs import OutputsPlan, OutputsSpec
    from studio.ui.distil import running

    view = _view(qtbot, open_context)
    plan = OutputsPlan(rows=3, skipped={}, n_calls=3, n_cached=0, cost_usd=0.01, price_note="")
    errors: list[str] = []
    open_context.error_requested.connect(lambda message, _details: errors.append(message))

    openai = ProviderConfig(name="OpenAI", base_url="https://api.openai.com/v1", kind="openai")
    view.start_outputs(OutputsSpec(dataset=1, prompt_ref="banking-intent@3", provider=openai), plan)
    assert len(errors) == 1 and "No API key for provider 'OpenAI'" in errors[0]

    asked: list[str] = []

    def warning(_parent: Any, _title: str, text: str, *_a: Any) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(running, "key_for", lambda _p: "sk-test-not-sent")
    monkeypatch.setattr(QMessageBox, "warning", warning)
    remote = ProviderConfig(
        name="Lab server", base_url="http://10.9.8.7:8000/v1", kind="compatible"
    )
    view.start_outputs(OutputsSpec(dataset=1, prompt_ref="banking-intent@3", provider=remote), plan)
    assert len(asked) == 1 and "10.9.8.7" in asked[0]
    _idle(qtbot, open_context)
    assert _sql(project_file, "SELECT count(*) FROM eval_run WHERE kind = 'distil'")[0][0] == 0
    assert not view.running and view.generate_button.isEnabled()


def test_ctrl_z_with_nothing_of_mine_says_so_naming_the_newest_operation(
    qtbot: QtBot, distil_context: AppContext, distil_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Undo is personal: the demo's operations are the builder's ("tester"); another
    # labeller, alice, opens its Distil view and presses Ctrl+Z: nothing is undone and the
    # status bar names the newest operation (read here with sqlite3), History undoes it
    monkeypatch.setenv("STUDIO_USER", "alice")
    view = _view(qtbot, distil_context)
    statuses: list[str] = []
    errors: list[str] = []
    distil_context.status_requested.connect(lambda m, _ms: statuses.append(m))
    distil_context.error_requested.connect(lambda m, d: errors.append(m + d))
    assert view.dataset is not None
    ds = view.dataset.id
    before = _sql(distil_file, "SELECT id, undone FROM operation ORDER BY id")
    [(op, desc, actor, at)] = _sql(
        distil_file,
        "SELECT id, description, actor, at FROM operation WHERE dataset_id = ? "
        "AND undone = 0 ORDER BY id DESC LIMIT 1",
        (ds,),
    )
    assert actor == "tester"
    view.review.table.setFocus()
    qtbot.keyClick(view.review.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(statuses), timeout=10000)
    assert statuses[-1] == (
        f"Nothing of yours to undo in this dataset (newest change {op}: {desc} by tester "
        f"at {str(at)[:19]} UTC; History can undo it)."
    )
    statuses.clear()
    qtbot.keyClick(
        view.review.table,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: bool(statuses), timeout=10000)
    assert statuses[-1] == "Nothing of yours to redo in this dataset."
    _idle(qtbot, distil_context)
    assert _sql(distil_file, "SELECT id, undone FROM operation ORDER BY id") == before
    assert errors == []
