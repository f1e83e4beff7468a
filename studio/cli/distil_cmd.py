"""``studio distil``: build a training set from the prompt that already works (ISSUE 13).

    studio distil outputs --project FILE --dataset D --prompt NAME@VERSION_OR_LABEL
                          [--model M] [--where KEY=VALUE ... | --ids IDS]
                          [--samples K] [--temperature T] [--include-test]
                          [--audit N]
                          [--concurrency N] [--base-url URL | --provider NAME]
                          [--api-key-env NAME] [--allow-insecure-key]
                          [--timeout S] [--deadline S] [--judge NAME@VERSION]
                          [--yes] [--json]

``outputs`` asks the teacher (the prompt version rendered with each selected row) and
stores each answer as a *candidate* for the row's ideal output, with its provenance.
Rows with an approved ideal output, test-split rows (unless ``--include-test``) and rows
that already have a pending candidate from the same version and model are skipped.
Before any call it prints the number of calls and the cost estimate and asks (``--yes``
answers for you; without a terminal, ``--yes`` is required). ``--json`` prints
``{"run", "rows", "stored", "failed", "skipped", "calls", "cost"}``. With ``--judge`` the
new candidates are then scored by that judge prompt (``studio distil judge``; its calls
are counted in the confirmation) and the JSON gains ``"judge"``. The judge is stored on
the run (resolved to ``NAME@N``): ``studio runs resume`` of an interrupted run judges
the candidates it produces with the same judge (those judged before: 0 calls, cached).

``--audit N`` also asks N rows that HAVE an approved human ideal (a seeded sample,
stratified by label; test rows only with ``--include-test``): their answers are stored
as ``audit`` candidates, never accepted, and measure the teacher (``studio distil
stats``); the plan counts their calls and cost, and ``--json`` gains ``"audit"``.

The other ``distil`` subcommands (``inputs``, ``accept``, ``reject``, ``list``) live in
their own modules ``studio/cli/distil_<x>_cmd.py`` and are added here when present.

Exit codes: 0 ok, 1 the run stopped with calls unanswered or some answers failed,
2 bad input (naming the field) or a refused confirmation.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from typing import Any

from studio.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    CliUsageError,
    add_project_arg,
    eprint,
    opened_project,
    print_json,
)

# Subcommand modules of other parts of the distil work: wired when they exist, so each
# branch works alone (each exposes ``add_parser(dsub)``).
_OPTIONAL_MODULES = (
    "studio.cli.distil_inputs_cmd",
    "studio.cli.distil_review_cmd",
    "studio.cli.distil_stats_cmd",
    "studio.cli.distil_judge_cmd",
)


def register(sub: Any) -> None:
    """Add the ``distil`` command with ``outputs`` and the optional subcommands."""
    p = sub.add_parser(
        "distil",
        help="teacher outputs and synthetic inputs for a training set, and their review",
        description="Build a fine-tuning set from a prompt version that already works: "
        "the teacher's answers become candidates for the rows' ideal outputs.",
    )
    dsub = p.add_subparsers(dest="distil_command", metavar="SUBCOMMAND")
    p.set_defaults(func=lambda _a: _missing(p))
    _add_outputs(dsub)
    for name in _OPTIONAL_MODULES:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name).add_parser(dsub)


def _missing(p: argparse.ArgumentParser) -> int:
    p.print_usage(sys.stderr)
    eprint("studio: choose a subcommand, e.g. `studio distil outputs --help`.")
    return EXIT_BAD_INPUT


def _add_outputs(dsub: Any) -> None:
    from studio.cli.dataset_curate_cmd import WHERE_HELP, _add_selection
    from studio.cli.provider_args import DEFAULT_BASE_URL, add_key_args, add_provider_args
    from studio.cli.runs_cmd import add_limit_args

    p = dsub.add_parser(
        "outputs",
        help="ask the teacher prompt for each row's ideal output (stored as candidates)",
        description="For each selected row without an approved ideal output, call the "
        "teacher (the prompt version rendered with the row) and store its answer as a "
        "candidate with its provenance. Test-split rows are skipped unless --include-test.",
        epilog=WHERE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_project_arg(p)
    p.add_argument("--dataset", required=True, metavar="NAME", help="the dataset")
    p.add_argument(
        "--prompt",
        required=True,
        metavar="NAME@VERSION",
        help="the teacher prompt version (or NAME@label)",
    )
    p.add_argument("--model", default=None, metavar="M", help="model (default: the version's)")
    _add_selection(p, changing=False)
    p.add_argument(
        "--samples",
        type=int,
        default=1,
        metavar="K",
        help="answers per row (K > 1 stores the majority answer and its agreement; "
        "needs a temperature above 0)",
    )
    p.add_argument(
        "--temperature",
        type=float,
        default=None,
        metavar="T",
        help="sampling temperature (default: the version's)",
    )
    p.add_argument("--include-test", action="store_true", help="also ask for test-split rows")
    p.add_argument(
        "--audit",
        type=int,
        default=0,
        metavar="N",
        help="also ask N rows that have an approved human ideal (stored as audit "
        "candidates, never accepted) to measure the teacher's accuracy; e.g. 50",
    )
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
    if importlib.util.find_spec("studio.cli.distil_judge_cmd") is not None:
        from studio.cli.distil_judge_cmd import JUDGE_HELP

        p.add_argument(
            "--judge",
            default=None,
            metavar="NAME@VERSION",
            help="then score the new candidates with this " + JUDGE_HELP,
        )
    p.add_argument("--yes", action="store_true", help="do not ask before calling the model")
    p.add_argument(
        "--json",
        action="store_true",
        help='print {"run", "rows", "stored", "failed", "skipped", "calls", "cost", "audit"}',
    )
    p.set_defaults(func=_outputs)


# Core validation fields -> the flag that sets them (bad input names the flag).
_FLAGS = {
    "samples": "--samples",
    "temperature": "--temperature",
    "concurrency": "--concurrency",
    "model": "--model",
    "dataset": "--dataset",
    "audit": "--audit",
}


def _outputs(args: argparse.Namespace) -> int:
    from studio.cli.provider_args import resolve_target
    from studio.cli.runs_cmd import limits_from_args
    from studio.core.datasets.catalog import get_dataset
    from studio.core.distil.outputs import OutputsSpec, plan_outputs
    from studio.core.errors import ValidationError

    limits = limits_from_args(args)
    target = resolve_target(args)
    with opened_project(args.project) as project:
        info = get_dataset(project, args.dataset)
        spec = OutputsSpec(
            dataset=info.id,
            prompt_ref=args.prompt,
            provider=target.provider,
            model=args.model,
            example_ids=_selected_ids(args, project, info),
            samples=args.samples,
            temperature=args.temperature,
            include_test=args.include_test,
            concurrency=args.concurrency,
            limits=limits,
            audit=args.audit,
            judge=getattr(args, "judge", None),  # stored on the run: a resume judges too
        )
        try:
            plan = plan_outputs(project, spec)
        except ValidationError as exc:
            flag = _FLAGS.get(exc.where or "")
            raise CliUsageError(f"{flag}: {exc.message}" if flag else exc.message) from None
        _print_plan(plan, args, spec.samples)
        judge_calls = _judge_plan(args, project, spec, plan)
        if plan.rows == 0:
            if plan.audit_rows:  # only the audit sample to ask
                refused = _confirm(args, plan.n_calls - plan.n_cached)
                return refused if refused is not None else _run(args, project, spec, target.key)
            empty: dict[str, Any] = {"run": None, "rows": 0, "stored": 0, "failed": 0}
            empty.update({"skipped": sum(plan.skipped.values()), "calls": 0, "cost": 0.0})
            empty["audit"] = 0
            if args.json:
                print_json(empty)
            else:
                sys.stdout.write("Nothing to ask: no selected row needs a teacher output.\n")
            return EXIT_OK
        refused = _confirm(args, plan.n_calls - plan.n_cached + judge_calls)
        if refused is not None:
            return refused
        return _run(args, project, spec, target.key)


def _selected_ids(args: argparse.Namespace, project: Any, info: Any) -> list[int] | None:
    """The ``--ids``/``--where`` selection as example ids (None: every row)."""
    if not args.ids and not args.where:
        return None
    from studio.cli.dataset_curate_cmd import _filter, _warn_missing_ids
    from studio.core.datasets.queries import query_ids

    flt = _filter(args, changing=False)
    _warn_missing_ids(project, info.id, flt, info.name)
    return query_ids(project, info.id, flt)


def _print_plan(plan: Any, args: argparse.Namespace, samples: int) -> None:
    """The calls and the cost estimate, before any call (standard error)."""
    from studio.cli.distil_report import money

    per = f" x {samples} samples" if samples > 1 else ""
    eprint(
        f"{plan.rows} rows{per}: {plan.n_calls} calls ({plan.n_cached} cached, "
        f"{plan.n_calls - plan.n_cached} to send); estimated cost {money(plan.cost_usd)}. "
        f"{plan.price_note}".rstrip()
    )
    if plan.skipped:
        parts = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in plan.skipped.items())
        eprint(f"Skipped {sum(plan.skipped.values())} rows: {parts}.")
    if args.audit:
        eprint(
            f"Audit: {plan.audit_rows} rows with a human ideal asked too, to measure the "
            f"teacher ({plan.audit_rows * samples} of the calls; stored as audit, never "
            "accepted)."
        )
    if plan.audit_note:
        eprint(plan.audit_note)


def _confirm(args: argparse.Namespace, to_send: int) -> int | None:
    """None to go on; an exit code when the user (or the missing terminal) says no."""
    from studio.cli.distil_report import confirm_calls

    return confirm_calls(args, to_send)


def _run(args: argparse.Namespace, project: Any, spec: Any, key: str | None) -> int:
    from studio.core.distil.outputs import create_outputs_run, execute_outputs_run

    run_id = create_outputs_run(project, spec)
    if not args.json:
        eprint(f"Run {run_id}: asking {spec.provider.base_url} ...")
    outcome = execute_outputs_run(project, run_id, key=key)
    from studio.cli.distil_report import report_outcome

    judged = None
    if spec.judge and outcome.stop_kind is None and not outcome.cancelled:
        from studio.core.distil.run_judge import judge_run

        # the judge stored on the run (resolved to NAME@N): `runs resume` uses the same
        judged = judge_run(
            project,
            run_id,
            provider=spec.provider,
            key=key,
            concurrency=spec.concurrency,
            limits=spec.limits,
        )
    return report_outcome(outcome, args, judged)


def _judge_plan(args: argparse.Namespace, project: Any, spec: Any, plan: Any) -> int:
    """With ``--judge``: check the judge prompt, print its calls and cost; its call count."""
    if not getattr(args, "judge", None):
        return 0
    from studio.cli.distil_judge_cmd import judge_flag_error, print_judge_plan
    from studio.core.distil.judging import estimate_judge_rows
    from studio.core.errors import NotFoundError, ValidationError

    try:
        jplan = estimate_judge_rows(
            project, args.judge, provider=spec.provider, example_ids=plan.example_ids
        )
    except (ValidationError, NotFoundError) as exc:
        raise judge_flag_error(exc) from None
    if plan.rows:
        print_judge_plan(jplan, args.judge, before_teacher=True)
    return int(jplan.n_calls)
