"""Import dialog end to end, split dialog, duplicates review and the overview."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers.import_preview import preview
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.core import datasets as core
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
    assert preview(qtbot, dlg, _bad_file(tmp_path))
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
    assert [d.name for d in core.list_datasets(project)] == ["banking77"]  # all or nothing
    qtbot.mouseClick(dlg.good_only_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(got) or dlg.error.isVisible(), timeout=10000)
    assert not dlg.error.isVisible(), dlg.error.text()
    idle()
    info = core.get_dataset(project, got[0])
    assert info.name == "queries" and core.counts(project, info.id).total == 4
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
    preview(qtbot, dlg, _bad_file(tmp_path))
    dlg.start_import(all_or_nothing=True)
    qtbot.waitUntil(lambda: dlg.pages.currentWidget() is dlg.bad_page, timeout=10000)
    qtbot.mouseClick(dlg.fix_button, Qt.MouseButton.LeftButton)
    assert dlg.result() == ImportDialog.DialogCode.Rejected
    assert [d.name for d in core.list_datasets(project)] == ["banking77"]


def test_import_dialog_explains_unreadable_file(
    qtbot: QtBot, context: AppContext, project: Project, tmp_path: Path
) -> None:
    context.set_project(project)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    dlg = ImportDialog(context)
    qtbot.addWidget(dlg)
    assert not preview(qtbot, dlg, empty)
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
    by_split = core.counts(project, view.dataset.id).by_split
    assert by_split == {"train": 35, "validation": 5, "test": 10}
    assert view.filter_bar.split_buttons["test"].text() == "test 10"
    view.context.undo_stack.undo()
    idle()
    assert core.counts(project, view.dataset.id).by_split == {
        "train": 0,
        "validation": 0,
        "test": 0,
        core.NONE_KEY: 50,
    }
    assert view.filter_bar.split_buttons[da.UNSET].text() == "unsplit 50"


def _open_dupes(qtbot: QtBot, view: DatasetsView, **kw: Any) -> DuplicatesDialog:
    dlg = DuplicatesDialog(view.context, view.dataset, push=view._push_command, parent=view, **kw)
    qtbot.addWidget(dlg)
    return dlg


def _top(dlg_list: Any, ids: set[int]) -> Any:
    """The tree's top-level item whose examples are exactly ``ids``."""
    tree = dlg_list.tree
    for i in range(tree.topLevelItemCount()):
        item = tree.topLevelItem(i)
        kids = {
            item.child(k).data(0, Qt.ItemDataRole.UserRole + 1) for k in range(item.childCount())
        }
        if kids == ids:
            return item
    raise AssertionError(f"no group of {ids}")


def test_duplicates_review_near_and_exact(
    qtbot: QtBot, view: DatasetsView, project: Project, idle: Callable[[], None]
) -> None:
    ids = core.query_ids(project, view.dataset.id)
    first = core.get_example(project, ids[0])
    third = core.get_example(project, ids[2])
    text = str(third.inputs["text"])
    assert len(text) > 20
    # An exact copy (after normalising case) and a near copy (one character dropped)
    core.update_example(project, ids[1], inputs={"text": str(first.inputs["text"]).upper()})
    core.update_example(project, ids[3], inputs={"text": text[:10] + text[11:]})
    dlg = _open_dupes(qtbot, view)
    with qtbot.waitSignal(dlg.analysed, timeout=20000):
        dlg.show()
    assert dlg.analysis is not None and dlg.analysis.threshold == 0.9
    n_groups = dlg.dupes.tree.topLevelItemCount()
    dups, groups, _leaks = dlg.counts()
    assert groups == n_groups >= 2
    assert dlg.tabs.tabText(0) == f"Duplicates ({dups} in {n_groups} groups)"
    exact = _top(dlg.dupes, {ids[0], ids[1]})
    near = _top(dlg.dupes, {ids[2], ids[3]})
    assert "exact" in exact.text(1)
    sim = float(near.text(1).rsplit(" ", 1)[1])
    assert 0.9 <= sim < 1.0  # the core's near-duplicate similarity is shown
    assert exact.child(0).text(1).upper() == exact.child(1).text(1).upper()

    # Merge into the chosen (the second example of the near group)
    dlg.dupes.tree.setCurrentItem(near.child(1))
    with qtbot.waitSignal(dlg.resolved, timeout=10000):
        qtbot.mouseClick(dlg.merge, Qt.MouseButton.LeftButton)
    assert core.fetch_rows(project, [ids[2]]) == []
    kept = core.get_example(project, ids[3])
    assert f"#{ids[2]}" in kept.notes
    assert dlg.counts()[1] == n_groups - 1
    # Drop the others of the exact group (★ = the oldest is kept)
    dlg.dupes.tree.setCurrentItem(_top(dlg.dupes, {ids[0], ids[1]}))
    with qtbot.waitSignal(dlg.resolved, timeout=10000):
        qtbot.mouseClick(dlg.drop, Qt.MouseButton.LeftButton)
    assert core.fetch_rows(project, [ids[1]]) == [] and core.fetch_rows(project, [ids[0]])
    assert core.counts(project, view.dataset.id).total == 48
    assert dlg.changed and view.context.undo_stack.count() == 2  # one step per action
    view.context.undo_stack.undo()
    idle()
    assert core.counts(project, view.dataset.id).total == 49
    with qtbot.waitSignal(dlg.analysed, timeout=20000):  # the undone drop is found again
        qtbot.mouseClick(dlg.find_button, Qt.MouseButton.LeftButton)
    assert _top(dlg.dupes, {ids[0], ids[1]}) is not None
    # Keep all: the remaining groups are tagged reviewed and not found again
    remaining = dlg.dupes.tree.topLevelItemCount()
    while dlg.dupes.tree.topLevelItemCount():
        dlg.dupes.tree.setCurrentItem(dlg.dupes.tree.topLevelItem(0))
        with qtbot.waitSignal(dlg.resolved, timeout=10000):
            qtbot.mouseClick(dlg.keep, Qt.MouseButton.LeftButton)
    assert view.context.undo_stack.count() == 1 + remaining
    with qtbot.waitSignal(dlg.analysed, timeout=20000):
        qtbot.mouseClick(dlg.find_button, Qt.MouseButton.LeftButton)
    assert dlg.tabs.tabText(0) == "Duplicates (0 in 0 groups)"
    assert "dup-reviewed" in core.get_example(project, ids[0]).tags


