"""The progress of a running A/B run: done/total, errors, cache hits, speed, ETA, Cancel.

The numbers arrive about ten times a second from the task runner's poll (never one
signal per call); speed and ETA are computed here from the calls that were *sent*
(cache hits are near-instant and would make the ETA lie).
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.progress import Progress
from studio.ui.evaluate.text import duration
from studio.ui.widgets.labels import named_label, wrapped_label


class ProgressPanel(QWidget):
    """Live counters of a run.

    Signals:
        cancel_requested(): the Cancel button was pressed.
    """

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = wrapped_label("progress_title", "No run in progress.")
        self.bar = QProgressBar()
        self.bar.setObjectName("run_progress_bar")
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.done_label = named_label("progress_done", "–")
        self.errors_label = named_label("progress_errors", "–")
        self.cached_label = named_label("progress_cached", "–")
        self.rate_label = named_label("progress_rate", "–")
        self.eta_label = named_label("progress_eta", "–")
        self.flight_label = named_label("progress_in_flight", "–")
        self.status = wrapped_label("progress_status")
        self.cancel_button = QPushButton("Cancel Run")
        self.cancel_button.setObjectName("cancel_run_button")
        self.cancel_button.setToolTip(
            "Stop within a second; finished answers are kept and the "
            "run can be resumed without repeating them"
        )
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self._cancel)

        grid = QGridLayout()
        for row, (name, widget) in enumerate(
            (
                ("Done:", self.done_label),
                ("Errors (no answer):", self.errors_label),
                ("From cache:", self.cached_label),
                ("Calls per second:", self.rate_label),
                ("Time left:", self.eta_label),
                ("In flight / limit:", self.flight_label),
            )
        ):
            grid.addWidget(QLabel(name), row, 0)
            grid.addWidget(widget, row, 1)
        grid.setColumnStretch(2, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.bar)
        layout.addLayout(grid)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self._started = 0.0
        self._first_sent: tuple[float, int] | None = None
        self.running = False

    def start(self, title: str, total: int = 0) -> None:
        """A run begins."""
        self.running = True
        self._started = time.monotonic()
        self._first_sent = None
        self.title.setText(title)
        self.bar.setRange(0, max(1, total))
        self.bar.setValue(0)
        for label in (
            self.done_label,
            self.errors_label,
            self.cached_label,
            self.rate_label,
            self.eta_label,
            self.flight_label,
        ):
            label.setText("–")
        self.status.setText("Starting…")
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel Run")

    def report(self, p: Any) -> None:
        """Show a runner report: a status line for a bare message (a ``Progress`` with
        ``total == 0``, e.g. "waiting for the server"), else the counts."""
        if isinstance(p, Progress) and p.total == 0 and p.message:
            self.set_status(p.message)
            return
        self.update_progress(p)

    def update_progress(self, p: Any) -> None:
        """Show a :class:`~studio.core.evals.calls.RunProgress` (or a plain Progress)."""
        done, total = int(p.done), int(p.total)
        errors = int(getattr(p, "errors", 0))
        cached = int(getattr(p, "cached", 0))
        self.bar.setRange(0, max(1, total))
        self.bar.setValue(min(done, max(1, total)))
        self.done_label.setText(f"{done:,} of {total:,}")
        self.errors_label.setText(f"{errors:,}")
        self.cached_label.setText(f"{cached:,}")
        if hasattr(p, "in_flight"):
            self.flight_label.setText(f"{p.in_flight} / {p.concurrency}")
        now = time.monotonic()
        sent = done - cached
        if sent > 0 and self._first_sent is None:
            self._first_sent = (self._started, 0)
        rate = None
        if self._first_sent is not None:
            elapsed = now - self._first_sent[0]
            if elapsed > 0.2:
                rate = (sent - self._first_sent[1]) / elapsed
        self.rate_label.setText("–" if rate is None else f"{rate:.1f}")
        remaining = max(0, total - done)
        if remaining == 0:
            self.eta_label.setText("0 s")
        elif rate:
            self.eta_label.setText(duration(remaining / rate))
        else:
            self.eta_label.setText("–")
        if self.running and self.cancel_button.text() == "Cancel Run":
            self.status.setText("Running…")

    def set_status(self, text: str) -> None:
        """A line under the counters (waiting for the server, cancelling, …)."""
        self.status.setText(text)

    def finish(self, text: str) -> None:
        """The run ended (completed, cancelled or failed)."""
        self.running = False
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancel Run")
        self.status.setText(text)

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancelling…")
        self.status.setText("Cancelling: waiting for the calls in flight to stop…")
        self.cancel_requested.emit()
