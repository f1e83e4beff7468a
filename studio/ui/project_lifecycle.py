"""The main window's project lifecycle: open, create, open the demo, close, save a copy.

Opening, creating and copying projects runs on the database thread of
:class:`studio.ui.workers.TaskRunner`; the heavy database modules are imported
there, never at import time of this module.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMenu, QStackedWidget, QWidget

from studio.ui.errors import describe
from studio.ui.settings import is_server_entry, save_settings
from studio.ui.warm_imports import import_when_idle, warm_core_imports
from studio.ui.welcome import APP_TITLE, WelcomePage
from studio.ui.window_views import WindowViews

if TYPE_CHECKING:
    from studio.core.db.project import Project

log = logging.getLogger(__name__)

PROJECT_FILTER = "Studio projects (*.studio);;All files (*)"


def _open_project_file(path: Path) -> Project:
    from studio.core.db.project import open_project

    return open_project(path)


def _create_project_file(path: Path, overwrite: bool) -> Project:
    from studio.core.db.project import new_project

    return new_project(path, overwrite=overwrite)


def project_file(project: Any) -> Path | None:
    """The project's file, or None for a project on a database server (ISSUE-14 §1)."""
    if getattr(project, "is_server", False):
        return None
    return Path(project.path)


def recent_label(entry: str) -> str:
    """How Open Recent and the welcome page name an entry: a file's name, ``db @ host``."""
    if is_server_entry(entry):
        from studio.core.db.location_label import server_label

        return server_label(entry)
    return Path(entry).name


def _quick_look(path: Path) -> Any:
    from studio.core.quick_look import quick_prompt_list

    return quick_prompt_list(path)


def _open_demo_project() -> Project:
    from studio.core.demo import open_or_create_demo_project

    return open_or_create_demo_project()