def test_leaks_review_move_and_drop(
    qtbot: QtBot, view: DatasetsView, project: Project, idle: Callable[[], None]
) -> None:
    from studio.core.datasets import curation

    ds = view.dataset.id
    ids = core.query_ids(project, ds)
    for test_id, train_id in ((ids[0], ids[1]), (ids[2], ids[3])):
        text = str(core.get_example(project, test_id).inputs["text"])
        core.update_example(project, train_id, inputs={"text": text + "!"})
        curation.set_split(project, ds, [test_id], "test")
        curation.set_split(project, ds, [train_id], "train")
    dlg = _open_dupes(qtbot, view)
    with qtbot.waitSignal(dlg.analysed, timeout=20000):
        dlg.show()
    assert dlg.tabs.tabText(1) == "Leaks (2)"
    first = _top(dlg.leaks, {ids[0], ids[1]})
    assert first.text(0) == f"test {ids[0]} ↔ train {ids[1]}"
    dlg.leaks.tree.setCurrentItem(first)
    with qtbot.waitSignal(dlg.resolved, timeout=10000):
        qtbot.mouseClick(dlg.leak_move, Qt.MouseButton.LeftButton)
    assert core.get_example(project, ids[0]).split == "train"
    dlg.leaks.tree.setCurrentItem(_top(dlg.leaks, {ids[2], ids[3]}))
    with qtbot.waitSignal(dlg.resolved, timeout=10000):
        qtbot.mouseClick(dlg.leak_drop_train, Qt.MouseButton.LeftButton)
    assert core.fetch_rows(project, [ids[3]]) == [] and core.fetch_rows(project, [ids[2]])
    assert dlg.tabs.tabText(1) == "Leaks (0)"
    with qtbot.waitSignal(dlg.analysed, timeout=20000):
        qtbot.mouseClick(dlg.find_button, Qt.MouseButton.LeftButton)
    assert dlg.tabs.tabText(1) == "Leaks (0)"


