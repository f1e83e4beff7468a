"""The "L any label" box: Enter takes the completion; a new name is asked once and created.

ISSUE-11 §6. Real project file, offscreen Qt; every value read back from the database.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from studio.core import datasets as core
from studio.core.db.project import Project
from studio.ui.datasets import DatasetsView

# The offscreen platform cannot raise or grab for the completer popup: not our bug.
# (A function-level mark: pytest-qt reads the closest qt_log_ignore only.)
POPUP_NOISE = pytest.mark.qt_log_ignore(
    "propagateSizeHints", "does not support raise", "does not support grabbing"
)


def _label(project: Project, eid: int) -> str | None:
    return core.get_example(project, eid).label


def _open_box(qtbot: QtBot, view: DatasetsView, idle: Callable[[], None], row: int) -> int:
    view.select_row(row)
    idle()
    eid = view.current_id()
    assert eid is not None
    qtbot.keyClick(view.table, Qt.Key.Key_L)
    assert view.detail.all_labels.lineEdit().hasFocus()
    return eid


@POPUP_NOISE
def test_enter_takes_the_highlighted_completion(
    qtbot: QtBot, view: DatasetsView, project: Project, idle: Callable[[], None]
) -> None:
    labels = view.dataset.label_set
    # A fragment inside exactly one label (checked by hand against the label list)
    target = next(lab for lab in labels if "arrival" in lab)
    assert [lab for lab in labels if "arriv" in lab.lower()] == [target]
    # A row whose label is not the target yet (else setting it changes nothing)
    row = next(r for r in range(view.model.rowCount()) if view.model.row_data(r).label != target)
    eid = _open_box(qtbot, view, idle, row)
    line = view.detail.all_labels.lineEdit()
    qtbot.keyClicks(line, "arriv")
    popup = view.detail.all_labels.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    qtbot.keyClick(popup, Qt.Key.Key_Down)  # highlight the completion
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    idle()
    assert _label(project, eid) == target
    assert view.table.hasFocus() and view.table.currentIndex().row() == row + 1  # moved on
    assert view.context.undo_stack.count() == 1  # one change, not two


@POPUP_NOISE
def test_enter_without_highlight_takes_the_first_completion(
    qtbot: QtBot, view: DatasetsView, project: Project, idle: Callable[[], None]
) -> None:
    labels = view.dataset.label_set
    target = next(lab for lab in labels if "arrival" in lab)
    eid = _open_box(qtbot, view, idle, 4)
    line = view.detail.all_labels.lineEdit()
    qtbot.keyClicks(line, "ARRIV")  # any case
    qtbot.keyClick(line, Qt.Key.Key_Return)
    idle()
    assert _label(project, eid) == target


@POPUP_NOISE
def test_a_new_label_is_asked_once_and_created(
    qtbot: QtBot,
    view: DatasetsView,
    project: Project,
    idle: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []

    def question(_parent: object, _title: str, text: str, *_a: object) -> object:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    before = list(view.dataset.label_set)
    eid = _open_box(qtbot, view, idle, 1)
    line = view.detail.all_labels.lineEdit()
    qtbot.keyClicks(line, "zz_brand_new")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    idle()
    assert len(asked) == 1 and "zz_brand_new" in asked[0]
    ds = core.get_dataset(project, view.dataset.id)
    assert list(ds.label_set) == [*before, "zz_brand_new"]
    assert _label(project, eid) == "zz_brand_new"
    assert view.detail.all_labels.findText("zz_brand_new") >= 0  # offered from now on
    # Saying No creates nothing and asks nothing more
    monkeypatch.setattr(
        QMessageBox, "question", lambda *a: asked.append("no") or QMessageBox.StandardButton.No
    )
    eid2 = _open_box(qtbot, view, idle, 5)
    old = _label(project, eid2)
    qtbot.keyClicks(view.detail.all_labels.lineEdit(), "yy_other")
    qtbot.keyClick(view.detail.all_labels.lineEdit(), Qt.Key.Key_Return)
    idle()
    assert asked[1:] == ["no"]
    assert _label(project, eid2) == old
    assert "yy_other" not in core.get_dataset(project, view.dataset.id).label_set
