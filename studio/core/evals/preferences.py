"""Pairwise preferences between two variants' answers: record, review, export as DPO data.

A preference says which of two variants' answers to one example is better: ``choice``
``"a"`` (the answer of ``variant_a_id``), ``"b"`` or ``"tie"``; ``source`` is
``"human"`` (blind review in the app) or ``"judge"`` (the pairwise LLM judge, asked in
both orders). Recording again for the same run, example, pair, source and rater
replaces the earlier choice (a reviewer may change their mind).

Blind review: :func:`next_review_pair` gives the next example both variants answered
(different answers only; identical ones carry no signal) that the rater has not judged,
with the sides randomised by a seed derived from the run and the example (stable, so the
same pair always shows the same way round); ``shown_left`` records which variant was on
the left, so position bias can be audited.

Export: :func:`preference_examples` turns decided preferences into
:class:`~studio.core.formats.common.PreferenceExample` (prompt messages, chosen,
rejected) for the exporters (``openai-dpo``, ``trl``, ...); ties are skipped. The prompt
messages are the example rendered through the prompt version of ``prompt_variant_id``
(default: the first variant of the run, the baseline you would fine-tune under).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy import text

from studio.core.db.transactions import read_conn, write_tx
from studio.core.errors import NotFoundError, UserError, ValidationError
from studio.core.evals.store import db_time
from studio.core.formats.common import PreferenceExample
from studio.core.redact import redact_values

if TYPE_CHECKING:
    from studio.core.db.project import Project
    from studio.core.evals.workitems import ExampleInput

Choice = Literal["a", "b", "tie"]
Side = Literal["left", "right", "tie"]
CHOICES = ("a", "b", "tie")
SOURCES = ("human", "judge")


@dataclass(frozen=True, slots=True)
class ReviewPair:
    """One blind comparison to show: two answers, sides already randomised.

    Attributes:
        run_id, example_id: what is compared.
        input_preview: the example's input (one line).
        ideal: the example's ideal output (shown on request only, to avoid anchoring).
        left, right: the two answers as shown.
        variant_a_id, variant_b_id: the pair in run order (a = first variant).
        shown_left: ``"a"`` when variant A's answer is on the left, else ``"b"``.
        remaining: pairs still to review after this one.
        rater: who is reviewing (recorded with the choice).
    """

    run_id: int
    example_id: int
    input_preview: str
    ideal: str | None
    left: str
    right: str
    variant_a_id: int
    variant_b_id: int
    shown_left: Literal["a", "b"]
    remaining: int
    rater: str = ""

    def choice_for(self, side: Side) -> Choice:
        """Map the key pressed (left "1", right "2", tie "=") to ``"a"``/``"b"``/``"tie"``."""
        if side == "tie":
            return "tie"
        if side not in ("left", "right"):
            raise ValidationError(f"A side is left, right or tie, not {side!r}.", where="side")
        on_left_is_a = self.shown_left == "a"
        return "a" if (side == "left") == on_left_is_a else "b"


def shown_left_for(run_id: int, example_id: int) -> Literal["a", "b"]:
    """Which variant goes on the left: a stable coin flip seeded by run and example."""
    digest = hashlib.sha256(f"review:{run_id}:{example_id}".encode()).digest()
    return "a" if digest[0] % 2 == 0 else "b"


def _variant_pair(project: Project, run_id: int) -> tuple[int, int]:
    with read_conn(project) as conn:
        rows = conn.execute(
            text("SELECT id FROM eval_variant WHERE run_id = :r ORDER BY position"),
            {"r": run_id},
        ).all()
    if len(rows) < 2:
        raise NotFoundError(
            f"Run {run_id} does not exist or has fewer than two variants.", where=f"run {run_id}"
        )
    return int(rows[0][0]), int(rows[1][0])


# Its keyword-only signature pairs by shape with prompts/service._append_version's and
# prompts/template's error __init__ (duplicates report, boilerplate): different parameters.
def record_preference(
    project: Project,
    run_id: int,
    example_id: int,
    choice: str,
    *,
    variant_a_id: int | None = None,
    variant_b_id: int | None = None,
    source: str = "human",
    shown_left: str = "a",
    rater: str = "",
    detail: str = "",
) -> int:
    """Store a preference (replacing the same rater's earlier one); returns its id.

    Args:
        choice: ``"a"``, ``"b"`` or ``"tie"`` relative to ``variant_a_id``/``variant_b_id``
            (default: the run's first two variants).
        source: ``"human"`` or ``"judge"``. shown_left: ``"a"``/``"b"`` (blind review).
    """
    if choice not in CHOICES:
        raise ValidationError(f"A preference is a, b or tie, not {choice!r}.", where="choice")
    if source not in SOURCES:
        raise ValidationError(
            f"A preference comes from human or judge, not {source!r}.", where="source"
        )
    if shown_left not in ("a", "b"):
        raise ValidationError(f"shown_left is a or b, not {shown_left!r}.", where="shown_left")
    if variant_a_id is None or variant_b_id is None:
        variant_a_id, variant_b_id = _variant_pair(project, run_id)
    with write_tx(project) as conn:
        owned = conn.execute(
            text("SELECT count(*) FROM eval_variant WHERE run_id = :r AND id IN (:a, :b)"),
            {"r": run_id, "a": variant_a_id, "b": variant_b_id},
        ).scalar_one()
        if owned != 2 or variant_a_id == variant_b_id:
            raise NotFoundError(
                f"Variants {variant_a_id} and {variant_b_id} are not two variants of run {run_id}.",
                where=f"run {run_id}",
            )
        conn.execute(
            text(
                "DELETE FROM preference WHERE run_id = :r AND example_id = :e AND source = :s "
                "AND rater = :who AND ((variant_a_id = :a AND variant_b_id = :b) OR "
                "(variant_a_id = :b AND variant_b_id = :a))"
            ),
            {
                "r": run_id,
                "e": example_id,
                "s": source,
                "who": rater,
                "a": variant_a_id,
                "b": variant_b_id,
            },
        )
        result = conn.execute(
            text(
                "INSERT INTO preference (run_id, example_id, variant_a_id, variant_b_id, "
                "choice, source, shown_left, rater, detail, created_at) VALUES (:r, :e, :a, "
                ":b, :c, :s, :sl, :who, :d, :t) RETURNING id"
            ),
            {
                "r": run_id,
                "e": example_id,
                "a": variant_a_id,
                "b": variant_b_id,
                "c": choice,
                "s": source,
                "sl": shown_left,
                "who": rater,
                "d": redact_values(detail),
                "t": db_time(),
            },
        )
        return int(result.scalar_one())


def answered_outputs(project: Project, run_id: int) -> dict[tuple[int, int], str]:
    """``{(variant_id, example_id): output}`` of every answer the run got (no errors)."""
    with read_conn(project) as conn:
        rows = conn.execute(
            text(
                "SELECT variant_id, example_id, output FROM eval_result WHERE run_id = :r "
                "AND error IS NULL AND output IS NOT NULL"
            ),
            {"r": run_id},
        ).all()
    return {(int(r[0]), int(r[1])): str(r[2]) for r in rows}


def candidate_outputs(
    project: Project, run_id: int, a: int, b: int, rater: str
) -> list[tuple[int, str, str]]:
    """(example id, answer of variant ``a``, answer of ``b``) still to review, in id order.

    Only examples both variants answered without error, with different answers (identical
    ones carry no signal), that ``rater`` has not judged yet.
    """
    with read_conn(project) as conn:
        rows = conn.execute(
            text(
                "SELECT ra.example_id, ra.output, rb.output FROM eval_result ra "
                "JOIN eval_result rb ON rb.example_id = ra.example_id AND rb.variant_id = :b "
                "WHERE ra.variant_id = :a AND ra.error IS NULL AND rb.error IS NULL "
                "AND ra.output IS NOT NULL AND rb.output IS NOT NULL AND ra.output != rb.output "
                "AND NOT EXISTS (SELECT 1 FROM preference p WHERE p.run_id = :r AND "
                "p.example_id = ra.example_id AND p.source = 'human' AND p.rater = :who) "
                "ORDER BY ra.example_id"
            ),
            {"a": a, "b": b, "r": run_id, "who": rater},
        ).all()
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def next_review_pair(project: Project, run_id: int, *, rater: str = "") -> ReviewPair | None:
    """The next blind pair for ``rater`` (None when every differing pair is reviewed)."""
    a, b = _variant_pair(project, run_id)
    todo = candidate_outputs(project, run_id, a, b, rater)
    if not todo:
        return None
    from studio.core.evals.run_store import load_examples

    example_id, out_a, out_b = todo[0]
    examples = load_examples(project, [example_id])
    # Same call as evals/review.pending_review_pairs' (duplicates report): one pair here, a list
    # there; the shared part already is review_pair.
    return review_pair(
        run_id,
        example_id,
        out_a,
        out_b,
        a=a,
        b=b,
        example=examples[0] if examples else None,
        remaining=len(todo) - 1,
        rater=rater,
    )


def review_pair(
    run_id: int,
    example_id: int,
    out_a: str,
    out_b: str,
    *,
    a: int,
    b: int,
    example: ExampleInput | None,
    remaining: int,
    rater: str,
    preview_chars: int = 300,
) -> ReviewPair:
    """The blind pair for one example: sides by :func:`shown_left_for`, input previewed."""
    from studio.core.evals.workitems import input_preview

    left = shown_left_for(run_id, example_id)
    return ReviewPair(
        run_id=run_id,
        example_id=example_id,
        input_preview=(input_preview(example, preview_chars) if example else "(deleted example)"),
        ideal=(example.label or example.ideal_output) if example else None,
        left=out_a if left == "a" else out_b,
        right=out_b if left == "a" else out_a,
        variant_a_id=a,
        variant_b_id=b,
        shown_left=left,
        remaining=remaining,
        rater=rater,
    )


def record_review(project: Project, pair: ReviewPair, side: Side) -> int:
    """Record the key pressed for a :class:`ReviewPair` (left / right / tie) as its rater's."""
    return record_preference(
        project,
        pair.run_id,
        pair.example_id,
        pair.choice_for(side),
        variant_a_id=pair.variant_a_id,
        variant_b_id=pair.variant_b_id,
        source="human",
        shown_left=pair.shown_left,
        rater=pair.rater,
    )


@dataclass(frozen=True, slots=True)
class PreferenceRecord:
    """A stored preference."""

    id: int
    run_id: int
    example_id: int
    variant_a_id: int
    variant_b_id: int
    choice: str
    source: str
    shown_left: str
    rater: str
    detail: str


def list_preferences(
    project: Project, run_id: int, source: str | None = None
) -> list[PreferenceRecord]:
    """The run's preferences (of one source, or all), by example."""
    sql = (
        "SELECT id, run_id, example_id, variant_a_id, variant_b_id, choice, source, "
        "shown_left, rater, detail FROM preference WHERE run_id = :r"
    )
    params: dict[str, object] = {"r": run_id}
    if source is not None:
        sql += " AND source = :s"
        params["s"] = source
    with read_conn(project) as conn:
        rows = conn.execute(text(sql + " ORDER BY example_id, id"), params).all()
    return [PreferenceRecord(*r) for r in rows]


def preference_examples(
    project: Project,
    run_id: int,
    *,
    source: str | None = None,
    prompt_variant_id: int | None = None,
) -> list[PreferenceExample]:
    """Decided preferences as neutral preference pairs (ties and missing answers skipped).

    Args:
        source: only ``"human"`` or ``"judge"`` preferences (default both; a human choice
            wins over the judge's for the same example).
        prompt_variant_id: whose prompt version renders the prompt messages (default the
            run's first variant).
    """
    from studio.core.evals.run_store import load_examples, prepared_variants
    from studio.core.evals.workitems import build_messages

    variants = prepared_variants(project, run_id)
    if not variants:
        raise NotFoundError(f"Run {run_id} does not exist.", where=f"run {run_id}")
    by_id = {int(v.key): v for v in variants}
    prompt_variant = by_id.get(prompt_variant_id or int(variants[0].key))
    if prompt_variant is None:
        raise NotFoundError(f"Variant {prompt_variant_id} is not part of run {run_id}.")
    prefs = [p for p in list_preferences(project, run_id, source) if p.choice in ("a", "b")]
    # one preference per example: human before judge, latest first
    chosen_pref: dict[int, PreferenceRecord] = {}
    for p in sorted(prefs, key=lambda p: (p.source != "human", -p.id)):
        chosen_pref.setdefault(p.example_id, p)
    if not chosen_pref:
        return []
    outputs = answered_outputs(project, run_id)
    examples = {e.id: e for e in load_examples(project, sorted(chosen_pref))}
    out: list[PreferenceExample] = []
    for example_id, p in sorted(chosen_pref.items()):
        win, lose = (
            (p.variant_a_id, p.variant_b_id)
            if p.choice == "a"
            else (p.variant_b_id, p.variant_a_id)
        )
        chosen, rejected = outputs.get((win, example_id)), outputs.get((lose, example_id))
        example = examples.get(example_id)
        if chosen is None or rejected is None or example is None or chosen == rejected:
            continue
        try:
            messages = build_messages(prompt_variant.spec, example)
        except UserError:
            continue
        out.append(PreferenceExample(messages, chosen, rejected, example_id))
    return out


def export_preferences(
    project: Project,
    run_id: int,
    fmt: str,
    path: str | Path,
    *,
    source: str | None = None,
    prompt_variant_id: int | None = None,
) -> int:
    """Write the run's preference pairs as JSONL in format ``fmt``; returns how many.

    Written atomically (:func:`~studio.core.atomic.write_bytes_atomic`), so a failure
    never leaves half a file.
    """
    from studio.core.atomic import write_bytes_atomic
    from studio.core.formats.export import export_preference

    examples = preference_examples(
        project, run_id, source=source, prompt_variant_id=prompt_variant_id
    )
    records = [export_preference(fmt, ex) for ex in examples]
    data = "".join(json.dumps(rec, ensure_ascii=False) + "\n" for rec in records)
    write_bytes_atomic(path, data.encode("utf-8"))
    return len(records)


def iter_choices(prefs: list[PreferenceRecord]) -> Iterator[tuple[int, str]]:
    """``(example_id, choice)`` pairs (for quick tallies in tests and views)."""
    for p in prefs:
        yield p.example_id, p.choice
