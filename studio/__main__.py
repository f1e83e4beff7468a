"""Entry point: ``studio`` opens the app; ``studio <command>`` runs the command line."""

from __future__ import annotations

import sys

# Words that start the command line instead of the GUI; kept here (not imported from
# studio.cli) so that opening the GUI does not pay for importing the CLI.
CLI_COMMANDS = {"new", "prompt", "dataset", "validate", "ab", "decide", "provider", "runs"}


def main(argv: list[str] | None = None) -> int:
    """Dispatch to the CLI or the GUI and return the process exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and (args[0] in CLI_COMMANDS or args[0] in {"--version", "-V", "--help", "-h"}):
        from studio.cli.main import run_cli

        return run_cli(args)
    from studio.app import run_gui

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
