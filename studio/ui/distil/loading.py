"""The Distil view's reads: datasets, the candidates of one, their counts and cost, runs.

Every read runs on the task runner's database thread; a result that arrives after
another project was opened (or the view was deleted) is dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from studio.ui.context import AppContext
from studio.ui.distil.review_panel import ReviewPanel
from studio.ui.evaluate.runs import RunsPanel
from studio.ui.evaluate.text import usd

if TYPE_CHECKING:
    from studio.core.datasets.catalog import DatasetInfo
    from studio.core.db.project import Project
    from studio.core.distil.candidates import CandidateCounts, CandidateRow


@dataclass(frozen=True)
class Loaded:
    """One dataset's review state, read on the database thread."""

    dataset: DatasetInfo
    rows: list[CandidateRow]
    counts: CandidateCounts


def load_dataset(project: Project, dataset_id: int, status: str | None) -> Loaded:
    """The dataset, its candidates (optionally of one status) and its counts."""
    from studio.core.datasets.catalog import get_dataset
    from studio.core.distil.candidates import list_candidates

    info = get_dataset(project, dataset_id)
    return Loaded(
        info,
        list_candidates(project, dataset_id, status=status),
        load_counts(project, dataset_id),
    )


def load_counts(project: Project, dataset_id: int) -> CandidateCounts:
    """The counts and cost; with audit answers, how many of them matched the human ideal
    (database thread)."""
    from dataclasses import replace

    from studio.core.distil.candidates import candidate_counts
    from studio.core.distil.evidence import distil_evidence

    counts = candidate_counts(project, dataset_id)
    if not counts.audit:
        return counts
    ev = distil_evidence(project, dataset_id)
    return replace(counts, audit_correct=ev.audit_correct, audit_compared=ev.teacher_from_audit)


def counts_text(counts: CandidateCounts) -> str:
    """``"Pending 12 · Accepted 30 · Rejected 2 · Failed 1 · Audit 50 (teacher 47/50
    right) · Cost so far $0.0123"`` (the audit part only when there are audit answers)."""
    audit = ""
    if counts.audit:
        audit = f"Audit {counts.audit:,}"
        if counts.audit_correct is not None and counts.audit_compared:
            audit += f" (teacher {counts.audit_correct:,}/{counts.audit_compared:,} right)"
        audit += " · "
    return (
        f"Pending {counts.pending:,} · Accepted {counts.accepted:,} · "
        f"Rejected {counts.rejected:,} · Failed {counts.failed:,} · {audit}"
        f"Cost so far {usd(counts.cost_usd)}"
    )


class DistilLoading(QWidget):
    """Reads for the view; the widgets are built by ``DistilView``.

    Signals:
        loaded(): the candidates and counts on screen are fresh (tests wait for it).
        runs_listed(list): the distil runs list was (re)loaded.
    """

    loaded = Signal()
    runs_listed = Signal(list)

    # Built by DistilView
    dataset_combo: QComboBox
    counts_label: QLabel
    review: ReviewPanel
    runs: RunsPanel

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.dataset: DatasetInfo | None = None
        self.counts: CandidateCounts | None = None
        self._reads = 0

    @property
    def project(self) -> Project | None:
        """The open project."""
        return self.context.project

    def _alive(self, project: Project | None) -> bool:
        return shiboken6.isValid(self) and project is not None and project is self.context.project

    def _db(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        project: Project,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        def done(result: Any) -> None:
            if self._alive(project):
                on_done(result)

        def failed(exc: BaseException) -> None:
            if not self._alive(project):
                return
            if on_error is not None:
                on_error(exc)
            else:
                self.context.show_error(exc)

        self.context.runner.run(fn, on_done=done, on_error=failed)

    # -- datasets --------------------------------------------------------------------------
    def reload_datasets(self, select_id: int | None = None) -> None:
        """Refill the dataset picker and open the chosen (or kept) dataset."""
        project = self.project
        if project is None:
            return
        from studio.core.datasets.catalog import dataset_summaries

        keep = select_id if select_id is not None else self.dataset_combo.currentData()

        def done(summaries: list[Any]) -> None:
            self.dataset_combo.blockSignals(True)
            self.dataset_combo.clear()
            for d in summaries:
                self.dataset_combo.addItem(f"{d.name}  ({d.examples:,})", d.id)
            index = self.dataset_combo.findData(keep) if keep is not None else -1
            self.dataset_combo.setCurrentIndex(index if index >= 0 else 0)
            self.dataset_combo.blockSignals(False)
            self._datasets_listed(bool(summaries))
            if summaries:
                self.open_dataset(int(self.dataset_combo.currentData()))

        self._db(lambda: dataset_summaries(project), done, project)

    def _datasets_listed(self, any_dataset: bool) -> None:
        """Hook: enable or disable what needs a dataset."""

    def open_dataset(self, dataset_id: int, select_id: int | None = None) -> None:
        """Show the candidates and counts of ``dataset_id``."""
        project = self.project
        if project is None:
            return
        status = self.review.status()
        keep = select_id
        if keep is None and self.dataset is not None and self.dataset.id == dataset_id:
            current = self.review.current()
            keep = current.id if current is not None else None
        self._reads += 1

        def done(data: Loaded) -> None:
            self._reads -= 1
            self.dataset = data.dataset
            self.review.set_rows(data.rows, keep)
            self.show_counts(data.counts)
            self.loaded.emit()

        def failed(exc: BaseException) -> None:
            self._reads -= 1
            self.context.show_error(exc)

        self._db(lambda: load_dataset(project, dataset_id, status), done, project, failed)
        self.reload_runs(dataset_id)

    def reload(self) -> None:
        """Read the shown dataset again (keeps the current candidate)."""
        if self.dataset is not None:
            self.open_dataset(self.dataset.id)

    def refresh_counts(self) -> None:
        """Read the counts and cost again."""
        project = self.project
        if project is None or self.dataset is None:
            return
        ds = self.dataset.id
        self._db(lambda: load_counts(project, ds), self.show_counts, project)

    def show_counts(self, counts: CandidateCounts) -> None:
        """Show the counts and the cost so far."""
        self.counts = counts
        self.counts_label.setText(counts_text(counts))

    # -- runs ------------------------------------------------------------------------------
    def reload_runs(self, dataset_id: int | None = None, select: int | None = None) -> None:
        """Reload the distil runs of the dataset."""
        project = self.project
        ds = dataset_id if dataset_id is not None else (self.dataset.id if self.dataset else None)
        if project is None or ds is None:
            return
        from studio.core.distil.run_list import distil_runs

        def done(entries: list[Any]) -> None:
            self.runs.set_runs(entries, select=select)
            self.runs_listed.emit(entries)

        self._db(lambda: distil_runs(project, ds), done, project)
