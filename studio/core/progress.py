"""Progress reporting and cancellation for long core operations (no Qt).

Long operations take an optional :class:`CancelToken` and an optional progress
callback. The GUI wraps them in a worker thread and polls/throttles updates; the CLI
ignores them or prints a counter.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from studio.core.errors import CancelledError


@dataclass(frozen=True, slots=True)
class Progress:
    """A snapshot of long work: ``done`` of ``total`` units (total 0 = unknown)."""

    done: int
    total: int
    message: str = ""
    errors: int = 0

    @property
    def fraction(self) -> float | None:
        """Share done in [0, 1], or None when the total is unknown."""
        if self.total <= 0:
            return None
        return min(1.0, self.done / self.total)


ProgressCallback = Callable[[Progress], None]


class CancelToken:
    """A thread-safe cancel flag checked by long loops between units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the operation to stop at its next check."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise :class:`CancelledError` if cancellation was requested."""
        if self._event.is_set():
            raise CancelledError("Cancelled.")


def noop_progress(_: Progress) -> None:
    """A progress callback that ignores updates."""
