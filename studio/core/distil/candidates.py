"""Listing and counting teacher candidates (ISSUE 13 §3: review).

A candidate (:class:`studio.core.models.distil.Candidate`) is one teacher answer proposed
as an example's ideal output. The review screens and ``studio distil list`` show them
beside their inputs; ``studio dataset rows --json`` shows each row's *current* candidate
(the newest one of the example, whatever its status). Reads only: accepting and
rejecting live in :mod:`studio.core.distil.review`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, text

from studio.core.datasets.catalog import get_dataset_in
from studio.core.db.dialect import is_postgresql, json_ids_sql, time_text
from studio.core.db.project import Project
from studio.core.db.transactions import read_conn
from studio.core.errors import ValidationError
from studio.core.models.distil import CANDIDATE_STATUSES


@dataclass(frozen=True)
class CandidateRow:
    """One candidate beside its example's input.

    Attributes:
        id: the candidate id.
        example_id: the example it answers.
        input_text: the example's input as text (what the table shows).
        human_ideal: the example's ideal output when a human wrote it (``ideal_source``
            "human" or unknown), else None: the reviewer compares the teacher with it.
        status: pending, accepted, rejected, failed or audit (an answer on a row with a
            human ideal, asked to measure the teacher; read-only).
        output: the teacher's answer (the majority answer with samples > 1), None when
            the call failed.
        output_kind: text, json or tool_calls.
        label: classification: the label read from the answer (label scorer), else None.
        agreement: share of samples equal to the majority answer (None: not measured).
        valid: False when the answer broke the response schema or the call failed.
        reason: why it is not valid.
        judge_score: an optional judge's score.
        judge_ref: the judge prompt version that gave it (``NAME@N``; None: never
            judged, or scored before judges were recorded).
        judge_model: the judge's model.
        judged_at: when (UTC text, ``2026-12-07 15:31:40.885313``).
        prompt_ref: ``NAME@VERSION`` of the teacher prompt.
        model: the teacher model.
        samples: how many samples were drawn.
        cost_usd: what the calls cost (None: unknown price).
        run_id: the distil run that produced it.
    """

    id: int
    example_id: int
    input_text: str
    human_ideal: str | None
    status: str
    output: str | None
    output_kind: str
    label: str | None
    agreement: float | None
    valid: bool
    reason: str
    judge_score: float | None
    prompt_ref: str
    model: str
    samples: int
    cost_usd: float | None
    run_id: int | None
    judge_ref: str | None = None
    judge_model: str | None = None
    judged_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The CLI's JSON shape (every attribute, same names)."""
        return asdict(self)

    @property
    def judged(self) -> bool:
        """A judge was asked (a score, or an unreadable answer by a recorded judge)."""
        return self.judge_score is not None or self.judge_ref is not None

    def judged_by(self) -> str:
        """``judged by grader@2 (gpt-4o) at 2026-12-07 15:31 UTC``; "judge not recorded" for
        a score from before judges were recorded; "" when never judged."""
        if not self.judged:
            return ""
        if not self.judge_ref:
            return "judge not recorded"
        model = f" ({self.judge_model})" if self.judge_model else ""
        when = f" at {self.judged_at[:16]} UTC" if self.judged_at else ""
        return f"judged by {self.judge_ref}{model}{when}"

    def row_summary(self) -> dict[str, Any]:
        """The ``candidate`` field of ``studio dataset rows --json``."""
        prompt, version = split_ref(self.prompt_ref)
        return {
            "id": self.id,
            "output": self.output,
            "label": self.label,
            "prompt": prompt,
            "version": version,
            "model": self.model,
            "agreement": self.agreement,
            "judge_score": self.judge_score,
            "judge_ref": self.judge_ref,
            "judge_model": self.judge_model,
            "valid": self.valid,
            "status": self.status,
        }


@dataclass(frozen=True)
class CandidateCounts:
    """How many candidates of a dataset are in each status, and what they cost.

    ``cost_usd`` sums the known costs of every candidate (failed and audit ones too: the
    calls were paid); None when no candidate has a known cost. ``audit``: the teacher's
    answers on rows with a human ideal (``distil outputs --audit``), never reviewed;
    ``audit_correct`` of ``audit_compared`` match the row's human ideal (None when not
    computed: :func:`studio.core.distil.evidence.distil_evidence` computes them).
    """

    pending: int
    accepted: int
    rejected: int
    failed: int
    cost_usd: float | None
    audit: int = 0
    audit_correct: int | None = None
    audit_compared: int | None = None  # valid audit answers compared with the human ideal

    @property
    def total(self) -> int:
        """Every candidate of the dataset (audit answers included)."""
        return self.pending + self.accepted + self.rejected + self.failed + self.audit

    def to_json(self) -> dict[str, Any]:
        """The CLI's JSON shape."""
        return {
            "pending": self.pending,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "failed": self.failed,
            "audit": self.audit,
            "cost_usd": self.cost_usd,
        }


def split_ref(ref: str) -> tuple[str, int | str | None]:
    """``"NAME@3"`` -> ("NAME", 3); ``"NAME@prod"`` -> ("NAME", "prod"); no ``@`` -> (ref, None)."""
    name, sep, version = ref.rpartition("@")
    if not sep:
        return ref, None
    return name, int(version) if version.isdigit() else version


