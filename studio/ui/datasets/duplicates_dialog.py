"""Review duplicates and test-set leaks: keep, merge or drop, group by group."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.ui.context import AppContext
from studio.ui.datasets import data_access as da


class _GroupList(QWidget):
    """Groups as a tree: the first example is the one kept by merge/drop."""

    def __init__(self, hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["#", "Input", "Label", "Split"])
        self.tree.setColumnWidth(0, 110)
        self.tree.setColumnWidth(1, 420)
        self.tree.setUniformRowHeights(True)
        self.hint = QLabel(hint, self)
        self.hint.setWordWrap(True)
        self.keep = QPushButton("Keep all", self)
        self.merge = QPushButton("Merge into the first", self)
        self.drop = QPushButton("Drop the others", self)
        row = QHBoxLayout()
        row.addStretch(1)
        for b in (self.keep, self.merge, self.drop):
            row.addWidget(b)
        lay = QVBoxLayout(self)
        lay.addWidget(self.hint)
        lay.addWidget(self.tree, 1)
        lay.addLayout(row)

    def set_groups(self, groups: list[da.DuplicateGroup]) -> None:
        self.tree.clear()
        for n, g in enumerate(groups, start=1):
            top = QTreeWidgetItem(
                self.tree, [f"group {n}", f"{len(g.example_ids)} examples", "", ""]
            )
            top.setData(0, Qt.ItemDataRole.UserRole, g)
            top.setFirstColumnSpanned(False)
            for i, (eid, txt, lab, sp) in enumerate(
                zip(g.example_ids, g.texts, g.labels, g.splits, strict=True)
            ):
                mark = "★ " if i == 0 else ""
                QTreeWidgetItem(
                    top, [f"{mark}{eid}", txt.replace("\n", " ⏎ "), lab or "", sp or ""]
                )
            top.setExpanded(True)
        has = bool(groups)
        for b in (self.keep, self.merge, self.drop):
            b.setEnabled(has)
        if has:
            self.tree.setCurrentItem(self.tree.topLevelItem(0))

    def current_group(self) -> tuple[QTreeWidgetItem, da.DuplicateGroup] | None:
        item = self.tree.currentItem()
        while item is not None and item.parent() is not None:
            item = item.parent()
        if item is None:
            return None
        return item, item.data(0, Qt.ItemDataRole.UserRole)


class DuplicatesDialog(QDialog):
    """Exact duplicates (same normalised input) and leaks (test inputs also in train)."""

    def __init__(
        self,
        context: AppContext,
        info: da.DatasetInfo,
        push: Callable[[da.Changes], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.info = info
        self._push = push
        self.changed = False
        self.setWindowTitle(f"Duplicates and leaks in {info.name}")
        self.resize(900, 600)
        self.dupes = _GroupList(
            "Examples whose input is the same after normalising case, spacing and punctuation. "
            "Keep all, merge into the first (★: its tags and notes gain the others'), or drop "
            "the others. Each action is one undoable step.",
            self,
        )
        self.leaks = _GroupList(
            "Test examples whose input also appears in train or validation: a model trained on "
            "them is tested on what it has seen. Drop the train copies, or keep them.",
            self,
        )
        self.leaks.merge.hide()
        self.leaks.drop.setText("Drop the train copies")
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.dupes, "Duplicates")
        self.tabs.addTab(self.leaks, "Leaks")
        close = QPushButton("Close", self)
        close.clicked.connect(self.accept)
        lay = QVBoxLayout(self)
        lay.addWidget(self.tabs, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(close)
        lay.addLayout(row)
        for lst in (self.dupes, self.leaks):
            lst.keep.clicked.connect(lambda _c=False, w=lst: self._keep(w))
            lst.drop.clicked.connect(lambda _c=False, w=lst: self._drop(w))
        self.dupes.merge.clicked.connect(lambda: self._merge(self.dupes))
        self.reload()

    def reload(self) -> None:
        """Find the groups again (exact duplicates are a quick indexed query)."""
        project = self.context.project
        if project is None:
            return
        d = da.find_exact_duplicates(project, self.info.id)
        leaks = da.find_leaks(project, self.info.id)
        self.dupes.set_groups(d)
        self.leaks.set_groups(leaks)
        self.tabs.setTabText(0, f"Duplicates ({len(d)})")
        self.tabs.setTabText(1, f"Leaks ({len(leaks)})")

    def _keep(self, lst: _GroupList) -> None:
        cur = lst.current_group()
        if cur is None:
            return
        item, _g = cur
        lst.tree.takeTopLevelItem(lst.tree.indexOfTopLevelItem(item))

    def _apply(self, changes: list[da.Changes]) -> None:
        for ch in changes:
            if ch.op_id is not None and self._push is not None:
                self._push(ch)
        self.changed = True
        self.reload()

    def _drop(self, lst: _GroupList) -> None:
        cur = lst.current_group()
        project = self.context.project
        if cur is None or project is None:
            return
        _item, g = cur
        try:
            ch = da.delete_examples(project, self.info.id, ids=list(g.example_ids[1:]))
        except Exception as exc:
            self.context.show_error(exc)
            return
        self._apply([ch])

    def _merge(self, lst: _GroupList) -> None:
        cur = lst.current_group()
        project = self.context.project
        if cur is None or project is None:
            return
        _item, g = cur
        try:
            changes = da.merge_into(project, g.example_ids[0], g.example_ids[1:])
        except Exception as exc:
            self.context.show_error(exc)
            return
        self._apply(changes)
