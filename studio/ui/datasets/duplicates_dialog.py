"""Review near-duplicates and train/test leaks: keep, merge or drop, group by group.

Detection is the core's (:func:`studio.core.datasets.analyse`: MinHash candidates checked
with rapidfuzz, similarity threshold 0.90 by default); it runs on the work pool with a
progress bar and Cancel, because it takes seconds on a big dataset. Every action is one
core operation (:func:`keep_group`, :func:`merge_duplicates`, :func:`drop_duplicates`,
:func:`resolve_leak`) run on the database thread, and one undoable step. A resolved
group or leak leaves the list at once; "Find again" re-runs the detection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core import datasets as core
from studio.core.progress import CancelToken, Progress
from studio.ui.context import AppContext

ITEM_ROLE = Qt.ItemDataRole.UserRole
ID_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class Analysis:
    """What the detection found, with the rows to show (built off the GUI thread)."""

    groups: list[core.DuplicateGroup]
    leaks: list[core.Leak]
    rows: dict[int, core.ExampleRow]
    threshold: float


def analyse_for_review(
    project: Any,
    dataset_id: int,
    threshold: float,
    report: Callable[[Progress], None] | None = None,
    cancel: CancelToken | None = None,
) -> Analysis:
    """Run the core's duplicate and leak detection and read the rows involved."""
    groups, leaks = core.analyse(project, dataset_id, report, cancel, threshold=threshold)
    ids = sorted(
        {i for g in groups for i in g.example_ids}
        | {i for lk in leaks for i in (lk.test_id, lk.train_id)}
    )
    rows = {r.id: r for r in core.fetch_rows(project, ids)}
    return Analysis(groups, leaks, rows, threshold)


def _similarity(value: float, exact: bool) -> str:
    return "exact" if exact else f"similarity {value:.2f}"


class _ReviewList(QWidget):
    """A tree of groups (or leaks) with their examples, a hint and action buttons."""

    def __init__(self, hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["#", "Input", "Label", "Split"])
        self.tree.setColumnWidth(0, 190)
        self.tree.setColumnWidth(1, 430)
        self.tree.setUniformRowHeights(True)
        self.hint = QLabel(hint, self)
        self.hint.setWordWrap(True)
        self.buttons = QHBoxLayout()
        self.buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addWidget(self.hint)
        lay.addWidget(self.tree, 1)
        lay.addLayout(self.buttons)
        self.action_buttons: list[QPushButton] = []

    def add_action(self, text: str, tip: str) -> QPushButton:
        b = QPushButton(text, self)
        b.setToolTip(tip)
        b.setEnabled(False)
        self.buttons.addWidget(b)
        self.action_buttons.append(b)
        return b

    def add_item(
        self,
        title: list[str],
        payload: Any,
        ids: Iterable[int],
        rows: dict[int, core.ExampleRow],
        first_mark: str = "",
    ) -> None:
        top = QTreeWidgetItem(self.tree, title)
        top.setData(0, ITEM_ROLE, payload)
        for n, eid in enumerate(ids):
            r = rows.get(eid)
            mark = first_mark if n == 0 else ""
            child = QTreeWidgetItem(
                top,
                [
                    f"{mark}{eid}",
                    r.input if r else "(deleted)",
                    (r.label or "") if r else "",
                    (r.split or "") if r else "",
                ],
            )
            child.setData(0, ID_ROLE, eid)
        top.setExpanded(True)

    def finish(self) -> None:
        self._select_first()
        self.set_enabled(True)

    def _select_first(self) -> None:
        first = self.tree.topLevelItem(0)
        if first is not None and self.tree.currentItem() is None:
            self.tree.setCurrentItem(first)

    def set_enabled(self, on: bool) -> None:
        has = self.tree.topLevelItemCount() > 0
        for b in self.action_buttons:
            b.setEnabled(on and has)

    def current(self) -> tuple[QTreeWidgetItem, Any, int | None] | None:
        """(top item, its payload, the example id chosen in it or None)."""
        item = self.tree.currentItem()
        if item is None:
            return None
        chosen = item.data(0, ID_ROLE)
        top = item.parent() or item
        return top, top.data(0, ITEM_ROLE), int(chosen) if chosen is not None else None

    def remove_where(self, pred: Callable[[Any], bool]) -> None:
        for i in range(self.tree.topLevelItemCount() - 1, -1, -1):
            item = self.tree.topLevelItem(i)
            if item is not None and pred(item.data(0, ITEM_ROLE)):
                self.tree.takeTopLevelItem(i)
        self._select_first()
        self.set_enabled(True)


