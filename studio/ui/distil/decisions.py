"""The Distil view's decisions: accept, edit and accept, reject, bulk accept, undo.

Each decision is one dataset operation in the core (:mod:`studio.core.distil.review`)
written on the database thread; its id goes onto the app's undo stack as an
:class:`~studio.ui.undo.OperationCommand`, exactly as the Datasets view's edits do
(``studio/ui/datasets/undo_wiring.py``), so Edit ▸ Undo, Ctrl+Z and ``studio dataset
undo`` all reverse it, candidate statuses included. The cursor moves to the next pending
row as soon as a key is pressed (the write follows in order on the database thread), so
a reviewer can press A A R A without waiting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMessageBox

from studio.ui.distil.loading import DistilLoading
from studio.ui.undo import OperationCommand

if TYPE_CHECKING:
    from studio.core.db.project import Project
    from studio.core.distil.candidates import CandidateCounts, CandidateRow
    from studio.core.distil.review import ReviewResult


AUDIT_READ_ONLY = (
    "Audit answers are read-only: they measure the teacher on rows that already have a "
    "human ideal, and are never accepted, edited or rejected."
)


@dataclass(frozen=True)
class Decided:
    """A decision's result with the rows it changed, read again (database thread)."""

    result: ReviewResult
    rows: list[CandidateRow]
    counts: CandidateCounts


def bulk_candidates(rows: Sequence[Any], min_judge: float | None = None) -> list[Any]:
    """The pending candidates that "accept where agreement = 1 and valid" takes (and,
    with ``min_judge``, whose judge score is at least that)."""
    return [
        c
        for c in rows
        if c.status == "pending"
        and c.valid
        and c.agreement is not None
        and c.agreement >= 1.0 - 1e-9
        and (min_judge is None or (c.judge_score is not None and c.judge_score >= min_judge - 1e-9))
    ]


SKIPPED_TEXT = {
    "human_approved": "kept: an approved human ideal output",
    "invalid": "not valid",
    "no_output": "no answer",
    "no_label": "no label in the answer",
    "schema_mismatch": "breaks the output schema",
    "already_accepted": "already accepted",
    "already_rejected": "already rejected",
    "rejected": "rejected before",
    "failed": "failed call",
    "same_example": "another candidate of the same row",
    "below_agreement": "agreement below 1",
    "at_or_above_agreement": "agreement not below the threshold",
    "no_agreement": "agreement not measured",
    "below_judge": "judge score below the threshold",
    "no_judge": "no judge score",
}
# What a bulk accept leaves out by construction (it only takes agreement = 1): not news
BULK_SILENT = frozenset(
    {
        "below_agreement",
        "no_agreement",
        "already_accepted",
        "rejected",
        "failed",
        "below_judge",
        "no_judge",
    }
)


def skipped_text(skipped: dict[str, int], silent: frozenset[str] = frozenset()) -> str:
    """``" (1 skipped: not valid)"`` or ``""``."""
    shown = {k: v for k, v in skipped.items() if v and k not in silent}
    if not shown:
        return ""
    total = sum(shown.values())
    why = ", ".join(f"{n} {SKIPPED_TEXT.get(k, k.replace('_', ' '))}" for k, n in shown.items())
    return f" ({total} skipped: {why})"


