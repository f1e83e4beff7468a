"""The Overview's Agreement section: kappa / alpha per label, and the adjudication list.

Shown only for a dataset whose rows were assigned to labellers (``studio dataset
assign``). The figures come from :func:`studio.core.datasets.agreement.dataset_agreement`
(Cohen's kappa for two labellers, Krippendorff's alpha for any number, overall and per
label), read on the database thread. The adjudication list holds the rows whose
labellers disagree: select one and press 1, 2, … to choose that labeller's label (the
decision is recorded with your name and the time, and sets the example's label).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.datasets.adjudication import Disagreement, adjudicate, adjudication_queue
from studio.core.datasets.agreement import Agreement, dataset_agreement
from studio.core.datasets.assignment import QueueProgress, queue_progress
from studio.ui.context import AppContext


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


class AdjudicationList(QListWidget):
    """Disputed rows; the number keys pick the n-th labeller's label for the current one.

    Signals:
        picked(int, str): example id, chosen label.
    """

    picked = Signal(int, str)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        item = self.currentItem()
        text = event.text()
        if item is not None and text.isdigit() and text != "0":
            d: Disagreement = item.data(Qt.ItemDataRole.UserRole)
            choices = list(dict.fromkeys(d.labels.values()))
            n = int(text) - 1
            if n < len(choices):
                self.picked.emit(d.example_id, choices[n])
                return
        super().keyPressEvent(event)


class AgreementPanel(QGroupBox):
    """Agreement figures and the adjudication list of one dataset."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Agreement between labellers", parent)
        self.context = context
        self.dataset_id: int | None = None
        self._gen = 0
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 4, self)
        self.table.setHorizontalHeaderLabels(["Label", "Given", "Cohen's κ", "Krippendorff's α"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMinimumHeight(120)
        self.adjudication_title = QLabel(self)
        self.adjudication = AdjudicationList(self)
        self.adjudication.setMinimumHeight(100)
        self.adjudication.picked.connect(self.decide)
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addWidget(self.table)
        lay.addWidget(self.adjudication_title)
        lay.addWidget(self.adjudication)
        self.hide()

    def clear(self) -> None:
        self._gen += 1
        self.dataset_id = None
        self.summary.setText("")
        self.table.setRowCount(0)
        self.adjudication.clear()
        self.hide()

    def refresh(self, dataset_id: int) -> None:
        """Read the figures on the database thread, then show them (hidden when unused)."""
        project = self.context.project
        if project is None:
            return
        self.dataset_id = dataset_id
        self._gen += 1
        gen = self._gen

        def work() -> tuple[Agreement, list[QueueProgress], list[Disagreement]]:
            return (
                dataset_agreement(project, dataset_id),
                queue_progress(project, dataset_id),
                adjudication_queue(project, dataset_id),
            )

        def done(res: tuple[Agreement, list[QueueProgress], list[Disagreement]]) -> None:
            if gen == self._gen:
                self.show_figures(*res)

        self.context.runner.run(work, on_done=done, on_error=self.context.show_error, db=True)

    def show_figures(
        self, agr: Agreement, progress: list[QueueProgress], queue: list[Disagreement]
    ) -> None:
        if not progress:
            self.hide()
            return
        self.show()
        done = ", ".join(f"{q.labeller} {q.done:,}/{q.assigned:,}" for q in progress)
        if agr.items:
            self.summary.setText(
                f"{agr.items:,} rows labelled by {len(agr.labellers)} people: Cohen's κ "
                f"{_fmt(agr.kappa)}, Krippendorff's α {_fmt(agr.alpha)}, observed agreement "
                f"{_fmt(agr.observed)}. Labelled so far: {done}."
            )
        else:
            self.summary.setText(f"No row has two labels yet. Labelled so far: {done}.")
        self.table.setRowCount(len(agr.per_label))
        for r, p in enumerate(agr.per_label):
            for c, value in enumerate((p.label, f"{p.given:,}", _fmt(p.kappa), _fmt(p.alpha))):
                item = QTableWidgetItem(value)
                if c:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(r, c, item)
        self.adjudication_title.setText(
            f"To adjudicate: {len(queue):,} rows (select one, press 1, 2, … to choose)"
            if queue
            else "Nothing to adjudicate."
        )
        current = self.adjudication.currentRow()
        self.adjudication.clear()
        for d in queue:
            choices = list(dict.fromkeys(d.labels.values()))
            keys = "  ".join(f"[{i + 1}] {lb}" for i, lb in enumerate(choices))
            who = ", ".join(f"{w}: {lb}" for w, lb in d.labels.items())
            entry = QListWidgetItem(f"{d.example_id}  {keys}   ({who})  {d.input[:80]}")
            entry.setData(Qt.ItemDataRole.UserRole, d)
            entry.setToolTip(d.input)
            self.adjudication.addItem(entry)
        if queue:
            self.adjudication.setCurrentRow(min(max(current, 0), len(queue) - 1))

    def decide(self, example_id: int, label: str) -> None:
        """Record the decision on the database thread, then reload."""
        project, ds = self.context.project, self.dataset_id
        if project is None or ds is None:
            return

        def done(_res: Any) -> None:
            self.context.show_status(f'Example {example_id}: decided "{label}".')
            self.context.data_changed.emit("datasets")
            if ds == self.dataset_id:
                self.refresh(ds)

        self.context.runner.run(
            lambda: adjudicate(project, ds, [example_id], label),
            on_done=done,
            on_error=self.context.show_error,
            db=True,
        )
