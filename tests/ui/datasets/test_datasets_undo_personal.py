"""Edit ▸ Undo is personal (ISSUE-14 §3), offscreen Qt, on a project file and on the same
project on PostgreSQL; the other labeller, bob, is the real ``studio`` command line in
another process, the app's user is alice:

* with bob's label newer than alice's, Undo says alice's ("Undo Set label …"), and Ctrl+Z
  undoes hers: her row goes back, bob's row keeps his label (read back from the
  database);
* then Undo is disabled, and Ctrl+Z says in the status bar that nothing of hers is left
  to undo, naming bob's operation, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from helpers.backends import BACKENDS
from helpers.labeller_app import as_alice_on, bob
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.core import datasets as core
from studio.core.db.project import Project
from studio.ui.datasets import DatasetsView

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture(params=BACKENDS)
def project(
    request: pytest.FixtureRequest, project: Project, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Project]:
    """The datasets views' project (conftest.py: "banking77", 50 examples, 5 labels) with
    the app's user alice, on a file or on the test server."""
    yield from as_alice_on(request, project, monkeypatch)


def test_undo_menu_and_ctrl_z_are_alices_own(
    qtbot: QtBot, view: DatasetsView, project: Project, idle: Callable[[], None]
) -> None:
    labels = view.dataset.label_set
    errors: list[str] = []
    statuses: list[str] = []
    view.context.error_requested.connect(lambda m, d: errors.append(m + d))
    view.context.status_requested.connect(lambda m, _ms: statuses.append(m))
    undo_action = view.context.undo_stack.createUndoAction(view, "Undo")
    assert not undo_action.isEnabled()  # nothing of alice's yet (the import is tester's)

    view.select_row(0)
    idle()
    mine = view.current_id()
    before = core.get_example(project, mine).label
    qtbot.keyClick(view.table, Qt.Key.Key_2)  # alice labels row 0
    idle()
    assert core.get_example(project, mine).label == labels[1] != before
    alices = core.list_operations(project, view.dataset.id)[0]
    assert alices.actor == "alice"
    theirs = view.model.id_at(5)
    assert theirs is not None and theirs != mine
    bob(project, "label", "--ids", str(theirs), "--label", labels[3])
    bobs = core.list_operations(project, view.dataset.id)[0]
    assert bobs.actor == "bob" and bobs.id > alices.id

    # Undo names alice's operation, not bob's newer one
    assert undo_action.isEnabled()
    assert undo_action.text() == f"Undo {alices.description}"
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Z, CTRL)
    idle()
    qtbot.waitUntil(lambda: any(s.startswith("Undone:") for s in statuses), timeout=10000)
    a, b = core.get_example(project, mine), core.get_example(project, theirs)
    assert (a.label, a.version) == (before, 3)  # import, alice's label, her undo
    assert (b.label, b.version) == (labels[3], 2)  # bob's label stands
    assert [o.undone for o in core.list_operations(project, view.dataset.id)[:2]] == [False, True]

    # Nothing of alice's left: Undo disabled, Ctrl+Z says so naming bob's operation
    assert not undo_action.isEnabled()
    statuses.clear()
    qtbot.keyClick(view.table, Qt.Key.Key_Z, CTRL)
    idle()
    qtbot.waitUntil(lambda: bool(statuses), timeout=10000)
    assert statuses[-1] == (
        f"Nothing of yours to undo in this dataset (newest change {bobs.id}: "
        f"{bobs.description} by bob at {bobs.at[:19]} UTC; History can undo it)."
    )
    b = core.get_example(project, theirs)
    assert (b.label, b.version) == (labels[3], 2)
    assert errors == []
