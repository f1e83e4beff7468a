"""The case-by-case table: each example with every variant's answer side by side.

A Python ``QAbstractTableModel`` over in-memory :class:`CaseRow` s (a run has hundreds to
a few thousand rows): fixed row height, no word wrap, long text elided, sorting and
filtering done on the row list (never a proxy model over Python data, docs/engineering-facts.md
§4). The detail pane under the table shows the selected example in full, with the first
two answers diffed word by word.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from studio.core.evals.run_results import CaseRow
from studio.core.evals.summary import RunSummary
from studio.ui.evaluate.scorer_help import agreement_lines
from studio.ui.evaluate.text import diff_html

FILTERS = ("all", "disagreements", "regressions", "errors")
FILTER_TITLES = {
    "all": "All",
    "disagreements": "Disagreements",
    "regressions": "Regressions",
    "errors": "Errors",
}
PASS_MARK, FAIL_MARK, ERROR_MARK, UNSCORED_MARK = "✓", "✗", "⚠", "·"
_ROW_HEIGHT = 24
_ModelIndex = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


def mark(row: CaseRow, variant: str) -> str:
    """The pass/fail/error mark of one answer."""
    if row.errors.get(variant):
        return ERROR_MARK
    passed = row.passed.get(variant)
    if passed is None:
        return UNSCORED_MARK
    return PASS_MARK if passed else FAIL_MARK


def _one_line(text: str | None, limit: int = 400) -> str:
    if text is None:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class CaseTableModel(QAbstractTableModel):
    """Rows: examples. Columns: #, input, ideal, then one per variant (mark + answer)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.variants: list[str] = []
        self.rows: list[CaseRow] = []

    def set_rows(self, variants: list[str], rows: list[CaseRow]) -> None:
        """Replace everything (a new run or a new filter)."""
        self.beginResetModel()
        self.variants = list(variants)
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: _ModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _ModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else 3 + len(self.variants)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if section < 3:
            return ("#", "Input", "Ideal")[section]
        index = section - 3
        if index < len(self.variants):
            return f"{chr(ord('A') + index) if index < 26 else index + 1}: {self.variants[index]}"
        return None

    def data(self, index: _ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return str(row.example_id)
            if col == 1:
                return _one_line(row.input_preview)
            if col == 2:
                return _one_line(row.ideal)
            variant = self.variants[col - 3]
            error = row.errors.get(variant)
            answer = f"error: {error}" if error else row.outputs.get(variant)
            return f"{mark(row, variant)}  {_one_line(answer)}"
        if role == Qt.ItemDataRole.ToolTipRole and col >= 1:
            if col == 1:
                return row.input_preview
            if col == 2:
                return row.ideal
            variant = self.variants[col - 3]
            return row.errors.get(variant) or row.details.get(variant) or row.outputs.get(variant)
        if role == Qt.ItemDataRole.ForegroundRole and col >= 3:
            m = mark(row, self.variants[col - 3])
            if m == FAIL_MARK:
                return QColor("#b3261e")
            if m == ERROR_MARK:
                return QColor("#9a6700")
            if m == PASS_MARK:
                return QColor("#1a7f37")
        if role == Qt.ItemDataRole.UserRole:
            return row.example_id
        return None


class CasesPanel(QWidget):
    """Filters, the side-by-side table and the detail pane.

    Signals:
        open_example_requested(int): the user wants to fix this example's label.
        rescore_requested(): re-score the run's stored answers (no new calls).
        rerun_requested(): run the same comparison again (free from cache).
    """

    open_example_requested = Signal(int)
    rescore_requested = Signal()
    rerun_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = CaseTableModel(self)
        self.all_rows: list[CaseRow] = []
        self.sets: dict[str, set[int]] = {}
        self.filter = "all"

        self.filter_group = QButtonGroup(self)
        self.filter_group.setExclusive(True)
        self.filter_buttons: dict[str, QPushButton] = {}
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Show:"))
        for name in FILTERS:
            button = QPushButton(FILTER_TITLES[name])
            button.setObjectName(f"filter_{name}")
            button.setCheckable(True)
            button.setChecked(name == "all")
            button.clicked.connect(lambda _=False, n=name: self.set_filter(n))
            self.filter_group.addButton(button)
            self.filter_buttons[name] = button
            bar.addWidget(button)
        bar.addStretch(1)
        self.open_button = QPushButton("Open Example")
        self.open_button.setObjectName("open_example_button")
        self.open_button.setToolTip(
            "Open this example in Datasets to fix its label, then Re-score here"
        )
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._open_clicked)
        self.rescore_button = QPushButton("Re-score")
        self.rescore_button.setObjectName("rescore_button")
        self.rescore_button.setToolTip(
            "Score the stored answers again against the current labels (no new calls)"
        )
        self.rescore_button.clicked.connect(self.rescore_requested.emit)
        self.rerun_button = QPushButton("Re-run")
        self.rerun_button.setObjectName("rerun_button")
        self.rerun_button.setToolTip(
            "Run the same comparison again as a new run; unchanged "
            "requests come from the cache for free"
        )
        self.rerun_button.clicked.connect(self.rerun_requested.emit)
        bar.addWidget(self.open_button)
        bar.addWidget(self.rescore_button)
        bar.addWidget(self.rerun_button)

        self.table = QTableView()
        self.table.setObjectName("case_table")
        self.table.setModel(self.model)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        vh = self.table.verticalHeader()
        vh.setVisible(False)
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(_ROW_HEIGHT)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.doubleClicked.connect(lambda _: self._open_clicked())

        self.detail = QTextBrowser()
        self.detail.setObjectName("case_detail")
        self.detail.setOpenLinks(False)
        self.detail.setPlaceholderText(
            "Select a row to see the example and both answers, "
            "with the words that differ highlighted."
        )
        self.count_label = QLabel()
        self.count_label.setObjectName("case_count")
        # json-equal: which fields the models get wrong; label: exact vs lenient matches
        self.agreement_label = QLabel()
        self.agreement_label.setObjectName("field_agreement")
        self.agreement_label.setWordWrap(True)
        self.agreement_label.setTextFormat(Qt.TextFormat.PlainText)
        self.agreement_label.setVisible(False)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.count_label)
        layout.addWidget(self.agreement_label)
        layout.addWidget(splitter, 1)

    # -- data ------------------------------------------------------------------------------
    def set_run(self, summary: RunSummary, rows: list[CaseRow]) -> None:
        """Show a run's cases (keeps the current filter)."""
        self.all_rows = rows
        self.variants = [v.prompt for v in summary.variants]
        self.sets = {
            "disagreements": set(summary.disagreements),
            "regressions": set(summary.regressions),
            "errors": set(summary.errors),
        }
        for name, button in self.filter_buttons.items():
            count = (
                len(rows) if name == "all" else len(self.sets[name] & {r.example_id for r in rows})
            )
            button.setText(f"{FILTER_TITLES[name]} ({count})")
        figures = agreement_lines(summary)
        self.agreement_label.setText("\n".join(figures))
        self.agreement_label.setVisible(bool(figures))
        self._apply()

    def clear(self) -> None:
        """No run shown."""
        self.all_rows = []
        self.sets = {}
        self.model.set_rows([], [])
        self.detail.clear()
        self.count_label.clear()
        self.agreement_label.clear()
        self.agreement_label.setVisible(False)

    def set_filter(self, name: str) -> None:
        """Show ``all``, ``disagreements``, ``regressions`` or ``errors``."""
        if name not in FILTERS:
            raise ValueError(name)
        self.filter = name
        self.filter_buttons[name].setChecked(True)
        self._apply()

    def visible_ids(self) -> list[int]:
        """Example ids of the rows shown, in order."""
        return [r.example_id for r in self.model.rows]

    def _fit_columns(self) -> None:
        """#, input and ideal narrow; the variants' answers share the rest equally.

        Also run when the tab is first shown: a hidden tab's viewport has no real width.
        """
        self.table.setColumnWidth(0, 56)
        columns = self.model.columnCount()
        if columns <= 1:
            return
        fixed = {1: 200, 2: 160}
        for col, width in fixed.items():
            if col < columns:
                self.table.setColumnWidth(col, width)
        answers = [c for c in range(1, columns) if c not in fixed]
        room = self.table.viewport().width() - 56 - sum(w for c, w in fixed.items() if c < columns)
        for col in answers:
            self.table.setColumnWidth(col, max(160, room // max(1, len(answers))))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit_columns()

    def _apply(self) -> None:
        if self.filter == "all":
            rows = self.all_rows
        else:
            wanted = self.sets.get(self.filter, set())
            rows = [r for r in self.all_rows if r.example_id in wanted]
        self.model.set_rows(getattr(self, "variants", []), rows)
        self._fit_columns()
        self.count_label.setText(
            f"{len(rows)} of {len(self.all_rows)} examples. Marks: {PASS_MARK} right, "
            f"{FAIL_MARK} wrong, {ERROR_MARK} error (no answer, counted apart)."
        )
        self.open_button.setEnabled(False)
        self.detail.clear()
        if rows:
            self.table.selectRow(0)

    # -- detail ----------------------------------------------------------------------------
    def current_row(self) -> CaseRow | None:
        """The selected row, if any."""
        index = self.table.currentIndex()
        if not index.isValid() or index.row() >= len(self.model.rows):
            return None
        return self.model.rows[index.row()]

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = (
            self.model.rows[current.row()]
            if current.isValid() and current.row() < len(self.model.rows)
            else None
        )
        self.open_button.setEnabled(row is not None)
        self.detail.setHtml(self.detail_html(row) if row is not None else "")

    def detail_html(self, row: CaseRow) -> str:
        """The detail pane's HTML for ``row``."""
        variants = self.model.variants
        parts = [
            f"<p><b>Example {row.example_id}</b></p>",
            f"<p><b>Input</b><br>{html.escape(row.input_preview)}</p>",
            f"<p><b>Ideal</b><br>{html.escape(row.ideal or '(none)')}</p>",
        ]
        texts = []
        for v in variants:
            error = row.errors.get(v)
            texts.append(f"error: {error}" if error else (row.outputs.get(v) or ""))
        rendered = [f"<div>{html.escape(t)}</div>" for t in texts]
        if len(texts) >= 2 and not row.errors.get(variants[0]) and not row.errors.get(variants[1]):
            rendered[0], rendered[1] = diff_html(texts[0], texts[1])
        cells = []
        for i, v in enumerate(variants):
            head = f"{chr(ord('A') + i)}: {html.escape(v)} {mark(row, v)}"
            detail = row.details.get(v)
            note = f"<br><i>{html.escape(detail)}</i>" if detail else ""
            fields = row.fields.get(v)
            if fields:
                marks = ", ".join(
                    f"{html.escape(k)} {PASS_MARK if ok else FAIL_MARK}" for k, ok in fields.items()
                )
                note += f"<br>Fields: {marks}"
            cells.append(
                f'<td width="{100 // max(1, len(variants))}%" valign="top">'
                f"<b>{head}</b><br>{rendered[i]}{note}</td>"
            )
        parts.append('<table width="100%" cellspacing="6"><tr>' + "".join(cells) + "</tr></table>")
        return "".join(parts)

    def _open_clicked(self) -> None:
        row = self.current_row()
        if row is not None:
            self.open_example_requested.emit(row.example_id)
