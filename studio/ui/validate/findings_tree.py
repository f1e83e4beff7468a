"""The findings as a tree: severity -> code (count) -> one row per line."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from studio.core.formats import Finding

SEVERITY_ORDER = ("error", "warning", "info")
SEVERITY_TITLE = {"error": "Errors", "warning": "Warnings", "info": "Notes"}
SEVERITY_COLOR = {"error": "#c62828", "warning": "#b26a00", "info": "#1565c0"}
COL_FINDING, COL_LINE, COL_MESSAGE, COL_GOTO = range(4)
ROLE_FINDING = Qt.ItemDataRole.UserRole + 1
ROLE_PREVIEW = Qt.ItemDataRole.UserRole + 2
GOTO_TEXT = "Go to ›"


class FindingsTree(QTreeWidget):
    """Findings grouped by severity and code; a leaf per finding with line and message.

    Signals:
        go_to_requested(object): a leaf's "Go to" was clicked or the leaf double-clicked
            (the :class:`Finding`).
    """

    go_to_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(4)
        self.setHeaderLabels(["Finding", "Line", "Message", ""])
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COL_FINDING, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_LINE, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_MESSAGE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_GOTO, QHeaderView.ResizeMode.ResizeToContents)
        self.setColumnWidth(COL_FINDING, 250)
        self.itemClicked.connect(self._clicked)
        self.itemExpanded.connect(lambda item: self._toggle_preview(item, True))
        self.itemCollapsed.connect(lambda item: self._toggle_preview(item, False))
        self.itemDoubleClicked.connect(self._double_clicked)

    def set_findings(self, findings: list[Finding], counts: dict[str, Any] | None = None) -> None:
        """Fill the tree; ``counts`` (stats findings_by_code) gives totals beyond the cap."""
        self.clear()
        grouped: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
        for f in findings:
            grouped[f.severity][f.code].append(f)
        listed = Counter(f.code for f in findings)
        bold = QFont(self.font())
        bold.setBold(True)
        for sev in SEVERITY_ORDER:
            codes = grouped.get(sev)
            if not codes:
                continue
            total = sum(max(int((counts or {}).get(c, 0)), listed[c]) for c in codes)
            top = QTreeWidgetItem([f"{SEVERITY_TITLE[sev]} ({total:,})", "", "", ""])
            top.setFont(COL_FINDING, bold)
            top.setForeground(COL_FINDING, QBrush(QColor(SEVERITY_COLOR[sev])))
            top.setData(COL_FINDING, ROLE_FINDING, None)
            self.addTopLevelItem(top)
            for code in sorted(codes, key=lambda c: (-len(codes[c]), c)):
                items = codes[code]
                n = max(int((counts or {}).get(code, 0)), len(items))
                first = items[0]
                node = QTreeWidgetItem([f"{code} ({n:,})", "", "", ""])
                # a collapsed code row previews its first message (see _toggle_preview)
                node.setData(COL_MESSAGE, ROLE_PREVIEW, first.message)
                node.setToolTip(COL_FINDING, f"{n:,} × {code}")
                top.addChild(node)
                for f in items:
                    where = str(f.line) if f.line is not None else "file"
                    leaf = QTreeWidgetItem(
                        ["", where, f.message, GOTO_TEXT if f.line is not None else ""]
                    )
                    leaf.setToolTip(COL_MESSAGE, f.message)
                    leaf.setData(COL_FINDING, ROLE_FINDING, f)
                    leaf.setTextAlignment(
                        COL_LINE, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                    if f.line is not None:
                        leaf.setForeground(COL_GOTO, QBrush(QColor("#1565c0")))
                    node.addChild(leaf)
            top.setExpanded(True)
            for node in self._children(top):
                node.setText(COL_MESSAGE, str(node.data(COL_MESSAGE, ROLE_PREVIEW)))
                if sev == "error":
                    node.setExpanded(True)

    def finding_of(self, item: QTreeWidgetItem | None) -> Finding | None:
        """The finding behind a leaf (None for group rows)."""
        if item is None:
            return None
        value = item.data(COL_FINDING, ROLE_FINDING)
        return value if isinstance(value, Finding) else None

    def _tops(self) -> list[QTreeWidgetItem]:
        items = (self.topLevelItem(i) for i in range(self.topLevelItemCount()))
        return [it for it in items if it is not None]

    @staticmethod
    def _children(item: QTreeWidgetItem) -> list[QTreeWidgetItem]:
        items = (item.child(i) for i in range(item.childCount()))
        return [it for it in items if it is not None]

    def leaves(self) -> list[QTreeWidgetItem]:
        """Every finding row, in tree order."""
        return [
            leaf
            for top in self._tops()
            for node in self._children(top)
            for leaf in self._children(node)
        ]

    def code_counts(self) -> dict[str, int]:
        """code -> count as shown in the code rows (for tests and the screenshot)."""
        out: dict[str, int] = {}
        for top in self._tops():
            for node in self._children(top):
                code, _, rest = node.text(COL_FINDING).rpartition(" (")
                out[code] = int(rest.rstrip(")").replace(",", ""))
        return out

    @staticmethod
    def _toggle_preview(item: QTreeWidgetItem, expanded: bool) -> None:
        preview = item.data(COL_MESSAGE, ROLE_PREVIEW)
        if preview is not None:
            item.setText(COL_MESSAGE, "" if expanded else str(preview))

    def _clicked(self, item: QTreeWidgetItem, column: int) -> None:
        f = self.finding_of(item)
        if f is not None and column == COL_GOTO and f.line is not None:
            self.go_to_requested.emit(f)

    def _double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        f = self.finding_of(item)
        if f is not None and f.line is not None:
            self.go_to_requested.emit(f)
