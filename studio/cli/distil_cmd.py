"""``studio distil``: build a training set from the prompt that already works (ISSUE 13).

    studio distil outputs --project FILE --dataset D --prompt NAME@VERSION_OR_LABEL
                          [--model M] [--where KEY=VALUE ... | --ids IDS]
                          [--samples K] [--temperature T] [--include-test]
                          [--concurrency N] [--base-url URL | --provider NAME]
                          [--api-key-env NAME] [--allow-insecure-key]
                          [--timeout S] [--deadline S] [--yes] [--json]

``outputs`` asks the teacher (the prompt version rendered with each selected row) and
stores each answer as a *candidate* for the row's ideal output, with its provenance.
Rows with an approved ideal output, test-split rows (unless ``--include-test``) and rows
that already have a pending candidate from the same version and model are skipped.
Before any call it prints the number of calls and the cost estimate and asks (``--yes``
answers for you; without a terminal, ``--yes`` is required). ``--json`` prints
``{"run", "rows", "stored", "failed", "skipped", "calls", "cost"}``.

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
    EXIT_CHECK_FAILED,
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
    p.add_argument(
        "--include-test", action="store_true", help="also ask for test-split rows"
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
    p.add_argument("--yes", action="store_true", help="do not ask before calling the model")
    p.add_argument(
        "--json",
        action="store_true",
        help='print {"run", "rows", "stored", "failed", "skipped", "calls", "cost"}',
    )
    p.set_defaults(func=_outputs)


def _outputs(args: argparse.Namespace) -> int:
    raise CliUsageError("studio distil outputs is not finished yet.")


__all__ = ["EXIT_CHECK_FAILED", "EXIT_OK", "opened_project", "print_json", "register"]