# The example's ideal output counts as a human one unless a teacher wrote it.
_SELECT = (
    "SELECT c.id, c.example_id, e.search_text, "
    "CASE WHEN e.ideal_source != 'teacher' THEN e.ideal_output END, c.status, c.output, "
    "c.output_kind, c.label, c.agreement, c.valid, c.reason, c.judge_score, c.prompt_ref, "
    "c.model, c.samples, c.cost_usd, c.run_id, c.judge_ref, c.judge_model, c.judged_at "
    "FROM candidate c JOIN example e ON e.id = c.example_id"
)


def _row(r: Sequence[Any]) -> CandidateRow:
    return CandidateRow(
        id=int(r[0]),
        example_id=int(r[1]),
        input_text=r[2] or "",
        human_ideal=r[3],
        status=str(r[4]),
        output=r[5],
        output_kind=str(r[6]),
        label=r[7],
        agreement=None if r[8] is None else float(r[8]),
        valid=bool(r[9]),
        reason=r[10] or "",
        judge_score=None if r[11] is None else float(r[11]),
        prompt_ref=r[12] or "",
        model=r[13] or "",
        samples=int(r[14] or 1),
        cost_usd=None if r[15] is None else float(r[15]),
        run_id=None if r[16] is None else int(r[16]),
        judge_ref=r[17] or None,
        judge_model=r[18] or None,
        judged_at=None if r[19] is None else time_text(r[19]),
    )


def _check_status(status: str | None) -> None:
    if status is not None and status not in CANDIDATE_STATUSES:
        raise ValidationError(
            f'"{status}" is not a candidate status; choose one of {", ".join(CANDIDATE_STATUSES)}.',
            where="status",
        )


def list_candidates_in(
    conn: Connection,
    dataset_id: int,
    *,
    status: str | None = None,
    example_ids: Sequence[int] | None = None,
) -> list[CandidateRow]:
    """:func:`list_candidates` on an open connection (dataset given by id)."""
    _check_status(status)
    where = ["c.dataset_id = :d"]
    params: dict[str, Any] = {"d": dataset_id}
    if status is not None:
        where.append("c.status = :s")
        params["s"] = status
    if example_ids is not None:
        # One JSON parameter however many ids (no 999-parameter limit, one query)
        where.append(f"c.example_id IN ({json_ids_sql('ids', postgresql=is_postgresql(conn))})")
        params["ids"] = orjson.dumps([int(i) for i in example_ids]).decode()
    rows = conn.execute(
        text(f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY c.example_id, c.id"), params
    ).all()
    return [_row(r) for r in rows]


def list_candidates(
    project: Project,
    dataset: str | int,
    *,
    status: str | None = None,
    example_ids: Sequence[int] | None = None,
) -> list[CandidateRow]:
    """Every candidate of a dataset (by example, then oldest first), optionally filtered.

    Args:
        dataset: the dataset's name or id.
        status: only candidates in this status (pending, accepted, rejected, failed).
        example_ids: only candidates of these examples.

    Raises:
        NotFoundError: no such dataset.
        ValidationError: an unknown status.
    """
    with read_conn(project) as conn:
        info = get_dataset_in(conn, dataset)
        return list_candidates_in(conn, info.id, status=status, example_ids=example_ids)


def current_candidates_in(conn: Connection, example_ids: Sequence[int]) -> dict[int, CandidateRow]:
    """:func:`current_candidates` on an open connection."""
    if not example_ids:
        return {}
    rows = conn.execute(
        text(
            f"{_SELECT} WHERE c.id IN (SELECT max(id) FROM candidate "
            f"WHERE example_id IN ({json_ids_sql('ids', postgresql=is_postgresql(conn))}) "
            "GROUP BY example_id)"
        ),
        {"ids": orjson.dumps([int(i) for i in example_ids]).decode()},
    ).all()
    return {int(r[1]): _row(r) for r in rows}


def current_candidates(project: Project, example_ids: Sequence[int]) -> dict[int, CandidateRow]:
    """The newest candidate of each of ``example_ids`` (any status), by example id.

    Examples without a candidate are left out. One query whatever the number of ids.
    """
    with read_conn(project) as conn:
        return current_candidates_in(conn, example_ids)


def candidate_counts(project: Project, dataset: str | int) -> CandidateCounts:
    """How many candidates of the dataset are pending/accepted/rejected/failed/audit, and the cost.

    Raises:
        NotFoundError: no such dataset.
    """
    with read_conn(project) as conn:
        info = get_dataset_in(conn, dataset)
        rows = conn.execute(
            text(
                "SELECT status, count(*), sum(cost_usd), count(cost_usd) FROM candidate "
                "WHERE dataset_id = :d GROUP BY status"
            ),
            {"d": info.id},
        ).all()
    n = {str(r[0]): int(r[1]) for r in rows}
    priced = sum(int(r[3]) for r in rows)
    cost = sum(float(r[2] or 0.0) for r in rows) if priced else None
    return CandidateCounts(
        pending=n.get("pending", 0),
        accepted=n.get("accepted", 0),
        rejected=n.get("rejected", 0),
        failed=n.get("failed", 0),
        cost_usd=cost,
        audit=n.get("audit", 0),
    )
