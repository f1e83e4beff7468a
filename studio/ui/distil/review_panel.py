"""The review tab of the Distil view: filter, bulk accept, candidates table, detail, keys.

Only widgets and selection helpers; what a key or a button does is the view's
(``decisions.py``). The table is the Datasets view's :class:`ExamplesTable` (fixed row
height, labelling keys read only while it has focus, so they never fire while typing).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from studio.ui.datasets.examples_table import ExamplesTable
from studio.ui.distil.candidates_model import (
    COL_AGREEMENT,
    COL_CANDIDATE,
    COL_HUMAN,
    COL_ID,
    COL_INPUT,
    COL_JUDGE,
    COL_STATUS,
    COL_VALID,
    STATUS_TEXT,
    CandidatesModel,
    agreement_text,
    candidate_text,
)
from studio.ui.evaluate.text import usd

STATUS_FILTERS = (
    ("All candidates", None),
    ("Pending", "pending"),
    ("Accepted", "accepted"),
    ("Rejected", "rejected"),
    ("Failed", "failed"),
    ("Audit (teacher on human rows)", "audit"),
)
KEYS_HINT = (
    "A accept · E edit and accept · R reject · J/K or ↓/↑ move · Ctrl+Z undo — "
    "after a decision the next pending row is selected"
)


def detail_html(cand: Any) -> str:
    """The detail pane: the whole input, the answer, agreement, validity, provenance."""
    esc = html.escape

    def block(title: str, body: str) -> str:
        return (
            f"<p style='margin:8px 0 2px 0'><b>{esc(title)}</b></p>"
            f"<pre style='white-space:pre-wrap; margin:0'>{esc(body)}</pre>"
        )

    parts = [block("Input", cand.input_text)]
    if cand.label:
        parts.append(block("Teacher's label", cand.label))
    parts.append(block("Teacher's answer", cand.output if cand.output is not None else "(none)"))
    valid = "fits the prompt's response schema" if cand.valid else f"not valid: {cand.reason}"
    facts = [
        f"Status: {STATUS_TEXT.get(cand.status, cand.status)}",
        f"Agreement: {agreement_text(cand)}"
        + (f" of {cand.samples} samples" if cand.samples > 1 else ""),
        f"Schema: {valid}",
    ]
    if cand.status == "audit":
        facts.append(
            "Audit answer: the teacher on a row that already has a human ideal, kept to "
            "measure the teacher; read-only, never accepted"
        )
    if cand.judged:  # the score (or an unreadable answer) and who gave it
        score = "unreadable" if cand.judge_score is None else f"{cand.judge_score:g}"
        facts.append(f"Judge score: {score}, {cand.judged_by()}")
    facts.append(
        f"Teacher: {cand.prompt_ref or '?'} on {cand.model or '?'}"
        + (f", run {cand.run_id}" if cand.run_id is not None else "")
        + f", cost {usd(cand.cost_usd)}"
    )
    parts.append("<p style='margin:8px 0 0 0'>" + "<br>".join(esc(f) for f in facts) + "</p>")
    if cand.human_ideal:
        same = cand.human_ideal.strip() == candidate_text(cand).strip()
        parts.append(
            block("Human ideal" + (" (the same)" if same else " (differs)"), cand.human_ideal)
        )
    return "".join(parts)


class ReviewPanel(QWidget):
    """The review queue's widgets; ``key_handler`` reads the table's keys first."""

    def __init__(
        self, key_handler: Callable[[QKeyEvent], bool], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.status_filter = QComboBox()
        self.status_filter.setObjectName("distil_status_filter")
        self.status_filter.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        for title, value in STATUS_FILTERS:
            self.status_filter.addItem(title, value)
        self.bulk_button = QPushButton("Accept Where Agreement = 1 and Valid…")
        self.bulk_button.setObjectName("distil_bulk_accept_button")
        self.bulk_button.setToolTip(
            "Accept every pending candidate whose samples all agreed and whose answer fits "
            "the response schema, as one step that Undo (Ctrl+Z) reverses"
        )
        self.bulk_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # "... and judge ≥ X": shown only when some candidate has a judge score
        self.bulk_judge_check = QCheckBox("and judge ≥")
        self.bulk_judge_check.setObjectName("distil_bulk_judge_check")
        self.bulk_judge_check.setToolTip(
            "Bulk accept only candidates whose judge score (0-1) is at least this; "
            "candidates without a score are left for review"
        )
        self.bulk_judge_check.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.bulk_judge_min = QDoubleSpinBox()
        self.bulk_judge_min.setObjectName("distil_bulk_judge_min")
        self.bulk_judge_min.setRange(0.0, 1.0)
        self.bulk_judge_min.setSingleStep(0.05)
        self.bulk_judge_min.setDecimals(2)
        self.bulk_judge_min.setValue(0.8)
        self.bulk_judge_min.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.bulk_judge_min.setEnabled(False)
        self.bulk_judge_check.toggled.connect(self.bulk_judge_min.setEnabled)
        for w in (self.bulk_judge_check, self.bulk_judge_min):
            w.hide()
        self.accept_button = QPushButton("Accept (A)")
        self.edit_button = QPushButton("Edit… (E)")
        self.reject_button = QPushButton("Reject (R)")
        for b, name in (
            (self.accept_button, "distil_accept_button"),
            (self.edit_button, "distil_edit_button"),
            (self.reject_button, "distil_reject_button"),
        ):
            b.setObjectName(name)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the table keeps the keyboard

        self.model = CandidatesModel(self)
        self.table = ExamplesTable(key_handler, self)
        self.table.setObjectName("candidatesTable")
        self.table.setSortingEnabled(False)
        self.table.horizontalHeader().setSortIndicatorShown(False)
        self.table.setModel(self.model)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(False)
        # The input takes what is left, so the status column is never pushed off screen
        # at 1280 x 800
        hh.setSectionResizeMode(COL_INPUT, QHeaderView.ResizeMode.Stretch)
        for col, width in (
            (COL_ID, 48),
            (COL_CANDIDATE, 150),
            (COL_AGREEMENT, 84),
            (COL_VALID, 60),
            (COL_JUDGE, 52),
            (COL_HUMAN, 140),
            (COL_STATUS, 92),
        ):
            self.table.setColumnWidth(col, width)
        self.detail = QTextBrowser()
        self.detail.setObjectName("distil_detail")
        self.detail.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.detail.setMinimumWidth(260)
        self.detail.setPlaceholderText("Select a candidate to see its input and answer in full.")
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([900, 300])
        self.empty_hint = QLabel(
            "No teacher outputs yet. Press “Generate Teacher Outputs…” to ask the proven "
            "prompt for this dataset's rows."
        )
        self.empty_hint.setObjectName("distil_empty_hint")
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.hide()
        self.keys_hint = QLabel(KEYS_HINT)
        self.keys_hint.setObjectName("distil_keys_hint")
        self.keys_hint.setStyleSheet("color: #6b7280;")
        self.keys_hint.setWordWrap(True)

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Show:"))
        bar.addWidget(self.status_filter)
        bar.addSpacing(12)
        bar.addWidget(self.accept_button)
        bar.addWidget(self.edit_button)
        bar.addWidget(self.reject_button)
        bar.addStretch(1)
        bar.addWidget(self.bulk_button)
        bar.addWidget(self.bulk_judge_check)
        bar.addWidget(self.bulk_judge_min)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.empty_hint)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.keys_hint)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self.show_detail())

    # -- selection -------------------------------------------------------------------------
    def bulk_min_judge(self) -> float | None:
        """The bulk accept's "and judge ≥ X" (None: not asked for)."""
        if self.bulk_judge_check.isVisible() and self.bulk_judge_check.isChecked():
            return round(self.bulk_judge_min.value(), 4)
        return None

    def status(self) -> str | None:
        """The status the table is filtered on (None: all)."""
        value = self.status_filter.currentData()
        return str(value) if value else None

    def current(self) -> Any | None:
        """The candidate of the current row."""
        idx = self.table.currentIndex()
        return self.model.row_at(idx.row()) if idx.isValid() else None

    def current_row(self) -> int:
        """The current table row (-1: none)."""
        idx = self.table.currentIndex()
        return idx.row() if idx.isValid() else -1

    def selected(self) -> list[Any]:
        """The selected candidates, in table order."""
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [c for r in rows if (c := self.model.row_at(r)) is not None]

    def select_row(self, row: int) -> None:
        """Make ``row`` current and the only selection, and scroll it into view."""
        if not 0 <= row < self.model.rowCount():
            return
        col = max(0, self.table.currentIndex().column())
        index = self.model.index(row, col)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)

    def move_current(self, step: int) -> None:
        """Go ``step`` rows down (negative: up), staying inside the table."""
        n = self.model.rowCount()
        if n == 0:
            return
        cur = self.current_row()
        self.select_row(min(n - 1, max(0, cur + step if cur >= 0 else 0)))

    def show_detail(self) -> None:
        """Show the current candidate in the detail pane."""
        cand = self.current()
        if cand is None:
            self.detail.clear()
        else:
            self.detail.setHtml(detail_html(cand))
        has = cand is not None and cand.status != "audit"  # audit answers are read-only
        for b in (self.accept_button, self.edit_button, self.reject_button):
            b.setEnabled(has)

    def set_rows(self, rows: list[Any], select_id: int | None = None) -> None:
        """Show ``rows``; keep ``select_id`` current (else the first pending row)."""
        self.model.set_rows(rows)
        # A judge column only when some candidate was judged (its tooltip names the
        # judge, also of an unreadable answer); the bulk judge filter when one has a score
        self.table.setColumnHidden(COL_JUDGE, not any(r.judged for r in rows))
        no_judge = all(r.judge_score is None for r in rows)
        for w in (self.bulk_judge_check, self.bulk_judge_min):
            w.setVisible(not no_judge)
        self.empty_hint.setVisible(not rows)
        self.splitter.setVisible(bool(rows))
        row = self.model.row_of(select_id) if select_id is not None else -1
        if row < 0:
            row = self.model.next_pending(-1)
        if row < 0 and rows:
            row = 0
        if row >= 0:
            self.select_row(row)
        self.show_detail()
