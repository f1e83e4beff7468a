"""QUndoCommand adapters over core operations that can be undone and redone by id.

The undo history lives in the project file (``operation`` + ``example_history``), as in
Anki, so it survives a crash and serves the command line too; the app's ``QUndoStack``
only mirrors it so that Edit ▸ Undo/Redo and Ctrl+Z / Ctrl+Shift+Z work. One core
operation (a label keypress, a bulk edit of 100,000 rows, a delete) is one command and
so one step.

The operation has already been applied when its command is pushed, so the first
``redo()`` (which ``QUndoStack.push`` calls) does nothing. Each command undoes and
redoes its own operation by id, never merely the dataset's newest one. When the core
refuses because later operations (an import, a change from the command line) touched
the same examples, the user is asked whether to undo those too; otherwise nothing
changes and the stack steps back to where it was. Undo and redo run on the
task runner's single database thread, in order, so pressing Ctrl+Z three times quickly
undoes three operations in sequence without blocking the window.

Undo is personal (ISSUE-14 §3): the stack holds only this user's operations, made in
this app, so Edit ▸ Undo names one of theirs and is disabled when they have none; the
views' Ctrl+Z then says so in the status bar (:func:`say_nothing_of_mine`), naming
another labeller's newest operation, which the History dialog undoes by id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from studio.ui.context import AppContext

log = logging.getLogger(__name__)

# Work function: (op_id) -> result handed to ``on_applied``; an undo function may also
# take ``cascade=True`` (undo the later operations in the way first)
OpFn = Callable[..., Any]


def ask_undo_later(
    description: str,
    blockers: Sequence[tuple[int, str]],
    parent: QWidget | None,
    answered: Callable[[bool], None],
) -> QMessageBox:
    """Ask whether to undo the later operations in the way of undoing ``description``.

    The question opens window-modal without blocking (the GUI thread never waits);
    ``answered(yes)`` runs when the user answers. Shared by Edit > Undo
    (:class:`OperationCommand`) and the dataset's History dialog.
    """
    names = "\n".join(f"• {i}: {d}" for i, d in blockers[:10])
    more = f"\n… and {len(blockers) - 10} more" if len(blockers) > 10 else ""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Undo later changes too?",
        f"Later changes touched the same examples as “{description}”:\n{names}{more}\n\n"
        "Undo them as well? (Otherwise nothing is undone.)",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        parent,
    )
    box.setDefaultButton(QMessageBox.StandardButton.No)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.finished.connect(lambda result: answered(result == QMessageBox.StandardButton.Yes))
    box.open()
    return box


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
        self._skip = False  # the next undo()/redo() only moves the stack back
        self.conflict_box: QMessageBox | None = None

    def redo(self) -> None:
        if not self._pushed:
            # QUndoStack.push() calls redo(); the operation is already applied
            self._pushed = True
            return
        if self._skip:
            self._skip = False
            return
        self._run(self._redo_fn, undone=False)

    def undo(self) -> None:
        if self._skip:
            self._skip = False
            return
        self._run(self._undo_fn, undone=True)

    def _step_back(self, undone: bool) -> None:
        """Put the stack back where it was before a refused undo/redo (no work runs)."""
        stack = self.context.undo_stack
        here = next((i for i in range(stack.count()) if stack.command(i) is self), None)
        if here is None:
            return
        if undone and stack.index() == here:
            self._skip = True
            stack.redo()
        elif not undone and stack.index() == here + 1:
            self._skip = True
            stack.undo()

    def _ask_cascade(self, exc: Any) -> None:
        """A later operation is in the way: offer to undo it (and its own) first."""

        def answered(yes: bool) -> None:
            self.conflict_box = None
            if yes:
                self._run(lambda op: self._undo_fn(op, cascade=True), undone=True)
            else:
                self._step_back(True)
                self.context.show_status(f"Not undone: {self.text()}")

        self.conflict_box = ask_undo_later(
            self.text(), exc.blockers, QApplication.activeWindow(), answered
        )

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
            from studio.core.datasets.operations import (
                OperationConflictError,
                OperationStateError,
            )

            if isinstance(exc, OperationStateError):
                # Already undone (or redone) elsewhere, e.g. from the history dialog or
                # the command line: the stack's step is right as it stands
                self.context.show_status(exc.message)
                if self._on_applied is not None:
                    self._on_applied(None, undone)
                return
            if undone and isinstance(exc, OperationConflictError):
                if self._on_applied is not None:
                    self._on_applied(None, undone)  # the view leaves its busy state
                self._ask_cascade(exc)
                return
            # Refused or failed: nothing changed, so the stack goes back where it was
            self._step_back(undone)
            self.context.show_error(exc)
            if self._on_applied is not None:
                self._on_applied(None, undone)

        self.context.runner.run(lambda: fn(op_id), on_done=done, on_error=failed, db=True)


def nothing_of_mine_text(state: Any, *, redo: bool) -> str:
    """The status-bar sentence when the user's undo stack has no step to take.

    ``state`` is the dataset's :class:`~studio.core.datasets.operations.UndoState` for
    the current user. Undo is personal: another labeller's newer change is named, with
    where to undo it by id (the History dialog), never undone by Ctrl+Z.
    """
    if redo:
        return "Nothing of yours to redo in this dataset."
    other = state.other if state is not None else None
    if state is not None and state.undo is not None:
        return (
            f"Nothing to undo in this session; your newest change here, “{state.undo}”, "
            "can be undone from History."
        )
    if other is not None:
        return (
            f"Nothing of yours to undo in this dataset (newest change {other.id}: "
            f"{other.description} by {other.actor} at {other.at[:19]} UTC; History can "
            "undo it)."
        )
    return "Nothing to undo in this dataset."


def say_nothing_of_mine(context: AppContext, dataset_id: int | None, *, redo: bool) -> None:
    """Ctrl+Z / Ctrl+Shift+Z with nothing of the user's on the stack: say so.

    The dataset's undo state is read on the database thread (the GUI thread never
    waits on the database), then shown in the status bar.
    """
    project = context.project
    if project is None or dataset_id is None:
        context.show_status(nothing_of_mine_text(None, redo=redo))
        return
    from studio.core.datasets.operations import undo_state

    context.runner.run(
        lambda: undo_state(project, dataset_id),
        on_done=lambda state: context.show_status(nothing_of_mine_text(state, redo=redo)),
        on_error=context.show_error,
        db=True,
    )
