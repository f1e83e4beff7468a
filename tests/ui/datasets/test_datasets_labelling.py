"""Keyboard-first labelling in the datasets view (real project file, offscreen Qt)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.core import datasets as core
from studio.core.db.project import Project
from studio.ui.datasets import DatasetsView
from studio.ui.datasets.table_model import COL_LABEL

# The offscreen platform warns about window size hints; that is not our bug
pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


def _row(view: DatasetsView, r: int) -> core.ExampleRow:
    return core.fetch_rows(view.project, [view.model.id_at(r)])[0]


def test_number_key_sets_label_and_advances(
    qtbot: QtBot, view: DatasetsView, idle: Callable[[], None]
) -> None:
    labels = view.dataset.label_set
    resets: list[int] = []
    changed_rows: list[tuple[int, int]] = []
    view.model.modelReset.connect(lambda: resets.append(1))
    view.model.dataChanged.connect(lambda a, b, _r=(): changed_rows.append((a.row(), b.row())))
    view.select_row(0)
    idle()
    first_id = view.current_id()
    qtbot.keyClick(view.table, Qt.Key.Key_2)
    idle()
    assert _row(view, 0).label == labels[1]
    assert view.model.index(0, COL_LABEL).data() == labels[1]
    assert view.table.currentIndex().row() == 1  # advanced
    assert view.current_id() != first_id
    assert resets == []  # an edit never resets the model
    assert changed_rows == [(0, 0)]  # only that row repaints
    assert view.context.undo_stack.count() == 1


def test_approve_reject_skip_and_move(
    qtbot: QtBot, view: DatasetsView, idle: Callable[[], None]
) -> None:
    view.select_row(3)
    idle()
    qtbot.keyClick(view.table, Qt.Key.Key_A)
    idle()
    assert _row(view, 3).status == "approved"
    assert view.table.currentIndex().row() == 4
    qtbot.keyClick(view.table, Qt.Key.Key_R)
    idle()
    assert _row(view, 4).status == "rejected"
    before = _row(view, 5)
    qtbot.keyClick(view.table, Qt.Key.Key_S)  # skip: no change
    idle()
    assert _row(view, 5) == before
    assert view.table.currentIndex().row() == 6
    qtbot.keyClick(view.table, Qt.Key.Key_K)
    idle()
    qtbot.keyClick(view.table, Qt.Key.Key_K)
    idle()
    assert view.table.currentIndex().row() == 4
    qtbot.keyClick(view.table, Qt.Key.Key_J)
    idle()
    assert view.table.currentIndex().row() == 5
    qtbot.keyClick(view.table, Qt.Key.Key_Down)
    idle()
    assert view.table.currentIndex().row() == 6
    # Detail editor follows the table
    assert view.detail.detail is not None and view.detail.detail.id == view.current_id()


def test_typing_in_notes_never_triggers_shortcuts(
    qtbot: QtBot, view: DatasetsView, idle: Callable[[], None]
) -> None:
    view.select_row(0)
    idle()
    before = _row(view, 0)
    qtbot.keyClick(view.table, Qt.Key.Key_Return)  # Enter: edit
    idle()
    assert view.detail.output.hasFocus()
    view.detail.notes.setFocus()
    qtbot.keyClicks(view.detail.notes, "a2rs check 1")
    # Nothing labelled, approved, rejected or skipped; still on row 0
    assert view.table.currentIndex().row() == 0
    assert _row(view, 0).status == before.status and _row(view, 0).label == before.label
    assert view.detail.notes.toPlainText() == "a2rs check 1"
    qtbot.keyClick(view.detail.notes, Qt.Key.Key_Escape)  # Esc: save, back to the table
    idle()
    assert view.table.hasFocus()
    assert core.get_example(view.project, before.id).notes == "a2rs check 1"
    # ...and the keys work again in the table
    qtbot.keyClick(view.table, Qt.Key.Key_A)
    idle()
    assert _row(view, 0).status == "approved"


def test_label_button_keeps_focus_in_table(
    qtbot: QtBot, view: DatasetsView, idle: Callable[[], None]
) -> None:
    view.select_row(0)
    idle()
    qtbot.mouseClick(view.detail.label_buttons[2], Qt.MouseButton.LeftButton)
    idle()
    assert _row(view, 0).label == view.dataset.label_set[2]
    assert view.table.hasFocus()
    assert view.table.currentIndex().row() == 1
    assert view.detail.label_buttons[0].text().startswith("1  ")  # the key is shown


def test_single_edit_undo_redo(
    qtbot: QtBot, view: DatasetsView, project: Project, idle: Callable[[], None]
) -> None:
    view.select_row(0)
    idle()
    eid = view.current_id()
    old = core.get_example(project, eid).label
    qtbot.keyClick(view.table, Qt.Key.Key_3)
    idle()
    assert core.get_example(project, eid).label == view.dataset.label_set[2] != old
    qtbot.keyClick(view.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    idle()
    assert core.get_example(project, eid).label == old
    assert view.model.index(0, COL_LABEL).data() == (old or "")
    qtbot.keyClick(
        view.table,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    idle()
    assert core.get_example(project, eid).label == view.dataset.label_set[2]
