"""The synthetic-inputs dialog: plan grid, an edited cell, cost, Run against a loopback
server with the real openai SDK, the outcome, instruction rows, Cancel."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import loopback
from helpers.loopback_server import LoopbackServer
from helpers.synthetic_inputs import CopyingModel, InputsProject, build_inputs_project
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.core.llm.providers import ProviderConfig
from studio.ui.context import AppContext
from studio.ui.distil.inputs_dialog import InputsDialog

pytestmark = pytest.mark.gui


@pytest.fixture
def built(tmp_path: Path) -> InputsProject:
    return build_inputs_project(tmp_path / "p.studio")


@pytest.fixture
def model(built: InputsProject) -> CopyingModel:
    return CopyingModel([t for t, _ in built.test.values()])


@pytest.fixture
def server(model: CopyingModel) -> Iterator[LoopbackServer]:
    with loopback(responder=model) as s:
        yield s


@pytest.fixture
def bank_context(context: AppContext, built: InputsProject) -> AppContext:
    from studio.core.db.project import open_project

    context.set_project(open_project(built.path))
    return context


def _dialog(qtbot: QtBot, context: AppContext, server: LoopbackServer) -> InputsDialog:
    dialog = InputsDialog(context, "bank")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.provider.save(
        ProviderConfig(
            name="Local writer",
            base_url=server.base_url,
            kind="compatible",
            default_model="loopback-small",
        )
    )
    qtbot.waitUntil(lambda: dialog.per_label.isChecked(), timeout=10000)
    return dialog


def _synthetic(path: Path) -> list[tuple[str, str | None]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT search_text, split FROM example WHERE source = 'synthetic'"
        ).fetchall()
    finally:
        conn.close()


def test_edit_a_cell_and_run(
    qtbot: QtBot,
    bank_context: AppContext,
    built: InputsProject,
    server: LoopbackServer,
    model: CopyingModel,
) -> None:
    dialog = _dialog(qtbot, bank_context, server)
    assert dialog.model_combo.currentText() == "loopback-small"
    dialog.count_spin.setValue(16)
    with qtbot.waitSignal(dialog.estimate_shown, timeout=20000):
        dialog.set_instructions(["short", "long"])
    plan = dialog.plan
    assert plan is not None and plan.total == 16
    # The grid (hand count: tests/core/distil/test_distil_inputs.py): exchange_rate 5 + 4
    item = dialog.cell_item("exchange_rate", "long")
    assert item is not None and item.data(Qt.ItemDataRole.EditRole) == 4
    assert dialog.grid.verticalHeaderItem(1).text() == "exchange_rate (has 2)"
    # The user changes that cell from 4 to 2: 14 inputs in calls of 5, 2, 3, 3, 1
    with qtbot.waitSignal(dialog.estimate_shown, timeout=20000) as shown:
        item.setData(Qt.ItemDataRole.EditRole, 2)
    assert dialog.plan.total == 14
    assert dialog.grid.item(1, 2).text() == "7"  # the row's total: 5 + 2
    assert shown.args[0].n_calls == 5
    assert "Generate: 5 call(s)" in dialog.run_button.text()
    assert "14 new input(s) in 5 call(s)" in dialog.totals_label.text()

    with qtbot.waitSignal(dialog.run_finished, timeout=60000) as finished:
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    out = finished.args[0]
    # Hand count with the answer pattern of tests/helpers/synthetic_inputs.py:
    #   asked 5: added 1, near-dup 2, leaks 2;  asked 2: added 1, near-dup 1
    #   asked 3 (twice): added 1, near-dup 1, leak 1;  asked 1: added 1
    assert (out.requested, out.generated, out.failed) == (14, 14, 0)
    assert (out.added, out.near_duplicates, out.test_leaks) == (5, 5, 4)
    assert server.chat_requests == 5
    assert "5 added, 5 near-duplicate(s) dropped, 4 test leak(s) refused" in (
        dialog.outcome_label.text()
    )
    rows = _synthetic(built.path)
    assert sorted(r[0] for r in rows) == sorted(model.novel) and len(rows) == 5
    assert all(split is None for _, split in rows)
    # Answered calls are cached now: the button says so once estimated again
    qtbot.waitUntil(
        lambda: dialog.run_button.text().startswith("Generate: 0 call(s)"), timeout=20000
    )
    qtbot.waitUntil(lambda: not bank_context.runner.busy, timeout=10000)


def test_instruction_rows_and_cancel(
    qtbot: QtBot, bank_context: AppContext, server: LoopbackServer
) -> None:
    dialog = _dialog(qtbot, bank_context, server)
    qtbot.waitUntil(lambda: dialog.estimate is not None, timeout=20000)
    columns = dialog.grid.columnCount()
    with qtbot.waitSignal(dialog.plan_ready, timeout=20000):
        qtbot.mouseClick(dialog.add_instruction_button, Qt.MouseButton.LeftButton)
    assert dialog.grid.columnCount() == columns + 1
    dialog.instructions.setCurrentRow(0)
    with qtbot.waitSignal(dialog.plan_ready, timeout=20000):
        qtbot.mouseClick(dialog.remove_instruction_button, Qt.MouseButton.LeftButton)
    assert dialog.grid.columnCount() == columns
    assert dialog.plan is not None and dialog.plan.total == 50
    qtbot.waitUntil(lambda: dialog.run_button.isEnabled(), timeout=20000)
    server.latency = 2.0  # slow enough to cancel while calls are in flight
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert dialog.cancel_button.isVisible()
    with qtbot.waitSignal(dialog.run_finished, timeout=20000) as finished:
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert finished.args[0].cancelled and finished.args[0].added == 0
    assert "nothing was added" in dialog.outcome_label.text()
    qtbot.waitUntil(lambda: not bank_context.runner.busy, timeout=10000)


def test_the_distil_view_opens_it(qtbot: QtBot, bank_context: AppContext) -> None:
    from studio.ui.distil.view import DistilView

    view = DistilView(bank_context)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.dataset is not None, timeout=10000)
    assert view.inputs_button.isVisibleTo(view)
    dialog = view.open_inputs_dialog()
    assert isinstance(dialog, InputsDialog)
    assert dialog.windowTitle() == "Generate Inputs — bank"
    qtbot.waitUntil(lambda: dialog.per_label.isChecked(), timeout=10000)
    dialog.reject()
    qtbot.waitUntil(lambda: not bank_context.runner.busy, timeout=10000)