class Decisions(DistilLoading):
    """Accept / edit / reject candidates, in bulk too, each undoable by operation id.

    Signals:
        decided(object): a decision was stored (its ReviewResult).
    """

    decided = Signal(object)

    def __init__(self, context: Any, parent: Any = None) -> None:
        super().__init__(context, parent)
        self._in_flight: set[int] = set()
        self.edit_dialog: Any = None

    # -- one candidate ---------------------------------------------------------------------
    def accept_current(self) -> None:
        """A: the current candidate (or the selection) becomes the row's ideal output."""
        chosen = self._chosen()
        if chosen:
            from studio.core.distil import review

            ids = [c.id for c in chosen]
            self._decide(
                chosen,
                lambda p, ds: review.accept(p, ds, candidate_ids=ids),
                "Accepted",
            )

    def reject_current(self) -> None:
        """R: reject the current candidate (or the selection)."""
        chosen = self._chosen()
        if chosen:
            from studio.core.distil import review

            ids = [c.id for c in chosen]
            self._decide(chosen, lambda p, ds: review.reject(p, ds, candidate_ids=ids), "Rejected")

    def edit_current(self) -> Any:
        """E: open the editor on the current candidate; saving accepts the edited answer.

        Returns the dialog (opened without blocking; tests drive it).
        """
        cand = self.review.current()
        if cand is None or self.dataset is None:
            return None
        if cand.status == "audit":
            self.context.show_status(AUDIT_READ_ONLY)
            return None
        from studio.ui.distil.edit_dialog import EditCandidateDialog

        labels = self.dataset.label_set if self.dataset.task_type == "classification" else []
        dialog = EditCandidateDialog(cand, labels, self)
        self.edit_dialog = dialog

        def finished(result: int) -> None:
            self.edit_dialog = None
            if result:
                from studio.core.distil import review

                value = dialog.value()
                self._decide(
                    [cand],
                    lambda p, _ds: review.edit_and_accept(p, cand.id, value),
                    "Edited and accepted",
                )
            self.review.table.setFocus()
            dialog.deleteLater()

        dialog.finished.connect(finished)
        dialog.open()
        return dialog

    def _chosen(self) -> list[Any]:
        selected = self.review.selected()
        if len(selected) <= 1:
            cand = self.review.current()
            selected = [cand] if cand is not None else []
        # Audit answers measure the teacher on rows with a human ideal: read-only
        chosen = [c for c in selected if c.status != "audit"]
        if selected and not chosen:
            self.context.show_status(AUDIT_READ_ONLY)
        return chosen

    def _decide(
        self, chosen: list[Any], work: Callable[[Project, int], ReviewResult], verb: str
    ) -> None:
        project, dataset = self.project, self.dataset
        if project is None or dataset is None:
            return
        ds = dataset.id
        for c in chosen:
            self._in_flight.add(c.id)
        if len(chosen) == 1:
            self._select_next_pending()

        def run() -> Decided:
            from studio.core.distil.candidates import list_candidates
            from studio.ui.distil.loading import load_counts

            result = work(project, ds)
            ids = list(result.example_ids) or [c.example_id for c in chosen]
            return Decided(
                result,
                list_candidates(project, ds, example_ids=ids),
                load_counts(project, ds),
            )

        def done(decided: Decided) -> None:
            self._in_flight.difference_update(c.id for c in chosen)
            result = decided.result
            self.review.model.replace_rows(decided.rows)
            self.review.show_detail()
            self.show_counts(decided.counts)
            if result.op_id is not None:
                self._push(
                    result.op_id, result.description or f"{verb} {result.changed} candidate(s)"
                )
                self.context.data_changed.emit("datasets")
            self.context.show_status(
                f"{verb} {result.changed} candidate(s){skipped_text(result.skipped)}."
                + (" Ctrl+Z undoes it." if result.op_id is not None else "")
            )
            self.decided.emit(result)

        def failed(exc: BaseException) -> None:
            self._in_flight.difference_update(c.id for c in chosen)
            self.context.show_error(exc)
            self.reload()

        self._db(run, done, project, failed)

    def _select_next_pending(self) -> None:
        model = self.review.model
        start = self.review.current_row()
        n = model.rowCount()
        for step in range(1, n + 1):
            r = (start + step) % n
            cand = model.row_at(r)
            if cand is not None and cand.status == "pending" and cand.id not in self._in_flight:
                self.review.select_row(r)
                return
        self.context.show_status("No pending candidate left in this list.")

    # -- bulk ------------------------------------------------------------------------------
    def bulk_accept(self) -> None:
        """Accept where agreement = 1 and valid, after a confirmation that gives the count."""
        project, dataset = self.project, self.dataset
        if project is None or dataset is None:
            return
        from studio.core.distil.candidates import list_candidates

        ds = dataset.id
        min_judge = self.review.bulk_min_judge()
        judge = "" if min_judge is None else f" and judge score ≥ {min_judge:g}"

        def counted(pending: list[Any]) -> None:
            chosen = bulk_candidates(pending, min_judge)
            n = len(chosen)
            mixed = ""
            if min_judge is not None:
                from studio.core.distil.run_judge import judge_mix, mixed_judges_sentence

                mixed = mixed_judges_sentence(
                    judge_mix((c.judge_ref, c.judge_model) for c in chosen), "judge scores"
                )
            if n == 0:
                self.context.show_status(
                    f"No pending candidate has agreement 1, a valid answer{judge}: "
                    "nothing to accept."
                )
                return
            answer = QMessageBox.question(
                self,
                "Accept Teacher Outputs",
                f"Accept {n:,} pending candidate(s) whose samples all agree and whose answer "
                f"is valid{judge}? Each becomes its row's ideal output and the row is approved. "
                "Approved human ideal outputs are never overwritten. Undo (Ctrl+Z) reverses it."
                + (f"\n\nWarning: {mixed}" if mixed else ""),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
            self._run_bulk(project, ds, min_judge)

        self._db(lambda: list_candidates(project, ds, status="pending"), counted, project)

    def _run_bulk(self, project: Project, ds: int, min_judge: float | None = None) -> None:
        from studio.core.distil import review

        def done(result: ReviewResult) -> None:
            if result.op_id is not None:
                self._push(
                    result.op_id,
                    result.description or f"Accept {result.changed} teacher output(s)",
                )
                self.context.data_changed.emit("datasets")
            self.context.show_status(
                f"Accepted {result.changed:,} candidate(s)"
                f"{skipped_text(result.skipped, BULK_SILENT)}."
                + (" Ctrl+Z undoes it." if result.op_id is not None else "")
                + (f" Warning: {result.mixed_judges}" if result.mixed_judges else "")
            )
            self.reload()
            self.decided.emit(result)

        self._db(
            lambda: review.accept(
                project, ds, min_agreement=1.0, only_valid=True, min_judge=min_judge
            ),
            done,
            project,
        )

    # -- undo ------------------------------------------------------------------------------
    def _push(self, op_id: int, description: str) -> None:
        from studio.ui.datasets import data_access as da

        project, dataset = self.project, self.dataset
        assert project is not None and dataset is not None
        ds = dataset.id
        cmd = OperationCommand(
            self.context,
            op_id,
            description,
            undo_fn=lambda op, cascade=False: da.undo_op(project, ds, op, cascade=cascade),
            redo_fn=lambda op: da.redo_op(project, ds, op),
            on_applied=self._undo_applied,
        )
        self.context.undo_stack.push(cmd)

    def _undo_applied(self, changes: Any, _undone: bool) -> None:
        if changes is None or not self._alive(self.project):
            return
        self.reload()
        self.context.data_changed.emit("datasets")
