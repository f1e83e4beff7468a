"""The examples table model: an id list from SQL, rows fetched lazily in blocks.

Measured at 100,000 rows (docs/engineering-facts.md §4): a Python ``QAbstractTableModel`` paints
a screen in ~70 ms as long as only visible cells are asked for, while a
``QSortFilterProxyModel`` over it needs 49–76 s to sort. So sorting and filtering run in
SQL and produce a new id list (:func:`studio.core.datasets.query_ids`); the model holds those ids
and fetches the short row fields for a block of ids the first time a row in that block
is painted. ``data()`` returns early for roles the view does not use, because Qt asks
for about seven roles per visible cell on every paint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont

from studio.core.datasets import ExampleRow

BLOCK = 128
"""Rows fetched per query (a screen is ~30 rows; a block covers a few scroll steps)."""
MAX_CACHED = 20_000
"""Cached rows before the cache is dropped (keeps memory flat while scrolling 100k rows)."""

# (key used for SQL sort, header)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "#"),
    ("input", "Input"),
    ("ideal_output", "Ideal output"),
    ("label", "Label"),
    ("status", "Status"),
    ("split", "Split"),
    ("rating", "Rating"),
    ("tags", "Tags"),
)
COL_ID, COL_INPUT, COL_OUTPUT, COL_LABEL, COL_STATUS, COL_SPLIT, COL_RATING, COL_TAGS = range(8)

STATUS_TEXT = {
    "draft": "draft",
    "needs_review": "needs review",
    "approved": "✓ approved",
    "rejected": "✗ rejected",
}
STATUS_COLORS = {
    "draft": QColor("#6b7280"),
    "needs_review": QColor("#b45309"),
    "approved": QColor("#15803d"),
    "rejected": QColor("#b91c1c"),
}
ID_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2

_DISPLAY = Qt.ItemDataRole.DisplayRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_FONT = Qt.ItemDataRole.FontRole

Fetcher = Callable[[Sequence[int]], list[ExampleRow]]


def _cell_text(row: ExampleRow, col: int) -> str:
    if col == COL_INPUT:
        return row.input
    if col == COL_OUTPUT:
        return row.ideal_output
    if col == COL_LABEL:
        return row.label or ""
    if col == COL_STATUS:
        return STATUS_TEXT.get(row.status, row.status)
    if col == COL_SPLIT:
        # Words, not a lock emoji: many Linux desktops have no emoji font (a box shows)
        return (row.split or "") + (" (frozen)" if row.split_locked else "")
    if col == COL_RATING:
        return "★" * row.rating if row.rating else ""
    if col == COL_TAGS:
        return ", ".join(row.tags)
    return str(row.id)


class ExamplesTableModel(QAbstractTableModel):
    """Rows = an id list; cells = short fields fetched in blocks of :data:`BLOCK` ids.

    Signals:
        sort_requested(str, bool): the user clicked a header (column key, descending);
            the view re-queries in SQL and calls :meth:`set_ids`.
    """

    sort_requested = Signal(str, bool)

    def __init__(self, fetcher: Fetcher | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._fetch: Fetcher = fetcher or (lambda ids: [])
        self._ids: list[int] = []
        self._rows: dict[int, ExampleRow] = {}
        self._pos: dict[int, int] | None = None  # id -> row, built on first need
        self.sort_key: tuple[str, bool] = ("id", False)
        self.fetch_count = 0  # queries made (tests and the benchmark read it)
        self._bold = QFont()
        self._bold.setBold(True)

    # ------------------------------------------------------------ content

    def set_fetcher(self, fetcher: Fetcher) -> None:
        """Use another row source (a new project); call :meth:`set_ids` next."""
        self._fetch = fetcher

    def set_ids(self, ids: list[int]) -> None:
        """Show these examples in this order (a reset: only for a new query)."""
        self.beginResetModel()
        self._ids = ids
        self._rows.clear()
        self._pos = None
        self.endResetModel()

    def ids(self) -> list[int]:
        """The ids shown, in order (do not mutate)."""
        return self._ids

    def id_at(self, row: int) -> int | None:
        """The example id on ``row``, or None outside the table."""
        if 0 <= row < len(self._ids):
            return self._ids[row]
        return None

    def row_of(self, example_id: int) -> int:
        """The row showing ``example_id``, or -1."""
        if self._pos is None:
            self._pos = {eid: i for i, eid in enumerate(self._ids)}
        return self._pos.get(example_id, -1)

    def row_data(self, row: int) -> ExampleRow | None:
        """The cached (or freshly fetched) row fields of ``row``."""
        eid = self.id_at(row)
        if eid is None:
            return None
        cached = self._rows.get(eid)
        if cached is None:
            self._load_block(row)
            cached = self._rows.get(eid)
        return cached

    def refresh_ids(self, example_ids: Iterable[int]) -> None:
        """Re-read these examples and repaint only their rows (``dataChanged``, no reset)."""
        wanted = [eid for eid in example_ids if self.row_of(eid) >= 0]
        if not wanted:
            return
        for eid in wanted:
            self._rows.pop(eid, None)
        fresh = self._fetch(wanted)
        self.fetch_count += 1
        for r in fresh:
            self._rows[r.id] = r
        rows = sorted(self.row_of(eid) for eid in wanted)
        last_col = len(COLUMNS) - 1
        # Contiguous runs become one signal each (a bulk edit of 10k rows is a few signals)
        start = prev = rows[0]
        for r in [*rows[1:], None]:
            if r is not None and r == prev + 1:
                prev = r
                continue
            self.dataChanged.emit(self.index(start, 0), self.index(prev, last_col))
            if r is not None:
                start = prev = r

    def invalidate_cache(self) -> None:
        """Forget every fetched row and repaint (after an undo of many rows)."""
        self._rows.clear()
        if self._ids:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._ids) - 1, len(COLUMNS) - 1)
            )

    def _load_block(self, row: int) -> None:
        if len(self._rows) > MAX_CACHED:
            self._rows.clear()
        start = (row // BLOCK) * BLOCK
        block = [eid for eid in self._ids[start : start + BLOCK] if eid not in self._rows]
        if not block:
            return
        self.fetch_count += 1
        for r in self._fetch(block):
            self._rows[r.id] = r
        # Deleted meanwhile (another window, the CLI): a placeholder avoids re-fetching
        for eid in block:
            if eid not in self._rows:
                self._rows[eid] = ExampleRow(
                    eid, "(deleted)", "", None, "draft", None, None, (), False
                )

    # ------------------------------------------------------------ Qt model API

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        # Hot path: Qt asks ~7 roles per visible cell per paint; answer the unused fast
        if role != _DISPLAY and role != _FOREGROUND and role != _TOOLTIP and role < ID_ROLE:
            if role == _ALIGN and index.column() in (COL_ID, COL_RATING):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        if not index.isValid():
            return None
        r = index.row()
        if r >= len(self._ids):
            return None
        eid = self._ids[r]
        if role == ID_ROLE:
            return eid
        row = self._rows.get(eid)
        if row is None:
            self._load_block(r)
            row = self._rows.get(eid)
            if row is None:
                return None
        col = index.column()
        if role == _DISPLAY:
            return _cell_text(row, col)
        if role == _FOREGROUND:
            if col == COL_STATUS:
                return STATUS_COLORS.get(row.status)
            return None
        if role == ROW_ROLE:
            return row
        if role == _TOOLTIP and col in (COL_INPUT, COL_OUTPUT):
            text = row.input if col == COL_INPUT else row.ideal_output
            return text if len(text) > 60 else None
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == _DISPLAY
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section][1]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        # Never sort here: ask the view to run the query in SQL
        if 0 <= column < len(COLUMNS):
            key = COLUMNS[column][0]
            desc = order == Qt.SortOrder.DescendingOrder
            if (key, desc) != self.sort_key:
                self.sort_key = (key, desc)
                self.sort_requested.emit(key, desc)
