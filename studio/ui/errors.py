"""Failures reach the user as a sentence, with details and a log file for bugs.

* :func:`setup_logging` writes ``studio.log`` under :func:`studio.core.paths.log_dir`,
  with every key the studio holds (and ``sk-...`` shapes) redacted from every record.
* :class:`studio.ui.widgets.error_dialog.ErrorDialog` shows one sentence as its main
  text and the technical details
  (traceback) in an expandable, copyable box: never a traceback as the main text.
* :func:`install_excepthooks` routes uncaught exceptions of the GUI thread
  (``sys.excepthook``) and of worker threads (``threading.excepthook``) to that dialog
  on the GUI thread.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication

from studio.core import paths
from studio.core.errors import CancelledError, UserError
from studio.core.redact import redact_values

log = logging.getLogger(__name__)

# OpenAI-style secret keys (sk-..., sk-proj-...) and bearer tokens in headers
_KEY_RE = re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}")
_BEARER_RE = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9_\-\.]{8,}")

BUG_SENTENCE = "Something went wrong. The details below help us fix it; your data is safe."


def redact(text: str) -> str:
    """Replace API keys and bearer tokens in ``text`` so logs and dialogs never show them.

    Every key the studio holds is masked by value first (:mod:`studio.core.redact`),
    whatever it looks like; the patterns catch key-shaped text the studio never held.
    """
    text = redact_values(text)
    text = _KEY_RE.sub("sk-…[redacted]", text)
    return _BEARER_RE.sub(r"\1[redacted]", text)


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


_log_handler: logging.Handler | None = None


def log_file_path() -> Path:
    """The log file of this user (rotated at 1 MB, 3 kept)."""
    return paths.log_dir() / "studio.log"


def setup_logging(level: int = logging.INFO) -> Path:
    """Send the studio's log records to the log file (once per process)."""
    global _log_handler
    import logging.handlers  # here, not at the top: start-up does not wait for it

    path = log_file_path()
    if _log_handler is None:
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=1_000_000, backupCount=3, encoding="utf-8", delay=True
        )
        handler.setFormatter(
            _RedactingFormatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
        )
        root = logging.getLogger("studio")
        root.addHandler(handler)
        root.setLevel(level)
        _log_handler = handler
    return path


def format_exception(exc: BaseException) -> str:
    """The traceback of ``exc`` as redacted text (the dialog's details)."""
    return redact("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))


def describe(exc: BaseException) -> tuple[str, str]:
    """(sentence, details) for an exception: a user error's sentence, or a bug's traceback."""
    if isinstance(exc, UserError):
        return exc.message, ""
    return BUG_SENTENCE, format_exception(exc)


class _ExceptionBridge(QObject):
    """Carries exceptions from any thread to the GUI thread (queued signal)."""

    raised = Signal(str, str)


_bridge: _ExceptionBridge | None = None
_previous_hooks: tuple[object, object] | None = None


def install_excepthooks(show: Callable[[str, str], None]) -> None:
    """Route uncaught exceptions (GUI and worker threads) to ``show(message, details)``.

    ``show`` runs on the GUI thread. Every exception is logged with its traceback.
    """
    global _bridge, _previous_hooks
    app = QApplication.instance()
    bridge = _ExceptionBridge()
    if app is not None:
        bridge.moveToThread(app.thread())
    bridge.raised.connect(show, Qt.ConnectionType.QueuedConnection)
    _bridge = bridge
    _previous_hooks = (sys.excepthook, threading.excepthook)

    def handle(exc: BaseException, where: str) -> None:
        if isinstance(exc, CancelledError):
            return
        if isinstance(exc, KeyboardInterrupt):
            QApplication.quit()
            return
        message, details = describe(exc)
        if not isinstance(exc, UserError):
            log.error("uncaught exception in %s:\n%s", where, details)
        bridge.raised.emit(message, details)

    def excepthook(
        etype: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        if value.__traceback__ is None:
            value = value.with_traceback(tb)
        handle(value, "the GUI thread")

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            handle(args.exc_value, f"thread {args.thread.name if args.thread else '?'}")

    sys.excepthook = excepthook
    threading.excepthook = thread_hook


def uninstall_excepthooks() -> None:
    """Put back the hooks that were there before :func:`install_excepthooks` (tests)."""
    global _bridge, _previous_hooks
    if _previous_hooks is not None:
        sys.excepthook, threading.excepthook = _previous_hooks  # type: ignore[assignment]
        _previous_hooks = None
    if _bridge is not None:
        _bridge.deleteLater()
        _bridge = None
