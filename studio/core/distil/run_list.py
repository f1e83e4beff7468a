"""The distil runs of a dataset, as rows of a runs list (the app's Distil view).

A distil run is an ``eval_run`` of kind ``"distil"``; this lists them in the shape of the
A/B runs list (:class:`studio.core.evals.review.RunListEntry`) so the same table shows
them, with "what it stored" instead of an A/B verdict.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from studio.core.db.dialect import time_text
from studio.core.db.project import Project
from studio.core.db.transactions import read_conn
from studio.core.evals.review import RunListEntry
from studio.core.evals.run_store import RunInfo, effective_status, plan_of

__all__ = ["distil_runs"]


def _stored_sentence(status: str, by_status: dict[str, int], plan: dict[str, Any]) -> str:
    stored = sum(n for s, n in by_status.items() if s not in ("failed", "audit"))
    failed = by_status.get("failed", 0)
    text_ = f"{stored:,} candidate(s) stored, {failed:,} failed"
    if by_status.get("audit"):
        text_ += f", {by_status['audit']:,} audit answer(s)"
    reason = plan.get("failed_reason")
    if status == "interrupted":
        return text_ + " — interrupted: Resume finishes it without repeating answered calls."
    if status in ("cancelled", "failed") and reason:
        return f"{text_} — {reason}"
    if status == "cancelled":
        return text_ + " — cancelled: Resume finishes it."
    return text_


def distil_runs(project: Project, dataset_id: int, limit: int = 200) -> list[RunListEntry]:
    """The dataset's distil runs, newest first, with how many candidates each stored."""
    with read_conn(project) as conn:
        runs = conn.execute(
            text(
                "SELECT r.id, r.name, coalesce(d.name, ''), r.split, r.scorer, r.status, "
                "r.created_at, r.finished_at, r.recorded_note, r.summary_json "
                "FROM eval_run r LEFT JOIN dataset d ON d.id = r.dataset_id "
                "WHERE r.kind = 'distil' AND r.dataset_id = :d ORDER BY r.id DESC LIMIT :n"
            ),
            {"d": dataset_id, "n": limit},
        ).all()
        counts: dict[int, dict[str, int]] = {}
        for run_id, status, n in conn.execute(
            text(
                "SELECT run_id, status, count(*) FROM candidate "
                "WHERE dataset_id = :d AND run_id IS NOT NULL GROUP BY run_id, status"
            ),
            {"d": dataset_id},
        ).all():
            counts.setdefault(int(run_id), {})[str(status)] = int(n)
        refs: dict[int, list[str]] = {}
        for run_id, ref in conn.execute(
            text(
                "SELECT run_id, prompt_ref FROM candidate "
                "WHERE dataset_id = :d AND run_id IS NOT NULL "
                "GROUP BY run_id, prompt_ref ORDER BY min(id)"  # first seen first, both backends
            ),
            {"d": dataset_id},
        ).all():
            refs.setdefault(int(run_id), []).append(str(ref))
    out: list[RunListEntry] = []
    for r in runs:
        run_id = int(r[0])
        status = effective_status(project, run_id, str(r[5]))
        by_status = counts.get(run_id, {})
        info = RunInfo(
            id=run_id,
            name=r[1] or "",
            dataset=r[2],
            split=r[3] or "",
            scorer=r[4] or "",
            status=status,
            variants=refs.get(run_id, []),
            n_results=sum(by_status.values()),
            created_at=time_text(r[6]),
            finished_at=None if r[7] is None else time_text(r[7]),
            recorded_note=r[8] or "",
            kind="distil",
        )
        out.append(
            RunListEntry(
                info, sum(by_status.values()), _stored_sentence(status, by_status, plan_of(r))
            )
        )
    return out
