"""The history browser: versions with labels, the side-by-side diff, label history.

Select one version to see what it changed from the one before; select two (Ctrl+click)
to compare them. Actions on the selected version: open it in the editor, move a label
to it, restore it as the newest version, export it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelection,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from studio.ui.prompts.common import fmt_labels, fmt_time
from studio.ui.prompts.diff_view import DiffView
from studio.ui.widgets.labels import bold_label


@dataclass(frozen=True, slots=True)
class VersionRow:
    """One version as the table shows it (copied from the core's ``VersionInfo``)."""

    version: int
    labels: tuple[str, ...]
    message: str
    author: str
    created: str
    restored_from: int | None

    @classmethod
    def from_info(cls, v: Any) -> VersionRow:
        """From ``studio.core.prompts.records.VersionInfo``."""
        return cls(
            v.version, tuple(v.labels), v.message, v.author, fmt_time(v.created_at), v.restored_from
        )


COLUMNS = ("Version", "Labels", "Message", "Author", "Saved")


class VersionsModel(QAbstractTableModel):
    """Versions, newest first."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[VersionRow] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return f"v{row.version}"
            if col == 1:
                return fmt_labels(row.labels)
            if col == 2:
                msg = row.message.splitlines()[0] if row.message else ""
                if row.restored_from is not None and "restore" not in msg.lower():
                    msg = f"{msg} (restored from v{row.restored_from})"
                return msg
            if col == 3:
                return row.author
            if col == 4:
                return row.created
        if role == Qt.ItemDataRole.ToolTipRole and col == 2:
            return row.message
        if role == Qt.ItemDataRole.ForegroundRole and col == 1 and row.labels:
            return QColor("#2b8a3e") if "production" in row.labels else QColor("#1864ab")
        if role == Qt.ItemDataRole.FontRole and col in (0, 1):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.UserRole:
            return row.version
        return None

    # set_rows/row_of read like PromptListModel's (prompts/prompt_list.py): each is the
    # Qt reset idiom over its own row type and key (version here, name there); a shared
    # base for two three-line methods would cost more typing than it saves.
    def set_rows(self, rows: list[VersionRow]) -> None:
        """Replace the versions."""
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row_of(self, version: int) -> int:
        """Row of ``version`` or -1."""
        return next((i for i, r in enumerate(self.rows) if r.version == version), -1)


class HistoryPanel(QWidget):
    """Versions table + diff + label history, with the version actions.

    Signals:
        compare_requested(int, int): show the diff from version a to version b.
        open_requested(int): load this version into the editor.
        move_label_requested(int): move a label to this version.
        restore_requested(int): restore this version as the newest.
        export_requested(int): export this version to a file.
    """

    compare_requested = Signal(int, int)
    open_requested = Signal(int)
    move_label_requested = Signal(int)
    restore_requested = Signal(int)
    export_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(6)

        actions = QHBoxLayout()
        self.hint = QLabel("Select two versions (Ctrl+click) to compare them.")
        self.hint.setStyleSheet("color: palette(placeholder-text);")
        actions.addWidget(self.hint, 1)
        self.open_button = QPushButton("Open in Editor")
        self.open_button.setToolTip("Start the next version from the selected one")
        self.label_button = QPushButton("Move Label…")
        self.label_button.setObjectName("moveLabelButton")
        self.label_button.setToolTip(
            "Point production, staging or your own label at the selected version"
        )
        self.restore_button = QPushButton("Restore as Newest")
        self.restore_button.setObjectName("restoreButton")
        self.restore_button.setToolTip(
            "Save the selected version's content again as the newest version"
        )
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Write the selected version to a JSON or YAML prompt file")
        self.open_button.clicked.connect(lambda: self._emit_selected(self.open_requested))
        self.label_button.clicked.connect(lambda: self._emit_selected(self.move_label_requested))
        self.restore_button.clicked.connect(lambda: self._emit_selected(self.restore_requested))
        self.export_button.clicked.connect(lambda: self._emit_selected(self.export_requested))
        for b in (self.open_button, self.label_button, self.restore_button, self.export_button):
            actions.addWidget(b)
        layout.addLayout(actions)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("historySplitter")
        self.splitter.setChildrenCollapsible(False)
        top = QSplitter(Qt.Orientation.Horizontal)
        self.top_splitter = top
        self.model = VersionsModel(self)
        self.table = QTableView()
        self.table.setObjectName("versionsTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _i: self._emit_selected(self.open_requested))
        top.addWidget(self.table)

        labels_box = QWidget()
        labels_layout = QVBoxLayout(labels_box)
        labels_layout.setContentsMargins(6, 0, 0, 0)
        labels_layout.addWidget(bold_label("Label history"))
        self.label_history = QListWidget()
        self.label_history.setObjectName("labelHistory")
        self.label_history.setWordWrap(True)
        self.label_history.setAlternatingRowColors(True)
        self.label_history.setSpacing(2)
        labels_layout.addWidget(self.label_history, 1)
        top.addWidget(labels_box)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 1)
        top.setSizes([640, 260])
        self.splitter.addWidget(top)

        self.diff = DiffView()
        self.splitter.addWidget(self.diff)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([190, 560])
        layout.addWidget(self.splitter, 1)
        self._update_buttons()

    # -- content -----------------------------------------------------------------------

    def set_versions(self, rows: list[VersionRow], select: list[int] | None = None) -> None:
        """Show the versions, selecting ``select`` (default: the newest)."""
        keep = select if select is not None else self.selected_versions()
        self.model.set_rows(rows)
        if not keep and rows:
            keep = [rows[0].version]
        self.select_versions(keep)
        self._update_buttons()

    def set_label_history(self, moves: list[Any]) -> None:
        """Show ``LabelMove`` records, newest first."""
        self.label_history.clear()
        if not moves:
            item = QListWidgetItem("No label has been set yet.")
            item.setForeground(QColor("gray"))
            self.label_history.addItem(item)
            return
        for m in moves:
            if m.from_version is None:
                what = f"{m.label} set on v{m.to_version}"
            elif m.to_version is None:
                what = f"{m.label} removed from v{m.from_version}"
            else:
                what = f"{m.label}: v{m.from_version} → v{m.to_version}"
            item = QListWidgetItem(f"{what}\n{m.actor or 'unknown'} · {fmt_time(m.at)}")
            item.setToolTip(f"{what}, by {m.actor or 'unknown'} at {fmt_time(m.at)}")
            self.label_history.addItem(item)

    def select_versions(self, versions: list[int]) -> None:
        """Select the rows of ``versions``."""
        sel = self.table.selectionModel()
        selection = QItemSelection()
        for v in versions:
            row = self.model.row_of(v)
            if row >= 0:
                selection.select(self.model.index(row, 0), self.model.index(row, len(COLUMNS) - 1))
        sel.select(selection, sel.SelectionFlag.ClearAndSelect)
        if versions:
            row = self.model.row_of(versions[0])
            if row >= 0:
                sel.setCurrentIndex(self.model.index(row, 0), sel.SelectionFlag.NoUpdate)

    def selected_versions(self) -> list[int]:
        """Selected versions, newest first."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.rows[r].version for r in rows if r < len(self.model.rows)]

    @Slot()
    def _selection_changed(self) -> None:
        self._update_buttons()
        chosen = self.selected_versions()
        if len(chosen) == 2:
            self.compare_requested.emit(min(chosen), max(chosen))
        elif len(chosen) == 1:
            v = chosen[0]
            older = [r.version for r in self.model.rows if r.version < v]
            if older:
                self.compare_requested.emit(max(older), v)
            else:
                self.diff.show_hint(f"v{v} is the first version: nothing to compare it with.")
        elif len(chosen) > 2:
            self.diff.show_hint("Select exactly two versions to compare them.")
        else:
            self.diff.show_hint(
                "Select a version to see what it changed, or two versions to compare them."
            )

    def _update_buttons(self) -> None:
        one = len(self.selected_versions()) == 1
        for b in (self.open_button, self.label_button, self.restore_button, self.export_button):
            b.setEnabled(one)

    def _emit_selected(self, signal: Any) -> None:
        chosen = self.selected_versions()
        if len(chosen) == 1:
            signal.emit(chosen[0])

    def save_layout(self, store: Any, prefix: str) -> None:
        """Remember the splitters."""
        store.setValue(f"{prefix}/historySplitter", self.splitter.saveState())
        store.setValue(f"{prefix}/historyTopSplitter", self.top_splitter.saveState())

    def restore_layout(self, store: Any, prefix: str) -> None:
        """Restore the splitters."""
        for key, splitter in (
            ("historySplitter", self.splitter),
            ("historyTopSplitter", self.top_splitter),
        ):
            state = store.value(f"{prefix}/{key}")
            if state is not None:
                splitter.restoreState(state)