class DuplicatesDialog(QDialog):
    """Near-duplicate groups and leaks (test examples nearly equal to train/validation ones).

    Signals:
        analysed(): the detection finished (or failed, or was cancelled) and the lists show
            its result (tests wait for it).
        resolved(): an action finished and the lists were updated.
    """

    analysed = Signal()
    resolved = Signal()

    def __init__(
        self,
        context: AppContext,
        info: core.DatasetInfo,
        push: Callable[[core.Changes], None] | None = None,
        parent: QWidget | None = None,
        *,
        threshold: float = core.DEFAULT_THRESHOLD,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.info = info
        self._push = push
        self.changed = False
        self.analysis: Analysis | None = None
        self._task: Any = None
        self._busy = False
        self._saving = False  # an action is being written: closing waits for it
        self.setWindowTitle(f"Duplicates and leaks in {info.name}")
        self.resize(960, 640)

        self.threshold = QDoubleSpinBox(self)
        self.threshold.setRange(0.70, 1.00)
        self.threshold.setSingleStep(0.01)
        self.threshold.setDecimals(2)
        self.threshold.setValue(threshold)
        self.threshold.setToolTip(
            "Inputs at least this similar (1 − edit distance / length, after normalising case "
            "and spacing) are duplicates. 0.90 was measured on banking77: below it pairs turn "
            "into paraphrases with different intents."
        )
        self.find_button = QPushButton("Find again", self)
        self.progress = QProgressBar(self)
        self.progress.setMaximumWidth(240)
        self.message = QLabel(self)
        self.cancel_button = QPushButton("Cancel", self)
        top = QHBoxLayout()
        top.addWidget(QLabel("Similarity at least", self))
        top.addWidget(self.threshold)
        top.addWidget(self.find_button)
        top.addSpacing(12)
        top.addWidget(self.message, 1)
        top.addWidget(self.progress)
        top.addWidget(self.cancel_button)

        self.dupes = _ReviewList(
            "Examples whose inputs are the same or nearly the same after normalising case and "
            "spacing. Choose the example to keep (★ by default: the oldest; click another row "
            "to keep it instead). Keep all marks the group reviewed; Merge keeps one with every "
            "tag and a note naming the others; Drop deletes the others. Each is one undoable "
            "step.",
            self,
        )
        self.keep = self.dupes.add_action("Keep all", "Tag them dup-reviewed; not shown again.")
        self.merge = self.dupes.add_action(
            "Merge into the chosen", "Keep the chosen example with all tags; delete the others."
        )
        self.drop = self.dupes.add_action(
            "Drop the others", "Delete every example of the group except the chosen one."
        )
        self.leaks = _ReviewList(
            "Test examples whose input also (nearly) appears in train or validation: a model "
            "trained on one is tested on what it has seen.",
            self,
        )
        self.leak_keep = self.leaks.add_action(
            "Keep (reviewed)", "Tag the test example leak-reviewed; not shown again."
        )
        self.leak_move = self.leaks.add_action(
            "Move test to train", "The test example joins train."
        )
        self.leak_drop_train = self.leaks.add_action(
            "Drop the train copy", "Delete the train/validation example."
        )
        self.leak_drop_test = self.leaks.add_action(
            "Drop the test copy", "Delete the test example."
        )
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.dupes, "Duplicates")
        self.tabs.addTab(self.leaks, "Leaks")
        close = QPushButton("Close", self)
        close.clicked.connect(self.accept)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.tabs, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(close)
        lay.addLayout(row)

        self.find_button.clicked.connect(self.reload)
        self.cancel_button.clicked.connect(self.cancel)
        self.keep.clicked.connect(lambda: self._group_action("keep"))
        self.merge.clicked.connect(lambda: self._group_action("merge"))
        self.drop.clicked.connect(lambda: self._group_action("drop"))
        self.leak_keep.clicked.connect(lambda: self._leak_action("keep"))
        self.leak_move.clicked.connect(lambda: self._leak_action("move_to_train"))
        self.leak_drop_train.clicked.connect(lambda: self._leak_action("drop_train"))
        self.leak_drop_test.clicked.connect(lambda: self._leak_action("drop_test"))
        self.reload()

    # ------------------------------------------------------------ detection

    def reload(self) -> None:
        """Run the detection again (off the GUI thread, with progress and Cancel)."""
        project = self.context.project
        if project is None or self._busy:
            return
        token = CancelToken()
        ds, threshold = self.info.id, round(self.threshold.value(), 2)
        self._set_busy(True, "Looking for duplicates and leaks…", cancellable=True)

        def work(report: Callable[[Progress], None]) -> Analysis:
            return analyse_for_review(project, ds, threshold, report, token)

        self._task = self.context.runner.run(
            work,
            on_done=self._shown,
            on_error=self._failed,
            on_cancel=self._cancelled,
            on_progress=self._report,
            token=token,
            db=False,  # a read: it must not hold up the database thread for seconds
        )

    def cancel(self) -> None:
        """Stop the detection (the lists keep what they showed before)."""
        if self._task is not None:
            self._task.cancel()
            self.message.setText("Cancelling…")
            self.cancel_button.setEnabled(False)

    def _alive(self) -> bool:
        return shiboken6.isValid(self)

    def _report(self, p: Progress) -> None:
        if not self._alive():
            return
        if p.total > 0:
            self.progress.setRange(0, p.total)
            self.progress.setValue(p.done)
        if p.message:
            self.message.setText(p.message)

    def _shown(self, analysis: Analysis) -> None:
        if not self._alive():
            return
        self._task = None
        self.analysis = analysis
        rows = analysis.rows
        self.dupes.tree.clear()
        for n, g in enumerate(analysis.groups, start=1):
            self.dupes.add_item(
                [
                    f"group {n}",
                    f"{len(g.example_ids)} examples · {_similarity(g.similarity, g.exact)}",
                    "",
                    "",
                ],
                g,
                g.example_ids,
                rows,
                first_mark="★ ",
            )
        self.leaks.tree.clear()
        for lk in analysis.leaks:
            self.leaks.add_item(
                [
                    f"test {lk.test_id} ↔ {lk.train_split} {lk.train_id}",
                    _similarity(lk.similarity, lk.exact),
                    "",
                    "",
                ],
                lk,
                (lk.test_id, lk.train_id),
                rows,
            )
        self._update_titles()
        self._set_busy(False, f"Threshold {analysis.threshold:.2f}.")
        self.dupes.finish()
        self.leaks.finish()
        self.analysed.emit()

    def _failed(self, exc: BaseException) -> None:
        if not self._alive():
            return
        self._task = None
        self._set_busy(False, "")
        self.context.show_error(exc)
        self.analysed.emit()

    def _cancelled(self) -> None:
        if not self._alive():
            return
        self._task = None
        self._set_busy(False, "Cancelled. Press Find again to look for duplicates.")
        self.analysed.emit()

    def _set_busy(self, busy: bool, message: str, *, cancellable: bool = False) -> None:
        self._busy = busy
        self.message.setText(message)
        self.progress.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)  # busy until the first report
        self.cancel_button.setVisible(busy and cancellable)
        self.cancel_button.setEnabled(True)
        self.find_button.setEnabled(not busy)
        self.threshold.setEnabled(not busy)
        self.dupes.set_enabled(not busy)
        self.leaks.set_enabled(not busy)

    def _update_titles(self) -> None:
        self.tabs.setTabText(0, f"Duplicates ({self.dupes.tree.topLevelItemCount()})")
        self.tabs.setTabText(1, f"Leaks ({self.leaks.tree.topLevelItemCount()})")

    # ------------------------------------------------------------ actions

    def _group_action(self, action: str) -> None:
        cur = self.dupes.current()
        if cur is None:
            return
        _item, group, chosen = cur
        keep_id = chosen if chosen is not None else group.example_ids[0]
        ds = self.info.id

        def work(project: Any) -> core.Changes:
            if action == "keep":
                return core.keep_group(project, ds, group.example_ids)
            if action == "merge":
                return core.merge_duplicates(project, ds, group.example_ids, keep_id)
            return core.drop_duplicates(project, ds, group.example_ids, keep_id)

        gone = set() if action == "keep" else set(group.example_ids) - {keep_id}
        self._run_action(work, group, gone, None)

    def _leak_action(self, action: str) -> None:
        cur = self.leaks.current()
        if cur is None:
            return
        _item, leak, _chosen = cur
        ds = self.info.id
        gone = {"drop_train": {leak.train_id}, "drop_test": {leak.test_id}}.get(action, set())
        # keep (tagged reviewed) and move-to-train settle every leak of that test example
        settled = leak.test_id if action in ("keep", "move_to_train") else None
        self._run_action(
            lambda project: core.resolve_leak(project, ds, leak, action), leak, gone, settled
        )

    def _run_action(
        self,
        work: Callable[[Any], core.Changes],
        done_item: Any,
        gone: set[int],
        settled_test: int | None,
    ) -> None:
        project = self.context.project
        if project is None or self._busy:
            return
        self._set_busy(True, "Saving…")
        self._saving = True

        def done(changes: core.Changes) -> None:
            if not self._alive():
                return
            self._saving = False
            self._set_busy(False, changes.description + ". Ctrl+Z undoes it.")
            if changes.op_id is not None:
                self.changed = True
                if self._push is not None:
                    self._push(changes)
            self._forget(done_item, gone, settled_test)
            self.resolved.emit()

        def failed(exc: BaseException) -> None:
            if not self._alive():
                return
            self._saving = False
            self._set_busy(False, "")
            self.context.show_error(exc)
            self.resolved.emit()

        self.context.runner.run(lambda: work(project), on_done=done, on_error=failed, db=True)

    def _forget(self, done_item: Any, gone: set[int], settled_test: int | None) -> None:
        """Drop the resolved item, and every group or leak it settled or emptied."""
        self.dupes.remove_where(lambda g: g is done_item or len(set(g.example_ids) - gone) < 2)
        self.leaks.remove_where(
            lambda lk: (
                lk is done_item
                or lk.test_id in gone
                or lk.train_id in gone
                or lk.test_id == settled_test
            )
        )
        self._update_titles()

    def done(self, result: int) -> None:
        """Closing cancels a detection still running (and waits for a change being saved,
        a fraction of a second, so its undo step is not lost)."""
        if self._saving:
            return
        if self._task is not None:
            self._task.cancel()
        super().done(result)
