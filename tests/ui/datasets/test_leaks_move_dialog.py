"""Leaks dialog: "Move test to train" moves or says why not, offering to unlock; the
dialog's counts are the stats' counts."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from studio.core import datasets as core
from studio.core.datasets import curation
from studio.core.db.project import Project
from studio.ui.datasets import DatasetsView
from studio.ui.datasets.duplicates_dialog import DuplicatesDialog

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


def _leak_setup(project: Project, ds: int) -> list[int]:
    """Two leaks (test → train near copy) and one test row with two train copies."""
    ids = core.query_ids(project, ds)
    pairs = ((ids[0], [ids[1]]), (ids[2], [ids[3]]), (ids[4], [ids[5], ids[6]]))
    for test_id, train_ids in pairs:
        text = str(core.get_example(project, test_id).inputs["text"])
        for n, train_id in enumerate(train_ids):
            core.update_example(project, train_id, inputs={"text": text + "!" * (n + 1)})
            curation.set_split(project, ds, [train_id], "train")
        curation.set_split(project, ds, [test_id], "test")
    return ids


def _open(qtbot: QtBot, view: DatasetsView) -> DuplicatesDialog:
    dlg = DuplicatesDialog(view.context, view.dataset, push=view._push_command, parent=view)
    qtbot.addWidget(dlg)
    with qtbot.waitSignal(dlg.analysed, timeout=20000):
        dlg.show()
    return dlg


def _leak_item(dlg: DuplicatesDialog, test_id: int) -> object:
    tree = dlg.leaks.tree
    for i in range(tree.topLevelItemCount()):
        item = tree.topLevelItem(i)
        if item.data(0, Qt.ItemDataRole.UserRole).test_id == test_id:
            return item
    raise AssertionError(f"no leak item for test {test_id}")


def test_dialog_counts_equal_stats(qtbot: QtBot, view: DatasetsView, project: Project) -> None:
    ds = view.dataset.id
    ids = _leak_setup(project, ds)
    dlg = _open(qtbot, view)
    # Hand count: 3 test examples leak (one with two train copies: still one leak)
    assert dlg.tabs.tabText(1) == "Leaks (3)"
    item = _leak_item(dlg, ids[4])
    assert item.childCount() == 3  # the test row and both train copies
    stats = core.dataset_stats(project, ds, with_tokens=False)
    dups, groups, leaks = dlg.counts()
    assert (dups, groups, leaks) == (
        stats["duplicates"],
        stats["duplicate_groups"],
        stats["leaks"],
    )
    assert dlg.tabs.tabText(0) == f"Duplicates ({dups} in {groups} groups)"


def test_move_test_to_train_locked_asks_to_unlock(
    qtbot: QtBot,
    view: DatasetsView,
    project: Project,
    idle: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ds = view.dataset.id
    ids = _leak_setup(project, ds)
    assert core.lock_test_split(project, ds) == 3  # an evaluation used the test rows
    dlg = _open(qtbot, view)
    asked: list[str] = []
    answer = [QMessageBox.StandardButton.No]

    def question(_parent: object, _title: str, text: str, *_a: object) -> object:
        asked.append(text)
        return answer[0]

    monkeypatch.setattr(QMessageBox, "question", question)
    # 1. Locked, the user says No: nothing moves, the dialog says why, the leak stays
    dlg.leaks.tree.setCurrentItem(_leak_item(dlg, ids[0]))
    with qtbot.waitSignal(dlg.resolved, timeout=10000):
        qtbot.mouseClick(dlg.leak_move, Qt.MouseButton.LeftButton)
    assert len(asked) == 1 and "locked because an evaluation used it" in asked[0]
    assert "Moved 0 test examples to train; 1 skipped: locked" in dlg.message.text()
    assert core.get_example(project, ids[0]).split == "test"
    assert dlg.tabs.tabText(1) == "Leaks (3)"
    assert view.context.undo_stack.count() == 0
    # 2. The user agrees to unlock: it moves, unlocked, in one undoable step
    answer[0] = QMessageBox.StandardButton.Yes
    dlg.leaks.tree.setCurrentItem(_leak_item(dlg, ids[0]))
    qtbot.mouseClick(dlg.leak_move, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.tabs.tabText(1) == "Leaks (2)", timeout=10000)
    idle()
    assert len(asked) == 2
    assert dlg.message.text().startswith("Moved 1 test example to train.")
    moved = core.get_example(project, ids[0])
    assert moved.split == "train" and not moved.split_locked
    assert view.context.undo_stack.count() == 1
    view.context.undo_stack.undo()
    idle()
    back = core.get_example(project, ids[0])
    assert back.split == "test" and back.split_locked
    # 3. A test example added after the lock moves at once, without asking
    text = str(core.get_example(project, ids[7]).inputs["text"])
    core.update_example(project, ids[8], inputs={"text": text + "?"})
    curation.set_split(project, ds, [ids[8]], "train")
    curation.set_split(project, ds, [ids[7]], "test")
    assert not core.get_example(project, ids[7]).split_locked
    with qtbot.waitSignal(dlg.analysed, timeout=20000):
        qtbot.mouseClick(dlg.find_button, Qt.MouseButton.LeftButton)
    assert dlg.tabs.tabText(1) == "Leaks (4)"
    dlg.leaks.tree.setCurrentItem(_leak_item(dlg, ids[7]))
    with qtbot.waitSignal(dlg.resolved, timeout=10000):
        qtbot.mouseClick(dlg.leak_move, Qt.MouseButton.LeftButton)
    assert len(asked) == 2  # asked in 1 and 2, not this time
    assert dlg.message.text().startswith("Moved 1 test example to train.")
    assert core.get_example(project, ids[7]).split == "train"
    assert dlg.tabs.tabText(1) == "Leaks (3)"


def test_move_all_to_train_counts_moved_and_locked(
    qtbot: QtBot,
    view: DatasetsView,
    project: Project,
    idle: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ds = view.dataset.id
    ids = _leak_setup(project, ds)
    core.lock_test_split(project, ds)
    # A fourth leak whose test example joined test after the lock
    text = str(core.get_example(project, ids[7]).inputs["text"])
    core.update_example(project, ids[8], inputs={"text": text + "?"})
    curation.set_split(project, ds, [ids[8]], "train")
    curation.set_split(project, ds, [ids[7]], "test")
    dlg = _open(qtbot, view)
    assert dlg.tabs.tabText(1) == "Leaks (4)"
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    asked: list[str] = []

    def question(_parent: object, _title: str, text: str, *_a: object) -> object:
        asked.append(text)
        return answers[len(asked) - 1]

    monkeypatch.setattr(QMessageBox, "question", question)
    with qtbot.waitSignal(dlg.resolved, timeout=10000):
        qtbot.mouseClick(dlg.leak_move_all, Qt.MouseButton.LeftButton)
    # The unlocked one moved; the three locked ones stayed, and the dialog says so
    assert dlg.message.text().startswith(
        "Moved 1 test example to train; 3 skipped: locked because an evaluation used them"
    )
    assert "these 3 test examples" in asked[0]
    assert dlg.tabs.tabText(1) == "Leaks (3)"
    assert core.get_example(project, ids[7]).split == "train"
    assert all(core.get_example(project, i).split == "test" for i in (ids[0], ids[2], ids[4]))
    # Again, and this time the user unlocks them
    qtbot.mouseClick(dlg.leak_move_all, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.tabs.tabText(1) == "Leaks (0)", timeout=10000)
    idle()
    assert dlg.message.text().startswith("Moved 3 test examples to train.")
    for i in (ids[0], ids[2], ids[4]):
        ex = core.get_example(project, i)
        assert ex.split == "train" and not ex.split_locked
    assert view.context.undo_stack.count() == 2  # one step per move
