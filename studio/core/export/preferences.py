"""Preference pairs for DPO export, read from the A/B evaluation's stored preferences.

A stored preference says, for one example, which of two variants' answers a person
(``source = "human"``) or a judge model (``"judge"``) preferred. This module turns them
into (example, chosen text, rejected text) pairs:

* ties and preferences whose answers are missing, empty, tool calls or identical are
  left out (no training signal) and counted;
* when one example and one pair of variants has several preferences, a human one beats
  a judge one and the latest wins, so a pair is never exported twice or both ways.

It reads the ``preference``, ``eval_run`` and ``eval_result`` tables directly (the A/B
area writes them), so it does not depend on the evaluation package's Python API.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from studio.core.db.project import Project
from studio.core.db.transactions import read_conn


@dataclass(frozen=True, slots=True)
class PreferencePair:
    """One usable preference: the example and the two answers."""

    example_id: int
    chosen: str
    rejected: str
    source: str
    preference_id: int


@dataclass
class PreferencePairs:
    """The usable pairs (by example id order) and why the others were left out."""

    pairs: list[PreferencePair] = field(default_factory=list)
    left_out: Counter[str] = field(default_factory=Counter)


_SQL = """
SELECT p.id, p.example_id, p.variant_a_id, p.variant_b_id, p.choice, p.source, p.created_at,
       ra.output AS out_a, ra.tool_calls_json AS calls_a,
       rb.output AS out_b, rb.tool_calls_json AS calls_b
FROM preference p
JOIN eval_run r ON r.id = p.run_id
LEFT JOIN eval_result ra ON ra.variant_id = p.variant_a_id AND ra.example_id = p.example_id
LEFT JOIN eval_result rb ON rb.variant_id = p.variant_b_id AND rb.example_id = p.example_id
WHERE r.dataset_id = :d AND p.source IN ({sources})
ORDER BY p.example_id, p.created_at, p.id
"""


def load_preference_pairs(
    project: Project, dataset_id: int, sources: tuple[str, ...] = ("human", "judge")
) -> PreferencePairs:
    """The usable preference pairs of a dataset's A/B runs (see the module rules)."""
    result = PreferencePairs()
    if not sources:
        return result
    names = {f"s{i}": s for i, s in enumerate(sources)}
    sql = _SQL.format(sources=", ".join(f":{k}" for k in names))
    with read_conn(project) as conn:
        rows = conn.execute(text(sql), {"d": dataset_id, **names}).all()
    # (example, unordered variant pair) -> (rank, row); rank: human over judge, then later
    best: dict[tuple[int, int, int], tuple[tuple[int, int], Any]] = {}
    for order, row in enumerate(rows):
        a, b = sorted((int(row.variant_a_id), int(row.variant_b_id)))
        key = (int(row.example_id), a, b)
        rank = (1 if row.source == "human" else 0, order)
        if key in best:
            result.left_out["superseded"] += 1
            if best[key][0] > rank:
                continue
        best[key] = (rank, row)
    for key in sorted(best):
        row = best[key][1]
        if row.choice not in ("a", "b"):
            result.left_out["tie"] += 1
            continue
        if row.calls_a or row.calls_b:
            result.left_out["tool_call_answer"] += 1
            continue
        out_a, out_b = row.out_a, row.out_b
        if not out_a or not out_b or not str(out_a).strip() or not str(out_b).strip():
            result.left_out["missing_answer"] += 1
            continue
        if out_a == out_b:
            result.left_out["identical_answers"] += 1
            continue
        chosen, rejected = (out_a, out_b) if row.choice == "a" else (out_b, out_a)
        result.pairs.append(
            PreferencePair(
                example_id=int(row.example_id),
                chosen=str(chosen),
                rejected=str(rejected),
                source=str(row.source),
                preference_id=int(row.id),
            )
        )
    return result
