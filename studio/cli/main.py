"""The ``studio`` command line: argparse over the same core services as the app.

Exit codes: 0 ok, 1 a check failed, 2 bad usage or bad input. A user error prints one
sentence naming the file or field; never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable

from studio import __version__
from studio.cli.common import EXIT_BAD_INPUT, EXIT_OK, CliUsageError, eprint
from studio.core.errors import CancelledError, UserError

# Each module defines ``register(subparsers)``; its subcommands set ``func`` returning an int.
COMMAND_MODULES = [
    "studio.cli.project_cmd",
    "studio.cli.prompt_cmd",
    "studio.cli.dataset_cmd",
    "studio.cli.validate_cmd",
    "studio.cli.ab_cmd",
    "studio.cli.decide_cmd",
    "studio.cli.runs_cmd",
]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse exits 2 on bad usage already; keep its message but make it a sentence
        self.print_usage(sys.stderr)
        eprint(f"studio: {message}")
        raise SystemExit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (also used to render the CLI reference)."""
    parser = _Parser(prog="studio", description="Prompt & Dataset Studio command line.")
    parser.add_argument("--version", "-V", action="version", version=f"studio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def run_cli(argv: list[str]) -> int:
    """Parse ``argv`` and run the command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return func(args)
    except UserError as exc:
        eprint(f"studio: {exc.message}")
        return EXIT_BAD_INPUT
    except CliUsageError as exc:
        eprint(f"studio: {exc}")
        return EXIT_BAD_INPUT
    except CancelledError:
        eprint("studio: cancelled.")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        eprint("studio: interrupted.")
        return 130
    except BrokenPipeError:
        return EXIT_OK
