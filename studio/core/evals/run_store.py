"""A/B runs as the project stores them: reading runs, their plans, variants and examples.

Every function takes an open :class:`~studio.core.db.project.Project` and reaches the
database only through :mod:`studio.core.db.transactions` (errors in the studio's words).

API
---
``list_runs(project, dataset=None) -> [RunInfo]`` newest first.
``run_plan(project, run_id) -> dict`` the stored plan (example ids, limits, failed reason,
    final summary).
``load_examples(project, ids) -> [ExampleInput]``,
``prepared_variants(project, run_id) -> [PreparedVariant]``.
``delete_run(project, run_id)``; ``set_recorded_note(project, run_id, note)``.

A ``running`` run whose OS lock (:mod:`.run_lock`) is free is reported as
``interrupted`` (:func:`effective_status`). Splits: ``test``, ``validation``, ``train``
or ``all``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import text

from studio.core.db.dialect import time_text
from studio.core.db.transactions import read_conn, write_tx
from studio.core.errors import NotFoundError, UserError
from studio.core.evals.run_lock import INTERRUPTED, run_is_alive
from studio.core.evals.run_scoring import RunScorer
from studio.core.evals.workitems import ExampleInput, PreparedVariant
from studio.core.prompts.spec import PromptSpec
from studio.core.redact import redact_json

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from studio.core.db.project import Project

SPLIT_CHOICES = ("test", "validation", "train", "all")


@dataclass(frozen=True)
class RunInfo:
    """A row of the past-runs list."""

    id: int
    name: str
    dataset: str
    split: str
    scorer: str
    status: str
    variants: list[str]
    n_results: int
    created_at: str
    finished_at: str | None
    recorded_note: str
    kind: str = "ab"  # "ab" or "distil" (teacher outputs, not a comparison)


def run_row(project: Project, run_id: int) -> Any:
    """The run's stored row joined with its dataset's name, labels and schema."""
    with read_conn(project) as conn:
        row = conn.execute(
            text(
                "SELECT r.id, r.name, r.dataset_id, r.split, r.scorer, r.scorer_config_json, "
                "r.provider_json, r.concurrency, r.status, r.recorded_note, r.summary_json, "
                "r.created_at, r.finished_at, d.name AS dataset_name, d.label_set_json, "
                "d.output_schema_json FROM eval_run r LEFT JOIN dataset d ON d.id = r.dataset_id "
                "WHERE r.id = :r"
            ),
            {"r": run_id},
        ).first()
    if row is None:
        raise NotFoundError(f"There is no run with id {run_id}.", where=f"run {run_id}")
    return row


def effective_status(project: Project, run_id: int, stored: str) -> str:
    """The stored status, or ``interrupted`` for a ``running`` run nobody executes.

    Liveness is the run's OS lock (:mod:`.run_lock`), never the run's age. The status is
    read again after the lock is found free: a run that just ended stores its final
    status before dropping the lock.
    """
    if stored != "running" or run_is_alive(project, run_id):
        return stored
    with read_conn(project) as conn:
        now = conn.execute(
            text("SELECT status FROM eval_run WHERE id = :r"), {"r": run_id}
        ).scalar()
    return INTERRUPTED if now == "running" else str(now)


def plan_of(row: Any) -> dict[str, Any]:
    """The plan stored in a run row (an empty dict when it is missing or unreadable)."""
    try:
        data = orjson.loads(row.summary_json or "{}")
    except orjson.JSONDecodeError:
        data = {}
    return data if isinstance(data, dict) else {}


def run_plan(project: Project, run_id: int) -> dict[str, Any]:
    """The run's stored plan (example ids, limits, failed reason, final summary)."""
    return plan_of(run_row(project, run_id))


def load_examples(project: Project, ids: Sequence[int]) -> list[ExampleInput]:
    """The examples with these ids (missing ones skipped), in id order."""
    out: list[ExampleInput] = []
    ordered = sorted(set(int(i) for i in ids))
    with read_conn(project) as conn:
        for start in range(0, len(ordered), 900):
            chunk = ordered[start : start + 900]
            marks = ",".join(str(i) for i in chunk)  # integers: safe to inline
            rows = conn.execute(
                text(
                    "SELECT id, input_json, system_prompt, conversation_json, tools_json, "
                    f"output_kind, ideal_output, label FROM example WHERE id IN ({marks}) "
                    "ORDER BY id"
                )
            ).all()
            for r in rows:
                out.append(
                    ExampleInput(
                        id=int(r[0]),
                        inputs=orjson.loads(r[1] or "{}"),
                        system_prompt=r[2],
                        conversation=orjson.loads(r[3]) if r[3] else None,
                        tools=orjson.loads(r[4]) if r[4] else None,
                        output_kind=r[5] or "text",
                        ideal_output=r[6],
                        label=r[7],
                    )
                )
    return out


def split_ids(project: Project, dataset_id: int, split: str) -> list[int]:
    """Ids of the dataset's examples in ``split`` (``all``: every split), rejected left out."""
    sql = "SELECT id FROM example WHERE dataset_id = :d"
    if split != "all":
        sql += " AND split = :s"
    sql += " AND status != 'rejected' ORDER BY id"
    with read_conn(project) as conn:
        return [int(r[0]) for r in conn.execute(text(sql), {"d": dataset_id, "s": split}).all()]


