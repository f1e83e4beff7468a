"""What every view shares: the open project, the task runner, undo, messages.

Views never reach into each other; they talk to core services through the
project, run long work through :class:`TaskRunner`, report through
:meth:`AppContext.show_status` / :meth:`AppContext.show_error`, and react to
``project_changed`` when another file is opened.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from studio.core.errors import UserError
from studio.ui.workers import TaskRunner

if TYPE_CHECKING:
    from studio.core.db.project import Project

log = logging.getLogger(__name__)


class AppContext(QObject):
    """Shared application state handed to every view.

    Signals:
        project_changed(object): a project was opened (the Project) or closed (None).
        status_requested(str, int): show a non-blocking message for N ms (0 = until replaced).
        error_requested(str, str): show an error dialog (message, details).
        navigate_requested(str, object): switch to a view by name, with an optional target
            (e.g. ``("datasets", {"dataset_id": 3, "example_id": 42})``).
        data_changed(str): an area's data changed ("prompts", "datasets", "evals", "decide").
    """

    project_changed = Signal(object)
    status_requested = Signal(str, int)
    error_requested = Signal(str, str)
    navigate_requested = Signal(str, object)
    data_changed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project: Project | None = None
        self.runner = TaskRunner(self)
        # One undo stack per project; views push commands that wrap core operations
        self.undo_stack = QUndoStack(self)

    def set_project(self, project: Project | None) -> None:
        """Switch to ``project`` (closing the previous one) and tell every view."""
        old = self.project
        if old is not None and old is not project:
            # Cancel what runs against the old file (an A/B run resumes later without
            # repeating calls) instead of blocking the window until it finishes.
            self.runner.shutdown()
            old.close()
        self.project = project
        self.undo_stack.clear()
        self.project_changed.emit(project)

    def show_status(self, message: str, timeout_ms: int = 5000) -> None:
        """A non-blocking message in the status bar."""
        self.status_requested.emit(message, timeout_ms)

    def show_error(self, exc: BaseException | str, details: str = "") -> None:
        """Report a failure: a user error as its sentence, a bug with details for the log."""
        if isinstance(exc, UserError):
            self.error_requested.emit(exc.message, details)
        elif isinstance(exc, str):
            self.error_requested.emit(exc, details)
        else:
            log.error("unexpected error: %r", exc, exc_info=exc)
            self.error_requested.emit(
                "Something went wrong. The details below help us fix it; your data is safe.",
                details or f"{type(exc).__name__}: {exc}",
            )
