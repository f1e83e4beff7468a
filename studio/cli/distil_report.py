"""How a distil run's outcome is printed: ``studio distil outputs`` and ``studio runs resume``.

Its own module so that ``runs`` and ``distil`` both use it without importing each other;
also the confirmation before calls and the judge's sentences, shared by ``distil
outputs`` and ``distil judge`` (which must not import each other both ways).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from studio.cli.common import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK, eprint, print_json


def confirm_calls(args: argparse.Namespace, to_send: int) -> int | None:
    """None to go on; an exit code when the user (or the missing terminal) says no."""
    if args.yes or to_send == 0:
        return None
    if not sys.stdin.isatty():
        eprint(
            f"studio: {to_send} calls would be sent and there is no terminal to confirm "
            "them: pass --yes to proceed."
        )
        return EXIT_BAD_INPUT
    sys.stderr.write("Send them? [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    if answer in ("y", "yes"):
        return None
    eprint("studio: nothing sent.")
    return EXIT_BAD_INPUT


def money(cost: float | None) -> str:
    """A cost for people (None: no price)."""
    return "unknown (a model without a price)" if cost is None else f"${cost:.4f}"


def report_outcome(outcome: Any, args: argparse.Namespace, judged: Any = None) -> int:
    """Print a distil run's outcome (``--json`` or a sentence); the exit code.

    Also used by ``studio runs resume`` on a distil run. ``judged``: the
    :class:`~studio.core.distil.judging.JudgeOutcome` of ``outputs --judge`` (JSON key
    ``"judge"``; judge calls that failed make exit 1).
    """
    if outcome.stop_kind is not None or outcome.failed_reason:
        eprint(f"studio: {outcome.failed_reason}")
        if outcome.stop_kind is not None:
            eprint(f"Resume with: studio runs resume {outcome.run_id} --project {args.project}")
    if args.json:
        shown = outcome.to_json()
        if judged is not None:
            shown["judge"] = judged.to_json()
        print_json(shown)
    else:
        sys.stdout.write(
            f"Run {outcome.run_id}: {outcome.rows} rows, {outcome.stored} candidates stored, "
            f"{outcome.failed} failed, {outcome.skipped} skipped"
            + (f", {outcome.audit} audit answers" if getattr(outcome, "audit", 0) else "")
            + f"; {outcome.calls} calls made, "
            f"cost {money(outcome.cost_usd)}.\n"
        )
    if judged is not None and not args.json:
        sys.stdout.write(judge_sentence(judged) + "\n")
        print_reasons(judged)
    if outcome.stop_kind is not None or outcome.cancelled:
        return EXIT_CHECK_FAILED
    if judged is not None and (judged.failed or judged.cancelled):
        return EXIT_CHECK_FAILED
    if outcome.failed_reason:
        return EXIT_BAD_INPUT
    return EXIT_OK


def judge_sentence(outcome: Any) -> str:
    """One line for people: what the judge did."""
    tail = " (cancelled)" if outcome.cancelled else ""
    return (
        f"Judge: {outcome.scored} scored, {outcome.unreadable} unreadable, "
        f"{outcome.failed} failed; {outcome.calls} calls made, cost "
        f"{money(outcome.cost_usd)}{tail}."
    )


def print_reasons(outcome: Any, limit: int = 10) -> None:
    """Why some candidates have no score (standard error, the first ``limit``)."""
    items = sorted(outcome.reasons.items())
    for cid, reason in items[:limit]:
        eprint(f"  candidate {cid}: {reason}")
    if len(items) > limit:
        eprint(f"  ... and {len(items) - limit} more (see --json).")
