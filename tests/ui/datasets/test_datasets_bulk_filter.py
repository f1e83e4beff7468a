"""Bulk actions with undo/redo, filters with live counts, navigation, the table model."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from studio.core import datasets as core
from studio.core.db.project import Project
from studio.ui.datasets import DatasetsView
from studio.ui.datasets.table_model import ExamplesTableModel

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def test_table_model_passes_qtmodeltester(qtmodeltester: ModelTester, project: Project) -> None:
    ds = core.list_datasets(project)[0].id
    model = ExamplesTableModel(lambda ids: core.fetch_rows(project, ids))
    model.set_ids(core.query_ids(project, ds))
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 50
    assert model.fetch_count >= 1
    model.set_ids(core.query_ids(project, ds, core.ExampleFilter(search="zzz-no-match")))
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 0


def test_model_fetches_lazily_in_blocks(project: Project) -> None:
    ds = core.list_datasets(project)[0].id
    asked: list[int] = []

    def fetch(ids: list[int]) -> list[core.ExampleRow]:
        asked.append(len(ids))
        return core.fetch_rows(project, ids)

    model = ExamplesTableModel(fetch)
    model.set_ids(core.query_ids(project, ds))
    assert asked == []  # nothing read until a cell is shown
    assert model.index(3, 1).data()
    assert model.index(7, 1).data()
    assert len(asked) == 1  # one block served both rows


def test_bulk_label_on_filter_undo_redo(
    qtbot: QtBot, view: DatasetsView, project: Project, idle: Callable[[], None]
) -> None:
    labels = view.dataset.label_set
    ds = view.dataset.id
    # Filter: examples labelled with the first label
    view.filter_bar.labels.select([labels[0]])
    idle()
    target = set(view.model.ids())
    assert len(target) == 10
    before = {r.id: r.label for r in core.fetch_rows(project, core.query_ids(project, ds))}
    view.run_bulk("label", labels[4], flt=view.filter)
    idle()
    after = {r.id: r.label for r in core.fetch_rows(project, list(before))}
    assert all(after[i] == labels[4] for i in target)
    assert all(after[i] == before[i] for i in before if i not in target)
    assert view.context.undo_stack.count() == 1  # one step
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Z, CTRL)
    idle()
    restored = {r.id: r.label for r in core.fetch_rows(project, list(before))}
    assert restored == before
    qtbot.keyClick(view.table, Qt.Key.Key_Z, CTRL | SHIFT)
    idle()
    redone = {r.id: r.label for r in core.fetch_rows(project, list(before))}
    assert redone == after
    # The table shows what the database holds (no stale cached rows)
    for r in range(view.model.rowCount()):
        assert view.model.row_data(r).label == redone[view.model.id_at(r)]


def test_bulk_on_selection_and_delete_undo(
    qtbot: QtBot, view: DatasetsView, project: Project, idle: Callable[[], None]
) -> None:
    view.select_row(0)
    qtbot.keyClick(view.table, Qt.Key.Key_Down, SHIFT)  # extend the selection
    chosen = view.selected_ids()
    assert len(chosen) == 2
    qtbot.keyClick(view.table, Qt.Key.Key_A)  # a status key on a selection: bulk
    idle()
    assert {r.status for r in core.fetch_rows(project, chosen)} == {"approved"}
    view.select_row(0)
    qtbot.keyClick(view.table, Qt.Key.Key_Delete)
    idle()
    assert view.model.rowCount() == 49
    assert core.fetch_rows(project, chosen[:1]) == []
    qtbot.keyClick(view.table, Qt.Key.Key_Z, CTRL)
    idle()
    assert view.model.rowCount() == 50
    assert core.fetch_rows(project, chosen[:1])[0].status == "approved"


def test_search_regex_and_live_counts(
    qtbot: QtBot, view: DatasetsView, project: Project, idle: Callable[[], None]
) -> None:
    ds = view.dataset.id
    idle()
    assert view.last_counts is not None and view.last_counts.total == 50
    assert "50 examples" in view.filter_bar.summary.text()
    qtbot.keyClicks(view.filter_bar.search, "card")
    view.filter_bar.flush()
    idle()
    want = core.query_ids(project, ds, core.ExampleFilter(search="card"))
    assert 0 < len(want) < 50
    assert view.model.ids() == want
    assert view.filter_bar.summary.text() == f"{len(want)} of 50 examples"
    assert view.filter_bar.status_buttons["needs_review"].text().endswith(str(len(want)))
    # Regex
    view.filter_bar.search.setText(r"^how\b")
    view.filter_bar.regex.setChecked(True)
    view.filter_bar.flush()
    idle()
    rx = core.query_ids(project, ds, core.ExampleFilter(search=r"^how\b", regex=True))
    assert view.model.ids() == rx and rx
    # An invalid regex is explained, never raised
    view.filter_bar.search.setText("(unclosed")
    view.filter_bar.flush()
    idle()
    assert "not a valid regular expression" in view.filter_bar.regex_error.text()
    # Status facet: approve one, filter by approved
    view.filter_bar.clear()
    idle()
    view.select_row(0)
    qtbot.keyClick(view.table, Qt.Key.Key_A)
    idle()
    view.filter_bar.status_buttons["approved"].setChecked(True)
    idle()
    assert view.model.rowCount() == 1
    assert view.filter_bar.status_buttons["approved"].text() == "approved 1"


def test_sort_by_header_runs_in_sql(
    qtbot: QtBot, view: DatasetsView, project: Project, idle: Callable[[], None]
) -> None:
    view.table.sortByColumn(1, Qt.SortOrder.DescendingOrder)  # Input, descending
    idle()
    texts = [view.model.row_data(r).input.lower() for r in range(view.model.rowCount())]
    assert texts == sorted(texts, reverse=True)


def test_navigate_requested_reveals_hidden_example(
    qtbot: QtBot, view: DatasetsView, project: Project, idle: Callable[[], None]
) -> None:
    ds = view.dataset.id
    last = core.query_ids(project, ds)[-1]
    view.filter_bar.labels.select([view.dataset.label_set[0]])  # hides the last example
    idle()
    assert view.model.row_of(last) == -1
    view.context.navigate_requested.emit("datasets", {"dataset_id": ds, "example_id": last})
    idle()
    assert view.current_id() == last
    assert view.detail.detail is not None and view.detail.detail.id == last
    rect = view.table.visualRect(view.model.index(view.model.row_of(last), 1))
    assert view.table.viewport().rect().intersects(rect)  # scrolled into view
