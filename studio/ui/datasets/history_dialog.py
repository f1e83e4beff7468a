"""Dataset ▸ History: every operation of the dataset, undoable and redoable by id.

It lists what the app's undo stack cannot hold: imports and changes made from the
command line (``studio dataset label …``) or by a second window, so they can be undone
here too, under the same rules as ``studio dataset undo --op ID``: an operation that
later ones changed the same examples after is refused, naming them, unless the user
agrees to undo those first. All reads and writes run on the database thread.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.datasets import operations as ops
from studio.ui.context import AppContext
from studio.ui.undo import ask_undo_later


class HistoryDialog(QDialog):
    """The operations of one dataset, newest first, with Undo and Redo of the selected one.

    Signals:
        changed(): an operation was undone or redone here (the view reloads).
        loaded(): the list was (re)filled.
    """

    changed = Signal()
    loaded = Signal()

    def __init__(
        self, context: AppContext, dataset_id: int, name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.dataset_id = dataset_id
        self.setWindowTitle(f"History of {name}")
        self.resize(640, 420)
        self.operations: list[ops.OperationInfo] = []
        self.conflict_box: QMessageBox | None = None
        self.list = QListWidget(self)
        self.list.setWordWrap(True)
        self.status = QLabel("Loading…", self)
        self.status.setWordWrap(True)
        self.undo_button = QPushButton("Undo this operation", self)
        self.redo_button = QPushButton("Redo this operation", self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.undo_button)
        row.addWidget(self.redo_button)
        row.addStretch(1)
        row.addWidget(buttons)
        lay = QVBoxLayout(self)
        lay.addWidget(
            QLabel(
                "Every change to this dataset, newest first — imports and command-line "
                "changes included. Undo affects only the chosen operation.",
                self,
            )
        )
        lay.addWidget(self.list, 1)
        lay.addWidget(self.status)
        lay.addLayout(row)
        self.undo_button.clicked.connect(lambda: self.undo_selected())
        self.redo_button.clicked.connect(self.redo_selected)
        self.list.currentRowChanged.connect(lambda _r: self._update_buttons())
        self._busy = False
        self._update_buttons()
        self.reload()

    # ------------------------------------------------------------ list

    def reload(self) -> None:
        """Read the operations on the database thread and show them."""
        project = self.context.project
        if project is None:
            return
        ds = self.dataset_id
        self.context.runner.run(
            lambda: ops.list_operations(project, ds),
            on_done=self._fill,
            on_error=self._failed,
            db=True,
        )

    def _fill(self, operations: list[ops.OperationInfo]) -> None:
        current = self.selected()
        self.operations = operations
        self.list.clear()
        for o in operations:
            undone = "   [undone]" if o.undone else ""
            item = QListWidgetItem(f"{o.id}   {o.at[:19]}   {o.actor}   {o.description}{undone}")
            item.setData(Qt.ItemDataRole.UserRole, o.id)
            if o.undone:
                item.setForeground(Qt.GlobalColor.gray)
            self.list.addItem(item)
        keep = next((i for i, o in enumerate(operations) if current and o.id == current.id), 0)
        if operations:
            self.list.setCurrentRow(keep)
        if not self._busy:
            self.status.setText(
                f"{len(operations):,} operations." if operations else "No operations yet."
            )
        self._update_buttons()
        self.loaded.emit()

    def selected(self) -> ops.OperationInfo | None:
        """The chosen operation, or None."""
        row = self.list.currentRow()
        return self.operations[row] if 0 <= row < len(self.operations) else None

    def select_op(self, op_id: int) -> None:
        """Choose operation ``op_id`` in the list."""
        for i, o in enumerate(self.operations):
            if o.id == op_id:
                self.list.setCurrentRow(i)
                return

    def _update_buttons(self) -> None:
        op = self.selected()
        self.undo_button.setEnabled(not self._busy and op is not None and not op.undone)
        self.redo_button.setEnabled(not self._busy and op is not None and op.undone)

    # ------------------------------------------------------------ undo / redo

    def undo_selected(self, *, cascade: bool = False) -> None:
        """Undo the chosen operation (asks before undoing later ones in the way)."""
        op = self.selected()
        project = self.context.project
        if op is None or project is None or op.undone:
            return
        ds, op_id = self.dataset_id, op.id
        self._start(f"Undoing {op.description}…")
        self.context.runner.run(
            lambda: ops.undo_operation(project, ds, op_id, cascade=cascade),
            on_done=lambda done: self._applied("Undone: " + "; ".join(s.description for s in done)),
            on_error=lambda exc: self._refused(exc, op),
            db=True,
        )

    def redo_selected(self) -> None:
        """Redo the chosen (undone) operation."""
        op = self.selected()
        project = self.context.project
        if op is None or project is None or not op.undone:
            return
        ds, op_id = self.dataset_id, op.id
        self._start(f"Redoing {op.description}…")
        self.context.runner.run(
            lambda: ops.redo_operation(project, ds, op_id),
            on_done=lambda s: self._applied(f"Redone: {s.description}"),
            on_error=self._failed,
            db=True,
        )

    def _start(self, message: str) -> None:
        self._busy = True
        self.status.setText(message)
        self._update_buttons()

    def _applied(self, message: str) -> None:
        self._busy = False
        self.status.setText(message)
        self.changed.emit()
        self.reload()

    def _refused(self, exc: BaseException, op: ops.OperationInfo) -> None:
        self._busy = False
        if not isinstance(exc, ops.OperationConflictError):
            self._failed(exc)
            return
        self.status.setText(exc.message)

        def answered(yes: bool) -> None:
            self.conflict_box = None
            if yes:
                self.select_op(op.id)
                self.undo_selected(cascade=True)
            else:
                self._update_buttons()

        self.conflict_box = ask_undo_later(op.description, exc.blockers, self, answered)

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        message: Any = getattr(exc, "message", None)
        self.status.setText(message or "Something went wrong; see the log.")
        if message is None:
            self.context.show_error(exc)
        self._update_buttons()
        self.reload()
