"""Composition root of the GUI: QApplication, error hooks, main window, first project.

The window is shown first and the project opens afterwards on the database thread,
so the app is usable at once; the database stack (SQLAlchemy, Alembic, SQLModel) and
openai are never imported here at module level. ``STUDIO_EXIT_WHEN_READY=1`` makes the
app print ``STUDIO_READY <seconds>`` and quit as soon as the project's prompt list is
on screen (the start-up benchmark uses it).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

_T0 = time.perf_counter()

APP_NAME = "Prompt & Dataset Studio"
ORG_NAME = "PromptDatasetStudio"


def parse_gui_args(argv: list[str]) -> argparse.Namespace:
    """``studio [FILE] [--demo] [--temp-data-dir]``."""
    import argparse  # here, not at module level: every millisecond of start-up counts

    parser = argparse.ArgumentParser(
        prog="studio",
        description="Open Prompt & Dataset Studio (use `studio --help` for the commands).",
    )
    parser.add_argument(
        "file", nargs="?", help="a .studio project file (or postgresql://user@host:port/db) to open"
    )
    parser.add_argument(
        "--demo", action="store_true", help="open the demo project (created on first use)"
    )
    parser.add_argument(
        "--temp-data-dir",
        action="store_true",
        help="keep settings, logs and the demo in a temporary folder deleted on exit",
    )
    return parser.parse_args(argv)


def _use_temp_data_dir() -> None:
    import atexit
    import shutil
    import tempfile

    home = tempfile.mkdtemp(prefix="studio-home-")
    os.environ["STUDIO_HOME"] = home
    atexit.register(shutil.rmtree, home, True)


def run_gui(argv: list[str]) -> int:
    """Start the GUI and return the exit code."""
    args = parse_gui_args(argv)
    if args.temp_data_dir:
        _use_temp_data_dir()
    if args.file and args.demo:
        print("studio: give a FILE or --demo, not both", file=sys.stderr)
        return 2

    from studio.ui import preflight

    missing = preflight.missing_packages() if preflight.needs_x11_libs() else []
    if missing:  # Qt would abort the process with a plugin error instead
        print(preflight.missing_libs_message(missing), file=sys.stderr)
        return 1

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from studio import __version__
    from studio.ui.context import AppContext
    from studio.ui.errors import install_excepthooks, setup_logging
    from studio.ui.main_window import MainWindow
    from studio.ui.widgets.icons import app_icon
    from studio.ui.workers import freeze_heap

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName(ORG_NAME)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("studio")
    app.setWindowIcon(app_icon())

    context = AppContext()
    window = MainWindow(context, opening=bool(args.demo or args.file))
    install_excepthooks(window.show_error_message)
    window.show()
    # Qt and the window's code are loaded: keep full garbage collections on the
    # worker threads (set off by the imports there) from walking them (ISSUE-11 §5)
    freeze_heap()

    ready_mode = os.environ.get("STUDIO_EXIT_WHEN_READY", "")
    exit_when_ready = ready_mode in ("1", "full")
    if exit_when_ready:
        _arm_ready_exit(app, window, ready_mode)

    if args.demo:
        QTimer.singleShot(0, window.open_demo)
    elif args.file and args.file.strip().lower().startswith(("postgresql://", "postgres://")):
        location = args.file.strip()  # a server project (ISSUE-14 §1)
        QTimer.singleShot(0, lambda: window.open_location(location))
    elif args.file:
        path = Path(args.file)
        QTimer.singleShot(0, lambda: window.open_path(path))
    elif exit_when_ready:
        QTimer.singleShot(0, lambda: _ready(app, "window"))

    # The log file handler pulls in logging.handlers (sockets, pickle): after the window
    QTimer.singleShot(0, setup_logging)
    code = app.exec()
    context.runner.shutdown()
    if context.project is not None:  # quit without closing the window (e.g. a signal)
        context.set_project(None)
    return int(code)


def _ready(app: object, what: str) -> None:
    # Seconds since the process was launched when the benchmark says when that was
    # (STUDIO_BENCH_T0, epoch seconds), else since this module was imported.
    launched = os.environ.get("STUDIO_BENCH_T0")
    elapsed = time.time() - float(launched) if launched else time.perf_counter() - _T0
    print(f"STUDIO_READY {elapsed:.3f} {what}", flush=True)
    from PySide6.QtWidgets import QApplication

    QApplication.quit()


def _arm_ready_exit(app: object, window: object, mode: str) -> None:
    """Quit once the opened project's prompt list is on screen (the start-up benchmark).

    ``mode`` "1": the first list shown (the quick look, or the real list if that comes
    first); "full": the list read after the project is fully open.
    """
    from PySide6.QtCore import QTimer

    from studio.ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    view = window.view("prompts")
    opened = []
    window.project_opened.connect(lambda _p: opened.append(True))

    def on_list(_rows: int) -> None:
        if mode == "full" and not opened:
            return
        # Let the list paint once before calling it ready
        QTimer.singleShot(
            0, lambda: _ready(app, "prompt-list" if mode != "full" else "project-open")
        )

    def on_failed(message: str) -> None:
        print(f"STUDIO_FAILED {message}", flush=True)
        _ready(app, "failed")

    view.list_shown.connect(on_list)  # type: ignore[attr-defined]
    window.open_failed.connect(on_failed)
