"""Run core operations off the GUI thread and hand results back on it.

Two executors (after Anki's ``taskman.py``): one thread for database work (one
writer, no concurrent Sessions) and a small pool for everything else (file
parsing, network). Results come back through queued signals; callbacks run on the
GUI thread. Workers are kept referenced until they finish so none is
garbage-collected while running.
"""

from __future__ import annotations

import gc
import logging
import sys
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot
from shiboken6 import isValid

from studio.core.errors import CancelledError, UserError
from studio.core.progress import CancelToken, Progress

log = logging.getLogger(__name__)

SWITCH_INTERVAL_S = 0.001
"""The GIL switch interval while the app runs (see :class:`TaskRunner`)."""


_frozen_at_modules = 0


def freeze_heap() -> None:
    """Take the objects alive now out of the cyclic garbage collector's reach.

    A full collection walks every tracked object holding the GIL: with Qt, SQLAlchemy
    and the models loaded that is 50-60 ms in which the GUI thread cannot run Python.
    benchmarks/bench_gui_stall.py measured exactly that as the stall of opening a
    project: a full collection set off by the views' imports on a worker thread.
    What imports build (modules, classes, functions) is never garbage, so freezing it
    (:func:`gc.freeze`, O(1)) leaves later full collections only what was made since.

    Only freezes when modules were imported since the last call, so the heap is frozen
    a few times while the app loads its code and never again after (a cycle frozen
    then and dropped later is never collected: that bounds what it can keep). Young
    generations are collected first (~1 ms) so that short-lived cycles are not kept.
    Safe from any thread (the GIL serialises it).
    """
    global _frozen_at_modules
    loaded = len(sys.modules)
    if loaded <= _frozen_at_modules:
        return
    _frozen_at_modules = loaded
    gc.collect(1)
    gc.freeze()


class _Signals(QObject):
    """Signals of one task (a QRunnable is not a QObject, so it needs a carrier)."""

    finished = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    progressed = Signal(object)


class _Task(QRunnable):
    def __init__(
        self, fn: Callable[..., Any], token: CancelToken | None, wants_progress: bool
    ) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.fn = fn
        self.token = token
        self.wants_progress = wants_progress
        self.signals = _Signals()
        self._latest: Progress | None = None

    def report(self, progress: Progress) -> None:
        # Called from the worker thread: keep only the latest value; the GUI polls
        # it (about 10 times a second) instead of being flooded with signals.
        self._latest = progress

    def take_progress(self) -> Progress | None:
        latest, self._latest = self._latest, None
        return latest

    def run(self) -> None:
        try:
            result = self.fn(self.report) if self.wants_progress else self.fn()
        except CancelledError:
            self.signals.cancelled.emit()
        except BaseException as exc:  # every failure reaches the GUI thread
            if not isinstance(exc, UserError):
                log.error("background task failed:\n%s", traceback.format_exc())
            self.signals.failed.emit(exc)
        else:
            self.signals.finished.emit(result)
        finally:
            freeze_heap()  # what the task imported (a no-op when it imported nothing)


class TaskHandle(QObject):
    """A running task: cancel it, or let it report through the callbacks given."""

    def __init__(self, task: _Task, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.task = task
        self.done = False

    def cancel(self) -> None:
        """Ask the task to stop at its next check (no-op if it takes no token)."""
        if self.task.token is not None:
            self.task.token.cancel()


class TaskRunner(QObject):
    """Owns the executors. One per application; views share it through the context.

    Signals:
        busy_changed(bool): True while any task runs (drives a busy indicator).
    """

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # Qt calls into Python (a model's data(), ~700 times per table paint) each take the
        # GIL; with a worker running Python each take can wait a whole switch interval
        # (5 ms by default). 1 ms keeps a paint under a frame while workers run
        # (measured by benchmarks/bench_gui_stall.py).
        if sys.getswitchinterval() > SWITCH_INTERVAL_S:
            sys.setswitchinterval(SWITCH_INTERVAL_S)
        self.db_pool = QThreadPool(self)
        self.db_pool.setMaxThreadCount(1)
        self.work_pool = QThreadPool(self)
        self.work_pool.setMaxThreadCount(4)
        self._running: set[TaskHandle] = set()
        self._poll = QTimer(self)
        self._poll.setInterval(100)
        self._poll.timeout.connect(self._poll_progress)
        self._progress_cbs: dict[TaskHandle, Callable[[Progress], None]] = {}

    def run(
        self,
        fn: Callable[..., Any],
        *,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_cancel: Callable[[], None] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        token: CancelToken | None = None,
        db: bool = True,
    ) -> TaskHandle:
        """Run ``fn`` off the GUI thread.

        Args:
            fn: the work; called as ``fn(report)`` when ``on_progress`` is given, else ``fn()``.
            on_done: called on the GUI thread with the result.
            on_error: called on the GUI thread with the exception.
            on_cancel: called on the GUI thread when ``fn`` raised CancelledError.
            on_progress: called on the GUI thread at most ~10 times a second.
            token: the CancelToken ``fn`` checks; :meth:`TaskHandle.cancel` sets it.
            db: run on the single database thread (default) or on the work pool.
        """
        task = _Task(fn, token, on_progress is not None)
        handle = TaskHandle(task, self)
        self._running.add(handle)

        def finish() -> None:
            handle.done = True
            self._running.discard(handle)
            self._progress_cbs.pop(handle, None)
            if not self._progress_cbs:
                self._poll.stop()
            if not self._running:
                self.busy_changed.emit(False)

        # A task can end after its runner (and the views that asked) were deleted, e.g. a
        # window closed while a read was still running: then nobody is left to tell.
        def done(result: Any) -> None:
            if not isValid(self):
                return
            finish()
            if on_done is not None:
                on_done(result)

        def failed(exc: BaseException) -> None:
            if not isValid(self):
                return
            finish()
            if on_error is not None:
                on_error(exc)

        def cancelled() -> None:
            if not isValid(self):
                return
            finish()
            if on_cancel is not None:
                on_cancel()

        task.signals.finished.connect(done)
        task.signals.failed.connect(failed)
        task.signals.cancelled.connect(cancelled)
        if on_progress is not None:
            self._progress_cbs[handle] = on_progress
            self._poll.start()
        if len(self._running) == 1:
            self.busy_changed.emit(True)
        (self.db_pool if db else self.work_pool).start(task)
        return handle

    @Slot()
    def _poll_progress(self) -> None:
        for handle, cb in list(self._progress_cbs.items()):
            latest = handle.task.take_progress()
            if latest is not None:
                cb(latest)

    @property
    def busy(self) -> bool:
        """True while any task is running."""
        return bool(self._running)

    def wait_idle(self, msecs: int = 30000) -> bool:
        """Block until both pools are idle (shutdown and tests)."""
        ok_db = self.db_pool.waitForDone(msecs)
        ok_work = self.work_pool.waitForDone(msecs)
        return ok_db and ok_work

    def shutdown(self) -> None:
        """Cancel what can be cancelled and wait for the pools to drain."""
        for handle in list(self._running):
            handle.cancel()
        self._poll.stop()
        self.wait_idle()
