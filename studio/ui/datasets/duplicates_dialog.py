"""Review near-duplicates and train/test leaks: keep, merge or drop, group by group.

Detection is the core's (:func:`studio.core.datasets.analyse`: MinHash candidates checked
with rapidfuzz, similarity threshold 0.90 by default); it runs on the work pool with a
progress bar and Cancel, because it takes seconds on a big dataset. Every action is one
core operation (:func:`keep_group`, :func:`merge_duplicates`, :func:`drop_duplicates`,
:func:`resolve_leak`, :func:`move_test_to_train`) run on the database thread, and one
undoable step. A resolved group or leak leaves the list at once; "Find again" re-runs
the detection.

Counts are the core's one definition (the same as ``dataset_stats`` and ``studio
dataset stats``): a group is a kept row (★) and the rows within the threshold of it,
"duplicates" are the rows that "Drop the others" would delete, and a leak is a test
example with at least one (near-)copy in train or validation, listed with all of them.
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
    QMessageBox,
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
    leaks: list[core.LeakGroup]
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
    return Analysis(groups, core.group_leaks(leaks), rows, threshold)


def _similarity(value: float, exact: bool) -> str:
    return "exact" if exact else f"similarity {value:.2f}"


class _ReviewList(QWidget):
    """A tree of groups (or leaks) with their examples, a hint and action buttons."""

    def __init__(self, hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["#", "Input", "Label", "Split", "Similarity"])
        for column, width in enumerate((220, 400, 150, 70)):
            self.tree.setColumnWidth(column, width)
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
        similarities: Iterable[float] = (),
    ) -> None:
        top = QTreeWidgetItem(self.tree, title)
        sims = list(similarities)
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
                    f"{sims[n]:.2f}" if n < len(sims) else "",
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

    def payloads(self) -> list[Any]:
        """The group (or leak) of every top-level item, in order."""
        items = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [item.data(0, ITEM_ROLE) for item in items if item is not None]

    def remove_children(self, ids: set[int]) -> None:
        """Take the rows of deleted examples out of the groups still listed."""
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            if top is None:
                continue
            for k in range(top.childCount() - 1, -1, -1):
                child = top.child(k)
                if child is not None and child.data(0, ID_ROLE) in ids:
                    top.takeChild(k)

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
            "Each group is a row to keep (★, the oldest) and the rows whose input is within the "
            "similarity threshold of it (Similarity: to ★). Click another row to keep it "
            "instead: then only the rows within the threshold of that one are merged or "
            "dropped. Keep all marks the group reviewed; Merge keeps one with every tag and a "
            "note naming the others; Drop deletes the others. Each is one undoable step.",
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
            "Test examples whose input also (nearly) appears in train or validation, each with "
            "every copy: a model trained on one is tested on what it has seen.",
            self,
        )
        self.leak_keep = self.leaks.add_action(
            "Keep (reviewed)", "Tag the test example leak-reviewed; not shown again."
        )
        self.leak_move = self.leaks.add_action(
            "Move test to train",
            "The test example joins train (a locked one only after you agree to unlock it).",
        )
        self.leak_move_all = self.leaks.add_action(
            "Move all to train",
            "Every listed test example joins train (locked ones only after you agree).",
        )
        self.leak_drop_train = self.leaks.add_action(
            "Drop the train copy",
            "Delete the chosen train/validation copy (all copies when none is chosen).",
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
        self.leak_move_all.clicked.connect(self.move_all_to_train)
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
                similarities=g.similarities,
            )
        self.leaks.tree.clear()
        for lg in analysis.leaks:
            first = lg.matches[0]
            more = f" +{len(lg.matches) - 1}" if len(lg.matches) > 1 else ""
            self.leaks.add_item(
                [
                    f"test {lg.test_id} ↔ {first.train_split} {first.train_id}{more}",
                    _similarity(lg.similarity, lg.exact),
                    "",
                    "",
                ],
                lg,
                (lg.test_id, *(m.train_id for m in lg.matches)),
                rows,
                similarities=(1.0, *(m.similarity for m in lg.matches)),
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
        dupes, groups, leaks = self.counts()
        self.tabs.setTabText(0, f"Duplicates ({dupes:,} in {groups:,} groups)")
        self.tabs.setTabText(1, f"Leaks ({leaks:,})")

    def counts(self) -> tuple[int, int, int]:
        """(duplicates, groups, leaks) as listed: the same figures as ``dataset_stats``."""
        groups = self.dupes.payloads()
        return sum(g.duplicates for g in groups), len(groups), len(self.leaks.payloads())

    # ------------------------------------------------------------ actions

    def _group_action(self, action: str) -> None:
        cur = self.dupes.current()
        if cur is None:
            return
        _item, group, chosen = cur
        keep_id = chosen if chosen is not None else group.keep_id
        ds = self.info.id
        threshold = self.analysis.threshold if self.analysis else core.DEFAULT_THRESHOLD

        def work(project: Any) -> core.Changes:
            if action == "keep":
                return core.keep_group(project, ds, group.example_ids)
            if action == "merge":
                return core.merge_duplicates(
                    project, ds, group.example_ids, keep_id, threshold=threshold
                )
            return core.drop_duplicates(
                project, ds, group.example_ids, keep_id, threshold=threshold
            )

        def resolved(changes: core.Changes) -> None:
            # Only the rows the core deleted are gone: a chosen keeper may leave members
            # that are not near-duplicates of it (the message says how many)
            gone = set() if action == "keep" else set(changes.example_ids) - {keep_id}
            if action == "keep" or changes.op_id is not None:
                self._forget(group, gone)

        self._run_action(work, lambda c: c, resolved)

    def _leak_action(self, action: str) -> None:
        cur = self.leaks.current()
        if cur is None:
            return
        _item, group, chosen = cur
        ds = self.info.id
        if action == "move_to_train":
            self._move_to_train([group.test_id], unlock=False)
            return
        if action == "drop_train":
            train_ids = [m.train_id for m in group.matches]
            if chosen in train_ids:
                train_ids = [chosen]  # only the copy the user chose
            gone = set(train_ids)
            self._run_action(
                lambda project: core.delete(project, ds, train_ids),
                lambda c: c,
                lambda _c: self._forget(group, gone),
            )
            return
        leak = group.matches[0]
        gone = {leak.test_id} if action == "drop_test" else set()
        # keep (tagged reviewed) settles every leak of that test example
        settled = [leak.test_id] if action == "keep" else []
        self._run_action(
            lambda project: core.resolve_leak(project, ds, leak, action),
            lambda c: c,
            lambda _c: self._forget(group, gone, settled),
        )

    def _move_to_train(self, test_ids: list[int], *, unlock: bool) -> None:
        """Move test examples to train; locked ones only after the user agrees.

        The message line says how many moved and, for each skipped one, why.
        """
        ds = self.info.id

        def resolved(result: core.MoveResult) -> None:
            # Moved, or no longer in test: either way not a leak any more
            self._forget(None, set(), set(test_ids) - set(result.locked_ids))
            self.message.setText(
                result.message + (" Ctrl+Z undoes it." if result.changes.op_id else "")
            )
            if result.locked_ids and not unlock and self._ask_unlock(result):
                self._move_to_train(list(result.locked_ids), unlock=True)

        self._run_action(
            lambda project: core.move_test_to_train(project, ds, test_ids, unlock=unlock),
            lambda r: r.changes,
            resolved,
        )

    def move_all_to_train(self) -> None:
        """Move every listed leaking test example to train (one undoable step)."""
        ids = [lg.test_id for lg in self.leaks.payloads()]
        if ids:
            self._move_to_train(ids, unlock=False)

    def _ask_unlock(self, result: core.MoveResult) -> bool:
        """Ask whether to unlock locked test examples so they can move (Yes/No)."""
        n = len(result.locked_ids)
        them = "this test example" if n == 1 else f"these {n:,} test examples"
        they = "it is" if n == 1 else "they are"
        answer = QMessageBox.question(
            self,
            "Unlock test example?",
            f"{result.message}\n\nAn evaluation used {them}, so {they} locked in test: "
            f"moving {them} makes that evaluation's results not comparable with later ones. "
            f"Unlock {them} and move {them} to train?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _run_action(
        self,
        work: Callable[[Any], Any],
        changes_of: Callable[[Any], core.Changes],
        resolved: Callable[[Any], None],
    ) -> None:
        """Run ``work`` on the database thread, then ``resolved`` with its result."""
        project = self.context.project
        if project is None or self._busy:
            return
        self._set_busy(True, "Saving…")
        self._saving = True

        def done(result: Any) -> None:
            if not self._alive():
                return
            self._saving = False
            changes = changes_of(result)
            undo = ". Ctrl+Z undoes it." if changes.op_id is not None else "."
            self._set_busy(False, changes.description + undo)
            if changes.op_id is not None:
                self.changed = True
                if self._push is not None:
                    self._push(changes)
            resolved(result)
            self.resolved.emit()

        def failed(exc: BaseException) -> None:
            if not self._alive():
                return
            self._saving = False
            self._set_busy(False, "")
            self.context.show_error(exc)
            self.resolved.emit()

        self.context.runner.run(lambda: work(project), on_done=done, on_error=failed, db=True)

    def _forget(self, done_item: Any, gone: set[int], settled: Iterable[int] = ()) -> None:
        """Drop the resolved item, and every group or leak it settled or emptied.

        ``settled``: test examples that are no longer leaks (moved, or tagged reviewed).
        """
        settled_tests = set(settled)
        self.dupes.remove_where(lambda g: g is done_item or len(set(g.example_ids) - gone) < 2)
        self.leaks.remove_where(
            lambda lg: (
                lg.test_id in gone
                or lg.test_id in settled_tests
                or not {m.train_id for m in lg.matches} - gone
            )
        )
        self.leaks.remove_children(gone)
        self._update_titles()

    def done(self, result: int) -> None:
        """Closing cancels a detection still running (and waits for a change being saved,
        a fraction of a second, so its undo step is not lost)."""
        if self._saving:
            return
        if self._task is not None:
            self._task.cancel()
        super().done(result)
