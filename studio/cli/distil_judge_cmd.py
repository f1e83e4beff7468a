"""``studio distil judge``: score teacher candidates with a judge prompt version.

    studio distil judge DATASET --project FILE --judge NAME@VERSION
                        [--where KEY=VALUE ... | --ids IDS] [--concurrency N]
                        [--base-url URL | --provider NAME] [--api-key-env NAME]
                        [--allow-insecure-key] [--timeout S] [--deadline S] [--yes] [--json]

The judge is a *single-answer grader* (:mod:`studio.core.distil.judging`): a prompt
version using ``{{input}}``, ``{{output}}`` (the teacher's answer) and ``{{ideal}}`` (the
row's human ideal output, empty when it has none) that answers a score — "Score: 7/10",
"[[8]]", "0.8", "pass"/"fail", read as a share 0–1 (the rule:
:mod:`studio.core.distil.judge_scores`). An unreadable answer stores no score and the
reason is printed. The score is stored on the candidate (``judge_score``) with who gave
it (``judge_ref``: the judge version as ``NAME@N``, a label resolved now; ``judge_model``;
``judged_at``), shown by ``studio distil list`` and the app, and ``studio distil accept
--min-judge X`` uses it (warning when the accepted scores come from several judges).

Without ``--where``/``--ids`` each row's current pending candidate is judged; with them
(example ids, as ``studio distil accept``) the selected rows' current candidates, whatever
their review status. Before any call it prints the calls and the cost estimate and asks
(``--yes`` answers for you; without a terminal ``--yes`` is required). Judge calls go
through the response cache: judging the same answers again makes 0 calls.
``studio distil outputs --judge NAME@VERSION`` judges the new candidates after the
teacher's calls.

``--json`` prints ``{"judge_ref", "judge_model", "scored", "unreadable", "failed",
"skipped", "calls", "cost", "cancelled", "reasons"}`` (reasons: candidate id -> why it
has no score).

Exit codes: 0 ok (unreadable answers included: they are counted), 1 some judge calls
failed after retries, 2 bad input (naming the flag) or a refused confirmation.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from studio.cli.common import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    CliUsageError,
    add_project_arg,
    eprint,
    fraction_type,
    opened_project,
    print_json,
)

JUDGE_HELP = (
    "judge prompt version NAME@VERSION (or NAME@label): uses {{input}}, {{output}} and "
    "{{ideal}} and answers a score (Score: 7/10, [[8]], 0.8, pass/fail), stored as 0-1"
)
MIN_JUDGE = fraction_type("--min-judge")


def add_parser(dsub: Any) -> None:
    """Add ``judge`` to the ``distil`` command's subparsers."""
    from studio.cli.dataset_curate_cmd import WHERE_HELP, _add_selection
    from studio.cli.provider_args import DEFAULT_BASE_URL, add_key_args, add_provider_args
    from studio.cli.runs_cmd import add_limit_args

    p = dsub.add_parser(
        "judge",
        help="score teacher candidates with a judge prompt (stored as judge_score, 0-1)",
        description="Ask a judge prompt version to grade each selected row's current "
        "teacher candidate; the score (0-1) is stored on the candidate and "
        "`studio distil accept --min-judge X` uses it.",
        epilog=WHERE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_project_arg(p)
    p.add_argument("dataset", metavar="DATASET", help="dataset name")
    p.add_argument("--judge", required=True, metavar="NAME@VERSION", help=JUDGE_HELP)
    _add_selection(p, changing=False)
    p.add_argument(
        "--concurrency", type=int, default=8, metavar="N", help="requests in flight, 1-64"
    )
    p.add_argument(
        "--base-url",
        default=None,
        metavar="URL",
        help=f"OpenAI-compatible base URL (default: {DEFAULT_BASE_URL})",
    )
    add_provider_args(p)
    add_key_args(p)
    add_limit_args(p)
    p.add_argument("--yes", action="store_true", help="do not ask before calling the judge")
    p.add_argument(
        "--json",
        action="store_true",
        help='print {"scored", "unreadable", "failed", "skipped", "calls", "cost", ...}',
    )
    p.set_defaults(func=_judge)


def judge_flag_error(exc: Any) -> CliUsageError:
    """A core error about the judge prompt, naming ``--judge``."""
    return CliUsageError(f"--judge: {exc.message}")


def print_judge_plan(plan: Any, ref: str, *, before_teacher: bool = False) -> None:
    """The judge's calls and cost estimate, before any call (standard error)."""
    from studio.cli.distil_report import money

    if before_teacher:
        eprint(
            f"Then up to {plan.n_calls} judge calls with {ref} (one per stored candidate); "
            f"estimated cost {money(plan.cost_usd)}; the answers are not known yet."
        )
        return
    eprint(
        f"{plan.candidates} candidates to judge with {ref}: {plan.n_calls} calls "
        f"({plan.n_cached} cached, {plan.n_calls - plan.n_cached} to send); estimated cost "
        f"{money(plan.cost_usd)}. {plan.price_note}".rstrip()
    )
    if plan.skipped:
        parts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(plan.skipped.items()))
        eprint(f"Skipped {sum(plan.skipped.values())} candidates: {parts}.")


def _candidate_ids(project: Any, args: argparse.Namespace) -> list[int] | None:
    """The current candidates of the rows ``--where``/``--ids`` select (None: default)."""
    if not args.ids and not args.where:
        return None
    from studio.cli.dataset_curate_cmd import _filter, _warn_missing_ids
    from studio.core.datasets.catalog import get_dataset
    from studio.core.datasets.queries import query_ids
    from studio.core.distil.candidates import current_candidates

    info = get_dataset(project, args.dataset)
    flt = _filter(args, changing=False)
    _warn_missing_ids(project, info.id, flt, info.name)
    ids = query_ids(project, info.id, flt)
    return sorted(c.id for c in current_candidates(project, ids).values())


def _judge(args: argparse.Namespace) -> int:
    from studio.cli.distil_report import confirm_calls, judge_sentence, print_reasons
    from studio.cli.provider_args import resolve_target
    from studio.cli.runs_cmd import limits_from_args
    from studio.core.distil.judging import judge_candidates, plan_judging
    from studio.core.errors import NotFoundError, ValidationError

    if not 1 <= args.concurrency <= 64:
        raise CliUsageError(f"--concurrency must be from 1 to 64 (got {args.concurrency}).")
    limits = limits_from_args(args)
    target = resolve_target(args)
    with opened_project(args.project) as project:
        from studio.core.datasets.catalog import get_dataset

        get_dataset(project, args.dataset)  # an unknown dataset is named before the judge
        cids = _candidate_ids(project, args)
        try:
            plan = plan_judging(
                project, args.dataset, args.judge, provider=target.provider, candidate_ids=cids
            )
        except (ValidationError, NotFoundError) as exc:
            raise judge_flag_error(exc) from None
        print_judge_plan(plan, args.judge)
        refused = confirm_calls(args, plan.n_calls - plan.n_cached)
        if refused is not None:
            return refused
        outcome = judge_candidates(
            project,
            args.dataset,
            args.judge,
            provider=target.provider,
            key=target.key,
            candidate_ids=cids,
            concurrency=args.concurrency,
            limits=limits,
        )
    if args.json:
        print_json(outcome.to_json())
    else:
        sys.stdout.write(judge_sentence(outcome) + "\n")
        print_reasons(outcome)
    return EXIT_CHECK_FAILED if outcome.failed or outcome.cancelled else EXIT_OK
