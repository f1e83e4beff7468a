"""How a distil run's outcome is printed: ``studio distil outputs`` and ``studio runs resume``.

Its own module so that ``runs`` and ``distil`` both use it without importing each other.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from studio.cli.common import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK, eprint, print_json


def money(cost: float | None) -> str:
    """A cost for people (None: no price)."""
    return "unknown (a model without a price)" if cost is None else f"${cost:.4f}"


def report_outcome(outcome: Any, args: argparse.Namespace) -> int:
    """Print a distil run's outcome (``--json`` or a sentence); the exit code.

    Also used by ``studio runs resume`` on a distil run.
    """
    if outcome.stop_kind is not None or outcome.failed_reason:
        eprint(f"studio: {outcome.failed_reason}")
        if outcome.stop_kind is not None:
            eprint(f"Resume with: studio runs resume {outcome.run_id} --project {args.project}")
    if args.json:
        print_json(outcome.to_json())
    else:
        sys.stdout.write(
            f"Run {outcome.run_id}: {outcome.rows} rows, {outcome.stored} candidates stored, "
            f"{outcome.failed} failed, {outcome.skipped} skipped"
            + (f", {outcome.audit} audit answers" if getattr(outcome, "audit", 0) else "")
            + f"; {outcome.calls} calls made, "
            f"cost {money(outcome.cost_usd)}.\n"
        )
    if outcome.stop_kind is not None or outcome.cancelled:
        return EXIT_CHECK_FAILED
    if outcome.failed_reason:
        return EXIT_BAD_INPUT
    return EXIT_OK
