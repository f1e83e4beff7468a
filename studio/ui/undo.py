"""QUndoCommand adapters over core operations that can be undone and redone by id.

The undo history lives in the project file (``operation`` + ``example_history``), as in
Anki, so it survives a crash and serves the command line too; the app's ``QUndoStack``
only mirrors it so that Edit ▸ Undo/Redo and Ctrl+Z / Ctrl+Shift+Z work. One core
operation (a label keypress, a bulk edit of 100,000 rows, a delete) is one command and
so one step.

The operation has already been applied when its command is pushed, so the first
``redo()`` (which ``QUndoStack.push`` calls) does nothing. Undo and redo run on the
task runner's single database thread, in order, so pressing Ctrl+Z three times quickly
undoes three operations in sequence without blocking the window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand

from studio.ui.context import AppContext

log = logging.getLogger(__name__)

# Work function: (op_id) -> result handed to ``on_applied``
OpFn = Callable[[int], Any]


class OperationCommand(QUndoCommand):
    """One undoable core operation.

    Args:
        context: gives the project, the task runner and error reporting.
        op_id: the core operation id.
        text: what Edit ▸ Undo shows ("Undo Set label to … on 10,000 examples").
        undo_fn / redo_fn: core functions ``fn(op_id)`` that undo / redo the operation.
        on_applied: called on the GUI thread with the result after each undo/redo,
            with ``undone=True`` after an undo (the view refreshes what changed).
        on_started: called on the GUI thread when an undo/redo is scheduled (the view
            shows a busy state).
    """

    def __init__(
        self,
        context: AppContext,
        op_id: int,
        text: str,
        undo_fn: OpFn,
        redo_fn: OpFn,
        on_applied: Callable[[Any, bool], None] | None = None,
        on_started: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(text)
        self.context = context
        self.op_id = op_id
        self._undo_fn = undo_fn
        self._redo_fn = redo_fn
        self._on_applied = on_applied
        self._on_started = on_started
        self._pushed = False

    def redo(self) -> None:
        if not self._pushed:
            # QUndoStack.push() calls redo(); the operation is already applied
            self._pushed = True
            return
        self._run(self._redo_fn, undone=False)

    def undo(self) -> None:
        self._run(self._undo_fn, undone=True)

    def _run(self, fn: OpFn, *, undone: bool) -> None:
        op_id = self.op_id
        verb = "Undoing" if undone else "Redoing"
        if self._on_started is not None:
            self._on_started(f"{verb}: {self.text()}")

        def done(result: Any) -> None:
            if self._on_applied is not None:
                self._on_applied(result, undone)
            self.context.show_status(f"{'Undone' if undone else 'Redone'}: {self.text()}")

        def failed(exc: BaseException) -> None:
            self.context.show_error(exc)
            if self._on_applied is not None:
                self._on_applied(None, undone)

        self.context.runner.run(lambda: fn(op_id), on_done=done, on_error=failed, db=True)
