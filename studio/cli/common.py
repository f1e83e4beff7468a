"""Shared pieces of the command line: exit codes, output, opening the project."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from studio.core.db.project import Project, open_project
from studio.core.db.server import is_server_location

# Duplicates report (`duplicates --repo studio/cli`), pairs left on purpose, each with why:
# - the `from studio.cli.common import (...)` lists at the top of the *_cmd modules
#   (dataset ~ decide, decide ~ prompt, dataset_curate ~ runs): import names, not logic.
# - register() parser declarations: ab ~ runs ~ decide ~ export (the command's
#   add_parser(help=, description=)), provider ~ validate, runs list ~ show, dataset
#   split ~ dataset_curate undo: each declares different options with their own
#   help, so one table of them would only hide what each command takes.
# - provider_args.add_key_args ~ runs_cmd.add_limit_args/add_no_cache_arg: small
#   helpers of the same argparse shape, each owning a different group of flags.
# - prompt_cmd _list ~ _log and prompt _labels ~ runs _list/_show: each prints its own
#   rows (different fields, widths and JSON keys); only the loop shape is alike.
EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2


class CliUsageError(Exception):
    """Bad usage caught after argparse (exit 2 with the message)."""


def print_json(obj: Any) -> None:
    """Print one JSON document (UTF-8, indented, stable key order as given)."""
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


def add_project_arg(parser: argparse.ArgumentParser) -> None:
    """Add the ``--project FILE`` option every project command takes."""
    parser.add_argument(
        "--project",
        required=True,
        metavar="FILE",
        type=project_location,
        help="the .studio project file, or postgresql://user@host:port/db",
    )


def project_location(text: str) -> Path | str:
    """An argparse ``type=`` for a project: a file path, or a server URL kept as text.

    ``Path`` would fold the URL's ``//``, so ``postgresql://…`` stays a string.
    """
    return text if is_server_location(text) else Path(text)


def add_force_arg(parser: argparse.ArgumentParser) -> None:
    """Add ``--force``: let ``-o/--output`` replace an existing file or fill a non-empty folder.

    The project file and the command's own inputs are refused even with ``--force``
    (:mod:`studio.core.output_paths`).
    """
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace an existing output file, or write into a folder that "
        "already holds files (never the project or an input)",
    )


def fraction_type(flag: str, *, below_one: bool = False) -> Callable[[str], float]:
    """An argparse ``type=`` for a fraction flag: 0 to 1 inclusive, or 0 to below 1.

    The messages name ``flag`` and the value given, so a bad value exits 2 with a
    sentence (``dataset split --test/--validation``, ``dataset export --validation``).
    """
    upper = "below 1" if below_one else "1"

    def parse(value: str) -> float:
        try:
            x = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{flag} must be a number from 0 to {upper} (got {value!r})"
            ) from None
        in_range = 0.0 <= x < 1.0 if below_one else 0.0 <= x <= 1.0
        if not in_range or x != x:
            bounds = "at least 0 and below 1" if below_one else "between 0 and 1 inclusive"
            raise argparse.ArgumentTypeError(f"{flag} must be {bounds} (got {value})")
        return x

    return parse


def open_project_arg(path: str | Path) -> Project:
    """Open the project named by ``--project`` (raises ProjectFileError with a sentence)."""
    return open_project(path if is_server_location(path) else Path(path))


@contextmanager
def opened_project(path: str | Path) -> Iterator[Project]:
    """The project named by ``--project``, closed when the block ends (however it ends)."""
    project = open_project_arg(path)
    try:
        yield project
    finally:
        project.close()


def eprint(message: str) -> None:
    """Print a message for the user on standard error."""
    sys.stderr.write(message.rstrip("\n") + "\n")
