"""Ctrl+Z undoes the command's own operation: an import made since stays; a later change of
the same examples makes the app ask, and "No" changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from studio.core import datasets as core
from studio.core.db.project import Project
from studio.ui.datasets import DatasetsView
from studio.ui.undo import OperationCommand

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def _labels(project: Project, ds: int) -> dict[int, str | None]:
    ids = core.query_ids(project, ds)
    return {r.id: r.label for r in core.fetch_rows(project, ids)}


def test_set_label_import_undo_keeps_the_import(
    qtbot: QtBot,
    view: DatasetsView,
    project: Project,
    idle: Callable[[], None],
    tmp_path: Path,
) -> None:
    ds = view.dataset.id
    before = _labels(project, ds)
    view.select_row(0)
    idle()
    eid = view.current_id()
    qtbot.keyClick(view.table, Qt.Key.Key_2)  # set label 2 on the first row
    idle()
    labelled = view.dataset.label_set[1]
    assert core.get_example(project, eid).label == labelled != before[eid]

    # An import into the same dataset afterwards (the import dialog or the CLI)
    extra = tmp_path / "more.csv"
    extra.write_text(
        "text,category\n" + "".join(f"brand new query {i},new_intent\n" for i in range(3))
    )
    result = core.import_file(project, extra, "banking77", None)
    assert result.imported == 3

    qtbot.keyClick(view.table, Qt.Key.Key_Z, CTRL)
    idle()
    after = _labels(project, ds)
    assert len(after) == 53  # 50 + the 3 imported rows: the import stays
    assert after[eid] == before[eid]  # the label is undone
    assert {i: after[i] for i in before} == before  # nothing else of the old rows changed
    assert sorted(after[i] for i in after if i not in before) == ["new_intent"] * 3

    qtbot.keyClick(view.table, Qt.Key.Key_Z, CTRL | SHIFT)
    idle()
    assert core.get_example(project, eid).label == labelled
    assert len(_labels(project, ds)) == 53

    # The detail's history says what each operation did, not "deleted row" for an import
    view.select_row(0)
    idle()
    qtbot.waitUntil(lambda: view.detail.history.count() >= 3, timeout=10000)
    lines = [view.detail.history.item(i).text() for i in range(view.detail.history.count())]
    assert lines[-1].endswith("added by: Import 50 examples from slice.csv")
    assert not any("deleted" in ln for ln in lines)


def test_undo_with_a_later_change_asks_and_no_changes_nothing(
    qtbot: QtBot,
    view: DatasetsView,
    project: Project,
    idle: Callable[[], None],
) -> None:
    ds = view.dataset.id
    labels = view.dataset.label_set
    view.select_row(0)
    idle()
    eid = view.current_id()
    original = core.get_example(project, eid).label
    qtbot.keyClick(view.table, Qt.Key.Key_2)
    idle()
    # The same example changed by another process (the CLI) after that
    later = core.set_label(project, ds, [eid], labels[3])
    stack = view.context.undo_stack
    cmd = stack.command(0)
    assert isinstance(cmd, OperationCommand) and stack.index() == 1

    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Z, CTRL)
    qtbot.waitUntil(lambda: cmd.conflict_box is not None, timeout=10000)
    box = cmd.conflict_box
    assert box is not None
    assert f"{later.op_id}: {later.description}" in box.text()
    box.button(QMessageBox.StandardButton.No).click()
    idle()
    assert core.get_example(project, eid).label == labels[3]  # nothing changed
    assert stack.index() == 1 and stack.canUndo()  # the step is still there

    qtbot.keyClick(view.table, Qt.Key.Key_Z, CTRL)
    qtbot.waitUntil(lambda: cmd.conflict_box is not None, timeout=10000)
    box = cmd.conflict_box
    assert box is not None
    box.button(QMessageBox.StandardButton.Yes).click()
    idle()
    assert core.get_example(project, eid).label == original  # both undone
    undone = {o.id for o in core.list_operations(project, ds) if o.undone}
    assert undone == {cmd.op_id, later.op_id}
    assert stack.index() == 0


def test_history_dialog_undoes_command_line_changes_by_id(
    qtbot: QtBot,
    view: DatasetsView,
    project: Project,
    idle: Callable[[], None],
) -> None:
    from studio.ui.datasets.history_dialog import HistoryDialog

    ds = view.dataset.id
    labels = view.dataset.label_set
    ids = core.query_ids(project, ds)[:2]
    original = _labels(project, ds)
    first = core.set_label(project, ds, ids, labels[4])  # as `studio dataset label` does
    second = core.set_label(project, ds, ids[:1], labels[3])  # touches ids[0] again

    dlg = HistoryDialog(view.context, ds, view.dataset.name, parent=view)
    with qtbot.waitSignal(dlg.loaded, timeout=10000):
        dlg.show()
    assert [o.id for o in dlg.operations][:2] == [second.op_id, first.op_id]
    assert dlg.list.item(1).text().endswith(first.description)
    dlg.select_op(first.op_id or 0)
    qtbot.mouseClick(dlg.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.conflict_box is not None, timeout=10000)
    assert dlg.conflict_box is not None
    assert f"{second.op_id}: {second.description}" in dlg.conflict_box.text()
    dlg.conflict_box.button(QMessageBox.StandardButton.No).click()
    idle()
    assert _labels(project, ds)[ids[0]] == labels[3]  # refused: nothing changed

    qtbot.mouseClick(dlg.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.conflict_box is not None, timeout=10000)
    with qtbot.waitSignal(dlg.changed, timeout=10000):
        dlg.conflict_box.button(QMessageBox.StandardButton.Yes).click()
    idle()
    assert _labels(project, ds) == original
    dlg.select_op(first.op_id or 0)
    assert dlg.redo_button.isEnabled()
    with qtbot.waitSignal(dlg.changed, timeout=10000):
        qtbot.mouseClick(dlg.redo_button, Qt.MouseButton.LeftButton)
    idle()
    now = _labels(project, ds)
    assert [now[i] for i in ids] == [labels[4], labels[4]]
    assert {i: now[i] for i in now if i not in ids} == {
        i: original[i] for i in original if i not in ids
    }
    dlg.close()


def test_ctrl_z_after_the_history_dialog_undid_the_same_operation(
    qtbot: QtBot,
    view: DatasetsView,
    project: Project,
    idle: Callable[[], None],
) -> None:
    errors: list[str] = []
    view.context.error_requested.connect(lambda m, _d: errors.append(m))
    view.select_row(0)
    idle()
    eid = view.current_id()
    original = core.get_example(project, eid).label
    qtbot.keyClick(view.table, Qt.Key.Key_2)
    idle()
    cmd = view.context.undo_stack.command(0)
    assert isinstance(cmd, OperationCommand)
    core.undo_operation(project, view.dataset.id, cmd.op_id)  # elsewhere (dialog or CLI)
    qtbot.keyClick(view.table, Qt.Key.Key_Z, CTRL)
    idle()
    assert errors == [] and view.context.undo_stack.index() == 0
    assert core.get_example(project, eid).label == original