def test_duplicates_detection_reports_progress_and_cancels(
    qtbot: QtBot, view: DatasetsView, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from studio.core.progress import Progress
    from studio.ui.datasets import duplicates_dialog

    started = threading.Event()

    def slow(project: Any, dataset_id: int, threshold: float, report: Any, cancel: Any) -> Any:
        report(Progress(1, 3, "Finding candidate pairs"))
        started.set()
        while not cancel.cancelled:  # a long detection, until Cancel
            threading.Event().wait(0.01)
        cancel.raise_if_cancelled()

    monkeypatch.setattr(duplicates_dialog, "analyse_for_review", slow)
    dlg = _open_dupes(qtbot, view, threshold=0.95)
    dlg.show()
    assert started.wait(10)
    qtbot.waitUntil(lambda: dlg.message.text() == "Finding candidate pairs", timeout=5000)
    assert dlg.progress.isVisible() and dlg.progress.value() == 1
    assert dlg.cancel_button.isVisible() and not dlg.find_button.isEnabled()
    assert not dlg.keep.isEnabled()  # nothing to act on while it runs
    with qtbot.waitSignal(dlg.analysed, timeout=10000):
        qtbot.mouseClick(dlg.cancel_button, Qt.MouseButton.LeftButton)
    assert dlg.message.text().startswith("Cancelled")
    assert not dlg.progress.isVisible() and dlg.find_button.isEnabled()
    assert dlg.analysis is None


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


WESTERN_ROWS = [  # é ü ñ £; charset-normalizer alone ranks cp1250 first for these bytes
    ("I paid £20 for the café", "fees"),
    ("My Müller card", "card"),
    ("El niño asked", "other"),
]


def _western_csv(tmp_path: Path) -> Path:
    path = tmp_path / "western.csv"
    body = "text,label\n" + "".join(f"{t},{c}\n" for t, c in WESTERN_ROWS)
    path.write_bytes(body.encode("cp1252"))  # Latin-1 / Windows-1252 bytes
    return path


def test_enter_in_the_path_field_previews_and_never_imports(
    qtbot: QtBot, context: AppContext, project: Project, tmp_path: Path
) -> None:
    context.set_project(project)
    dlg = ImportDialog(context)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    started: list[bool] = []
    dlg.start_import = lambda **kw: started.append(True)  # type: ignore[method-assign]
    dlg.path_edit.setFocus()
    qtbot.keyClicks(dlg.path_edit, str(_western_csv(tmp_path)))
    with qtbot.waitSignal(dlg.preview_ready, timeout=20000):
        qtbot.keyClick(dlg.path_edit, Qt.Key.Key_Return)
    with qtbot.waitSignal(dlg.preview_ready, timeout=20000):
        qtbot.keyClick(dlg.path_edit, Qt.Key.Key_Enter)
    # The file is previewed, the Import button is ready, and nothing started
    assert dlg.preview is not None and dlg.preview_table.rowCount() == 3
    assert dlg.import_button.isEnabled() and dlg.isVisible()
    assert started == []
    assert [d.name for d in core.list_datasets(project)] == ["banking77"]


def test_encoding_picker_previews_live_and_imports_in_that_encoding(
    qtbot: QtBot, context: AppContext, project: Project, tmp_path: Path
) -> None:
    context.set_project(project)
    dlg = ImportDialog(context)
    qtbot.addWidget(dlg)
    got: list[int] = []
    dlg.imported.connect(got.append)
    dlg.show()
    assert preview(qtbot, dlg, _western_csv(tmp_path))
    # Detected as Western European, and the preview reads é ü ñ £ correctly
    assert "Western European (Windows-1252), detected" in dlg.file_info.text()
    cells = [dlg.preview_table.item(r, 0).text() for r in range(3)]
    assert cells == [t for t, _ in WESTERN_ROWS]
    # Choosing another encoding re-reads the preview at once
    with qtbot.waitSignal(dlg.preview_ready, timeout=20000):
        dlg.encoding_combo.setCurrentIndex(dlg.encoding_combo.findData("cp1250"))
    assert dlg.preview_table.item(0, 0).text() == "I paid Ł20 for the café"
    assert "Central European (Windows-1250), chosen" in dlg.file_info.text()
    assert dlg.label_combo.currentText() == "label"  # the mapping stays
    with qtbot.waitSignal(dlg.preview_ready, timeout=20000):
        dlg.encoding_combo.setCurrentIndex(dlg.encoding_combo.findData("cp1252"))
    assert dlg.preview_table.item(0, 0).text() == "I paid £20 for the café"
    dlg.dataset_name.setCurrentText("western")
    qtbot.mouseClick(dlg.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(got) or dlg.error.isVisible(), timeout=10000)
    assert not dlg.error.isVisible(), dlg.error.text()
    ids = core.query_ids(project, got[0])
    texts = [str(core.get_example(project, i).inputs["text"]) for i in ids]
    assert texts == [t for t, _ in WESTERN_ROWS]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("text,category\n", "has a header (text, category) but no rows"),
        ('text,category\nok,a\n"never closed,b\nmore,c\n', "line 3 opens a quote"),
    ],
)
def test_header_only_and_unclosed_quote_are_explained(
    qtbot: QtBot,
    context: AppContext,
    project: Project,
    tmp_path: Path,
    body: str,
    expected: str,
) -> None:
    context.set_project(project)
    path = tmp_path / "f.csv"
    path.write_text(body, encoding="utf-8")
    dlg = ImportDialog(context)
    qtbot.addWidget(dlg)
    assert not preview(qtbot, dlg, path)
    assert expected in dlg.error.text()
    assert not dlg.import_button.isEnabled()
