"""The Datasets view: table + detail editor, filters, keyboard labelling, bulk actions.

Keyboard-first labelling (after Argilla's focus view, without its shortcut-vs-typing
bugs): the labelling keys are read by the *table* only, so they cannot fire while the
cursor is in a text field; buttons never take focus, so the table keeps it.

=================  ==========================================================
Key (in table)     Action
=================  ==========================================================
1 … 9              set the label shown with that number, go to the next example
A / R              approve / reject, go to the next example
S                  skip: next example, no change
J / K, ↓ / ↑       next / previous example
Enter              edit: the cursor goes to the ideal output (Esc comes back)
L                  pick any label by typing its name
Ctrl+F             search
Delete             delete the selected examples (undoable)
Ctrl+Z / Ctrl+⇧Z   undo / redo (one step per keypress or bulk action)
=================  ==========================================================

With several rows selected, a label or status key applies to all of them as one step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.core import datasets as core
from studio.core.errors import NotFoundError
from studio.core.progress import CancelToken, Progress
from studio.ui.context import AppContext
from studio.ui.datasets import data_access as da
from studio.ui.datasets.bulk_actions import BULK_FIELDS, BulkDialog
from studio.ui.datasets.change_watch import ChangeWatcher
from studio.ui.datasets.detail_editor import QUICK_KEYS, DetailEditor
from studio.ui.datasets.filter_bar import FilterBar
from studio.ui.datasets.table_model import (
    COL_ID,
    COL_INPUT,
    COL_LABEL,
    COL_OUTPUT,
    COL_RATING,
    COL_SPLIT,
    COL_STATUS,
    COL_TAGS,
    ExamplesTableModel,
    positions_of,
)
from studio.ui.undo import OperationCommand

log = logging.getLogger(__name__)

ROW_HEIGHT = 24
REFRESH_ROWS_LIMIT = 5000
"""Up to this many changed rows are re-read one by one; more drop the whole row cache."""


class ExamplesTable(QTableView):
    """The examples table; hands keys to the view's labelling handler first."""

    def __init__(
        self, key_handler: Callable[[QKeyEvent], bool], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._key_handler = key_handler
        self.setObjectName("examplesTable")
        # Fixed row height, no word wrap: rows are never measured (docs/engineering-facts.md §4)
        vh = self.verticalHeader()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(ROW_HEIGHT)
        vh.hide()
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setSortingEnabled(True)
        self.setShowGrid(False)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.horizontalHeader().setSortIndicatorShown(True)
        self.horizontalHeader().setHighlightSections(False)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self._key_handler(event):
            super().keyPressEvent(event)


class _ProgressStrip(QWidget):
    """A progress bar, its message and Cancel, shown while long work runs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar(self)
        self.bar.setMaximumWidth(260)
        self.message = QLabel(self)
        self.cancel = QPushButton("Cancel", self)
        self.cancel.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.message, 1)
        lay.addWidget(self.bar)
        lay.addWidget(self.cancel)
        self.hide()

    def start(self, message: str) -> None:
        self.message.setText(message)
        self.bar.setRange(0, 0)  # busy until the first report
        self.cancel.setEnabled(True)
        self.show()

    def report(self, p: Progress) -> None:
        if p.total > 0:
            self.bar.setRange(0, p.total)
            self.bar.setValue(p.done)
        if p.message:
            self.message.setText(p.message)


class DatasetsView(QWidget):
    """Import, curate, label and split datasets.

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

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.dataset: core.DatasetInfo | None = None
        self.filter = core.ExampleFilter()
        self._query_gen = 0
        self._counts_gen = 0
        self._writes = 0  # long writes (bulk, undo) in flight: labelling waits for them
        self._task: Any = None
        self._pending_reveal: int | None = None
        self.last_counts: core.Counts | None = None
        # Every read and write below runs on the task runner (ISSUE-11 §5); these
        # generations drop answers a newer request has made stale
        self._detail_gen = 0
        self._datasets_gen = 0  # open_dataset requests
        self._list_gen = 0  # reload_datasets requests
        self._opening: int | None = None  # the dataset an open_dataset request is reading
        self._nav_handled: object = None
        self._edits = 0  # single-example saves in flight (they queue, in order)
        self.tags: list[str] = []
        self.watcher = ChangeWatcher(context, self)
        self.watcher.changed.connect(self._changed_elsewhere)

        # --- toolbar ---
        self.dataset_combo = QComboBox(self)
        self.dataset_combo.setObjectName("datasetCombo")
        self.dataset_combo.setMinimumWidth(200)
        # The whole "name  (count)" shows (it was cut at 1280 x 800)
        self.dataset_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.dataset_combo.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.import_button = QPushButton("Import…", self)
        self.bulk_button = QToolButton(self)
        self.bulk_button.setText("Bulk actions")
        self.bulk_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        bulk_menu = QMenu(self.bulk_button)
        self.bulk_actions: dict[str, QAction] = {}
        for key, (title, _verb) in BULK_FIELDS.items():
            act = bulk_menu.addAction(title + "…")
            act.triggered.connect(lambda _c=False, k=key: self.open_bulk_dialog(k))
            self.bulk_actions[key] = act
        self.bulk_button.setMenu(bulk_menu)
        self.split_button = QPushButton("Split…", self)
        self.dupes_button = QPushButton("Duplicates && leaks…", self)
        self.history_button = QPushButton("History…", self)  # undo any operation by id
        for b in (self.import_button, self.split_button, self.dupes_button, self.history_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.bulk_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.attribution = QLabel(self)
        self.attribution.setStyleSheet("color: #6b7280;")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Dataset:", self))
        bar.addWidget(self.dataset_combo)
        bar.addWidget(self.import_button)
        bar.addSpacing(12)
        bar.addWidget(self.bulk_button)
        bar.addWidget(self.split_button)
        bar.addWidget(self.dupes_button)
        bar.addWidget(self.history_button)
        bar.addStretch(1)
        bar.addWidget(self.attribution)

        # --- examples tab ---
        self.filter_bar = FilterBar(self)
        self.model = ExamplesTableModel(parent=self)
        self.table = ExamplesTable(self._table_key, self)
        self.table.setModel(self.model)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        for col, width in (
            (COL_ID, 56),
            (COL_INPUT, 310),
            (COL_OUTPUT, 160),
            (COL_LABEL, 170),
            (COL_STATUS, 104),
            (COL_SPLIT, 112),  # "validation", "test (frozen)"
            (COL_RATING, 60),
            (COL_TAGS, 90),
        ):
            self.table.setColumnWidth(col, width)
        self.detail = DetailEditor(self)
        self.detail.setMinimumWidth(360)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([880, 540])
        self.keys_hint = QLabel(
            "1–9 label · A approve · R reject · S skip · J/K move · Enter edit · Esc back · "
            "L any label · Ctrl+Z undo",
            self,
        )
        self.keys_hint.setStyleSheet("color: #6b7280;")
        examples = QWidget(self)
        el = QVBoxLayout(examples)
        el.setContentsMargins(0, 4, 0, 0)
        el.addWidget(self.filter_bar)
        el.addWidget(splitter, 1)
        el.addWidget(self.keys_hint)

        from studio.ui.datasets.overview import OverviewWidget

        self.overview = OverviewWidget(context, self)
        self.tabs = QTabWidget(self)
        self.tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.tabs.addTab(examples, "Examples")
        self.tabs.addTab(self.overview, "Overview")
        self.tabs.currentChanged.connect(self._tab_changed)

        self.progress = _ProgressStrip(self)
        self.progress.cancel.clicked.connect(self.cancel_task)
        self.empty_hint = QLabel(
            "No dataset yet. Import a CSV or JSONL file to start (Import…).", self
        )
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.hide()

        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.empty_hint)
        lay.addWidget(self.tabs, 1)
        lay.addWidget(self.progress)

        # --- wiring ---
        self.dataset_combo.activated.connect(self._dataset_chosen)
        self.import_button.clicked.connect(self.open_import_dialog)
        self.split_button.clicked.connect(self.open_split_dialog)
        self.dupes_button.clicked.connect(self.open_duplicates_dialog)
        self.history_button.clicked.connect(self.open_history_dialog)
        self.filter_bar.filter_changed.connect(self._filter_changed)
        self.filter_bar.search.returnPressed.connect(self._search_entered)
        self.model.sort_requested.connect(lambda _k, _d: self.requery())
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.detail.label_chosen.connect(lambda lab: self.apply_to_current("label", lab))
        self.detail.label_created.connect(self.create_label)
        self.detail.status_chosen.connect(lambda st: self.apply_to_current("status", st))
        self.detail.skip_requested.connect(lambda: self.move(1))
        self.detail.leave_requested.connect(self.leave_editor)
        self.detail.save_requested.connect(self.save_detail)
        find = QShortcut(QKeySequence.StandardKey.Find, self)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.activated.connect(self.focus_search)
        self._counts_timer = QTimer(self)
        self._counts_timer.setSingleShot(True)
        self._counts_timer.setInterval(250)
        self._counts_timer.timeout.connect(self.refresh_counts)

        context.project_changed.connect(self._project_changed)
        context.navigate_requested.connect(self._navigate)
        self._project_changed(context.project)

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

    def _replace_ids_keeping_view(self, ids: list[int], positions: dict[int, int]) -> None:
        if ids == self.model.ids():
            return
        selected = self.selected_ids()
        current = self.current_id()
        scroll = self.table.verticalScrollBar().value()
        self.model.set_ids(ids, positions)
        sm = self.table.selectionModel()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for eid in selected:
            row = self.model.row_of(eid)
            if row >= 0:
                sm.select(self.model.index(row, 0), flags)
        row = self.model.row_of(current) if current is not None else -1
        if row >= 0:
            sm.setCurrentIndex(self.model.index(row, 0), QItemSelectionModel.SelectionFlag.NoUpdate)
        elif self.model.rowCount():
            self._restore(None)
        self.table.verticalScrollBar().setValue(scroll)

    def _restore(self, example_id: int | None) -> None:
        row = self.model.row_of(example_id) if example_id is not None else -1
        if row < 0 and self.model.rowCount() > 0:
            row = 0
        if row >= 0:
            self.select_row(row, center=example_id is not None)
        else:
            self.detail.show_example(None)

    # ------------------------------------------------------------ current example

    def current_id(self) -> int | None:
        """The example the detail editor shows (the table's current row)."""
        idx = self.table.currentIndex()
        return self.model.id_at(idx.row()) if idx.isValid() else None

    def selected_ids(self) -> list[int]:
        """Ids of the selected rows, in table order."""
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [eid for r in rows if (eid := self.model.id_at(r)) is not None]

    def select_row(self, row: int, *, center: bool = False) -> None:
        """Make ``row`` current and the only selection, and scroll it into view."""
        col = max(0, self.table.currentIndex().column())
        index = self.model.index(row, col)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(
            index,
            QAbstractItemView.ScrollHint.PositionAtCenter
            if center
            else QAbstractItemView.ScrollHint.EnsureVisible,
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
            if self.detail.dirty and self.detail.detail is not None and (
                self.detail.detail.id == detail.id
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

    def move(self, step: int) -> None:
        """Go ``step`` rows down (negative: up), staying inside the table."""
        n = self.model.rowCount()
        if n == 0:
            return
        cur = self.table.currentIndex().row()
        self.select_row(min(n - 1, max(0, cur + step if cur >= 0 else 0)))
        self.table.setFocus()

    # ------------------------------------------------------------ keyboard

    def _table_key(self, event: QKeyEvent) -> bool:
        """Labelling keys, read only while the table has focus (never while typing)."""
        key = event.key()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ctrl = Qt.KeyboardModifier.ControlModifier
        shift = Qt.KeyboardModifier.ShiftModifier
        if mods == ctrl and key == Qt.Key.Key_Z:
            if not self._edits_busy():  # the undo stack gets a save once it is done
                self.context.undo_stack.undo()
            return True
        if (mods in (ctrl | shift,) and key == Qt.Key.Key_Z) or (
            mods == ctrl and key == Qt.Key.Key_Y
        ):
            if not self._edits_busy():
                self.context.undo_stack.redo()
            return True
        if mods not in (Qt.KeyboardModifier.NoModifier,):
            return False
        if Qt.Key.Key_1 <= key <= Qt.Key.Key_9:
            labels = self.dataset.label_set if self.dataset else ()
            n = key - Qt.Key.Key_1
            if n < min(len(labels), QUICK_KEYS):
                self.apply_to_current("label", labels[n])
            else:
                self.context.show_status(f"No label on key {n + 1} in this dataset.")
            return True
        if key == Qt.Key.Key_A:
            self.apply_to_current("status", "approved")
            return True
        if key == Qt.Key.Key_R:
            self.apply_to_current("status", "rejected")
            return True
        if key in (Qt.Key.Key_S, Qt.Key.Key_J):
            self.move(1)
            return True
        if key == Qt.Key.Key_K:
            self.move(-1)
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.enter_editor()
            return True
        if key == Qt.Key.Key_L:
            self.detail.all_labels.setFocus()
            self.detail.all_labels.lineEdit().selectAll()
            return True
        if key == Qt.Key.Key_Delete:
            ids = self.selected_ids()
            if ids:
                self.run_bulk("delete", None, ids=ids)
            return True
        return False

    def enter_editor(self) -> None:
        """Enter: put the cursor in the editor's main text field."""
        if self.detail.detail is None:
            return
        field = self.detail.first_text_field()
        field.setFocus()

    def leave_editor(self) -> None:
        """Esc in the editor: save what was typed and give the table the keyboard back."""
        self._commit_detail()
        self.table.setFocus()

    # ------------------------------------------------------------ edits

    def _writes_busy(self) -> bool:
        if self._writes:
            self.context.show_status("Wait a moment: the previous change is still being saved.")
            return True
        return False

    def _edits_busy(self) -> bool:
        if self._edits or self._writes:
            self.context.show_status("Wait a moment: the previous change is still being saved.")
            return True
        return False

    def _save_example(
        self,
        example_id: int,
        fields: dict[str, Any],
        *,
        reload_detail: bool = True,
        announce: bool = False,
    ) -> None:
        """Save fields of one example on the database thread (saves queue in order)."""
        project = self.project
        if project is None:
            return
        self._edits += 1

        def done(result: tuple[core.Changes, Any]) -> None:
            self._edits = max(0, self._edits - 1)
            changes, marker = result
            if project is not self.project:
                return
            self.watcher.note(marker)
            self._after_edit(changes, reload_detail=reload_detail)
            if announce and changes.op_id is not None:
                self.context.show_status(changes.description)
            self.edit_saved.emit()

        def failed(exc: BaseException) -> None:
            self._edits = max(0, self._edits - 1)
            self.context.show_error(exc)
            self.edit_saved.emit()

        self.context.runner.run(
            self.watcher.own_write(lambda: core.update_example(project, example_id, **fields)),
            on_done=done,
            on_error=failed,
            db=True,
        )

    def apply_to_current(self, field: str, value: str | None) -> None:
        """Set label or status on the current example (or the selection) and move on."""
        if self.dataset is None or self.project is None or self._writes_busy():
            return
        selected = self.selected_ids()
        if len(selected) > 1:
            self.run_bulk(field, value, ids=selected)
            return
        eid = self.current_id()
        if eid is None:
            return
        self._commit_detail(eid)
        self._save_example(eid, {field: value})
        self.move(1)

    def create_label(self, name: str) -> None:
        """Add ``name`` to the dataset's labels and give it to the current example."""
        if self.dataset is None or self.project is None or self._writes_busy():
            return
        eid = self.current_id()
        project, ds = self.project, self.dataset.id
        labels = [*self.dataset.label_set, name]

        def work() -> core.DatasetInfo:
            return core.update_dataset(project, ds, label_set=labels)

        def done(info: core.DatasetInfo) -> None:
            if project is not self.project or self.dataset is None or self.dataset.id != ds:
                return
            self.dataset = info
            self.detail.set_dataset(info)
            # Offer the new label in the filter too, keeping what is filtered
            chosen = self.filter_bar.labels.selected()
            self.filter_bar.labels.blockSignals(True)
            self.filter_bar.labels.set_values(info.label_set, with_unset="(no label)")
            self.filter_bar.labels.select(chosen)
            self.filter_bar.labels.blockSignals(False)
            self.context.show_status(f"Label “{name}” added to {info.name}.")
            if eid is not None:
                self._commit_detail(eid)
                self._save_example(eid, {"label": name})
                if eid == self.current_id():
                    self.move(1)

        self._read(work, done)

    def _commit_detail(self, example_id: int | None = None) -> None:
        """Save the editor's unsaved fields (switching rows, Esc, Ctrl+S)."""
        d = self.detail.detail
        if d is None or not self.detail.dirty or self.project is None:
            return
        if example_id is not None and d.id != example_id:
            return
        changes = self.detail.pending_changes()
        self.detail._set_dirty(False)
        if not changes:
            return
        self._save_example(d.id, changes, reload_detail=False, announce=True)

    def save_detail(self) -> None:
        """Ctrl+S in the editor."""
        eid = self.current_id()
        self._commit_detail()
        if eid is not None:
            self._load_detail(eid)  # queued after the save on the database thread

    def _after_edit(self, changes: core.Changes, *, reload_detail: bool = True) -> None:
        if changes.op_id is None:
            return
        self._push_command(changes)
        self.model.refresh_ids(changes.example_ids)
        if "tags" in changes.fields:
            self._reload_tags()
        self._counts_timer.start()
        self.context.data_changed.emit("datasets")
        if reload_detail and self.detail.detail and self.detail.detail.id in changes.example_ids:
            self._load_detail(self.detail.detail.id)

    def _push_command(self, changes: core.Changes) -> None:
        project = self.project
        assert changes.op_id is not None and self.dataset is not None
        ds = self.dataset.id
        cmd = OperationCommand(
            self.context,
            changes.op_id,
            changes.description,
            # Exactly this operation, by id: an import or a CLI change made since is not
            # touched (a later change of the same examples makes the core refuse)
            undo_fn=lambda op, cascade=False: da.undo_op(project, ds, op, cascade=cascade),
            redo_fn=lambda op: da.redo_op(project, ds, op),
            on_applied=self._undo_applied,
            on_started=self._undo_started,
        )
        self.context.undo_stack.push(cmd)

    def _undo_started(self, message: str) -> None:
        self._writes += 1
        self.context.show_status(message, 0)

    def _undo_applied(self, changes: core.Changes | None, _undone: bool) -> None:
        self._writes = max(0, self._writes - 1)
        if changes is None or self.project is None or self.dataset is None:
            return
        self._refresh_after(changes)

    def _refresh_after(self, changes: core.Changes) -> None:
        if changes.rows_added_or_removed:
            self.reload_datasets(self.dataset.id if self.dataset else None)
            return
        if len(changes.example_ids) <= REFRESH_ROWS_LIMIT:
            self.model.refresh_ids(changes.example_ids)
        else:
            self.model.invalidate_cache()
        if "tags" in changes.fields and self.dataset is not None:
            self._reload_tags()
        cur = self.current_id()
        if cur is not None and cur in set(changes.example_ids):
            self._load_detail(cur)
        self.refresh_counts()
        self.context.data_changed.emit("datasets")

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

    # ------------------------------------------------------------ bulk

    def open_bulk_dialog(self, field: str) -> None:
        """Bulk ▸ …: ask the value and scope, then run it off the GUI thread."""
        if self.dataset is None or self._writes_busy():
            return
        matching = self.model.rowCount()
        dlg = BulkDialog(
            field,
            labels=self.dataset.label_set,
            tags=self.tags,
            selected=len(self.selected_ids()),
            matching=matching,
            parent=self,
        )
        if dlg.exec() != BulkDialog.DialogCode.Accepted:
            self.table.setFocus()
            return
        value = dlg.chosen_value()
        if dlg.applies_to_selection():
            self.run_bulk(field, value, ids=self.selected_ids())
        else:
            self.run_bulk(field, value, flt=self.filter)
        self.table.setFocus()

    def run_bulk(
        self,
        field: str,
        value: str | None,
        *,
        ids: Sequence[int] | None = None,
        flt: core.ExampleFilter | None = None,
        on_finished: Callable[[core.Changes | None], None] | None = None,
    ) -> None:
        """One undoable bulk change over ``ids`` or everything matching ``flt``."""
        if self.dataset is None or self.project is None or self._writes_busy():
            return
        project, ds = self.project, self.dataset.id
        token = CancelToken()
        ids = list(ids) if ids is not None else None

        def work(report: Callable[[Progress], None]) -> core.Changes:
            return da.bulk_update(
                project,
                ds,
                field_name=field,
                value=value,
                ids=ids,
                flt=flt,
                progress=report,
                cancel=token,
            )

        title = "Deleting examples" if field == "delete" else BULK_FIELDS.get(field, (field, ""))[0]

        def done(result: tuple[core.Changes, Any]) -> None:
            self._end_task()
            changes, marker = result
            self.watcher.note(marker)
            if changes.op_id is None:
                self.context.show_status("Nothing changed: every example already had that value.")
            else:
                self._push_command(changes)
                self._refresh_after(changes)
                self.context.show_status(changes.description + ". Ctrl+Z undoes it.")
            if on_finished is not None:
                on_finished(changes)

        def failed(exc: BaseException) -> None:
            self._end_task()
            self.context.show_error(exc)
            if on_finished is not None:
                on_finished(None)

        def cancelled() -> None:
            self._end_task()
            self.context.show_status("Cancelled: nothing was changed.")
            if on_finished is not None:
                on_finished(None)

        self._begin_task(title + "…", token)
        self._task = self.context.runner.run(
            lambda report: self.watcher.own_write(lambda: work(report))(),
            on_done=done,
            on_error=failed,
            on_cancel=cancelled,
            on_progress=self.progress.report,
            token=token,
            db=True,
        )

    def _begin_task(self, message: str, token: CancelToken | None) -> None:
        self._writes += 1
        self._token = token
        self.progress.start(message)
        self.progress.cancel.setVisible(token is not None)

    def _end_task(self) -> None:
        self._writes = max(0, self._writes - 1)
        self._task = None
        self._token = None
        self.progress.hide()
        self.table.setFocus()

    def cancel_task(self) -> None:
        """The progress strip's Cancel."""
        if self._task is not None:
            self._task.cancel()
            self.progress.message.setText("Cancelling…")
            self.progress.cancel.setEnabled(False)

    # ------------------------------------------------------------ dialogs

    def open_import_dialog(self) -> None:
        """Import ▸ choose a file, map its fields, see bad rows, import."""
        if self.project is None:
            return
        from studio.ui.datasets.import_dialog import ImportDialog

        dlg = ImportDialog(self.context, parent=self)
        dlg.imported.connect(lambda ds_id: self.reload_datasets(ds_id))
        dlg.exec()
        self.table.setFocus()

    def open_split_dialog(self) -> None:
        """Split ▸ fractions, seed, stratify."""
        if self.dataset is None:
            return
        from studio.ui.datasets.split_dialog import SplitDialog

        dlg = SplitDialog(self.context, self.dataset, push=self._push_command, parent=self)
        dlg.finished_split.connect(
            lambda: self.reload_datasets(self.dataset.id if self.dataset else None)
        )
        dlg.exec()
        self.table.setFocus()

    def open_history_dialog(self) -> None:
        """History: every operation of the dataset (imports and CLI changes too), undoable."""
        if self.dataset is None:
            return
        from studio.ui.datasets.history_dialog import HistoryDialog

        dlg = HistoryDialog(self.context, self.dataset.id, self.dataset.name, parent=self)
        dlg.changed.connect(lambda: self.reload_datasets(self.dataset.id if self.dataset else None))
        dlg.exec()
        self.table.setFocus()

    def open_duplicates_dialog(self) -> None:
        """Duplicates & leaks review."""
        if self.dataset is None:
            return
        from studio.ui.datasets.duplicates_dialog import DuplicatesDialog

        dlg = DuplicatesDialog(self.context, self.dataset, push=self._push_command, parent=self)
        dlg.exec()
        if dlg.changed:
            self.reload_datasets(self.dataset.id)
        self.table.setFocus()

    def _tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self.overview and self.dataset is not None:
            self.overview.refresh(self.dataset.id)

    # ------------------------------------------------------------ navigation

    def navigate_to(self, target: object) -> None:
        """The window's navigation (the view may have been built by this very request)."""
        self._navigate("datasets", target)

    def _navigate(self, name: str, target: Any) -> None:
        if name != "datasets" or not isinstance(target, dict) or self.project is None:
            return
        # The window calls navigate_to and the signal reaches _navigate: reveal once
        if target is self._nav_handled:
            return
        self._nav_handled = target
        QTimer.singleShot(0, self._forget_nav)
        ds = target.get("dataset_id")
        eid = target.get("example_id")
        if ds is None:
            return
        self.reveal(int(ds), int(eid) if eid is not None else None)

    def _forget_nav(self) -> None:
        self._nav_handled = None

    def reveal(self, dataset_id: int, example_id: int | None) -> None:
        """Open the dataset and select, scroll to and focus ``example_id``."""
        self.tabs.setCurrentIndex(0)
        if self.dataset is None or self.dataset.id != dataset_id:
            self.open_dataset(dataset_id, reveal=example_id)
        elif example_id is not None:
            row = self.model.row_of(example_id)
            if row >= 0:
                self.select_row(row, center=True)
            else:
                # Hidden by the filter: clear it, then reveal once the query is back
                self.filter_bar.set_dataset(self.dataset.label_set, self.tags)
                self.filter = self.filter_bar.current()
                self.filter_bar.set_counts(self.last_counts) if self.last_counts else None
                self.requery(reveal=example_id)
        self.table.setFocus()
