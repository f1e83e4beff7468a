"""Past runs (status, date, n, verdict, recording note) and runs compared side by side."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.evals.review import RunListEntry
from studio.core.evals.run_results import RunsComparison
from studio.ui.evaluate.text import ci_text, ms, pct, usd

RUN_COLUMNS = ("#", "Status", "Date", "n", "Verdict", "Note")
STATUS_TEXT = {
    "completed": "✓ completed",
    "cancelled": "⏸ cancelled",
    "failed": "✗ failed",
    "running": "… running",
    "pending": "pending",
    "interrupted": "⚠ interrupted",
}  # its process died (core.evals.run_lock)


class RunsPanel(QWidget):
    """The list of past runs.

    Signals:
        run_selected(int): one run was selected (show it).
        compare_requested(list): two or more runs to compare.
        resume_requested(int): continue a cancelled/failed/interrupted run.
        delete_requested(int): delete a run.
    """

    run_selected = Signal(int)
    compare_requested = Signal(list)
    resume_requested = Signal(int)
    delete_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: list[RunListEntry] = []
        self.table = QTableWidget(0, len(RUN_COLUMNS))
        self.table.setObjectName("runs_table")
        self.table.setHorizontalHeaderLabels(list(RUN_COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setWordWrap(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate((44, 100, 130, 44, 420)):
            self.table.setColumnWidth(col, width)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.compare_button = QPushButton("Compare Selected")
        self.compare_button.setObjectName("compare_runs_button")
        self.compare_button.setToolTip(
            "Select two or more runs (Ctrl+click) to see them side by side"
        )
        self.compare_button.setEnabled(False)
        self.compare_button.clicked.connect(
            lambda: self.compare_requested.emit(self.selected_ids())
        )
        self.resume_button = QPushButton("Resume")
        self.resume_button.setObjectName("resume_run_button")
        self.resume_button.setToolTip(
            "Continue a cancelled, failed or interrupted run; finished calls are not repeated"
        )
        self.resume_button.setEnabled(False)
        self.resume_button.clicked.connect(self._resume)
        # the run this app is executing (not offered "Help finish it")
        self.running_here: int | None = None
        self.delete_button = QPushButton("Delete")
        self.delete_button.setObjectName("delete_run_button")
        self.delete_button.setEnabled(False)
        self.delete_button.clicked.connect(self._delete)
        buttons = QHBoxLayout()
        buttons.addWidget(self.compare_button)
        buttons.addWidget(self.resume_button)
        buttons.addStretch(1)
        buttons.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

    def set_runs(self, entries: list[RunListEntry], select: int | None = None) -> None:
        """Show ``entries`` (newest first) and select run ``select`` if given."""
        self.entries = list(entries)
        self.table.blockSignals(True)
        self.table.setRowCount(len(entries))
        for r, e in enumerate(entries):
            info = e.info
            date = (info.finished_at or info.created_at or "")[:16]
            cells = (
                str(info.id),
                STATUS_TEXT.get(info.status, info.status),
                date,
                "" if e.n is None else str(e.n),
                e.verdict,
                info.recorded_note,
            )
            for c, value in enumerate(cells):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, info.id)
                if c == 4:
                    item.setToolTip(f"{info.name}\n{', '.join(info.variants)}\n\n{e.verdict}")
                self.table.setItem(r, c, item)
        self.table.blockSignals(False)
        if select is not None:
            self.select_run(select)
        self._update_buttons()  # a reload is not a user's choice: no run_selected

    def select_run(self, run_id: int) -> None:
        """Select the row of ``run_id`` (no signal if it is already selected)."""
        for r, e in enumerate(self.entries):
            if e.info.id == run_id:
                self.table.blockSignals(True)
                self.table.selectRow(r)
                self.table.blockSignals(False)
                self._update_buttons()
                return

    def selected_ids(self) -> list[int]:
        """Selected run ids, in list order."""
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [self.entries[r].info.id for r in rows if r < len(self.entries)]

    def entry(self, run_id: int) -> RunListEntry | None:
        """The list entry of ``run_id``."""
        return next((e for e in self.entries if e.info.id == run_id), None)

    def _update_buttons(self) -> None:
        ids = self.selected_ids()
        self.compare_button.setEnabled(len(ids) >= 2)
        one = self.entry(ids[0]) if len(ids) == 1 else None
        # A run another process or machine is executing: this app may help finish it
        # (cases are claimed, none paid twice: core/evals/run_claims.py, ISSUE-14 §4).
        joinable = (
            one is not None and one.info.status == "running" and one.info.id != self.running_here
        )
        self.resume_button.setText("Help finish it" if joinable else "Resume")
        self.resume_button.setToolTip(
            "Execute this run together with the process that is running it; no case is asked twice"
            if joinable
            else "Continue a cancelled, failed or interrupted run; finished calls are not repeated"
        )
        self.resume_button.setEnabled(
            joinable
            or (
                one is not None
                and one.info.status in ("cancelled", "failed", "pending", "interrupted")
            )
        )
        self.delete_button.setEnabled(len(ids) == 1)

    def _selection_changed(self) -> None:
        self._update_buttons()
        ids = self.selected_ids()
        if len(ids) == 1:
            self.run_selected.emit(ids[0])

    def _resume(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 1:
            self.resume_requested.emit(ids[0])

    def _delete(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 1:
            self.delete_requested.emit(ids[0])


COMPARE_COLUMNS = (
    "Run",
    "Variant",
    "Model",
    "Scored",
    "Score",
    "95% CI",
    "Errors",
    "p50",
    "Per 1,000 tasks",
    "Note",
)


class ComparePanel(QWidget):
    """Several runs side by side: each run's verdict, then one row per run and variant."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.verdicts = QLabel("Select two or more runs in Past runs and press Compare Selected.")
        self.verdicts.setObjectName("compare_verdicts")
        self.verdicts.setWordWrap(True)
        self.verdicts.setTextFormat(Qt.TextFormat.RichText)
        self.table = QTableWidget(0, len(COMPARE_COLUMNS))
        self.table.setObjectName("compare_table")
        self.table.setHorizontalHeaderLabels(list(COMPARE_COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.verdicts)
        layout.addWidget(self.table, 1)

    def set_comparison(self, comparison: RunsComparison) -> None:
        """Show ``comparison``."""
        self.verdicts.setText(
            "<br>".join(
                f"<b>Run {s.run_id}</b> ({html.escape(s.dataset)}, {s.split}, n = {s.n}): "
                f"{html.escape(s.verdict_text)}"
                + (f" <i>({html.escape(s.recorded_note)})</i>" if s.recorded_note else "")
                for s in comparison.summaries
            )
        )
        self.table.setRowCount(len(comparison.rows))
        for r, row in enumerate(comparison.rows):
            cells = (
                f"#{row['run_id']}",
                str(row["prompt"]),
                str(row["model"]),
                str(row["n"]),
                pct(row["score"]),
                ci_text(row["ci95"]),
                str(row["errors"]),
                ms(row["latency_p50_ms"]),
                usd(row["cost_per_1000"], 3),
                str(row.get("recorded_note") or ""),
            )
            for c, value in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
