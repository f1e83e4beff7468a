"""The Datasets view's loading: project, dataset list, query, counts, detail, outside changes.

Every read runs on the task runner (ISSUE-11 §5); generation counters drop answers a
newer request has made stale.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QTabWidget, QToolButton, QWidget

from studio.core import datasets as core
from studio.core.errors import NotFoundError
from studio.ui.context import AppContext
from studio.ui.datasets.change_watch import ChangeWatcher
from studio.ui.datasets.filter_bar import FilterBar
from studio.ui.datasets.selection import TableSelection
from studio.ui.datasets.table_model import COL_ID, COL_OUTPUT, positions_of

if TYPE_CHECKING:  # built on first use of the view (DatasetsView imports it lazily)
    from studio.ui.datasets.overview import OverviewWidget


class DatasetLoading(TableSelection):
    """Reads what the Datasets view shows, off the GUI thread, and keeps it current.

    Signals:
        query_done(): the table shows the result of the latest filter/sort (tests, bench).
        counts_done(): the live counts were refreshed.
        detail_loaded(int): the detail editor shows this example (read off the GUI thread).
        external_change_shown(): a change made elsewhere (CLI, another window) is shown.
    """

    query_done = Signal()
    counts_done = Signal()
    detail_loaded = Signal(int)
    edit_saved = Signal()
    external_change_shown = Signal()

    # Built by DatasetsView
    dataset_combo: QComboBox
    import_button: QPushButton
    bulk_button: QToolButton
    split_button: QPushButton
    dupes_button: QPushButton
    history_button: QPushButton
    attribution: QLabel
    filter_bar: FilterBar
    overview: OverviewWidget
    tabs: QTabWidget
    empty_hint: QLabel
    _counts_timer: QTimer

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.dataset: core.DatasetInfo | None = None
        self.filter = core.ExampleFilter()
        self._query_gen = 0
        self._counts_gen = 0
        self._writes = 0  # long writes (bulk, undo) in flight: labelling waits for them
        self._pending_reveal: int | None = None
        self.last_counts: core.Counts | None = None
        # Every read and write below runs on the task runner (ISSUE-11 §5); these
        # generations drop answers a newer request has made stale
        self._detail_gen = 0
        self._datasets_gen = 0  # open_dataset requests
        self._list_gen = 0  # reload_datasets requests
        self._opening: int | None = None  # the dataset an open_dataset request is reading
        self._edits = 0  # single-example saves in flight (they queue, in order)
        self.tags: list[str] = []
        self.watcher = ChangeWatcher(context, self)
        self.watcher.changed.connect(self._changed_elsewhere)

    def _commit_detail(self, example_id: int | None = None) -> None:
        """Save the editor's unsaved fields; the edits layer (``ExampleEdits``) does it."""

    # ------------------------------------------------------------ project / dataset

    @property
    def project(self) -> Any:
        return self.context.project

    def _project_changed(self, project: Any) -> None:
        self._query_gen += 1
        self.dataset = None
        self.last_counts = None
        self.model.set_fetcher(
            (lambda ids: core.fetch_rows(project, ids)) if project is not None else (lambda ids: [])
        )
        self.model.set_loader(self._load_rows if project is not None else None)
        self.model.set_ids([])
        self.detail.set_dataset(None)
        # A new project starts clean: no counts or charts of the previous one (ISSUE-11 §6)
        self.filter_bar.set_dataset((), [])
        self.filter_bar.reset_counts()
        self.overview.clear()
        self.reload_datasets()
        self.watcher.start()

    def _load_rows(
        self, ids: Sequence[int], deliver: Callable[[list[core.ExampleRow]], None]
    ) -> None:
        """The table model's block reads, on the database thread (in order with writes)."""
        project = self.project
        if project is None:
            return
        self.context.runner.run(
            lambda: core.fetch_rows(project, ids),
            on_done=deliver,
            on_error=self.context.show_error,
            db=True,
        )

    def _read(self, fn: Callable[[], Any], on_done: Callable[[Any], None]) -> None:
        """Run a read on the database thread; report a failure as a message."""
        self.context.runner.run(fn, on_done=on_done, on_error=self.context.show_error, db=True)

    def reload_datasets(self, select_id: int | None = None) -> None:
        """Refill the dataset list and open ``select_id`` (or the current, or the first)."""
        project = self.project
        self._list_gen += 1
        gen, opens = self._list_gen, self._datasets_gen
        if project is None:
            self._fill_datasets([], select_id)
            return

        def done(datasets: list[core.DatasetSummary]) -> None:
            if gen != self._list_gen or project is not self.project:
                return
            if opens != self._datasets_gen and self._opening is not None:
                # A dataset was asked for meanwhile (Open Example): list, do not reopen
                self._fill_combo(datasets, self._opening)
                return
            self._fill_datasets(datasets, select_id)

        self._read(lambda: core.dataset_summaries(project), done)

    def _fill_combo(self, datasets: list[core.DatasetSummary], current: int | None) -> None:
        self.dataset_combo.blockSignals(True)
        self.dataset_combo.clear()
        for d in datasets:
            self.dataset_combo.addItem(f"{d.name}  ({d.examples:,})", d.id)
        idx = self.dataset_combo.findData(current) if current is not None else -1
        if idx >= 0:
            self.dataset_combo.setCurrentIndex(idx)
        self.dataset_combo.blockSignals(False)

    def _fill_datasets(self, datasets: list[core.DatasetSummary], select_id: int | None) -> None:
        project = self.project
        keep = select_id if select_id is not None else (self.dataset.id if self.dataset else None)
        self._fill_combo(datasets, None)
        enabled = project is not None
        self.import_button.setEnabled(enabled)
        has = bool(datasets)
        for w in (self.bulk_button, self.split_button, self.dupes_button, self.tabs):
            w.setEnabled(has)
        self.history_button.setEnabled(has)
        self.empty_hint.setVisible(enabled and not has)
        if not has:
            self.dataset = None
            self.model.set_ids([])
            self.detail.set_dataset(None)
            return
        idx = self.dataset_combo.findData(keep) if keep is not None else 0
        self.dataset_combo.setCurrentIndex(max(0, idx))
        self.open_dataset(int(self.dataset_combo.currentData()))

    def _dataset_chosen(self, index: int) -> None:
        self.open_dataset(int(self.dataset_combo.itemData(index)))

    def open_dataset(self, dataset_id: int, *, reveal: int | None = None) -> None:
        """Show a dataset (filters cleared), optionally revealing one example."""
        self._commit_detail()
        project = self.project
        if project is None:
            return
        self._datasets_gen += 1
        gen = self._datasets_gen
        self._opening = dataset_id

        def done(found: tuple[core.DatasetInfo, list[str]]) -> None:
            if gen == self._datasets_gen and project is self.project:
                self._opening = None
                self._show_dataset(*found, reveal=reveal)

        self._read(
            lambda: (core.get_dataset(project, dataset_id), core.all_tags(project, dataset_id)),
            done,
        )

    def _show_dataset(
        self, info: core.DatasetInfo, tags: list[str], *, reveal: int | None = None
    ) -> None:
        dataset_id = info.id
        self.dataset = info
        self.tags = tags
        idx = self.dataset_combo.findData(dataset_id)
        if idx >= 0 and idx != self.dataset_combo.currentIndex():
            self.dataset_combo.setCurrentIndex(idx)
        self.detail.set_dataset(self.dataset)
        self.filter_bar.set_dataset(self.dataset.label_set, tags)
        self.filter = self.filter_bar.current()
        self.model.sort_key = ("id", False)
        self.table.horizontalHeader().setSortIndicator(COL_ID, Qt.SortOrder.AscendingOrder)
        name = self.dataset.name.lower()
        self.attribution.setText(
            "banking77 data: PolyAI, CC BY 4.0" if "banking" in name or "b77" in name else ""
        )
        # A classification dataset's ideal output is its label: one column is enough
        self.table.setColumnHidden(COL_OUTPUT, self.dataset.task_type == "classification")
        self.requery(reveal=reveal)
        self.table.setFocus()
        if self.tabs.currentWidget() is self.overview:
            self.overview.refresh(dataset_id)

    # ------------------------------------------------------------ querying

    def _filter_changed(self, flt: core.ExampleFilter) -> None:
        self.filter = flt
        self.requery()

    def _search_entered(self) -> None:
        self.filter_bar.flush()
        self.table.setFocus()

    def focus_search(self) -> None:
        """Ctrl+F: put the cursor in the search box."""
        self.tabs.setCurrentIndex(0)
        self.filter_bar.search.setFocus()
        self.filter_bar.search.selectAll()

    def requery(self, *, reveal: int | None = None, keep_view: bool = False) -> None:
        """Re-run the filter and sort in SQL (off the GUI thread), keeping the current example.

        ``keep_view`` (a change made elsewhere): an unchanged id list is left alone, and a
        changed one keeps the selected rows and the scroll position where they still are.
        """
        if self.dataset is None or self.project is None:
            return
        self._query_gen += 1
        gen = self._query_gen
        project, ds, flt, sort = self.project, self.dataset.id, self.filter, self.model.sort_key
        keep = reveal if reveal is not None else self.current_id()

        def done(found: tuple[list[int], dict[int, int]]) -> None:
            if gen != self._query_gen:
                return  # a newer query is on its way
            ids, positions = found
            if keep_view:
                self._replace_ids_keeping_view(ids, positions)
            else:
                self.model.set_ids(ids, positions)
                self._restore(keep)
            self.query_done.emit()

        def work() -> tuple[list[int], dict[int, int]]:
            # the model's sort key is (column, descending); the core's (column, ascending)
            ids = core.query_ids(project, ds, flt, (sort[0], not sort[1]))
            return ids, positions_of(ids)

        self.context.runner.run(
            work,
            on_done=done,
            on_error=self._query_failed,
            db=False,
        )
        self.refresh_counts()

    def _query_failed(self, exc: BaseException) -> None:
        self.context.show_error(exc)
        self.query_done.emit()

    def refresh_counts(self) -> None:
        """Recount the facets for the current filter (off the GUI thread)."""
        if self.dataset is None or self.project is None:
            return
        self._counts_gen += 1
        gen = self._counts_gen
        project, ds, flt = self.project, self.dataset.id, self.filter

        def done(c: core.Counts) -> None:
            if gen != self._counts_gen:
                return
            self.last_counts = c
            self.filter_bar.set_counts(c)
            self.counts_done.emit()

        self.context.runner.run(
            lambda: core.counts(project, ds, flt),
            on_done=done,
            on_error=self.context.show_error,
            db=False,
        )

    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        if previous.isValid():
            self._commit_detail(self.model.id_at(previous.row()))
        self._load_detail(self.model.id_at(current.row()) if current.isValid() else None)

    def _load_detail(self, example_id: int | None) -> None:
        """Show ``example_id`` in the editor once read (off the GUI thread)."""
        self._detail_gen += 1
        gen = self._detail_gen
        project = self.project
        if example_id is None or project is None:
            self.detail.show_example(None)
            return

        def done(detail: core.ExampleDetail) -> None:
            if gen != self._detail_gen or project is not self.project:
                return  # another row was chosen meanwhile
            if (
                self.detail.dirty
                and self.detail.detail is not None
                and (self.detail.detail.id == detail.id)
            ):
                return  # never overwrite what is being typed
            self.detail.show_example(detail, detail.history[:20])
            self.detail_loaded.emit(detail.id)

        def failed(exc: BaseException) -> None:
            if gen != self._detail_gen:
                return
            self.detail.show_example(None)
            if not isinstance(exc, NotFoundError):  # gone meanwhile: nothing to say
                self.context.show_error(exc)  # the file went away, is locked, …

        self.context.runner.run(
            lambda: core.get_example(project, example_id), on_done=done, on_error=failed, db=True
        )

    def _reload_tags(self) -> None:
        """Re-read the dataset's tags for the filter bar (off the GUI thread)."""
        project, ds = self.project, self.dataset.id if self.dataset else None
        if project is None or ds is None:
            return

        def done(tags: list[str]) -> None:
            if project is self.project and self.dataset is not None and self.dataset.id == ds:
                self.tags = tags
                self.filter_bar.set_tags(tags)

        self._read(lambda: core.all_tags(project, ds), done)

    def _changed_elsewhere(self) -> None:
        """Another process changed the project: show it, keeping the current example."""
        if self.project is None:
            return
        if self._writes or self._edits:
            QTimer.singleShot(300, self._changed_elsewhere)  # after our own save lands
            return
        if self.dataset is None:
            self.reload_datasets()
            return
        self._reload_combo_counts()
        self._reload_tags()
        self.model.invalidate_cache()  # visible rows re-read; no reset, no scroll jump
        self.requery(keep_view=True)  # rows added or removed elsewhere
        cur = self.current_id()
        if cur is not None and not self.detail.dirty:
            self._load_detail(cur)
        if self.tabs.currentWidget() is self.overview:
            self.overview.refresh(self.dataset.id)
        self.context.data_changed.emit("datasets")
        self.external_change_shown.emit()

    def _reload_combo_counts(self) -> None:
        """Refresh the dataset list's names and counts without reopening the dataset."""
        project = self.project
        if project is None:
            return

        def done(datasets: list[core.DatasetSummary]) -> None:
            if project is not self.project:
                return
            current = self.dataset.id if self.dataset else None
            if current is not None and current not in {d.id for d in datasets}:
                self.reload_datasets()  # the open dataset was deleted elsewhere
                return
            self.dataset_combo.blockSignals(True)
            self.dataset_combo.clear()
            for d in datasets:
                self.dataset_combo.addItem(f"{d.name}  ({d.examples:,})", d.id)
            idx = self.dataset_combo.findData(current)
            self.dataset_combo.setCurrentIndex(max(0, idx))
            self.dataset_combo.blockSignals(False)

        self._read(lambda: core.dataset_summaries(project), done)

    def _tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self.overview and self.dataset is not None:
            self.overview.refresh(self.dataset.id)
