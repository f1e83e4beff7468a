"""Helpers shared by the prompt widgets: safe callbacks and running core calls."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtWidgets import QWidget

from studio.ui.context import AppContext

if TYPE_CHECKING:
    from studio.core.db.project import Project


def alive(widget: QWidget) -> bool:
    """True while the C++ side of ``widget`` exists (a late result must not touch it)."""
    return shiboken6.isValid(widget)


def run_db(
    context: AppContext,
    owner: QWidget,
    work: Callable[[Project], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None] | None = None,
) -> bool:
    """Run ``work(project)`` on the database thread; ``on_done(result)`` on the GUI thread.

    The result is dropped when ``owner`` was deleted or another project was opened in
    the meantime (it would describe the wrong file). Errors go to ``on_error`` or to
    the context's error dialog. Returns False when no project is open.
    """
    project = context.project
    if project is None:
        return False

    def done(result: Any) -> None:
        if alive(owner) and context.project is project:
            on_done(result)

    def failed(exc: BaseException) -> None:
        if not alive(owner):
            return
        if on_error is not None:
            on_error(exc)
        else:
            context.show_error(exc)

    context.runner.run(lambda: work(project), on_done=done, on_error=failed, db=True)
    return True


def fmt_time(ts: datetime) -> str:
    """A timestamp in local time, to the minute."""
    return ts.astimezone().strftime("%Y-%m-%d %H:%M")


def fmt_labels(labels: dict[str, int] | tuple[str, ...] | list[str]) -> str:
    """Labels as a short comma list, production first."""
    names = list(labels)
    order = {"production": 0, "staging": 1}
    names.sort(key=lambda n: (order.get(n, 2), n))
    return ", ".join(names)
