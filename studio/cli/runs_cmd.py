"""``studio runs``: list, show and resume A/B runs.

    studio runs list   --project FILE [--dataset NAME] [--json]
    studio runs show   RUN_ID --project FILE [--json]
    studio runs resume RUN_ID --project FILE [--timeout S] [--deadline S] [--no-cache]
                       [--api-key-env NAME] [--allow-insecure-key] [--json]

A run whose process died (kill -9, a crash, power loss) shows as ``interrupted``: the
process executing a run holds an OS lock on a file beside the project, and the lock is
gone when the process is. ``resume`` continues an interrupted, cancelled, failed or
pending run and calls the model only for the cases with no stored answer. A distil run
started with ``--judge`` is then judged with that judge (stored on the run; candidates
judged before come from the cache).

The key for ``resume`` follows the same rules as ``studio ab``
(:mod:`studio.core.llm.key_policy`): the key saved for the run's provider (keyring),
``OPENAI_API_KEY`` only for OpenAI's own host, or the variable named by ``--api-key-env``;
a local server needs none.

Exit codes: 0 ok, 1 the resumed run stopped with calls still unanswered (server silent,
deadline, failed calls), 2 bad input (no such run, a completed or still running run).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from studio.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_CHECK_FAILED,
    EXIT_OK,
    CliUsageError,
    add_project_arg,
    eprint,
    opened_project,
    print_json,
)
from studio.cli.provider_args import add_key_args, key_target


def add_limit_args(p: argparse.ArgumentParser) -> None:
    """``--timeout`` and ``--deadline`` (shared by ``ab`` and ``runs resume``)."""
    from studio.core.evals.limits import DEFAULT_REQUEST_TIMEOUT_S, STALL_FACTOR

    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help=f"per-request read timeout (default {DEFAULT_REQUEST_TIMEOUT_S:g} s); "
        f"a server that sends no answer at all for {STALL_FACTOR:g} x the "
        "timeout stops the run (exit 1; default 75 s); unanswered cases stay "
        "pending for `studio runs resume`",
    )
    p.add_argument(
        "--deadline",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop the whole run after this many seconds (default: none); "
        "unanswered cases stay pending",
    )


def add_no_cache_arg(parser: argparse.ArgumentParser) -> None:
    """Add ``--no-cache`` (``studio ab`` and ``studio runs resume``)."""
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="ask the model again even when an identical request is cached",
    )


def limits_from_args(args: argparse.Namespace, stored: Any = None) -> Any:
    """The :class:`RunLimits` of ``--timeout``/``--deadline`` (None = keep ``stored``)."""
    from studio.core.errors import ValidationError
    from studio.core.evals.limits import RunLimits

    timeout = getattr(args, "timeout", None)
    deadline = getattr(args, "deadline", None)
    if timeout is None and deadline is None:
        return stored
    base = stored or RunLimits()
    try:
        return RunLimits(
            request_timeout_s=base.request_timeout_s if timeout is None else timeout,
            deadline_s=base.deadline_s if deadline is None else deadline,
            stall_s=base.stall_s,
        )
    except ValidationError as exc:
        raise CliUsageError(f"--{exc.where}: {exc.message}") from exc


def report_stop(outcome: Any, project_path: Any, project: Any = None) -> int | None:
    """Print why a run stopped early; the exit code, or None when it did not.

    With ``project`` (``--json``), standard output also gets the run's figures so far as
    ``studio ab --json`` prints them, plus ``"stopped": {"kind", "message", "pending"}``.
    """
    if outcome.stop_kind is None:
        return None
    eprint(f"studio: {outcome.failed_reason}")
    eprint(f"Resume with: studio runs resume {outcome.run_id} --project {project_path}")
    if project is not None:
        from studio.core.evals import run_results

        doc = run_results.run_summary(project, outcome.run_id).to_cli_json()
        doc["stopped"] = {
            "kind": outcome.stop_kind,
            "message": outcome.failed_reason,
            "pending": outcome.pending,
        }
        print_json(doc)
    return EXIT_CHECK_FAILED


def register(sub: Any) -> None:
    """Add the ``runs`` command with ``list``, ``show`` and ``resume``."""
    p = sub.add_parser(
        "runs",
        help="list, show and resume A/B runs (interrupted ones included)",
        description="List the project's A/B runs with their status (a run whose process "
        "died shows as interrupted), show one, or resume one: only cases with "
        "no stored answer are sent to the model.",
    )
    rsub = p.add_subparsers(dest="runs_command", metavar="SUBCOMMAND")
    p.set_defaults(func=lambda _a: _missing(p))

    ls = rsub.add_parser("list", help="the runs, newest first, with their status")
    add_project_arg(ls)
    ls.add_argument("--dataset", default=None, metavar="NAME", help="only the runs on this dataset")
    ls.add_argument(
        "--json",
        action="store_true",
        help='print [{"run_id", "status", "calls", "answered", "pending", ...}]',
    )
    ls.set_defaults(func=_list)

    show = rsub.add_parser("show", help="one run: status, progress and figures")
    show.add_argument("run_id", type=int, metavar="RUN_ID")
    add_project_arg(show)
    show.add_argument(
        "--json",
        action="store_true",
        help='print {"run": {...status...}, "summary": {...as studio ab --json}}',
    )
    show.set_defaults(func=_show)

    res = rsub.add_parser("resume", help="continue an interrupted, cancelled or failed run")
    res.add_argument("run_id", type=int, metavar="RUN_ID")
    add_project_arg(res)
    add_limit_args(res)
    add_key_args(res)
    add_no_cache_arg(res)
    res.add_argument(
        "--json", action="store_true", help="print the finished run as studio ab --json does"
    )
    res.add_argument(
        "--join",
        action="store_true",
        help="help finish a run another process (or machine) is executing: each claims "
        "cases before sending them, so none is paid for twice",
    )
    res.set_defaults(func=_resume)


def _missing(p: argparse.ArgumentParser) -> int:
    p.print_usage(sys.stderr)
    eprint("studio: choose one of: runs list, runs show RUN_ID, runs resume RUN_ID.")
    return EXIT_BAD_INPUT


def _list(args: argparse.Namespace) -> int:
    from studio.core.evals.run_state import run_states

    with opened_project(args.project) as project:
        states = run_states(project)
    if args.dataset is not None:
        states = [s for s in states if s.dataset == args.dataset]
    if args.json:
        print_json([s.to_json() for s in states])
        return EXIT_OK
    if not states:
        sys.stdout.write("No runs yet.\n")
        return EXIT_OK
    sys.stdout.write(
        f"{'id':>4}  {'kind':<6} {'status':<12} {'answered':>9}  {'dataset':<20} variants\n"
    )
    for s in states:
        sys.stdout.write(
            f"{s.run_id:>4}  {s.kind:<6} {s.status:<12} {s.answered:>4}/{s.calls:<4}  "
            f"{s.dataset[:20]:<20} {' vs '.join(s.variants)}\n"
        )
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    from studio.core.evals import run_results
    from studio.core.evals.run_state import run_state
    from studio.core.evals.summary import format_text

    with opened_project(args.project) as project:
        state = run_state(project, args.run_id)
        if state.kind == "distil":  # teacher outputs: candidates, not a comparison
            return _show_distil(project, state, args)
        summary = run_results.run_summary(project, args.run_id)
    if args.json:
        print_json({"run": state.to_json(), "summary": summary.to_cli_json()})
        return EXIT_OK
    line = (
        f"Run {state.run_id}: {state.status}, {state.answered} of {state.calls} calls "
        f"answered, {state.pending} pending"
    )
    if state.owner:
        line += f" ({'run by' if state.status == 'running' else 'was run by'} {state.owner})"
    sys.stdout.write(line + ".\n")
    if state.failed_reason:
        sys.stdout.write(f"Stopped: {state.failed_reason}\n")
    if state.status == "interrupted":
        sys.stdout.write(
            f"Its process is gone. Resume with: studio runs resume {state.run_id} "
            f"--project {args.project}\n"
        )
    sys.stdout.write(format_text(summary))
    return EXIT_OK


def _show_distil(project: Any, state: Any, args: argparse.Namespace) -> int:
    from studio.core.distil.outputs_store import run_counts

    counts = run_counts(project, state.run_id)
    doc = {
        "rows": counts.rows,
        "stored": counts.stored,
        "failed": counts.failed,
        "skipped": counts.skipped,
        "cost": counts.cost_usd,
        "audit": counts.audit,
    }
    if args.json:
        print_json({"run": state.to_json(), "distil": doc})
        return EXIT_OK
    sys.stdout.write(
        f"Distil run {state.run_id}: {state.status}, {state.answered} of {state.calls} calls "
        f"answered; {counts.rows} rows, {counts.stored} candidates stored, {counts.failed} "
        f"failed, {counts.skipped} skipped.\n"
    )
    if state.resumable:
        sys.stdout.write(
            f"Resume with: studio runs resume {state.run_id} --project {args.project}\n"
        )
    return EXIT_OK


def _resume(args: argparse.Namespace) -> int:
    from studio.core.evals import run_execute, run_results, run_store
    from studio.core.evals.limits import RunLimits
    from studio.core.evals.review import run_meta
    from studio.core.evals.run_state import check_resumable
    from studio.core.evals.summary import format_text
    from studio.core.llm.provider_store import load_providers

    with opened_project(args.project) as project:
        join = bool(getattr(args, "join", False))
        state = check_resumable(project, args.run_id, join=join)
        meta = run_meta(project, args.run_id)
        if meta.provider is None:
            raise CliUsageError(f"run {args.run_id} has no usable provider settings.")
        # The same key policy as `studio ab`: a saved provider's key, the environment
        # keys only for their own hosts, or --api-key-env.
        saved = load_providers().get(meta.provider.name) is not None
        key = key_target(meta.provider, args, saved=saved).key
        limits = limits_from_args(args, stored=None)
        if limits is not None:
            # Only the flags given change the stored settings.
            stored = RunLimits.from_json(run_store.run_plan(project, args.run_id).get("limits"))
            limits = limits_from_args(args, stored=stored)
        if not args.json:
            doing = "Helping finish" if state.status == "running" else "Resuming"
            eprint(
                f"{doing} run {state.run_id} ({state.status}): {state.pending} of "
                f"{state.calls} calls have no answer yet, at {meta.provider.base_url} ..."
            )
        if state.kind == "distil":  # teacher outputs: resumed and reported as distil runs
            from studio.cli.distil_report import report_outcome
            from studio.core.distil.outputs import execute_outputs_run
            from studio.core.distil.run_judge import judge_run

            done = execute_outputs_run(
                project, args.run_id, key=key, cache=not args.no_cache, limits=limits, join=join
            )
            judged = None
            if done.stop_kind is None and not done.cancelled:
                # a run started with --judge: its judge scores what the resume produced
                judged = judge_run(
                    project, args.run_id, provider=meta.provider, key=key, limits=limits
                )
            return report_outcome(done, args, judged)
        outcome = run_execute.execute_run(
            project, args.run_id, key=key, cache=not args.no_cache, limits=limits, join=join
        )
        stopped = report_stop(outcome, args.project, project if args.json else None)
        if stopped is not None:
            return stopped
        if outcome.failed_reason:
            eprint(f"studio: {outcome.failed_reason}")
            return EXIT_BAD_INPUT
        summary = run_results.run_summary(project, args.run_id)
    if args.json:
        doc = summary.to_cli_json()
        doc["resumed"] = {
            "calls_made": outcome.calls_made,
            "cached": outcome.cached,
            "failed": outcome.failed,
            "claimed": outcome.claimed,
            "taken_over": outcome.taken_over,
            "finished_here": outcome.finished_here,
        }
        print_json(doc)
    else:
        sys.stdout.write(format_text(summary))
    if summary.calls.get("failed", 0) > 0:
        return EXIT_CHECK_FAILED
    return EXIT_OK
