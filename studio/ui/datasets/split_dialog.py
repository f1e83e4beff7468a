"""Split dialog: test/validation fractions, seed, stratify; locked test examples stay put."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import text

from studio.core import datasets as core
from studio.core.progress import CancelToken
from studio.ui.context import AppContext
from studio.ui.datasets import data_access as da
from studio.ui.undo import OperationCommand


def locked_test_count(project: Any, dataset_id: int) -> int:
    """Test examples already used by an evaluation (frozen in test)."""
    with project.engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT COUNT(*) FROM example WHERE dataset_id = :d AND split = 'test' "
                    "AND split_locked = TRUE"
                ),
                {"d": dataset_id},
            ).scalar_one()
        )


class SplitDialog(QDialog):
    """Assign train / validation / test (seeded, reproducible, one undoable step).

    Signals:
        finished_split(): the split was written.
    """

    finished_split = Signal()

    # Same constructor signature as DuplicatesDialog (datasets/duplicates_dialog.py):
    # both dialogs act on one dataset and push undo commands; only the shape is shared.
    def __init__(
        self,
        context: AppContext,
        info: core.DatasetInfo,
        push: Callable[[core.Changes], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self._push = push
        self.info = info
        self.setWindowTitle(f"Split {info.name}")
        self.test = QDoubleSpinBox(self)
        self.validation = QDoubleSpinBox(self)
        for spin, default in ((self.test, 0.2), (self.validation, 0.1)):
            spin.setRange(0.0, 1.0)
            spin.setSingleStep(0.05)
            spin.setDecimals(2)
            spin.setValue(default)
        self.seed = QSpinBox(self)
        self.seed.setRange(0, 2_000_000_000)
        self.seed.setValue(42)
        self.stratify = QCheckBox("Keep each label's share the same in every split", self)
        self.stratify.setChecked(info.task_type == "classification")
        self.move_locked = QCheckBox("Also move locked test examples (breaks comparisons)", self)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #b91c1c;")
        self.error.setWordWrap(True)
        locked = locked_test_count(context.project, info.id) if context.project else 0
        self.locked = locked
        if locked:
            self.note.setText(
                f"⚠ {locked:,} test examples were used by an evaluation and are locked. They stay "
                "in test unless you tick the box below: moving them into train would let the "
                "model see the examples it is judged on, and earlier A/B results would no longer "
                "compare."
            )
            self.note.setStyleSheet("color: #b45309;")
        else:
            self.note.setText(
                "Rejected examples are left out. The same seed on the same examples gives the "
                "same split."
            )
        self.move_locked.setVisible(bool(locked))
        form = QFormLayout()
        form.addRow("Test fraction", self.test)
        form.addRow("Validation fraction", self.validation)
        form.addRow("Seed", self.seed)
        form.addRow(self.stratify)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Split")
        self.buttons.accepted.connect(self.run_split)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.note)
        lay.addWidget(self.move_locked)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons)

    def run_split(self) -> None:
        """Split off the GUI thread; push one undo step."""
        from studio.core.datasets.splits import split_dataset

        project = self.context.project
        if project is None:
            return
        test, val = self.test.value(), self.validation.value()
        if test + val > 1.0 + 1e-9:
            self.error.setText("Test and validation together cannot be more than 1.")
            return
        seed, strat, move = (
            self.seed.value(),
            self.stratify.isChecked(),
            self.move_locked.isChecked(),
        )
        ds = self.info.id
        self.buttons.setEnabled(False)
        self.error.setText("Splitting…")

        def done(result: Any) -> None:
            ch = result.changes
            if ch.op_id is not None:
                if self._push is not None:
                    self._push(ch)
                else:
                    self.context.undo_stack.push(
                        OperationCommand(
                            self.context,
                            ch.op_id,
                            ch.description,
                            undo_fn=lambda op, cascade=False: da.undo_op(
                                project, ds, op, cascade=cascade
                            ),
                            redo_fn=lambda op: da.redo_op(project, ds, op),
                        )
                    )
            kept = (
                f"; {result.kept_locked:,} locked test examples kept" if result.kept_locked else ""
            )
            self.context.show_status(
                f"Split: {result.train:,} train, {result.validation:,} validation, "
                f"{result.test:,} test{kept}."
            )
            self.finished_split.emit()
            self.accept()

        def failed(exc: BaseException) -> None:
            self.buttons.setEnabled(True)
            self.error.setText(str(exc))

        self.context.runner.run(
            lambda: split_dataset(project, ds, test, val, seed, strat, move),
            on_done=done,
            on_error=failed,
            token=CancelToken(),
            db=True,
        )
