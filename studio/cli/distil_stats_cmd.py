"""``studio distil stats``: what a distillation produced, as evidence (ISSUE 13 §4).

    studio distil stats DATASET --project FILE [--json]

Prints the candidates by status, acceptance by label, the agreement distribution, the
teacher's accuracy on rows that also have a human ideal (with its Wilson 95 % interval),
where the ideal outputs came from (human, teacher, unknown) and how many inputs are
synthetic (:mod:`studio.core.distil.evidence`). ``--json`` prints the same as one JSON
object. Exit 0, or 2 for an unknown dataset.
"""

from __future__ import annotations

import argparse
from typing import Any

from studio.cli.common import EXIT_OK, add_project_arg, opened_project, print_json


def add_parser(dsub: Any) -> None:
    """Add ``distil stats`` to the ``distil`` subparsers."""
    p = dsub.add_parser(
        "stats",
        help="review counts, agreement and teacher accuracy of a dataset's candidates",
        description="Show what distillation produced for a dataset: candidates by status, "
        "acceptance by label, the agreement distribution, the teacher's accuracy on rows "
        "with a human ideal (Wilson 95 % interval), ideal outputs by author and synthetic "
        "inputs.",
    )
    p.add_argument("dataset", metavar="DATASET", help="dataset name")
    add_project_arg(p)
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    p.set_defaults(func=_stats)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f} %"


def _stats(args: argparse.Namespace) -> int:
    from studio.core.distil.evidence import distil_evidence

    with opened_project(args.project) as project:
        ev = distil_evidence(project, args.dataset)
    if args.json:
        print_json(ev.to_json())
        return EXIT_OK
    lines = [
        f"Dataset {ev.dataset}: {ev.candidates} candidates — {ev.accepted} accepted, "
        f"{ev.rejected} rejected, {ev.pending} pending, {ev.failed} failed"
        + (f"; {ev.audit} audit answers (rows with a human ideal)." if ev.audit else "."),
        f"Acceptance: {_pct(ev.acceptance_rate)} of {ev.reviewed} reviewed.",
    ]
    if ev.by_label:
        lines.append("By label (accepted / reviewed):")
        lines += [f"  {k}: {a} / {r}" for k, (a, r) in ev.by_label.items()]
    if ev.agreement_hist:
        lines.append("Agreement: " + ", ".join(f"{b}: {n}" for b, n in ev.agreement_hist.items()))
    ci = ev.teacher_accuracy_ci
    if ci is None:
        lines.append(
            "Teacher accuracy: no row has both a human ideal and a teacher answer "
            "(measure it with `studio distil outputs ... --audit 50`)."
        )
    else:
        lines.append(
            f"Teacher vs human ideals: {ev.teacher_correct}/{ev.teacher_compared} = "
            f"{_pct(ev.teacher_accuracy)} (95 % CI {_pct(ci[0])}–{_pct(ci[1])}), from "
            f"{ev.teacher_from_audit} audit rows and "
            f"{ev.teacher_compared - ev.teacher_from_audit} reviewed rows."
        )
    lines.append(
        f"Ideal outputs: {ev.human_ideals} human-written, {ev.teacher_ideals} "
        f"teacher-generated, {ev.unknown_ideals} unknown; synthetic inputs: "
        f"{ev.synthetic_inputs}."
    )
    if ev.judges:  # who gave the judge scores (a judge prompt version and its model)
        lines.append(
            "Judge scores: " + ", ".join(f"{n} by {who}" for who, n in ev.judges.items()) + "."
        )
    if ev.mixed_judges:
        lines.append(f"Warning: {ev.mixed_judges}")
    if ev.cost_usd is not None:
        lines.append(f"Teacher cost so far: ${ev.cost_usd:.4f}.")
    print("\n".join(lines))
    return EXIT_OK
