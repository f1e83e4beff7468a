"""Writing a distil run's candidates from its stored answers, and its counts.

One candidate per row, written once per run: as soon as all of the row's samples are
answered, or — once the run has completed — with what it has (a call that failed after
retries makes a sample that does not vote; a row with no voting sample is a ``failed``
candidate with the reason, never a pending one); a new candidate has no judge score and
no judge (the four judge columns move together, :mod:`.judging`). Writing a row's new
candidate replaces the *failed* candidates of the same version and model for that row
from earlier runs (a retry supersedes them); pending, accepted and rejected ones are
never touched.

The run's audit rows (``plan["distil"]["audit_ids"]``: rows with an approved human ideal,
asked to measure the teacher) get a candidate of status ``audit`` whether the answer is
valid or not (``valid`` and ``reason`` say which): it is never reviewed nor accepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import text

from studio.core.db.transactions import read_conn, write_tx
from studio.core.distil.outputs_answers import Sample, SampleJudge
from studio.core.evals.run_store import plan_of, run_row, variant_rows
from studio.core.evals.store import db_time
from studio.core.prompts.spec import PromptSpec
from studio.core.redact import redact_optional

if TYPE_CHECKING:
    from studio.core.db.project import Project


@dataclass(frozen=True)
class RunCounts:
    """A distil run's figures (all its executions)."""

    rows: int  # rows that need an ideal (the audit rows not included)
    stored: int  # candidates waiting for review (audit answers not included)
    failed: int  # failed candidates and invalid audit answers
    skipped: int
    cost_usd: float | None
    audit: int = 0  # valid audit answers


def run_kind(project: Project, run_id: int) -> str:
    """The run's kind (``ab`` or ``distil``); raises NotFoundError for no such run."""
    run_row(project, run_id)
    with read_conn(project) as conn:
        kind = conn.execute(text("SELECT kind FROM eval_run WHERE id = :r"), {"r": run_id}).scalar()
    return str(kind or "ab")


def _samples_by_example(
    project: Project, run_id: int, positions: dict[int, int]
) -> dict[int, dict[int, Sample]]:
    out: dict[int, dict[int, Sample]] = {}
    with read_conn(project) as conn:
        rows = conn.execute(
            text(
                "SELECT variant_id, example_id, output, tool_calls_json, error, tokens_in, "
                "tokens_out, cost_usd, response_id FROM eval_result WHERE run_id = :r"
            ),
            {"r": run_id},
        ).all()
    for r in rows:
        pos = positions.get(int(r[0]))
        if pos is None:
            continue
        out.setdefault(int(r[1]), {})[pos] = Sample(
            output=r[2],
            tool_calls=orjson.loads(r[3]) if r[3] else None,
            error=r[4],
            tokens_in=r[5],
            tokens_out=r[6],
            cost_usd=r[7],
            response_id=r[8] or "",
        )
    return out


