"""The review table's model: one teacher candidate per row, beside its input.

Rows are :class:`studio.core.distil.candidates.CandidateRow` values read on the database
thread; the model only holds them. A decision (accept, edit, reject) replaces the rows it
changed in place (:meth:`CandidatesModel.replace_rows`), so the table never resets under
the reviewer's cursor. A candidate list is a review queue (hundreds to a few thousand
rows), so the rows are held whole rather than fetched in blocks like the examples table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor

COLUMNS = (
    "#",
    "Input",
    "Candidate (teacher)",
    "Agreement",
    "Valid",
    "Judge",
    "Human ideal",
    "Status",
)
(
    COL_ID,
    COL_INPUT,
    COL_CANDIDATE,
    COL_AGREEMENT,
    COL_VALID,
    COL_JUDGE,
    COL_HUMAN,
    COL_STATUS,
) = range(len(COLUMNS))

STATUS_TEXT = {
    "pending": "pending",
    "accepted": "✓ accepted",
    "rejected": "✗ rejected",
    "failed": "⚠ failed",
    "audit": "◇ audit",
}
STATUS_COLORS = {
    "pending": QColor("#b45309"),
    "accepted": QColor("#15803d"),
    "rejected": QColor("#b91c1c"),
    "failed": QColor("#6b7280"),
    "audit": QColor("#1d4ed8"),
}
INVALID_COLOR = QColor("#b91c1c")
CANDIDATE_ROLE = Qt.ItemDataRole.UserRole + 1
"""The whole CandidateRow of a row (any column)."""

_DISPLAY = Qt.ItemDataRole.DisplayRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_NUMERIC = (COL_ID, COL_AGREEMENT, COL_JUDGE)
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren


def one_line(text: str | None, limit: int = 300) -> str:
    """A cell's text: newlines as spaces, cut at ``limit`` characters (the tooltip has all)."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def candidate_text(row: Any) -> str:
    """What the teacher proposes: the label for classification, else the output."""
    if row.label:
        return str(row.label)
    return str(row.output or "")


def agreement_text(row: Any) -> str:
    """``"3/5 (60%)"`` for sampled candidates, ``"–"`` for a single answer."""
    if row.agreement is None:
        return "–"
    if row.samples and row.samples > 1:
        equal = round(row.agreement * row.samples)
        return f"{equal}/{row.samples} ({row.agreement:.0%})"
    return f"{row.agreement:.0%}"


def valid_text(row: Any) -> str:
    """``"✓"`` or ``"✗ <reason>"``."""
    if row.valid:
        return "✓"
    return "✗ " + one_line(row.reason, 120) if row.reason else "✗"


def cell_text(row: Any, col: int) -> str:
    """The displayed text of one cell."""
    if col == COL_ID:
        return str(row.example_id)
    if col == COL_INPUT:
        return one_line(row.input_text)
    if col == COL_CANDIDATE:
        return one_line(candidate_text(row)) if row.status != "failed" or row.output else ""
    if col == COL_AGREEMENT:
        return agreement_text(row)
    if col == COL_VALID:
        return valid_text(row)
    if col == COL_JUDGE:
        return "–" if row.judge_score is None else f"{row.judge_score:g}"
    if col == COL_HUMAN:
        return one_line(row.human_ideal) if row.human_ideal else ""
    return STATUS_TEXT.get(str(row.status), str(row.status))


def judge_tooltip(row: Any) -> str:
    """The judge cell's tooltip: the score and who gave it, or why there is none."""
    if not row.judged:
        return "Not judged"
    by = row.judged_by()
    if row.judge_score is None:  # the judge was asked and its answer had no score
        return f"No score: the judge's answer was unreadable ({by})"
    return f"Score {row.judge_score:g}, {by}"


class CandidatesModel(QAbstractTableModel):
    """Candidates in the order the core listed them."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[Any] = []
        self._pos: dict[int, int] = {}

    # -- Qt --------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == _DISPLAY:
            return COLUMNS[section]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return _FLAGS

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        col = index.column()
        if role == _DISPLAY:
            return cell_text(row, col)
        if role == _FOREGROUND:
            if col == COL_STATUS:
                return STATUS_COLORS.get(row.status)
            if col == COL_VALID and not row.valid:
                return INVALID_COLOR
            return None
        if role == _ALIGN:
            if col in _NUMERIC:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        if role == _TOOLTIP:
            if col == COL_INPUT:
                return row.input_text
            if col == COL_CANDIDATE:
                return row.output or ""
            if col == COL_VALID:
                return row.reason or "Fits the prompt's response schema"
            if col == COL_HUMAN:
                return row.human_ideal or "No human-written ideal output"
            if col == COL_JUDGE:
                return judge_tooltip(row)
            return None
        if role == CANDIDATE_ROLE:
            return row
        return None

    # -- rows ------------------------------------------------------------------------------
    def set_rows(self, rows: Sequence[Any]) -> None:
        """Show ``rows`` (a new listing)."""
        self.beginResetModel()
        self.rows = list(rows)
        self._pos = {r.id: i for i, r in enumerate(self.rows)}
        self.endResetModel()

    def row_at(self, r: int) -> Any | None:
        """The candidate of table row ``r``."""
        return self.rows[r] if 0 <= r < len(self.rows) else None

    def row_of(self, candidate_id: int) -> int:
        """The table row of ``candidate_id`` (-1 when not shown)."""
        return self._pos.get(candidate_id, -1)

    def replace_rows(self, updated: Iterable[Any]) -> list[int]:
        """Put re-read candidates in place of the shown ones (same id); repaint only them.

        Returns the table rows replaced.
        """
        changed: list[int] = []
        for cand in updated:
            r = self._pos.get(cand.id, -1)
            if r < 0:
                continue
            self.rows[r] = cand
            changed.append(r)
            self.dataChanged.emit(self.index(r, 0), self.index(r, len(COLUMNS) - 1))
        return changed

    def next_pending(self, after: int) -> int:
        """The first pending row after ``after`` (wrapping around), or -1."""
        n = len(self.rows)
        for step in range(1, n + 1):
            r = (after + step) % n
            if self.rows[r].status == "pending":
                return r
        return -1
