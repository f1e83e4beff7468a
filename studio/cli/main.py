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

# Command -> (module, one-line help), so that `studio --help`, `studio --version` and a
# mistyped command import no command's code (README "Speed": within 5x a bare Python
# start); a command's module is imported only when it runs. Each module defines
# ``register(subparsers)``; its subcommands set ``func`` returning an int.
# studio/__main__.py keeps the same names in CLI_COMMANDS (a test holds them equal).
COMMANDS: dict[str, tuple[str, str]] = {
    "new": ("studio.cli.project_cmd", "create a new project (a .studio file or postgresql://…)"),
    "prompt": ("studio.cli.prompt_cmd", "versioned prompts: save, log, diff, label, export"),
    "dataset": (
        "studio.cli.dataset_cmd",
        "import, curate (rows, label, status, tag, undo), split and export datasets",
    ),
    "validate": ("studio.cli.validate_cmd", "check a fine-tuning JSONL file for a target, offline"),
    "ab": (
        "studio.cli.ab_cmd",
        "A/B-test two or more prompt versions on a dataset split, with statistics",
    ),
    "decide": (
        "studio.cli.decide_cmd",
        "recommend prompt, structured outputs, retrieval or a fine-tune, with reasons",
    ),
    "provider": (
        "studio.cli.provider_cmd",
        "saved model servers and their keys (keyring): list, add, remove, test",
    ),
    "runs": ("studio.cli.runs_cmd", "list, show and resume A/B runs (interrupted ones too)"),
    "distil": (
        "studio.cli.distil_cmd",
        "teacher outputs and synthetic inputs for a training set, and their review",
    ),
    "config": ("studio.cli.config_cmd", "your settings: the name changes are recorded under"),
    "project": (
        "studio.cli.project_cmd",
        "whole-project operations: copy between a .studio file and PostgreSQL",
    ),
    "demo-model": (
        "studio.cli.demo_model_cmd",
        "serve the demo's simulated model (teacher, student) on loopback until Ctrl+C",
    ),
}

# Subcommands a mistyped top-level word may have meant: `studio expotr` suggests
# 'export', which runs as `studio dataset export`.
SUBCOMMANDS: dict[str, str] = {
    "export": "dataset export",
    "import": "dataset import",
    "split": "dataset split",
    "stats": "dataset stats",
    "rows": "dataset rows",
    "label": "dataset label",
    "status": "dataset status",
    "tag": "dataset tag",
    "history": "dataset history",
    "undo": "dataset undo",
    "save": "prompt save",
    "diff": "prompt diff",
    "render": "prompt render",
}

EXIT_OK, EXIT_BAD_INPUT = 0, 2  # as in studio.cli.common (not imported: it loads the core)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse exits 2 on bad usage already; keep its message but make it a sentence
        self.print_usage(sys.stderr)
        _eprint(f"studio: {message}{_did_you_mean(message)}")
        raise SystemExit(EXIT_BAD_INPUT)


def _did_you_mean(message: str) -> str:
    """ " (did you mean 'history'?)" for argparse's invalid-choice message, else ""."""
    import difflib
    import re

    m = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
    if m is None:
        return ""
    word, choices = m.group(1), re.findall(r"'([^']*)'", m.group(2))
    close = [c for c in choices if word and c.startswith(word)][:1]
    close = close or difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _eprint(message: str) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")


def build_parser(
    command: str | None = None, *, all_commands: bool = True
) -> argparse.ArgumentParser:
    """The argument parser (also used to render the CLI reference).

    Args:
        command: the command about to run: only its module is imported; the other
            lazily registered commands get a placeholder (name and help only).
        all_commands: with no ``command``, import every module (the full reference);
            False gives placeholders only (``--help``, ``--version``).
    """
    parser = _Parser(prog="studio", description="Prompt & Dataset Studio command line.")
    parser.add_argument("--version", "-V", action="version", version=f"studio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    loaded: set[str] = set()
    for name, (module, help_) in COMMANDS.items():
        if name == command or (command is None and all_commands):
            if module not in loaded:
                importlib.import_module(module).register(sub)
                loaded.add(module)
        elif module not in loaded:
            sub.add_parser(name, help=help_, add_help=False)
    return parser


def known_commands(parser: argparse.ArgumentParser) -> list[str]:
    """The top-level command names of ``parser``."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


def unknown_command_message(word: str, commands: list[str]) -> str:
    """``unknown command 'expotr' (did you mean 'export'?)`` (+ where a subcommand lives)."""
    import difflib

    candidates = list(dict.fromkeys([*commands, *SUBCOMMANDS]))
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    if not close:
        return f"unknown command '{word}' (commands: {', '.join(commands)}; see `studio --help`)"
    guess = close[0]
    message = f"unknown command '{word}' (did you mean '{guess}'?)"
    if guess not in commands and guess in SUBCOMMANDS:
        full = SUBCOMMANDS[guess]
        message += f"\n  '{guess}' runs as: studio {full} (see `studio {full} --help`)"
    return message


def run_cli(argv: list[str]) -> int:
    """Parse ``argv`` and run the command; returns the exit code.

    Standard output and error are wrapped for the run so every key the studio holds is
    masked by value in whatever is printed (:mod:`studio.core.redact`).
    """
    from studio.core.redact import RedactingTextStream

    saved = sys.stdout, sys.stderr
    sys.stdout = RedactingTextStream(saved[0])
    sys.stderr = RedactingTextStream(saved[1])
    try:
        return _run_cli(argv)
    finally:
        sys.stdout, sys.stderr = saved


def _run_cli(argv: list[str]) -> int:
    word = next((a for a in argv if not a.startswith("-")), None)
    command = word if word is not None and argv and argv[0] == word else None
    if command == "help":  # `studio help [COMMAND]` = `studio [COMMAND] --help`
        rest = [a for a in argv[1:] if not a.startswith("-")][:1]
        return _run_cli([*rest, "--help"])
    parser = build_parser(command, all_commands=False)
    if command is not None and command not in known_commands(parser):
        _eprint("studio: " + unknown_command_message(command, known_commands(parser)))
        return EXIT_BAD_INPUT
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    return _run(func, args, argv)


def _run(
    func: Callable[[argparse.Namespace], int], args: argparse.Namespace, argv: list[str]
) -> int:
    """Run a parsed command with the log file set up; errors become sentences."""
    import logging

    from studio.cli.common import CliUsageError
    from studio.core.errors import CancelledError, UserError
    from studio.core.logfile import setup_cli_logging

    log_path = setup_cli_logging()
    log = logging.getLogger("studio.cli")
    log.info("studio %s", " ".join(argv))
    try:
        code = func(args)
    except UserError as exc:
        log.info("exit 2: %s", exc.message)
        _eprint(f"studio: {exc.message}")
        return EXIT_BAD_INPUT
    except CliUsageError as exc:
        log.info("exit 2: %s", exc)
        _eprint(f"studio: {exc}")
        return EXIT_BAD_INPUT
    except CancelledError:
        _eprint("studio: cancelled.")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _eprint("studio: interrupted.")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception:
        # A bug: the traceback goes to the log file (secrets masked), not the terminal
        log.exception("unexpected error in: studio %s", " ".join(argv))
        where = f" The details are in {log_path}." if log_path else ""
        _eprint(f"studio: something went wrong (a bug); your data is safe.{where}")
        return 70
    log.info("exit %s", code)
    return code
