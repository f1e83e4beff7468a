"""Bulk actions act on the selected rows; on "all N matching" only when the user picks it.

ISSUE-11 §6. The dialog is accepted as the user would (its default choice, or the other
radio button clicked); what changed is read back from the project file.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QItemSelectionModel
from pytestqt.qtbot import QtBot

from studio.core import datasets as core
from studio.core.db.project import Project
from studio.ui.datasets import DatasetsView
from studio.ui.datasets.bulk_actions import BulkDialog

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


def _accept_with(monkeypatch: pytest.MonkeyPatch, choose_all: bool, seen: list[BulkDialog]) -> None:
    def exec_(dlg: BulkDialog) -> int:
        seen.append(dlg)
        if choose_all:
            dlg.on_filter.click()
        dlg.value.setCurrentIndex(dlg.value.findData("rejected"))
        return int(BulkDialog.DialogCode.Accepted)

    monkeypatch.setattr(BulkDialog, "exec", exec_)


def _rejected(project: Project, ds: int) -> set[int]:
    ids = core.query_ids(project, ds, core.ExampleFilter(statuses=("rejected",)))
    return set(ids)


def test_bulk_acts_on_the_one_selected_row(
    qtbot: QtBot,
    view: DatasetsView,
    project: Project,
    idle: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ds = view.dataset.id
    assert _rejected(project, ds) == set()
    seen: list[BulkDialog] = []
    _accept_with(monkeypatch, choose_all=False, seen=seen)
    view.select_row(7)
    idle()
    one = view.current_id()
    view.open_bulk_dialog("status")
    idle()
    assert seen[0].on_selection.isChecked() and not seen[0].on_filter.isChecked()
    assert "1 selected example" in seen[0].on_selection.text()
    assert _rejected(project, ds) == {one}  # one row, not all 50


def test_bulk_acts_on_several_selected_rows(
    qtbot: QtBot,
    view: DatasetsView,
    project: Project,
    idle: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ds = view.dataset.id
    seen: list[BulkDialog] = []
    _accept_with(monkeypatch, choose_all=False, seen=seen)
    view.select_row(2)
    sm = view.table.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for r in (5, 9):
        sm.select(view.model.index(r, 0), flags)
    picked = {view.model.id_at(r) for r in (2, 5, 9)}
    view.open_bulk_dialog("status")
    idle()
    assert _rejected(project, ds) == picked


def test_all_matching_only_when_chosen(
    qtbot: QtBot,
    view: DatasetsView,
    project: Project,
    idle: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ds = view.dataset.id
    labels = view.dataset.label_set
    view.filter_bar.labels.select([labels[1]])
    idle()
    matching = set(view.model.ids())
    assert len(matching) == 10  # the fixture imports 10 examples per label
    seen: list[BulkDialog] = []
    _accept_with(monkeypatch, choose_all=True, seen=seen)
    view.select_row(0)
    idle()
    view.open_bulk_dialog("status")
    idle()
    assert "All 10 examples matching" in seen[0].on_filter.text()
    assert _rejected(project, ds) == matching
