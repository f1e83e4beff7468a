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

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.ui.context import AppContext
from studio.ui.datasets.bulk_actions import BULK_FIELDS
from studio.ui.datasets.detail_editor import DetailEditor
from studio.ui.datasets.example_edits import ExampleEdits
from studio.ui.datasets.examples_table import ExamplesTable
from studio.ui.datasets.filter_bar import FilterBar
from studio.ui.datasets.label_picker import QUICK_KEYS
from studio.ui.datasets.overview import OverviewWidget
from studio.ui.datasets.progress_strip import ProgressStrip
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
)


class DatasetsView(ExampleEdits):
    """Import, curate, label and split datasets.

    The view builds the widgets and reads the keyboard; what it does is layered below it:
    ``TableSelection`` (selection.py) → ``DatasetLoading`` (loading.py, reads and outside
    changes) → ``UndoWiring`` (undo_wiring.py) → ``BulkWiring`` (bulk_wiring.py) →
    ``ExampleEdits`` (example_edits.py).

    Signals (declared in ``DatasetLoading``):
        query_done(): the table shows the result of the latest filter/sort (tests, bench).
        counts_done(): the live counts were refreshed.
        detail_loaded(int): the detail editor shows this example (read off the GUI thread).
        external_change_shown(): a change made elsewhere (CLI, another window) is shown.
    """

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self._nav_handled: object = None

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

        self.overview = OverviewWidget(context, self)
        self.tabs = QTabWidget(self)
        self.tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.tabs.addTab(examples, "Examples")
        self.tabs.addTab(self.overview, "Overview")
        self.tabs.currentChanged.connect(self._tab_changed)

        self.progress = ProgressStrip(self)
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
        self.detail.skip_requested.connect(lambda: self.move_current(1))
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

    # ------------------------------------------------------------ keyboard

    def _table_key(self, event: QKeyEvent) -> bool:
        """Labelling keys, read only while the table has focus (never while typing)."""
        key = event.key()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ctrl = Qt.KeyboardModifier.ControlModifier
        shift = Qt.KeyboardModifier.ShiftModifier
        if mods == ctrl and key == Qt.Key.Key_Z:
            if not self._edits_busy():  # the undo stack gets a save once it is done
                self._undo_key(redo=False)
            return True
        if (mods in (ctrl | shift,) and key == Qt.Key.Key_Z) or (
            mods == ctrl and key == Qt.Key.Key_Y
        ):
            if not self._edits_busy():
                self._undo_key(redo=True)
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
            self.move_current(1)
            return True
        if key == Qt.Key.Key_K:
            self.move_current(-1)
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.enter_editor()
            return True
        if key == Qt.Key.Key_L:
            self.detail.all_labels.setFocus()
            line = self.detail.all_labels.lineEdit()
            if line is not None:  # the combo is editable
                line.selectAll()
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
