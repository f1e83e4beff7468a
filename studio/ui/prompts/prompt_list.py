"""The searchable list of prompts (model, two-line delegate, panel with search)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QFont, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from studio.ui.prompts.common import fmt_labels

SEARCH_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2

EMPTY_TEXT = "No prompts yet — click New Prompt, or File ▸ Open the Demo Project to look around."


# Alike core/prompts/records.PromptSummary by shape: the list keeps its own plain copy
# of the fields it shows and searches, so the Qt model holds no core record.
@dataclass(frozen=True, slots=True)
class PromptRow:
    """What the list shows for one prompt (a plain copy of the core's summary)."""

    name: str
    description: str
    latest_version: int | None
    labels: dict[str, int]
    variables: tuple[str, ...]

    @classmethod
    def from_summary(cls, s: Any) -> PromptRow:
        """From a ``studio.core.prompts.records.PromptSummary``."""
        return cls(s.name, s.description, s.latest_version, dict(s.labels), tuple(s.variables))

    @property
    def subtitle(self) -> str:
        """Second line: version, labels and description."""
        parts = [f"v{self.latest_version}" if self.latest_version else "no versions"]
        if self.labels:
            parts.append(fmt_labels(self.labels))
        if self.description:
            parts.append(self.description)
        return "  ·  ".join(parts)


class PromptListModel(QAbstractListModel):
    """Prompts by name. Reset only when a project's list is (re)loaded."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[PromptRow] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.name
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = f"{row.name}\n{row.subtitle}"
            if row.variables:
                tip += "\nVariables: " + ", ".join(row.variables)
            return tip
        if role == SEARCH_ROLE:
            return " ".join([row.name, row.description, *row.labels, *row.variables])
        if role == ROW_ROLE:
            return row
        return None

    def set_rows(self, rows: list[PromptRow]) -> None:
        """Replace the list."""
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row_of(self, name: str) -> int:
        """Row of the prompt ``name`` or -1."""
        return next((i for i, r in enumerate(self.rows) if r.name == name), -1)


class PromptDelegate(QStyledItemDelegate):
    """Two lines per prompt: the name in bold, then version · labels · description."""

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        line = option.fontMetrics.height()
        return QSize(200, line * 2 + 14)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        row: PromptRow | None = index.data(ROW_ROLE)
        if row is None:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        palette = opt.palette
        rect: QRect = opt.rect.adjusted(10, 6, -8, -6)
        line = opt.fontMetrics.height()
        painter.save()
        bold = QFont(opt.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(palette.highlightedText().color() if selected else palette.text().color())
        name = painter.fontMetrics().elidedText(row.name, Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(
            QRect(rect.left(), rect.top(), rect.width(), line), Qt.AlignmentFlag.AlignVCenter, name
        )
        painter.setFont(opt.font)
        if not selected:
            painter.setPen(palette.placeholderText().color())
        sub = painter.fontMetrics().elidedText(
            row.subtitle, Qt.TextElideMode.ElideRight, rect.width()
        )
        painter.drawText(
            QRect(rect.left(), rect.top() + line + 2, rect.width(), line),
            Qt.AlignmentFlag.AlignVCenter,
            sub,
        )
        painter.restore()


class PromptListPanel(QWidget):
    """Search box, prompt list and New Prompt button.

    Signals:
        prompt_selected(str): the user selected a prompt ("" when none is selected).
        new_requested(): New Prompt was clicked.
    """

    prompt_selected = Signal(str)
    new_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 4, 8)
        layout.setSpacing(6)
        self.search = QLineEdit()
        self.search.setObjectName("promptSearch")
        self.search.setPlaceholderText("Search prompts (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip(
            "Filter by name, description, label or variable "
            f"({QKeySequence(QKeySequence.StandardKey.Find).toString(QKeySequence.SequenceFormat.NativeText)})"
        )
        layout.addWidget(self.search)

        self.model = PromptListModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        # Filtering runs in C++ on a prepared search text (no Python filterAcceptsRow)
        self.proxy.setFilterRole(SEARCH_ROLE)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.search.textChanged.connect(self._filter)

        self.stack = QStackedWidget()
        self.view = QListView()
        self.view.setObjectName("promptList")
        self.view.setModel(self.proxy)
        self.view.setItemDelegate(PromptDelegate(self.view))
        self.view.setUniformItemSizes(True)
        self.view.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.view.selectionModel().currentChanged.connect(self._current_changed)
        self.stack.addWidget(self.view)
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setObjectName("promptListEmpty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color: palette(placeholder-text); padding: 16px;")
        self.stack.addWidget(self.empty)
        layout.addWidget(self.stack, 1)

        self.new_button = QPushButton("New Prompt…")
        self.new_button.setObjectName("newPromptButton")
        self.new_button.setToolTip("Create a prompt (Ctrl+Shift+N)")
        self.new_button.clicked.connect(self.new_requested.emit)
        layout.addWidget(self.new_button)
        self._loaded = False

    # -- content -----------------------------------------------------------------------

    def set_rows(self, rows: list[PromptRow], select: str | None = None) -> None:
        """Show ``rows``, keeping (or moving to) the selection ``select``."""
        keep = select if select is not None else self.current_name()
        self.model.set_rows(rows)
        self._loaded = True
        self._update_empty()
        if keep:
            self.select(keep)

    def current_name(self) -> str:
        """Name of the selected prompt, or ""."""
        index = self.view.currentIndex()
        row = index.data(ROW_ROLE) if index.isValid() else None
        return row.name if row else ""

    def select(self, name: str) -> bool:
        """Select the prompt ``name`` (clearing the search if it hides it)."""
        src = self.model.row_of(name)
        if src < 0:
            return False
        index = self.proxy.mapFromSource(self.model.index(src))
        if not index.isValid():
            self.search.clear()
            index = self.proxy.mapFromSource(self.model.index(src))
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index)
        return True

    def visible_names(self) -> list[str]:
        """Names shown after filtering (tests and keyboard navigation)."""
        return [self.proxy.index(i, 0).data() for i in range(self.proxy.rowCount())]

    @Slot(str)
    def _filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        self._update_empty()

    def _update_empty(self) -> None:
        if not self.model.rows:
            self.empty.setText(EMPTY_TEXT)
            self.stack.setCurrentWidget(self.empty)
        elif self.proxy.rowCount() == 0:
            self.empty.setText(f"No prompt matches “{self.search.text().strip()}”.")
            self.stack.setCurrentWidget(self.empty)
        else:
            self.stack.setCurrentWidget(self.view)

    @Slot(QModelIndex, QModelIndex)
    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = current.data(ROW_ROLE) if current.isValid() else None
        self.prompt_selected.emit(row.name if row else "")
