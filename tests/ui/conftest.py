"""Fixtures for GUI tests: real project files, an AppContext, the main window, leak checks.

QSettings is redirected into the per-test ``STUDIO_HOME`` (the app's window-state file
lives there already; this also catches any default-constructed QSettings). Every test
fails if it leaves a top-level widget alive or a task running on the task runner.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QSettings
from PySide6.QtWidgets import QApplication, QWidget

from studio.ui.context import AppContext

# The offscreen platform plugin says this whenever a window's size limits change; it is
# about the test platform, not about the studio.
OFFSCREEN_NOISE = r"This plugin does not support propagateSizeHints\(\)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/ui" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


# Tooltips and similar popups Qt creates and keeps around on its own
_QT_OWNED = {"QTipLabel", "QComboBoxPrivateContainer", "QMenu"}


@pytest.fixture(autouse=True)
def isolated_qsettings(studio_home: Path) -> Iterator[None]:
    """Any QSettings() in a test writes under the test's STUDIO_HOME."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(studio_home / "qsettings")
    )
    QCoreApplication.setOrganizationName("StudioTests")
    QCoreApplication.setApplicationName("studio-tests")
    yield


def _live_top_levels() -> set[int]:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return set()
    return {id(w) for w in app.topLevelWidgets() if type(w).__name__ not in _QT_OWNED}


@pytest.fixture(autouse=True)
def no_leaked_widgets(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a GUI test that leaves top-level widgets alive (napari-style leak check)."""
    if "qtbot" not in request.fixturenames:
        yield
        return
    qapp = request.getfixturevalue("qapp")
    before = _live_top_levels()
    yield
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qapp.processEvents()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    leaked = [
        f"{type(w).__name__}({w.objectName()!r})"
        for w in qapp.topLevelWidgets()
        if id(w) not in before and type(w).__name__ not in _QT_OWNED
    ]
    assert not leaked, f"test leaked top-level widgets: {leaked}"


@pytest.fixture
def project_file(tmp_path: Path, demo_template: Path) -> Path:
    """A fresh copy of the demo project in tmp_path (a real SQLite file)."""
    dest = tmp_path / "team.studio"
    shutil.copyfile(demo_template, dest)
    return dest


@pytest.fixture
def context(qtbot: object) -> Iterator[AppContext]:
    """An AppContext without a project; closes everything and checks no task is left."""
    ctx = AppContext()
    yield ctx
    assert ctx.runner.wait_idle(10000), "a background task was still running"
    QApplication.processEvents()  # deliver the last results before tearing down
    ctx.runner.shutdown()
    if ctx.project is not None:
        ctx.set_project(None)
    ctx.deleteLater()


@pytest.fixture
def open_context(context: AppContext, project_file: Path) -> AppContext:
    """The context with ``project_file`` open."""
    from studio.core.db.project import open_project

    context.set_project(open_project(project_file))
    return context


@pytest.fixture
def wait_idle(qtbot: object) -> Callable[[AppContext], None]:
    """``wait_idle(context)``: wait until every task finished and its result was delivered."""

    def wait(context: AppContext, timeout: int = 10000) -> None:
        qtbot.waitUntil(lambda: not context.runner.busy, timeout=timeout)  # type: ignore[attr-defined]

    return wait


def close_widget(widget: QWidget) -> None:
    """Close and delete a widget now (dialogs opened with open())."""
    widget.close()
    widget.deleteLater()


@pytest.fixture
def main_window(
    qtbot: object, context: AppContext, wait_idle: Callable[[AppContext], None]
) -> Iterator[object]:
    """The main window (fresh settings, no project yet), shown; waits for its tasks at the end."""
    from studio.ui.main_window import MainWindow
    from studio.ui.settings import AppSettings

    window = MainWindow(context, settings=AppSettings())
    qtbot.addWidget(window)  # type: ignore[attr-defined]
    window.show()
    yield window
    wait_idle(context)
