"""The command line's log file: rotated, under the per-user log folder, never a secret.

``studio <command>`` appends to ``cli.log`` in :func:`studio.core.paths.log_dir`
(platformdirs ``user_log_dir``: ``~/.local/state/PromptDatasetStudio/log`` on Linux,
``~/Library/Logs/PromptDatasetStudio`` on macOS,
``%LOCALAPPDATA%\\PromptDatasetStudio\\Logs`` on Windows; under ``$STUDIO_HOME/log`` when
that is set). The app writes ``studio.log`` beside it; they are separate files because
two processes rotating one file would lose records. Each file is rotated at 1 MB with
three old files kept.

Every record passes :class:`RedactingFilter`, which formats the message (and any
traceback) and masks API keys through :func:`redact`, the central key redactor
(:mod:`studio.core.redact`).
"""

from __future__ import annotations

import logging
from pathlib import Path

LOG_NAME = "cli.log"
MAX_BYTES = 1_000_000
BACKUPS = 3

_handler: logging.Handler | None = None


def redact(text: str) -> str:
    """Mask every key the studio holds, by value (the central :mod:`studio.core.redact`)."""
    # Imported on the first record, not at start-up: `studio --version` never pays for it
    from studio.core.redact import redact as central

    return central(text)


class RedactingFilter(logging.Filter):
    """Formats each record's message and traceback now, with secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(text)
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def log_file_path() -> Path:
    """Where the command line's log file is (the folder is created)."""
    from studio.core import paths

    return paths.log_dir() / LOG_NAME


def setup_cli_logging(level: int = logging.INFO) -> Path | None:
    """Send the ``studio`` loggers' records to the rotated log file (once per process).

    Returns the file, or None when the log folder cannot be written (the command
    still runs; a log is a convenience, not a requirement).
    """
    global _handler
    import logging.handlers

    try:
        path = log_file_path()
        if _handler is None:
            handler = logging.handlers.RotatingFileHandler(
                path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
            )
            handler.addFilter(RedactingFilter())
            handler.setFormatter(
                logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s %(message)s")
            )
            root = logging.getLogger("studio")
            root.addHandler(handler)
            root.setLevel(level)
            _handler = handler
    except OSError:
        return None
    return path
