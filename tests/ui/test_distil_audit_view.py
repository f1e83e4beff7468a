"""The audit in the app: the outputs dialog's spin box, the plan, the counts, the status
filter, and audit rows read-only in the review table.

A real demo project file (its own distillation removed), a loopback server through the
real openai SDK, real Qt widgets offscreen. Figures are counted by SQL.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.loopback_server import LoopbackServer
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.core.llm.providers import ProviderConfig
from studio.ui.context import AppContext
from studio.ui.distil.decisions import AUDIT_READ_ONLY
from studio.ui.distil.view import DistilView

pytestmark = pytest.mark.gui

AUDIT = 10


def _sql(path: Path, query: str) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(query).fetchall()


@pytest.fixture
def project_file(project_file: Path) -> Path:
    """The demo copy without its distillation: the test starts from no candidates."""
    with contextlib.closing(sqlite3.connect(project_file)) as conn, conn:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("DELETE FROM candidate")
        conn.execute("DELETE FROM eval_run WHERE kind = 'distil'")
    return project_file


class Teacher:
    """Answers a query with its label, except every seventh query (by text length)."""

    def __init__(self, labels: dict[str, str], intents: list[str]) -> None:
        self.labels, self.intents = labels, intents

    def __call__(self, body: dict[str, Any]) -> str:
        text = str(body["messages"][-1].get("content", ""))
        truth = self.labels.get(text, self.intents[0])
        if len(text) % 7 == 0:
            return self.intents[(self.intents.index(truth) + 1) % len(self.intents)]
        return truth


@pytest.fixture
def server(project_file: Path) -> Iterator[LoopbackServer]:
    rows = _sql(project_file, "SELECT search_text, label FROM example WHERE label IS NOT NULL")
    labels = {str(t): str(lab) for t, lab in rows}
    srv = LoopbackServer(latency=0.002, responder=Teacher(labels, sorted(set(labels.values()))))  # type: ignore[arg-type]
    srv.start()
    yield srv
    srv.stop()


def test_audit_spin_box_plan_counts_filter_and_read_only_rows(
    qtbot: QtBot,
    open_context: AppContext,
    project_file: Path,
    server: LoopbackServer,
) -> None:
    view = DistilView(open_context)
    qtbot.addWidget(view)
    view.resize(1130, 760)
    view.show()
    qtbot.waitUntil(lambda: view.dataset is not None and view.counts is not None, timeout=10000)
    qtbot.waitUntil(lambda: not open_context.runner.busy, timeout=10000)
    need, pool = _sql(
        project_file,
        "SELECT sum(status NOT IN ('approved', 'rejected')), "
        "sum(status = 'approved' AND ideal_source = 'human') FROM example "
        "WHERE dataset_id = 1 AND split = 'validation'",
    )[0]
    assert need > 0 and pool > AUDIT

    dialog = view.open_outputs_dialog()
    assert dialog is not None
    assert dialog.audit_spin.value() == 0 and "50" in dialog.audit_spin.toolTip()
    dialog.provider.save(
        ProviderConfig(
            name="Local teacher",
            base_url=server.base_url,
            kind="compatible",
            default_model="loopback-big",
        )
    )
    qtbot.waitUntil(lambda: dialog.prompt_combo.count() > 0, timeout=10000)
    dialog.set_ref("banking-intent", 3)
    dialog.split_combo.setCurrentText("validation")
    dialog.audit_spin.setValue(AUDIT)
    with qtbot.waitSignal(dialog.plan_shown, timeout=20000) as shown:
        dialog.refresh_plan()
    plan = shown.args[0]
    assert plan.rows == need and plan.audit_rows == AUDIT
    assert plan.n_calls == need + AUDIT
    assert f"Audit: {AUDIT} row(s) with a human ideal" in dialog.plan_label.text()
    assert f"{need + AUDIT:,} call(s)" in dialog.run_button.text()

    with qtbot.waitSignal(view.run_finished, timeout=60000) as finished:
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    outcome = finished.args[0]
    assert outcome.audit == AUDIT and server.chat_requests == need + AUDIT
    audit_rows = _sql(
        project_file,
        "SELECT c.id, c.label = e.label, e.split, e.status FROM candidate c "
        "JOIN example e ON e.id = c.example_id WHERE c.status = 'audit'",
    )
    assert len(audit_rows) == AUDIT
    # drawn from the whole dataset's approved rows (never test), not only the rows the
    # dialog selected to label
    assert {r[3] for r in audit_rows} == {"approved"}
    assert {r[2] for r in audit_rows} <= {"train", "validation"}
    k = sum(r[1] for r in audit_rows)
    qtbot.waitUntil(
        lambda: view.counts is not None and view.counts.audit_correct is not None, timeout=10000
    )
    assert f"Audit {AUDIT} (teacher {k}/{AUDIT} right)" in view.counts_label.text()
    qtbot.waitUntil(
        lambda: bool(view.runs.entries) and view.runs.entries[0].info.status == "completed",
        timeout=5000,
    )
    assert f", {AUDIT} audit answer(s)" in view.runs.entries[0].verdict

    # The status filter shows the audit answers; A/E/R leave them as they are
    review = view.review
    review.status_filter.setCurrentIndex(review.status_filter.findData("audit"))
    qtbot.waitUntil(lambda: review.model.rowCount() == AUDIT, timeout=5000)
    assert {c.status for c in review.model.rows} == {"audit"}
    review.select_row(0)
    assert not review.accept_button.isEnabled() and not review.reject_button.isEnabled()
    assert "read-only" in review.detail.toPlainText()
    review.table.setFocus()
    messages: list[str] = []
    open_context.status_requested.connect(lambda m, _t: messages.append(m))
    for key in (Qt.Key.Key_A, Qt.Key.Key_R, Qt.Key.Key_E):
        qtbot.keyClick(review.table, key)
    qtbot.waitUntil(lambda: not open_context.runner.busy, timeout=10000)
    assert messages == [AUDIT_READ_ONLY] * 3
    assert view.edit_dialog is None
    assert _sql(project_file, "SELECT count(*) FROM candidate WHERE status = 'audit'") == [(AUDIT,)]
