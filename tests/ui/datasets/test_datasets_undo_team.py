"""Ctrl+Z in the Datasets view while another labeller works on the same project (ISSUE-14
§3), on a project file and on the same project on PostgreSQL, offscreen Qt; the other
labeller is the real ``studio`` command line in another process:

* undoing our label after bob relabelled the row asks first, naming bob and when; "No"
  changes nothing, no error, and the table shows bob's label;
* undoing our label after bob undid it already says "already undone" in the status bar
  (no error dialog, no traceback) and the table shows the row as it is now.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from helpers.backends import BACKENDS
from helpers.labeller_app import as_alice_on, bob
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from studio.core import datasets as core
from studio.core.db.project import Project
from studio.ui.datasets import DatasetsView
from studio.ui.datasets.table_model import COL_LABEL
from studio.ui.undo import OperationCommand

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture(params=BACKENDS)
def project(
    request: pytest.FixtureRequest, project: Project, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Project]:
    """The datasets views' project (conftest.py: "banking77", 50 examples, 5 labels) with
    the app's user alice, on a file or on the test server."""
    yield from as_alice_on(request, project, monkeypatch)


def shown_label(view: DatasetsView, row: int) -> str:
    return str(view.model.index(row, COL_LABEL).data() or "")


def test_undo_after_another_labellers_edit_names_them_and_shows_their_label(
    qtbot: QtBot, view: DatasetsView, project: Project, idle: Callable[[], None]
) -> None:
    labels = view.dataset.label_set
    errors: list[str] = []
    view.context.error_requested.connect(lambda m, d: errors.append(m + d))
    view.select_row(0)
    idle()
    eid = view.current_id()
    qtbot.keyClick(view.table, Qt.Key.Key_2)  # alice labels row 0 with the second label
    idle()
    assert core.get_example(project, eid).label == labels[1]
    bob(project, "label", "--ids", str(eid), "--label", labels[3])
    bobs = core.list_operations(project, view.dataset.id)[0]
    assert bobs.actor == "bob"

    cmd = view.context.undo_stack.command(0)
    assert isinstance(cmd, OperationCommand)
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Z, CTRL)
    qtbot.waitUntil(lambda: cmd.conflict_box is not None, timeout=10000)
    box = cmd.conflict_box
    assert box is not None
    assert f"{bobs.id}: {bobs.description} by bob at {bobs.at[:19]} UTC" in box.text()
    box.button(QMessageBox.StandardButton.No).click()
    idle()
    ex = core.get_example(project, eid)
    assert (ex.label, ex.version) == (labels[3], 3)  # nothing undone: import, alice, bob
    assert errors == []
    qtbot.waitUntil(lambda: shown_label(view, 0) == labels[3], timeout=5000)


def test_undo_of_an_operation_another_labeller_undid_says_already_undone(
    qtbot: QtBot, view: DatasetsView, project: Project, idle: Callable[[], None]
) -> None:
    labels = view.dataset.label_set
    errors: list[str] = []
    statuses: list[str] = []
    view.context.error_requested.connect(lambda m, d: errors.append(m + d))
    view.context.status_requested.connect(lambda m, _ms: statuses.append(m))
    view.select_row(0)
    idle()
    eid = view.current_id()
    before = core.get_example(project, eid).label
    qtbot.keyClick(view.table, Qt.Key.Key_2)
    idle()
    cmd = view.context.undo_stack.command(0)
    assert isinstance(cmd, OperationCommand)
    bob(project, "undo", "--op", str(cmd.op_id))  # bob undoes alice's label first

    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Z, CTRL)
    idle()
    qtbot.waitUntil(lambda: any("already undone" in s for s in statuses), timeout=10000)
    assert errors == []
    assert not any("Traceback" in s for s in statuses)
    ex = core.get_example(project, eid)
    assert (ex.label, ex.version) == (before, 3)  # import, alice's label, bob's undo
    assert labels[1] != before
    qtbot.waitUntil(lambda: shown_label(view, 0) == (before or ""), timeout=5000)
