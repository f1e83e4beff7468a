"""Import dialog end to end, split dialog, duplicates review and the overview."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.core.db.project import Project
from studio.ui.context import AppContext
from studio.ui.datasets import DatasetsView
from studio.ui.datasets import data_access as da
from studio.ui.datasets.duplicates_dialog import DuplicatesDialog
from studio.ui.datasets.import_dialog import ImportDialog
from studio.ui.datasets.split_dialog import SplitDialog

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")

BAD_CSV = (
    "text,category\n"
    "How do I top up?,top_up\n"
    '"My card\nis lost",lost_card\n'
    "this row,has,too many\n"
    "Where is my money?,transfer\n"
    ",top_up\n"
    "What is the fee?,fees\n"
)


def _bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "queries.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    return path


def test_import_dialog_good_rows_only(
    qtbot: QtBot, view: DatasetsView, project: Project, tmp_path: Path, idle: Callable[[], None]
) -> None:
    dlg = ImportDialog(view.context, parent=view)
    qtbot.addWidget(dlg)
    got: list[int] = []
    dlg.imported.connect(got.append)
    dlg.imported.connect(lambda ds_id: view.reload_datasets(ds_id))
    dlg.show()
    assert dlg.load_file(_bad_file(tmp_path))
    # Preview and proposed mapping
    assert dlg.preview_table.rowCount() >= 4
    assert dlg.preview_table.horizontalHeaderItem(0).text() == "text"
    assert dlg.label_combo.currentText() == "category"
    assert dlg.task_type.currentText() == "classification"
    assert dlg.dataset_name.currentText() == "queries"
    assert "CSV" in dlg.file_info.text() and "utf-8" in dlg.file_info.text().lower()
    qtbot.mouseClick(dlg.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.pages.currentWidget() is dlg.bad_page, timeout=10000)
    lines = [dlg.bad_list.item(i).text() for i in range(dlg.bad_list.count())]
    assert lines[0].startswith("line 5:") and lines[1].startswith("line 7:")
    assert "Nothing has been imported" in dlg.bad_title.text()
    assert [d.name for d in da.list_datasets(project)] == ["banking77"]  # all or nothing
    qtbot.mouseClick(dlg.good_only_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(got) or dlg.error.isVisible(), timeout=10000)
    assert not dlg.error.isVisible(), dlg.error.text()
    idle()
    info = da.get_dataset(project, got[0])
    assert info.name == "queries" and info.examples == 4
    assert view.dataset is not None and view.dataset.id == got[0]
    assert view.model.rowCount() == 4
    assert dlg.result() == ImportDialog.DialogCode.Accepted


def test_import_dialog_fix_the_file_imports_nothing(
    qtbot: QtBot, context: AppContext, project: Project, tmp_path: Path
) -> None:
    context.set_project(project)
    dlg = ImportDialog(context)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.load_file(_bad_file(tmp_path))
    dlg.start_import(all_or_nothing=True)
    qtbot.waitUntil(lambda: dlg.pages.currentWidget() is dlg.bad_page, timeout=10000)
    qtbot.mouseClick(dlg.fix_button, Qt.MouseButton.LeftButton)
    assert dlg.result() == ImportDialog.DialogCode.Rejected
    assert [d.name for d in da.list_datasets(project)] == ["banking77"]


def test_import_dialog_explains_unreadable_file(
    qtbot: QtBot, context: AppContext, project: Project, tmp_path: Path
) -> None:
    context.set_project(project)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    dlg = ImportDialog(context)
    qtbot.addWidget(dlg)
    assert not dlg.load_file(empty)
    assert "empty" in dlg.error.text().lower()
    assert not dlg.import_button.isEnabled()


def test_split_dialog_and_undo(
    qtbot: QtBot, view: DatasetsView, project: Project, idle: Callable[[], None]
) -> None:
    dlg = SplitDialog(view.context, view.dataset, push=view._push_command, parent=view)
    qtbot.addWidget(dlg)
    dlg.test.setValue(0.2)
    dlg.validation.setValue(0.1)
    dlg.finished_split.connect(lambda: view.reload_datasets(view.dataset.id))
    dlg.run_split()
    qtbot.waitUntil(lambda: dlg.result() == SplitDialog.DialogCode.Accepted, timeout=10000)
    idle()
    by_split = da.counts(project, view.dataset.id).by_split
    assert by_split == {"train": 35, "validation": 5, "test": 10}
    assert view.filter_bar.split_buttons["test"].text() == "test 10"
    view.context.undo_stack.undo()
    idle()
    assert da.counts(project, view.dataset.id).by_split == {da.UNSET: 50}


def test_duplicates_review_drop(
    qtbot: QtBot, view: DatasetsView, project: Project, idle: Callable[[], None]
) -> None:
    ids = da.query_ids(project, view.dataset.id)
    first = da.get_example(project, ids[0])
    # Make example 2 a copy of example 1 (an edit the import could not have caught)
    da.update_example(project, ids[1], inputs=dict(first.inputs))
    dlg = DuplicatesDialog(view.context, view.dataset, push=view._push_command, parent=view)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.tabs.tabText(0) == "Duplicates (1)"
    group = dlg.dupes.current_group()
    assert group is not None and set(group[1].example_ids) == {ids[0], ids[1]}
    qtbot.mouseClick(dlg.dupes.drop, Qt.MouseButton.LeftButton)
    assert dlg.tabs.tabText(0) == "Duplicates (0)"
    assert da.get_dataset(project, view.dataset.id).examples == 49
    assert view.context.undo_stack.count() == 1


def test_overview_counts_and_histogram(
    qtbot: QtBot, view: DatasetsView, idle: Callable[[], None]
) -> None:
    view.tabs.setCurrentWidget(view.overview)
    idle()
    ov = view.overview
    assert ov.title.text() == "banking77: 50 examples"
    assert len(ov.labels.items) == 5 and all(v == 10 for _n, v, _c in ov.labels.items)
    assert sum(c for _lo, _hi, c in ov.hist.bins) == 50
    assert ov.hist_note.text().startswith("Estimate")
    assert not ov.grab().isNull()
