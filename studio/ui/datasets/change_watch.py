"""Notice changes another process made to the open project (the CLI, a second window).

A :class:`ChangeWatcher` asks the core for a cheap marker of the project's dataset state
(:func:`studio.core.datasets.watch.change_marker`) once a second, on the task runner's
database thread, and emits :attr:`ChangeWatcher.changed` when it differs from the last one
seen. The view reports the marker read right after each of its own writes (in the same
database task, see :meth:`ChangeWatcher.own_write`), so its own edits do not count as
outside changes: the database thread runs tasks in order and their results reach the GUI
thread in that order, so a poll never sees an own write before the view has noted it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal

from studio.core.datasets.watch import ChangeMarker, change_marker
from studio.ui.context import AppContext

T = TypeVar("T")

POLL_MS = 1000
"""Poll period: an outside change shows within two seconds (ISSUE-11 §6)."""


class ChangeWatcher(QObject):
    """Polls the open project's change marker while a project is open.

    Signals:
        changed(): the project changed outside this view since the last poll.
    """

    changed = Signal()

    def __init__(self, context: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self._known: ChangeMarker | None = None
        self._polling = False
        self._gen = 0
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)

    def start(self) -> None:
        """Forget the last marker and poll from now on (a project was opened)."""
        self._gen += 1
        self._known = None
        self._polling = False
        if self.context.project is None:
            self.timer.stop()
            return
        self.poll()
        self.timer.start()

    def stop(self) -> None:
        """Stop polling (no project)."""
        self._gen += 1
        self.timer.stop()

    def own_write(self, work: Callable[[], T]) -> Callable[[], tuple[T, ChangeMarker | None]]:
        """Wrap a database write so the marker read after it is remembered as our own."""
        project = self.context.project

        def run() -> tuple[T, ChangeMarker | None]:
            result = work()
            try:
                marker = change_marker(project) if project is not None else None
            except Exception:  # the write succeeded; the next poll re-reads
                marker = None
            return result, marker

        return run

    def note(self, marker: ChangeMarker | None) -> None:
        """Remember ``marker`` as the state this view has shown (after its own write)."""
        if marker is not None:
            self._known = marker

    def poll(self) -> None:
        """Read the marker off the GUI thread; emit ``changed`` if it moved."""
        project = self.context.project
        if project is None or self._polling:
            return
        self._polling = True
        gen = self._gen

        def done(marker: Any) -> None:
            self._polling = False
            if gen != self._gen or project is not self.context.project:
                return
            first = self._known is None
            if marker != self._known:
                self._known = marker
                if not first:
                    self.changed.emit()

        def failed(_exc: BaseException) -> None:
            # The file went away or is locked: the view's own reads report that
            self._polling = False

        self.context.runner.run(
            lambda: change_marker(project), on_done=done, on_error=failed, db=True
        )
