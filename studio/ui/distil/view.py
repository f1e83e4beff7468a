"""The Distil view: teacher outputs for a dataset's rows, reviewed like labelling.

The proven prompt (the teacher) answers the dataset's rows; each answer is a *candidate*
for the row's ideal output, shown beside its input with its agreement (samples that
agreed), schema validity and judge score; the reviewer accepts, edits or rejects it from
the keyboard (ISSUE 13 §1, §3).

=================  ==========================================================
Key (in table)     Action
=================  ==========================================================
A                  accept: the candidate becomes the row's ideal output
E, Enter           edit the answer; saving accepts the edited answer
R                  reject
J / K, ↓ / ↑       next / previous candidate
Ctrl+Z / Ctrl+⇧Z   undo / redo (one step per decision or bulk accept)
=================  ==========================================================

After a decision the next pending candidate is selected. The view is layered like the
Datasets view: ``DistilLoading`` (loading.py, reads) → ``Decisions`` (decisions.py,
accept/edit/reject/bulk and undo) → ``OutputsRunning`` (running.py, teacher runs) →
``DistilView`` (this module: widgets and keys).
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.ui.context import AppContext
from studio.ui.distil.review_panel import ReviewPanel
from studio.ui.distil.running import OutputsRunning
from studio.ui.evaluate.progress_panel import ProgressPanel
from studio.ui.evaluate.runs import RunsPanel

INPUTS_DIALOG = "studio.ui.distil.inputs_dialog"
"""The synthetic-inputs dialog (ISSUE 13 §2); the button shows only when it exists."""


def inputs_dialog_available() -> bool:
    """Whether :data:`INPUTS_DIALOG` is installed (built on its own branch)."""
    try:
        return importlib.util.find_spec(INPUTS_DIALOG) is not None
    except (ImportError, ValueError):
        return False


class DistilView(OutputsRunning):
    """Teacher outputs and their review, per dataset.

    Signals (declared in the layers below):
        loaded(): candidates and counts on screen are fresh.
        runs_listed(list): the teacher runs list was reloaded.
        decided(object): a decision was stored.
        run_started(int) / run_finished(object): a teacher run began / ended.
    """

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.setObjectName("distilView")

        # --- toolbar ---
        self.dataset_combo = QComboBox(self)
        self.dataset_combo.setObjectName("distil_dataset_combo")
        self.dataset_combo.setMinimumWidth(180)
        self.dataset_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.dataset_combo.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.counts_label = QLabel("", self)
        self.counts_label.setObjectName("distil_counts")
        self.counts_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # With an audit the counts outgrow one line at 1280 px: wrap them rather than
        # squeeze the dataset picker or cut the cost off
        self.counts_label.setWordWrap(True)
        self.generate_button = QPushButton("Generate Teacher Outputs…", self)
        self.generate_button.setObjectName("distil_generate_button")
        self.generate_button.setToolTip(
            "Ask a proven prompt version (the teacher) for the rows' ideal outputs; "
            "the plan with calls and cost is shown before any call"
        )
        self.inputs_button = QPushButton("Generate Inputs…", self)
        self.inputs_button.setObjectName("distil_inputs_button")
        self.inputs_button.setToolTip(
            "Write new synthetic inputs from seed rows (near-duplicates and test leaks refused)"
        )
        self.inputs_button.setVisible(inputs_dialog_available())
        for b in (self.generate_button, self.inputs_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Dataset:", self))
        bar.addWidget(self.dataset_combo)
        bar.addSpacing(12)
        bar.addWidget(self.counts_label, 1)
        bar.addWidget(self.inputs_button)
        bar.addWidget(self.generate_button)

        # --- tabs ---
        self.review = ReviewPanel(self._table_key, self)
        self.progress = ProgressPanel(self)
        self.runs = RunsPanel(self)
        self.runs.compare_button.hide()  # teacher runs have no verdict to compare
        verdict = self.runs.table.horizontalHeaderItem(4)
        if verdict is not None:
            verdict.setText("Stored")
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("distil_tabs")
        self.tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.tabs.addTab(self.review, "Review")
        self.tabs.addTab(self.progress, "Progress")
        self.tabs.addTab(self.runs, "Teacher Runs")
        self.empty_hint = QLabel(
            "No dataset yet. Import one in Datasets, then come back to distil it.", self
        )
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(self.empty_hint)
        layout.addWidget(self.tabs, 1)

        # --- wiring ---
        self.dataset_combo.activated.connect(
            lambda i: self.open_dataset(int(self.dataset_combo.itemData(i)))
        )
        self.generate_button.clicked.connect(self.open_outputs_dialog)
        self.inputs_button.clicked.connect(self.open_inputs_dialog)
        self.review.status_filter.currentIndexChanged.connect(lambda _i: self.reload())
        self.review.bulk_button.clicked.connect(self.bulk_accept)
        self.review.accept_button.clicked.connect(self.accept_current)
        self.review.edit_button.clicked.connect(self.edit_current)
        self.review.reject_button.clicked.connect(self.reject_current)
        self.progress.cancel_requested.connect(self.cancel_run)
        self.runs.resume_requested.connect(self.resume_run)
        self.runs.delete_requested.connect(self.delete_run)
        context.project_changed.connect(self._project_changed)
        self._project_changed(context.project)

    # ------------------------------------------------------------ project and data

    def _project_changed(self, project: Any) -> None:
        self.cancel_run()
        self.dataset = None
        self.counts = None
        self.review.set_rows([])
        self.review.empty_hint.hide()
        self.counts_label.clear()
        self.runs.set_runs([])
        self.generate_button.setEnabled(False)
        if project is not None:
            self.reload_datasets()

    def _datasets_listed(self, any_dataset: bool) -> None:
        self.empty_hint.setVisible(not any_dataset)
        self.tabs.setVisible(any_dataset)
        self.generate_button.setEnabled(any_dataset and not self.running)
        self.inputs_button.setEnabled(any_dataset)
        self.review.bulk_button.setEnabled(any_dataset)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self.project is not None and self.dataset is not None:
            # Another view (an import, an edit, the CLI) may have changed names, counts
            # and human ideals while this one was hidden
            self.reload_datasets()
        self.review.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def navigate_to(self, target: object) -> None:
        """``{"dataset_id": N}`` opens that dataset."""
        if isinstance(target, dict) and isinstance(target.get("dataset_id"), int):
            self.reload_datasets(int(target["dataset_id"]))

    # ------------------------------------------------------------ keyboard

    def _undo_key(self, *, redo: bool) -> None:
        """Ctrl+Z / Ctrl+Shift+Z: the user's own stack (undo is personal), or say why not."""
        from studio.ui.undo import say_nothing_of_mine

        stack = self.context.undo_stack
        if stack.canRedo() if redo else stack.canUndo():
            (stack.redo if redo else stack.undo)()
            return
        say_nothing_of_mine(
            self.context, self.dataset.id if self.dataset is not None else None, redo=redo
        )

    def _table_key(self, event: QKeyEvent) -> bool:
        """Review keys, read only while the table has focus (never while typing)."""
        key = event.key()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ctrl = Qt.KeyboardModifier.ControlModifier
        shift = Qt.KeyboardModifier.ShiftModifier
        if mods == ctrl and key == Qt.Key.Key_Z:
            self._undo_key(redo=False)
            return True
        if (mods == ctrl | shift and key == Qt.Key.Key_Z) or (mods == ctrl and key == Qt.Key.Key_Y):
            self._undo_key(redo=True)
            return True
        if mods != Qt.KeyboardModifier.NoModifier:
            return False
        if key == Qt.Key.Key_A:
            self.accept_current()
            return True
        if key == Qt.Key.Key_R:
            self.reject_current()
            return True
        if key in (Qt.Key.Key_E, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.edit_current()
            return True
        if key == Qt.Key.Key_J:
            self.review.move_current(1)
            return True
        if key == Qt.Key.Key_K:
            self.review.move_current(-1)
            return True
        return False

    # ------------------------------------------------------------ synthetic inputs

    def open_inputs_dialog(self) -> Any:
        """“Generate Inputs…”: the synthetic-inputs dialog, when it is installed."""
        if self.dataset is None or not inputs_dialog_available():
            return None
        module = importlib.import_module(INPUTS_DIALOG)
        # The dataset is passed as its DatasetInfo (id, name, task type, labels)
        dialog = module.InputsDialog(self.context, self.dataset, self)

        def finished(_result: int) -> None:
            self.reload_datasets()  # new rows: the counts in the picker changed
            dialog.deleteLater()

        dialog.finished.connect(finished)
        dialog.open()
        return dialog

    # ------------------------------------------------------------ layout memory

    def save_layout(self, store: QSettings) -> None:
        """Remember the splitter between the table and the detail pane."""
        store.setValue("distil/splitter", self.review.splitter.saveState())

    def restore_layout(self, store: QSettings) -> None:
        """Restore what :meth:`save_layout` remembered."""
        state = store.value("distil/splitter")
        if state is not None:
            self.review.splitter.restoreState(state)