def variant_rows(project: Project, run_id: int) -> list[Any]:
    """The run's variant rows with their prompt version, in position order."""
    with read_conn(project) as conn:
        return list(
            conn.execute(
                text(
                    "SELECT v.id, v.position, v.label, v.model, v.params_json, "
                    "v.prompt_version_id, pv.spec_json, pv.version, p.name AS prompt_name "
                    "FROM eval_variant v "
                    "LEFT JOIN prompt_version pv ON pv.id = v.prompt_version_id "
                    "LEFT JOIN prompt p ON p.id = pv.prompt_id "
                    "WHERE v.run_id = :r ORDER BY v.position"
                ),
                {"r": run_id},
            ).all()
        )


def prepared_variants(project: Project, run_id: int) -> list[PreparedVariant]:
    """The run's variants ready to render (runner key = the variant row id).

    A distil run's variants are the samples of one version: each repeats the request
    with its position as the repeat index (a cache key of its own).
    """
    with read_conn(project) as conn:
        kind = conn.execute(text("SELECT kind FROM eval_run WHERE id = :r"), {"r": run_id}).scalar()
    out: list[PreparedVariant] = []
    for v in variant_rows(project, run_id):
        if v.spec_json is None:
            raise UserError(
                f"The prompt version of variant {v.label!r} was deleted; run {run_id} "
                "cannot be continued.",
                where=f"run {run_id}",
            )
        spec = PromptSpec.from_json(orjson.loads(v.spec_json), validate=False)
        out.append(
            PreparedVariant(
                key=str(v.id),
                spec=spec,
                model=v.model,
                params=orjson.loads(v.params_json or "{}"),
                name=v.label,
                repeat=int(v.position) if kind == "distil" else 0,
            )
        )
    return out


def scorer_for(project: Project, row: Any, examples: Sequence[ExampleInput]) -> RunScorer:
    """The run's scorer over ``examples``, as stored with the run."""
    config = orjson.loads(row.scorer_config_json or "{}")
    label_set = orjson.loads(row.label_set_json or "[]") if row.label_set_json else []
    schema = orjson.loads(row.output_schema_json) if row.output_schema_json else None
    return RunScorer(
        row.scorer,
        config,
        {e.id: e for e in examples},
        label_set=label_set,
        output_schema=schema,
    )


def set_status(project: Project, run_id: int, status: str, **extra: Any) -> None:
    """Store the run's status (and ``extra`` columns, e.g. ``finished_at``)."""
    sets = ["status = :st"]
    params: dict[str, Any] = {"st": status, "r": run_id}
    for key, value in extra.items():
        sets.append(f"{key} = :{key}")
        params[key] = value
    with write_tx(project) as conn:
        conn.execute(text(f"UPDATE eval_run SET {', '.join(sets)} WHERE id = :r"), params)


def store_plan(project: Project, run_id: int, plan: Mapping[str, Any]) -> None:
    """Store the run's plan (keys redacted)."""
    with write_tx(project) as conn:
        conn.execute(
            text("UPDATE eval_run SET summary_json = :j WHERE id = :r"),
            {"j": orjson.dumps(redact_json(dict(plan))).decode(), "r": run_id},
        )


def variant_labels(conn: Connection) -> dict[int, list[str]]:
    """Every run's variant labels in their order, keyed by run id (list_runs, run_states)."""
    labels: dict[int, list[str]] = {}
    for v in conn.execute(
        text("SELECT run_id, label FROM eval_variant ORDER BY run_id, position")
    ).all():
        labels.setdefault(int(v[0]), []).append(str(v[1]))
    return labels


def list_runs(project: Project, dataset: str | int | None = None) -> list[RunInfo]:
    """Past runs, newest first (of one dataset when given)."""
    sql = (
        "SELECT r.id, r.name, coalesce(d.name, ''), r.split, r.scorer, r.status, "
        "r.created_at, r.finished_at, r.recorded_note, "
        "(SELECT count(*) FROM eval_result x WHERE x.run_id = r.id), r.kind "
        "FROM eval_run r LEFT JOIN dataset d ON d.id = r.dataset_id"
    )
    params: dict[str, Any] = {}
    if isinstance(dataset, int):
        sql += " WHERE r.dataset_id = :d"
        params["d"] = dataset
    elif isinstance(dataset, str):
        sql += " WHERE d.name = :d"
        params["d"] = dataset
    with read_conn(project) as conn:
        runs = conn.execute(text(sql + " ORDER BY r.id DESC"), params).all()
        labels = variant_labels(conn)
    return [
        RunInfo(
            id=int(r[0]),
            name=r[1] or "",
            dataset=r[2],
            split=r[3],
            scorer=r[4],
            status=effective_status(project, int(r[0]), r[5]),
            variants=labels.get(int(r[0]), []),
            n_results=int(r[9]),
            created_at=time_text(r[6]),
            finished_at=None if r[7] is None else time_text(r[7]),
            recorded_note=r[8] or "",
            kind=str(r[10] or "ab"),
        )
        for r in runs
    ]


def set_recorded_note(project: Project, run_id: int, note: str) -> None:
    """Mark how a run was recorded (e.g. against a simulated model)."""
    run_row(project, run_id)
    with write_tx(project) as conn:
        conn.execute(
            text("UPDATE eval_run SET recorded_note = :n WHERE id = :r"), {"n": note, "r": run_id}
        )


def delete_run(project: Project, run_id: int) -> None:
    """Delete a run with its variants, results and preferences."""
    run_row(project, run_id)
    with write_tx(project) as conn:
        for table in ("preference", "run_claim", "eval_result", "eval_variant"):
            conn.execute(text(f"DELETE FROM {table} WHERE run_id = :r"), {"r": run_id})
        conn.execute(text("DELETE FROM eval_run WHERE id = :r"), {"r": run_id})
