"""The examples table of the Datasets view: fixed-height rows, labelling keys first."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

ROW_HEIGHT = 24


class ExamplesTable(QTableView):
    """The examples table; hands keys to the view's labelling handler first."""

    def __init__(
        self, key_handler: Callable[[QKeyEvent], bool], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._key_handler = key_handler
        self.setObjectName("examplesTable")
        # Fixed row height + no word wrap: the view never measures rows
        # (docs/engineering-facts.md §4)
        vh = self.verticalHeader()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(ROW_HEIGHT)
        vh.hide()
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setSortingEnabled(True)
        self.setShowGrid(False)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.horizontalHeader().setSortIndicatorShown(True)
        self.horizontalHeader().setHighlightSections(False)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self._key_handler(event):
            super().keyPressEvent(event)