def write_candidates(project: Project, run_id: int, *, final: bool) -> RunCounts:
    """Write the candidates of rows that have no candidate of this run yet (see the
    module docstring); ``final``: the run completed, rows with failed calls are written
    too. Returns the run's counts."""
    row = run_row(project, run_id)
    plan = plan_of(row)
    distil = plan.get("distil") or {}
    ids = [int(i) for i in plan.get("example_ids", [])]
    audit_ids = {int(i) for i in distil.get("audit_ids") or []}
    variants = variant_rows(project, run_id)
    positions = {int(v.id): int(v.position) for v in variants}
    k = len(variants)
    first = variants[0] if variants else None
    spec = (
        PromptSpec.from_json(orjson.loads(first.spec_json), validate=False)
        if first is not None and first.spec_json is not None
        else None
    )
    label_set = orjson.loads(row.label_set_json or "[]") if row.label_set_json else []
    judge = SampleJudge(
        row.scorer,
        spec.response_schema if spec is not None else None,
        label_set,
        json_output=bool(distil.get("json_output")),
    )
    samples = _samples_by_example(project, run_id, positions)
    with read_conn(project) as conn:
        done = {
            int(r[0])
            for r in conn.execute(
                text("SELECT example_id FROM candidate WHERE run_id = :r"), {"r": run_id}
            ).all()
        }
        existing = _existing(conn, ids)
    new: list[dict[str, Any]] = []
    now = db_time()
    for eid in ids:
        if eid in done or eid not in existing or first is None:
            continue
        got = samples.get(eid, {})
        complete = len(got) == k and all(s.error is None for s in got.values())
        if not complete and not final:
            continue
        ordered = [got[p] for p in sorted(got)]
        v = judge.verdict(ordered, k)
        new.append(
            {
                "ds": row.dataset_id,
                "ex": eid,
                "run": run_id,
                "pv": first.prompt_version_id,
                "ref": str(distil.get("prompt_ref") or first.label)[:300],
                "model": first.model,
                "params": first.params_json or "{}",
                "kind": v.output_kind,
                "out": redact_optional(v.output),
                "label": None if v.label is None else v.label[:200],
                "samples": k,
                "agr": v.agreement,
                "valid": v.valid,
                "reason": v.reason,
                "status": "audit" if eid in audit_ids else "pending" if v.valid else "failed",
                "tin": v.tokens_in,
                "tout": v.tokens_out,
                "cost": v.cost_usd,
                "rid": v.response_id[:200],
                "t": now,
            }
        )
    if new:
        with write_tx(project) as conn:
            # Processes that executed the run together (runs resume --join) may all write
            # its candidates: the run row's lock makes them take turns, and the rows the
            # others wrote first are left out (ISSUE-14 §4).
            conn.execute(text("UPDATE eval_run SET id = id WHERE id = :r"), {"r": run_id})
            written = {
                int(r[0])
                for r in conn.execute(
                    text("SELECT example_id FROM candidate WHERE run_id = :r"), {"r": run_id}
                ).all()
            }
            new = [c for c in new if c["ex"] not in written]
            for c in new:
                conn.execute(
                    text(
                        "DELETE FROM candidate WHERE example_id = :ex AND status = 'failed' "
                        "AND prompt_version_id IS NOT DISTINCT FROM :pv AND model = :model"
                    ),
                    {"ex": c["ex"], "pv": c["pv"], "model": c["model"]},
                )
            if new:
                conn.execute(
                    text(
                        "INSERT INTO candidate (dataset_id, example_id, run_id, prompt_version_id, "
                        "prompt_ref, model, params_json, output_kind, output, label, samples, "
                        "agreement, valid, reason, status, judge_score, judge_ref, judge_model, "
                        "judged_at, tokens_in, tokens_out, cost_usd, response_id, created_at, "
                        "decided_at, decided_by) VALUES "
                        "(:ds, :ex, :run, :pv, :ref, :model, :params, :kind, :out, :label, "
                        ":samples, :agr, :valid, :reason, :status, NULL, NULL, NULL, NULL, "
                        ":tin, :tout, :cost, :rid, :t, NULL, '')"
                    ),
                    new,
                )
    return run_counts(project, run_id)


def _existing(conn: Any, ids: Sequence[int]) -> set[int]:
    out: set[int] = set()
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), 900):
        marks = ",".join(str(i) for i in ordered[start : start + 900])  # integers: safe
        if marks:
            out.update(
                int(r[0])
                for r in conn.execute(text(f"SELECT id FROM example WHERE id IN ({marks})")).all()
            )
    return out


def run_counts(project: Project, run_id: int) -> RunCounts:
    """Rows, candidates stored / failed, rows skipped and the cost of the calls made."""
    plan = plan_of(run_row(project, run_id))
    distil = plan.get("distil") or {}
    skipped = distil.get("skipped") or {}
    with read_conn(project) as conn:
        stored, failed, audit = conn.execute(
            text(
                "SELECT coalesce(sum(CASE WHEN status NOT IN ('failed', 'audit') THEN 1 ELSE 0 "
                "END), 0), "
                "coalesce(sum(CASE WHEN status = 'failed' OR (status = 'audit' AND NOT valid) "
                "THEN 1 ELSE 0 END), 0), "
                "coalesce(sum(CASE WHEN status = 'audit' AND valid THEN 1 ELSE 0 END), 0) "
                "FROM candidate WHERE run_id = :r"
            ),
            {"r": run_id},
        ).one()
        made, unknown, cost = conn.execute(
            text(
                "SELECT count(*), coalesce(sum(CASE WHEN cost_usd IS NULL THEN 1 ELSE 0 END), 0), "
                "coalesce(sum(cost_usd), 0) "
                "FROM eval_result WHERE run_id = :r AND cached = FALSE AND error IS NULL"
            ),
            {"r": run_id},
        ).one()
    return RunCounts(
        rows=len(plan.get("example_ids", [])) - len(distil.get("audit_ids") or []),
        stored=int(stored),
        failed=int(failed),
        audit=int(audit),
        skipped=sum(int(n) for n in skipped.values()) if isinstance(skipped, dict) else 0,
        cost_usd=None if int(unknown) > 0 and int(made) > 0 else float(cost),
    )
