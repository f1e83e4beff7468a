"""Entry point: ``studio`` opens the app; ``studio <command>`` runs the command line."""

from __future__ import annotations

import sys

# Words that start the command line instead of the GUI: the names of studio.cli.main's
# COMMANDS, kept here so that opening the GUI does not pay for importing the CLI (a test
# holds the two equal).
CLI_COMMANDS = {
    "new",
    "prompt",
    "dataset",
    "validate",
    "ab",
    "decide",
    "provider",
    "runs",
    "distil",
    "config",
    "project",
    "demo-model",
}


def _is_command_word(word: str) -> bool:
    """A bare word that is no project file: a (mistyped) command for the command line,
    which answers "unknown command ... (did you mean ...?)" instead of the GUI's parser."""
    if word.startswith("-") or word.endswith(".studio") or "://" in word:
        return False
    import os

    return not os.path.exists(word)


def main(argv: list[str] | None = None) -> int:
    """Dispatch to the CLI or the GUI and return the process exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and (
        args[0] in CLI_COMMANDS
        or args[0] in {"--version", "-V", "--help", "-h"}
        or _is_command_word(args[0])
    ):
        from studio.cli.main import run_cli

        return run_cli(args)
    from studio.app import run_gui

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
