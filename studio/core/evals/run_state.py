"""Where a stored run stands: status (``interrupted`` included), answers so far, owner.

Used by ``studio runs list|show|resume`` and the app's Past Runs. ``interrupted`` comes
from the run's OS lock (:mod:`.run_lock`), never from its age.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import text

from studio.core.db.dialect import time_text
from studio.core.db.transactions import read_conn
from studio.core.errors import NotFoundError, UserError
from studio.core.evals.run_lock import INTERRUPTED, owner_text, probe_run

if TYPE_CHECKING:
    from studio.core.db.project import Project

RESUMABLE = ("pending", "cancelled", "failed", INTERRUPTED)


# Its to_json spells its keys out like the other records' (duplicates report pairs it with
# datasets/operations, decide/reasons, decide/decision, evals/run_state, export/fit): see the
# note at formats/common.Finding.
# Its first fields repeat evals/summary.RunSummary's and run_store.RunInfo's (duplicates report):
# a run's state (what `studio runs` lists), its measured summary and its row in the past-runs
# list are three records; kept apart.
@dataclass(frozen=True, slots=True)
class RunState:
    """A run's progress and liveness.

    Attributes:
        status: ``pending``, ``running`` (a live process executes it), ``interrupted``
            (stored as running, but its process is gone), ``completed``, ``cancelled``
            or ``failed``.
        calls: variants x examples. answered: calls with a stored answer. errors: calls
            whose stored result is an error (sent again on resume). pending: calls with
            no stored answer (``calls - answered``).
        owner: who executes (running) or last executed (interrupted) it, as text.
        failed_reason: why a failed run stopped.
    """

    run_id: int
    name: str
    dataset: str
    split: str
    scorer: str
    status: str
    variants: list[str]
    calls: int
    answered: int
    errors: int
    pending: int
    created_at: str
    finished_at: str | None
    owner: str
    failed_reason: str | None
    base_url: str
    kind: str = "ab"  # "ab" or "distil" (teacher outputs: one variant per sample)

    @property
    def resumable(self) -> bool:
        """Whether ``resume`` may continue it."""
        return self.status in RESUMABLE

    def to_json(self) -> dict[str, Any]:
        """The ``studio runs show/list --json`` document of one run."""
        return {
            "run_id": self.run_id,
            "kind": self.kind,
            "name": self.name,
            "dataset": self.dataset,
            "split": self.split,
            "scorer": self.scorer,
            "status": self.status,
            "variants": self.variants,
            "calls": self.calls,
            "answered": self.answered,
            "errors": self.errors,
            "pending": self.pending,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
            "owner": self.owner or None,
            "failed_reason": self.failed_reason,
            "base_url": self.base_url,
            "resumable": self.resumable,
        }


def run_states(project: Project, run_id: int | None = None) -> list[RunState]:
    """Every run (newest first), or just ``run_id``.

    Raises:
        NotFoundError: ``run_id`` does not exist.
    """
    from studio.core.evals.run_store import effective_status, variant_labels

    sql = (
        "SELECT r.id, r.name, coalesce(d.name, ''), r.split, r.scorer, r.status, "
        "r.created_at, r.finished_at, r.summary_json, r.provider_json, "
        "(SELECT count(*) FROM eval_variant v WHERE v.run_id = r.id), "
        "(SELECT count(*) FROM eval_result x WHERE x.run_id = r.id AND x.error IS NULL), "
        "(SELECT count(*) FROM eval_result x WHERE x.run_id = r.id AND x.error IS NOT NULL), "
        "r.kind FROM eval_run r LEFT JOIN dataset d ON d.id = r.dataset_id"
    )
    params: dict[str, Any] = {}
    if run_id is not None:
        sql += " WHERE r.id = :r"
        params["r"] = int(run_id)
    with read_conn(project) as conn:
        rows = conn.execute(text(sql + " ORDER BY r.id DESC"), params).all()
        labels = variant_labels(conn)
    if run_id is not None and not rows:
        raise NotFoundError(f"There is no run with id {run_id}.", where=f"run {run_id}")
    out: list[RunState] = []
    for r in rows:
        rid = int(r[0])
        try:
            plan = orjson.loads(r[8] or "{}")
        except orjson.JSONDecodeError:
            plan = {}
        plan = plan if isinstance(plan, dict) else {}
        try:
            provider = orjson.loads(r[9] or "{}")
        except orjson.JSONDecodeError:
            provider = {}
        status = effective_status(project, rid, str(r[5]))
        owner = ""
        if status in ("running", INTERRUPTED):
            _alive, who = probe_run(project, rid)
            owner = owner_text(who) if who is not None else ""
        calls = len(plan.get("example_ids", []) or []) * int(r[10])
        answered = int(r[11])
        out.append(
            RunState(
                run_id=rid,
                name=r[1] or "",
                dataset=r[2],
                split=r[3],
                scorer=r[4],
                status=status,
                variants=labels.get(rid, []),
                calls=calls,
                answered=answered,
                errors=int(r[12]),
                pending=max(0, calls - answered),
                created_at=time_text(r[6]),
                finished_at=None if r[7] is None else time_text(r[7]),
                owner=owner,
                failed_reason=plan.get("failed_reason"),
                base_url=str(provider.get("base_url", "")) if isinstance(provider, dict) else "",
                kind=str(r[13] or "ab"),
            )
        )
    return out


def run_state(project: Project, run_id: int) -> RunState:
    """One run's :class:`RunState` (raises NotFoundError)."""
    return run_states(project, run_id)[0]


def check_resumable(project: Project, run_id: int, *, join: bool = False) -> RunState:
    """The run's state if it can be resumed, else a :class:`UserError` saying why.

    ``join``: a run executing elsewhere may be joined (helped to finish, ISSUE-14 §4).
    """
    state = run_state(project, run_id)
    if state.status == "completed":
        raise UserError(
            f"Run {run_id} is already completed: there is nothing to resume.", where=f"run {run_id}"
        )
    if state.status == "running" and not join:
        raise UserError(
            f"Run {run_id} is still being executed by {state.owner or 'another process'}; "
            "it cannot be resumed while it runs. Help finish it instead: "
            f"studio runs resume {run_id} --join.",
            where=f"run {run_id}",
        )
    return state
