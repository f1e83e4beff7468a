"""The run's time limits in the A/B setup: request timeout and an optional deadline.

The same settings as ``studio ab --timeout/--deadline`` (:mod:`studio.core.evals.limits`):
a server that sends no answer at all for 1.25 x the timeout stops the run, and unanswered
cases stay pending for Resume.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QWidget

from studio.core.evals.limits import DEFAULT_REQUEST_TIMEOUT_S, STALL_FACTOR, RunLimits


class RunLimitsRow(QWidget):
    """Two spin boxes: seconds per request, and a deadline for the whole run (0 = none)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.timeout_spin = QDoubleSpinBox()
        self.timeout_spin.setObjectName("request_timeout_spin")
        self.timeout_spin.setRange(1.0, 3600.0)
        self.timeout_spin.setDecimals(0)
        self.timeout_spin.setSuffix(" s")
        self.timeout_spin.setValue(DEFAULT_REQUEST_TIMEOUT_S)
        self.timeout_spin.setToolTip(
            f"How long one request may wait for its answer. A server that answers nothing "
            f"for {STALL_FACTOR:g} x this long stops the run; unanswered cases stay pending "
            "and Resume sends them."
        )
        self.deadline_spin = QDoubleSpinBox()
        self.deadline_spin.setObjectName("run_deadline_spin")
        self.deadline_spin.setRange(0.0, 7 * 24 * 3600.0)
        self.deadline_spin.setDecimals(0)
        self.deadline_spin.setSuffix(" s")
        self.deadline_spin.setSpecialValueText("none")
        self.deadline_spin.setValue(0.0)
        self.deadline_spin.setToolTip(
            "Stop the whole run after this long (none = no limit); "
            "unanswered cases stay pending for Resume."
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Per request:"))
        layout.addWidget(self.timeout_spin)
        layout.addSpacing(12)
        layout.addWidget(QLabel("Whole run:"))
        layout.addWidget(self.deadline_spin)
        layout.addStretch(1)

    def limits(self) -> RunLimits:
        """The chosen :class:`RunLimits`."""
        deadline = self.deadline_spin.value()
        return RunLimits(
            request_timeout_s=self.timeout_spin.value(),
            deadline_s=deadline if deadline > 0 else None,
        )
