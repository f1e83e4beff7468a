"""``studio decide``: the fine-tune decision report from the command line.

    studio decide --project FILE [--answers FILE.json] [--dataset NAME] [--today DATE]
                  [--json] [-o report.html|report.md]

The answers come from ``--answers`` or else from the ones saved in the project (the
app's guided form). ``--json`` prints ``Decision.to_json()``; ``-o`` writes a
self-contained HTML page or Markdown, chosen by the suffix; with neither, the Markdown
report goes to standard output. Exit 0 when a decision was made, 2 on bad input.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from studio.cli.common import (
    EXIT_OK,
    CliUsageError,
    add_force_arg,
    add_project_arg,
    eprint,
    open_project_arg,
    print_json,
)


def register(sub: Any) -> None:
    """Add the ``decide`` command."""
    p = sub.add_parser(
        "decide",
        help="recommend prompt, structured outputs, retrieval or a fine-tune, with reasons",
        description="Recommend what to do next (keep improving the prompt, structured "
        "outputs, retrieval, fine-tune a small model, collect more data, or an "
        "agent design) from your answers and the project's own numbers.",
    )
    add_project_arg(p)
    p.add_argument(
        "--answers",
        metavar="FILE.json",
        type=Path,
        help="the guided form's answers as JSON (default: the answers saved in the project)",
    )
    p.add_argument(
        "--dataset",
        metavar="NAME",
        help="dataset to take the evidence from (default: the one with the latest "
        "completed test-split run)",
    )
    p.add_argument(
        "--today",
        metavar="YYYY-MM-DD",
        help="the date dated facts are compared with (default: today)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help='print {"recommendation", "reasons", "evidence", ...} as JSON',
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="REPORT.html|REPORT.md",
        type=Path,
        help="write the report: .html (self-contained, with charts) or .md",
    )
    add_force_arg(p)
    p.set_defaults(func=_decide)


def _today(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CliUsageError(f"--today must be a date like 2026-11-22, not {value!r}.") from exc


def _decide(args: argparse.Namespace) -> int:
    from studio.core.decide.answers import load_answers
    from studio.core.decide.compute import compute_decision, report_format, write_report
    from studio.core.decide.report import render_markdown
    from studio.core.decide.store import load_saved_answers
    from studio.core.output_paths import check_output_file

    today = _today(args.today)
    if args.output is not None:
        report_format(args.output)  # a bad suffix fails before any work
        check_output_file(
            args.output, project=args.project, inputs=[args.answers], force=args.force
        )
    answers = load_answers(args.answers) if args.answers is not None else None
    project = open_project_arg(args.project)
    try:
        if answers is None:
            answers = load_saved_answers(project)
            if answers is None:
                raise CliUsageError(
                    f"{args.project} has no saved decision answers: fill in the form in the "
                    "app's Decide view, or pass --answers FILE.json (fields: must_change, "
                    "calls_per_day, quality_target, ...)."
                )
        decision = compute_decision(project, answers, today=today, dataset=args.dataset)
    finally:
        project.close()
    if args.output is not None:
        kind = write_report(decision, args.output)
        eprint(
            f"Wrote the {'HTML' if kind == 'html' else 'Markdown'} report to {args.output}: "
            f"{decision.headline}"
        )
    if args.json:
        print_json(decision.to_json())
    elif args.output is None:
        sys.stdout.write(render_markdown(decision))
    return EXIT_OK
