"""Capture the server-project screenshots: the Open Server Project dialog and the window.

Starts a private PostgreSQL server (tests/helpers/pg_server.py: the distribution's
``postgresql`` package must be installed), copies the demo project into it, and shows
the real window at 1280 x 800 under a virtual X server:

    xvfb-run -s "-screen 0 1920x1080x24" .venv/bin/python resources/screenshots/capture_server.py

Writes ``server-project-dialog.png`` (the dialog after Test Connection) and
``server-project.png`` (the Datasets view of the project on the server, its title
``demo @ host:port``). Settings and the demo go to a temporary STUDIO_HOME.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

OUT = Path(__file__).resolve().parent
REPO = OUT.parents[1]
WIDTH, HEIGHT = (int(v) for v in os.environ.get("STUDIO_SHOT_SIZE", "1280x800").split("x"))
OUT = Path(os.environ.get("STUDIO_SHOT_OUT", str(OUT)))


def main() -> int:
    os.environ["STUDIO_HOME"] = tempfile.mkdtemp(prefix="studio-shots-")
    os.environ.setdefault("STUDIO_USER", "alice")
    sys.path.insert(0, str(REPO / "tests"))
    from helpers.pg_server import running_server

    from studio.core.db.copy import copy_project
    from studio.core.demo import open_or_create_demo_project

    demo = open_or_create_demo_project()
    demo_path = demo.path
    demo.close()
    with running_server() as server:
        os.environ["PGPASSWORD"] = server.password  # libpq's environment route
        location = server.url("demo")
        copy_project(demo_path, location)
        return _capture(server, location)


def _capture(server: object, location: str) -> int:
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from studio.ui.context import AppContext
    from studio.ui.main_window import MainWindow
    from studio.ui.settings import AppSettings
    from studio.ui.widgets.icons import app_icon

    app = QApplication(sys.argv[:1])
    app.setApplicationName("Prompt & Dataset Studio")
    app.setWindowIcon(app_icon())
    context = AppContext()
    window = MainWindow(context, settings=AppSettings())
    window.resize(WIDTH, HEIGHT)
    window.move(0, 0)
    window.show()

    def settle(ms: int = 300) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def wait(condition: Callable[[], object], ms: int = 30000) -> None:
        deadline = time.monotonic() + ms / 1000
        while time.monotonic() < deadline:
            if condition() and not context.runner.busy:
                break
            settle(20)
        else:
            raise SystemExit(f"timed out waiting for {condition}")
        settle(300)

    # -- the dialog, filled in and tested ----------------------------------------------------
    settle(500)
    window.open_server_dialog()
    dialog = window.server_dialog
    assert dialog is not None
    dialog.host.setText(server.host)  # type: ignore[attr-defined]
    dialog.port.setValue(server.port)  # type: ignore[attr-defined]
    dialog.database.setText("demo")
    dialog.user.setText(server.user)  # type: ignore[attr-defined]
    dialog.sslmode.setCurrentText("prefer")
    extra = os.environ.get("STUDIO_SHOT_EXTRA")  # a folder for the failure shots
    if extra:
        for name, password, port in (
            ("server-dialog-auth", "wrong", server.port),  # type: ignore[attr-defined]
            ("server-dialog-unreachable", "", 1),
        ):
            dialog.password.setText(password)
            dialog.port.setValue(port)
            dialog.test_connection()
            wait(lambda: dialog.last_check is not None)
            dialog.grab().save(str(Path(extra) / f"{name}.png"))
        dialog.password.clear()
        dialog.port.setValue(server.port)  # type: ignore[attr-defined]
    dialog.test_connection()
    wait(lambda: dialog.last_check is not None)
    dialog.grab().save(str(OUT / "server-project-dialog.png"))
    print(f"wrote {OUT / 'server-project-dialog.png'}")

    # -- the window on the server project ----------------------------------------------------
    dialog.open_button.click()
    wait(lambda: context.project is not None)
    window.navigate("datasets")
    view = window.view("datasets")
    wait(lambda: view.model.rowCount() > 0)
    view.select_row(3)
    settle(800)
    window.grab().save(str(OUT / "server-project.png"))
    print(f"wrote {OUT / 'server-project.png'}")
    if extra:  # the welcome page listing the server project beside files
        window.close_project()
        settle(500)
        window.grab().save(str(Path(extra) / "server-welcome.png"))
    context.runner.shutdown()
    context.set_project(None)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
