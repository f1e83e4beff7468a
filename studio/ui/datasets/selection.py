"""The Datasets view's table and its selection: current example, selected rows, moving."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QAbstractItemView, QWidget

from studio.ui.datasets.detail_editor import DetailEditor
from studio.ui.datasets.examples_table import ExamplesTable
from studio.ui.datasets.table_model import ExamplesTableModel


class TableSelection(QWidget):
    """The lowest layer of the Datasets view: which rows are current and selected.

    The widgets are built by ``DatasetsView``; the layers above this one (loading,
    undo wiring, bulk wiring, edits, the view) each add one concern.
    """

    model: ExamplesTableModel
    table: ExamplesTable
    detail: DetailEditor

    def _replace_ids_keeping_view(self, ids: list[int], positions: dict[int, int]) -> None:
        if ids == self.model.ids():
            return
        selected = self.selected_ids()
        current = self.current_id()
        scroll = self.table.verticalScrollBar().value()
        self.model.set_ids(ids, positions)
        sm = self.table.selectionModel()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for eid in selected:
            row = self.model.row_of(eid)
            if row >= 0:
                sm.select(self.model.index(row, 0), flags)
        row = self.model.row_of(current) if current is not None else -1
        if row >= 0:
            sm.setCurrentIndex(self.model.index(row, 0), QItemSelectionModel.SelectionFlag.NoUpdate)
        elif self.model.rowCount():
            self._restore(None)
        self.table.verticalScrollBar().setValue(scroll)

    def _restore(self, example_id: int | None) -> None:
        row = self.model.row_of(example_id) if example_id is not None else -1
        if row < 0 and self.model.rowCount() > 0:
            row = 0
        if row >= 0:
            self.select_row(row, center=example_id is not None)
        else:
            self.detail.show_example(None)

    def current_id(self) -> int | None:
        """The example the detail editor shows (the table's current row)."""
        idx = self.table.currentIndex()
        return self.model.id_at(idx.row()) if idx.isValid() else None

    def selected_ids(self) -> list[int]:
        """Ids of the selected rows, in table order."""
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [eid for r in rows if (eid := self.model.id_at(r)) is not None]

    def select_row(self, row: int, *, center: bool = False) -> None:
        """Make ``row`` current and the only selection, and scroll it into view."""
        col = max(0, self.table.currentIndex().column())
        index = self.model.index(row, col)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(
            index,
            QAbstractItemView.ScrollHint.PositionAtCenter
            if center
            else QAbstractItemView.ScrollHint.EnsureVisible,
        )

    def move_current(self, step: int) -> None:
        """Go ``step`` rows down (negative: up), staying inside the table."""
        n = self.model.rowCount()
        if n == 0:
            return
        cur = self.table.currentIndex().row()
        self.select_row(min(n - 1, max(0, cur + step if cur >= 0 else 0)))
        self.table.setFocus()
