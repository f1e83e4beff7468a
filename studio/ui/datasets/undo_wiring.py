"""The Datasets view's undo wiring: operations onto the undo stack, and what undo changes."""

from __future__ import annotations

from studio.core import datasets as core
from studio.ui.datasets import data_access as da
from studio.ui.datasets.loading import DatasetLoading
from studio.ui.undo import OperationCommand, say_nothing_of_mine

REFRESH_ROWS_LIMIT = 5000
"""Up to this many changed rows are re-read one by one; more drop the whole row cache."""


class UndoWiring(DatasetLoading):
    """Pushes each operation onto the app's undo stack (by id) and shows what undo/redo did."""

    def _writes_busy(self) -> bool:
        if self._writes:
            self.context.show_status("Wait a moment: the previous change is still being saved.")
            return True
        return False

    def _undo_key(self, *, redo: bool) -> None:
        """Ctrl+Z / Ctrl+Shift+Z: the user's own stack (undo is personal), or say why not."""
        stack = self.context.undo_stack
        if stack.canRedo() if redo else stack.canUndo():
            (stack.redo if redo else stack.undo)()
            return
        say_nothing_of_mine(
            self.context, self.dataset.id if self.dataset is not None else None, redo=redo
        )

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

    def open_history_dialog(self) -> None:
        """History: every operation of the dataset (imports and CLI changes too), undoable."""
        if self.dataset is None:
            return
        from studio.ui.datasets.history_dialog import HistoryDialog

        dlg = HistoryDialog(self.context, self.dataset.id, self.dataset.name, parent=self)
        dlg.changed.connect(lambda: self.reload_datasets(self.dataset.id if self.dataset else None))
        dlg.exec()
        self.table.setFocus()