class ProjectLifecycle(WindowViews):
    """Opens and closes projects off the GUI thread and keeps the window's title in step.

    Signals:
        project_opened(object): a project finished opening (the Project).
        open_failed(str): opening a project failed (the sentence shown).
    """

    project_opened = Signal(object)
    open_failed = Signal(str)

    # Built by MainWindow
    pages: QStackedWidget
    workspace: QWidget
    read_only_banner: QLabel
    project_label: QLabel
    recent_menu: QMenu
    save_copy_action: QAction
    close_action: QAction
    _welcome: WelcomePage | None
    _opening: bool

    @property
    def welcome(self) -> WelcomePage:
        """The page shown without a project (built when first needed: not at start-up
        when a file is being opened)."""
        if self._welcome is None:
            self._welcome = WelcomePage()
            self._welcome.new_requested.connect(self.new_project_dialog)
            self._welcome.open_requested.connect(self.open_project_dialog)
            self._welcome.demo_requested.connect(self.open_demo)
            server = getattr(self, "open_server_dialog", None)
            if callable(server):
                self._welcome.server_requested.connect(server)
            self._welcome.recent_requested.connect(self.open_recent)
            self.pages.addWidget(self._welcome)
            # While the user looks at this page, load the first view's code in the
            # background: opening a project then only builds its widgets on the GUI
            # thread (ISSUE-11 §5; ~15 ms less in one event-loop turn)
            first = next((s.factory for s in self._specs if isinstance(s.factory, str)), None)
            if first is not None:
                module = first.partition(":")[0]
                self.context.runner.run(
                    lambda: warm_core_imports([module]),
                    on_done=import_when_idle,
                    db=False,
                )
        return self._welcome

    # -- project lifecycle ---------------------------------------------------------------

    @Slot(object)
    def _on_project_changed(self, project: Project | None) -> None:
        has = project is not None
        self.save_copy_action.setEnabled(has)
        self.close_action.setEnabled(has)
        if has:
            assert project is not None
            file = project_file(project)
            # A server project has no file: its title is "db @ host" (ISSUE-14 §1)
            short = file.stem if file is not None else recent_label(project.location)
            self.setWindowTitle(f"{short} — {APP_TITLE}")
            self.setWindowFilePath(str(file) if file is not None else "")
            self.project_label.setText(str(file) if file is not None else project.location)
            read_only = bool(getattr(project, "read_only", False))
            self.read_only_banner.setText(
                (
                    f"Read-only: {file.name} cannot be written, so you can look but not "
                    "change anything. File ▸ Save a Copy makes an editable copy."
                    if file is not None
                    else f"Read-only: this login may not write to {project.location}, so you "
                    "can look but not change anything. File ▸ Copy to a File makes an "
                    "editable copy."
                )
                if read_only
                else ""
            )
            self.read_only_banner.setVisible(read_only)
            if read_only:
                self.setWindowTitle(f"{short} (read-only) — {APP_TITLE}")
            self.pages.setCurrentWidget(self.workspace)
            if self.nav.currentRow() < 0 and self._specs:
                self.nav.setCurrentRow(0)
        else:
            self.setWindowTitle(APP_TITLE)
            self.read_only_banner.hide()
            self.setWindowFilePath("")
            self.project_label.setText("")
            self.welcome.set_recent(self.settings.recent_files)
            self.pages.setCurrentWidget(self.welcome)

    def _start_open(
        self, work: Callable[[], Project], what: str, quick: Path | None = None
    ) -> None:
        if self._opening:
            self.context.show_status("Still opening the previous project…")
            return
        self._opening = True
        self.context.show_status(f"Opening {what}…", 0)
        if quick is not None and self.context.project is None:
            # The real open imports the database stack first (~0.5 s); a read-only look
            # with the stdlib (a few ms, here on the GUI thread so nothing competes with
            # it) shows the prompt list at once. Then the real open starts.
            try:
                rows = _quick_look(quick)
            except Exception:  # the real open reports any problem with the file
                log.debug("quick look at %s failed", quick, exc_info=True)
                rows = None
            self._show_quick_look(quick, rows)
        QTimer.singleShot(
            0,
            lambda: self.context.runner.run(
                work, on_done=self._opened, on_error=self._open_error, db=True
            ),
        )

    def _show_quick_look(self, path: Path, rows: Any) -> None:
        if rows is None or not self._opening or self.context.project is not None:
            return
        view = self.view("prompts") if any(s.name == "prompts" for s in self._specs) else None
        show = getattr(view, "show_quick_list", None)
        if not callable(show):
            return
        self.setWindowTitle(f"{path.stem} — {APP_TITLE}")
        self.project_label.setText(f"{path}  (opening…)")
        self.pages.setCurrentWidget(self.workspace)
        self.navigate("prompts")
        show(rows)

    def open_path(self, path: str | Path) -> None:
        """Open the project file at ``path`` (off the GUI thread)."""
        p = Path(path).expanduser()
        self._start_open(lambda: _open_project_file(p), p.name, quick=p)

    def create_path(self, path: str | Path, overwrite: bool = False) -> None:
        """Create a project file at ``path`` and open it."""
        p = Path(path).expanduser()
        self._start_open(lambda: _create_project_file(p, overwrite), p.name)

    def open_demo(self) -> None:
        """Open the demo project, creating it (with its prompts) the first time."""
        from studio.core.paths import demo_project_path

        self._start_open(_open_demo_project, "the demo project", quick=demo_project_path())

    def _opened(self, project: Project) -> None:
        self._opening = False
        file = project_file(project)
        self.settings.add_recent(file if file is not None else project.location)
        self._save_settings()
        self.context.set_project(project)
        self.context.show_status(
            f"Opened {file.name if file is not None else recent_label(project.location)}"
        )
        self.project_opened.emit(project)
        # Import the other views' code in the background (~0.4 s of Python): the first
        # visit to a view then only builds widgets (ISSUE-11 §5: no GUI-thread stall)
        modules = [s.factory.partition(":")[0] for s in self._specs if isinstance(s.factory, str)]
        self.context.runner.run(
            lambda: warm_core_imports(modules),
            on_done=import_when_idle,
            db=False,
        )

    def _open_error(self, exc: BaseException) -> None:
        self._opening = False
        self.context.show_status("")
        if self.context.project is None:
            for widget in self._views.values():
                clear = getattr(widget, "clear_quick_list", None)
                if callable(clear):
                    clear()
            self._on_project_changed(None)
        message, details = describe(exc)
        self.show_error_message(message, details)
        self.open_failed.emit(message)

    def close_project(self) -> None:
        """Close the open project (every change is already saved)."""
        if self.context.project is not None:
            self.context.set_project(None)
            self.context.show_status("Project closed.")

    # -- dialogs -------------------------------------------------------------------------

    def _start_dir(self) -> str:
        if self.settings.last_dir and Path(self.settings.last_dir).is_dir():
            return self.settings.last_dir
        return str(Path.home())

    def _save_settings(self) -> None:
        """Write the settings file off the GUI thread (a copy: later edits can't race it).

        On the database thread, whose one worker keeps the writes in order.
        """
        snapshot = copy.deepcopy(self.settings)
        self.context.runner.run(lambda: save_settings(snapshot), db=True)

    def _remember_dir(self, path: str) -> None:
        self.settings.last_dir = str(Path(path).parent)
        self._save_settings()

    def _ask_project_save_path(self, title: str, suggested: str) -> Path | None:
        """Ask where to save a project file; None when cancelled. Adds ``.studio`` if missing."""
        from PySide6.QtWidgets import QFileDialog  # on demand: not at start-up

        path, _ = QFileDialog.getSaveFileName(self, title, suggested, PROJECT_FILTER)
        if not path:
            return None
        self._remember_dir(path)
        p = Path(path)
        p = p if p.suffix == ".studio" else p.with_name(p.name + ".studio")
        from studio.ui.widgets.save_path import confirm_output

        # the dialog asked about replacing the name it returned, not one with ".studio" added
        if not confirm_output(self, self.context, p, dialog_confirmed=str(p) == path):
            return None
        return p

    def new_project_dialog(self) -> None:
        """File ▸ New…: ask where, then create and open an empty project."""
        p = self._ask_project_save_path(
            "New Project", str(Path(self._start_dir()) / "Untitled.studio")
        )
        if p is None:
            return
        current = self.context.project
        current_file = project_file(current) if current is not None else None
        if current_file is not None and p.resolve() == current_file.resolve():
            self.show_error_message(f"{p} is the open project; choose another name for a new one.")
            return
        # The save dialog has already asked whether to replace an existing file
        self.create_path(p, overwrite=p.exists())

    def open_project_dialog(self) -> None:
        """File ▸ Open…"""
        from PySide6.QtWidgets import QFileDialog  # on demand: not at start-up

        path, _ = QFileDialog.getOpenFileName(
            self, "Open Project", self._start_dir(), PROJECT_FILTER
        )
        if path:
            self._remember_dir(path)
            self.open_path(path)

    def open_recent(self, path: str) -> None:
        """Open a file from Open Recent; a file that is gone is removed with a message."""
        if not Path(path).exists():
            self.settings.remove_recent(path)
            self._save_settings()
            if self._welcome is not None:
                self._welcome.set_recent(self.settings.recent_files)
            self.show_error_message(f"{path} no longer exists, so it was removed from Open Recent.")
            return
        self.open_path(path)

    @Slot()
    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.settings.recent_files
        if not files:
            empty = self.recent_menu.addAction("No recent projects")
            empty.setEnabled(False)
            return
        for i, f in enumerate(files):
            name = recent_label(f)
            text = f"&{i + 1}  {name}" if i < 9 else name
            action = self.recent_menu.addAction(text)
            action.setToolTip(f)
            action.setStatusTip(f)
            action.triggered.connect(lambda _c=False, f=f: self.open_recent(f))
        self.recent_menu.addSeparator()
        self.recent_menu.addAction("Clear Menu", self._clear_recent)

    def _clear_recent(self) -> None:
        self.settings.recent_files = []
        self._save_settings()
        if self._welcome is not None:
            self._welcome.set_recent([])

    def save_copy_dialog(self) -> None:
        """File ▸ Save a Copy…: a consistent copy made with the SQLite backup API."""
        project = self.context.project
        if project is None:
            return
        suggested = project.path.with_name(f"{project.path.stem} copy.studio")
        dest = self._ask_project_save_path("Save a Copy", str(suggested))
        if dest is None:
            return
        self.context.show_status(f"Saving a copy to {dest}…", 0)
        self.context.runner.run(
            lambda: project.save_copy(dest),
            on_done=lambda _r: self.context.show_status(f"Saved a copy to {dest}"),
            on_error=self._task_error,
            db=True,
        )
