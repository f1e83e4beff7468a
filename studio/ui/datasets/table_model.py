"""The examples table model: an id list from SQL, rows fetched lazily in blocks.

Measured at 100,000 rows (docs/engineering-facts.md §4): a Python ``QAbstractTableModel`` paints
a screen in ~70 ms as long as only visible cells are asked for, while a
``QSortFilterProxyModel`` over it needs 49–76 s to sort. So sorting and filtering run in
SQL and produce a new id list (:func:`studio.core.datasets.query_ids`); the model holds those ids
and fetches the short row fields for a block of ids the first time a row in that block
is painted. ``data()`` returns early for roles the view does not use, because Qt asks
for about seven roles per visible cell on every paint.

With a loader (:meth:`ExamplesTableModel.set_loader`, what the app uses) blocks are read
off the GUI thread: a cell not yet read paints empty, and its rows repaint when the block
arrives (ISSUE-11 §5: the GUI thread never waits on the database). Without one (tests,
scripts) the fetcher is called in place.
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

_ROW_FLAGS = (
    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
)

Fetcher = Callable[[Sequence[int]], list[ExampleRow]]
Loader = Callable[[Sequence[int], Callable[[list[ExampleRow]], None]], None]
"""Reads rows off the GUI thread: ``loader(ids, deliver)`` calls ``deliver(rows)`` on it later."""


def deleted_placeholder(example_id: int) -> ExampleRow:
    """What a row deleted meanwhile (another window, the CLI) shows until the next query."""
    return ExampleRow(
        id=example_id,
        input="(deleted)",
        ideal_output="",
        output_kind="text",
        label=None,
        status="draft",
        split=None,
        split_locked=False,
        rating=None,
        tags=(),
        notes="",
        source_line=None,
        is_conversation=False,
        updated_at="",
    )


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


def positions_of(ids: Sequence[int]) -> dict[int, int]:
    """id -> row for an id list (build it in the worker that ran the query)."""
    return {eid: i for i, eid in enumerate(ids)}


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
        self._loader: Loader | None = None
        self._pending: set[int] = set()  # ids asked of the loader, not delivered yet
        self._pending_blocks: set[int] = set()  # block starts asked, not delivered yet
        self._gen = 0  # bumped by set_fetcher: late rows of another project are dropped
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
        self._gen += 1
        self._pending.clear()
        self._pending_blocks.clear()

    def set_loader(self, loader: Loader | None) -> None:
        """Read blocks through ``loader`` (off the GUI thread); None: call the fetcher in place."""
        self._loader = loader
        self._gen += 1
        self._pending.clear()
        self._pending_blocks.clear()

    def set_ids(self, ids: list[int], positions: dict[int, int] | None = None) -> None:
        """Show these examples in this order (a reset: only for a new query).

        ``positions`` (id -> row, see :func:`positions_of`) may be built off the GUI
        thread: at 100,000 ids it takes longer than a frame.
        """
        self.beginResetModel()
        self._ids = ids
        self._rows.clear()
        self._pos = positions
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
        """The cached row fields of ``row``, read in place if missing (tests, scripts)."""
        eid = self.id_at(row)
        if eid is None:
            return None
        cached = self._rows.get(eid)
        if cached is None:
            self._store(self._fetch([eid]), [eid])
            cached = self._rows.get(eid)
        return cached

    def cached_row(self, example_id: int) -> ExampleRow | None:
        """The row fields of ``example_id`` if already read (never reads)."""
        return self._rows.get(example_id)

    def _store(self, rows: list[ExampleRow], asked: Sequence[int]) -> None:
        for r in rows:
            self._rows[r.id] = r
        # Deleted meanwhile (another window, the CLI): a placeholder avoids re-fetching
        for eid in asked:
            if eid not in self._rows:
                self._rows[eid] = deleted_placeholder(eid)

    def _emit_rows_changed(self, example_ids: Iterable[int]) -> None:
        rows = sorted(r for eid in example_ids if (r := self.row_of(eid)) >= 0)
        if not rows:
            return
        last_col = len(COLUMNS) - 1
        # Contiguous runs become one signal each (a bulk edit of 10k rows is a few signals)
        start = prev = rows[0]
        nxt: int | None
        for nxt in [*rows[1:], None]:
            if nxt is not None and nxt == prev + 1:
                prev = nxt
                continue
            self.dataChanged.emit(self.index(start, 0), self.index(prev, last_col))
            if nxt is not None:
                start = prev = nxt

    def _request(self, ids: list[int], block: int | None = None) -> None:
        """Read ``ids`` (through the loader when there is one) and repaint their rows."""
        self.fetch_count += 1
        if self._loader is None:
            self._store(self._fetch(ids), ids)
            return
        gen = self._gen
        self._pending.update(ids)
        if block is not None:
            self._pending_blocks.add(block)

        def deliver(rows: list[ExampleRow]) -> None:
            if gen != self._gen:
                return  # another project (or loader) meanwhile
            self._pending.difference_update(ids)
            if block is not None:
                self._pending_blocks.discard(block)
            self._store(rows, ids)
            self._emit_rows_changed(ids)

        self._loader(ids, deliver)

    @property
    def loading(self) -> bool:
        """True while blocks asked of the loader have not arrived."""
        return bool(self._pending)

    def refresh_ids(self, example_ids: Iterable[int]) -> None:
        """Re-read these examples and repaint only their rows (``dataChanged``, no reset)."""
        wanted = [eid for eid in example_ids if self.row_of(eid) >= 0]
        if not wanted:
            return
        # The old values stay painted until the fresh ones arrive (no flicker)
        self._request(wanted)
        if self._loader is None:
            self._emit_rows_changed(wanted)

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
        if start in self._pending_blocks:
            return  # asked already: Qt paints each visible cell several times meanwhile
        block = [
            eid
            for eid in self._ids[start : start + BLOCK]
            if eid not in self._rows and eid not in self._pending
        ]
        if block:
            self._request(block, start)

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
        return _ROW_FLAGS  # computed once: enum "|" costs ~4 µs, asked per cell per paint

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        # Never sort here: ask the view to run the query in SQL
        if 0 <= column < len(COLUMNS):
            key = COLUMNS[column][0]
            desc = order == Qt.SortOrder.DescendingOrder
            if (key, desc) != self.sort_key:
                self.sort_key = (key, desc)
                self.sort_requested.emit(key, desc)
