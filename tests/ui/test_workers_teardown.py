"""A task that ends after its runner was deleted (a window closed mid-read) is ignored.

Before, its finished signal still reached the runner's callbacks and stopped a deleted
QTimer: "Internal C++ object (QTimer) already deleted" in the Qt event loop.
"""

from __future__ import annotations

import threading

from pytestqt.qtbot import QtBot
from shiboken6 import delete, isValid

from studio.ui.workers import TaskRunner


def test_a_task_ending_after_its_runner_is_gone_tells_no_one(qtbot: QtBot) -> None:
    runner = TaskRunner()
    release = threading.Event()
    told: list[object] = []
    runner.run(
        lambda _report: release.wait(10) and "done",
        on_done=told.append,
        on_error=told.append,
        on_progress=lambda _p: None,  # starts the progress timer the old code stopped
        db=False,
    )
    # Deleting the runner deletes its pools, which wait for the running task: release it
    # from another thread a moment later, so its finished signal is queued after the runner
    # is gone.
    threading.Timer(0.2, release.set).start()
    delete(runner)
    assert not isValid(runner)
    qtbot.wait(200)  # deliver the queued finished signal; an exception here fails the test
    assert told == []
