"""The main window: navigation between views, the File/Edit/Help menus, status bar.

Views register themselves in one line (see :func:`register_view` and
:func:`_register_builtin_views`); the window builds a view the first time it is shown,
so start-up pays only for the Prompts view. A view is any QWidget built by
``factory(context)``; it may also define (all optional):

* ``navigate_to(target)``: called on ``context.navigate_requested(name, target)``;
* ``save_layout(store)`` / ``restore_layout(store)``: splitter sizes in the QSettings store;
* ``unsaved_changes() -> list[str]``: edits not stored yet; quitting asks first.

Opening, creating and copying projects runs on the database thread of
:class:`studio.ui.workers.TaskRunner`; the heavy database modules are imported
there, never at import time of this module.
"""

from __future__ import annotations

import functools
import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from studio import __version__
from studio.ui.context import AppContext
from studio.ui.errors import describe
from studio.ui.settings import AppSettings, load_settings, save_settings, window_state_store
from studio.ui.widgets.icons import app_icon, icon

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent

    from studio.core.db.project import Project
    from studio.ui.widgets.error_dialog import ErrorDialog

log = logging.getLogger(__name__)

APP_TITLE = "Prompt & Dataset Studio"
PROJECT_FILTER = "Studio projects (*.studio);;All files (*)"

ViewFactory = Callable[[AppContext], QWidget]


@dataclass(frozen=True)
class ViewSpec:
    """One entry of the navigation.

    Attributes:
        name: stable id used by ``navigate_requested`` ("prompts", "datasets", ...).
        title: what the navigation shows.
        icon: an icon name in ``resources/icons`` (without ``.svg``) or a QIcon.
        factory: ``factory(context) -> QWidget``, or ``"module.path:ClassName"`` imported
            only when the view is first shown (keeps start-up fast).
    """

    name: str
    title: str
    icon: str | QIcon
    factory: ViewFactory | str

    def build(self, context: AppContext) -> QWidget:
        """Create the view widget (imports a ``"module:Class"`` factory now)."""
        factory = self.factory
        if isinstance(factory, str):
            module_name, _, attr = factory.partition(":")
            factory = getattr(importlib.import_module(module_name), attr)
        return factory(context)


_VIEWS: dict[str, ViewSpec] = {}


def register_view(name: str, title: str, icon: str | QIcon, factory: ViewFactory | str) -> None:
    """Add (or replace) a view in the navigation; order of registration is display order."""
    _VIEWS[name] = ViewSpec(name, title, icon, factory)


def registered_views() -> list[ViewSpec]:
    """The registered views, in navigation order."""
    _register_builtin_views()
    return list(_VIEWS.values())


_BUILTIN_VIEWS = (
    ("prompts", "Prompts", "studio.ui.prompts.view:PromptsView"),
    ("datasets", "Datasets", "studio.ui.datasets.view:DatasetsView"),
    ("validate", "Validate", "studio.ui.validate.view:ValidateView"),
    ("evaluate", "Evaluate", "studio.ui.evaluate.view:EvaluateView"),
    ("decide", "Decide", "studio.ui.decide.view:DecideView"),
)


def _register_builtin_views() -> None:
    # "module:Class" factories so that a view's module loads when it is first shown
    for name, title, factory in _BUILTIN_VIEWS:
        if name not in _VIEWS:
            register_view(name, title, name, factory)


# ---------------------------------------------------------------------------------------
# Work run on the database thread (imports of the database stack happen there)


def _import_modules(names: list[str]) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # the view reports it when it is built
            log.debug("background import of %s failed", name, exc_info=True)


def _open_project_file(path: Path) -> Project:
    from studio.core.db.project import open_project

    return open_project(path)


def _create_project_file(path: Path, overwrite: bool) -> Project:
    from studio.core.db.project import new_project

    return new_project(path, overwrite=overwrite)


def _quick_look(path: Path) -> Any:
    from studio.core.quick_look import quick_prompt_list

    return quick_prompt_list(path)


def _open_demo_project() -> Project:
    from studio.core.demo import open_or_create_demo_project

    return open_or_create_demo_project()


class WelcomePage(QWidget):
    """What the window shows when no project is open: the ways to open one.

    Signals:
        new_requested, open_requested, demo_requested: the buttons.
        recent_requested(str): a recent file was clicked.
    """

    new_requested = Signal()
    open_requested = Signal()
    demo_requested = Signal()
    recent_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePage")
        outer = QVBoxLayout(self)
        outer.addStretch(2)
        box = QVBoxLayout()
        box.setSpacing(14)
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(88, 88))
        logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        box.addWidget(logo)
        title = QLabel(APP_TITLE)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        box.addWidget(title)
        blurb = QLabel(
            "Version your prompts, curate fine-tuning data, and decide with evidence.\n"
            "A project is one file; every change is saved at once."
        )
        blurb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        blurb.setStyleSheet("color: palette(placeholder-text);")
        box.addWidget(blurb)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for text, tip, signal in (
            ("New Project…", "Create an empty project file (Ctrl+N)", self.new_requested),
            ("Open Project…", "Open a .studio file (Ctrl+O)", self.open_requested),
            ("Open the Demo", "Open a demo project with prompts and history", self.demo_requested),
        ):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.setMinimumWidth(140)
            button.clicked.connect(signal.emit)
            buttons.addWidget(button)
        buttons.addStretch(1)
        box.addLayout(buttons)
        self.recent_title = QLabel("Recent projects")
        self.recent_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        box.addSpacing(10)
        box.addWidget(self.recent_title)
        self.recent = QListWidget()
        self.recent.setObjectName("welcomeRecent")
        self.recent.setMaximumWidth(560)
        self.recent.setStyleSheet("QListWidget#welcomeRecent::item { padding: 5px 8px; }")
        self.recent.itemActivated.connect(
            lambda item: self.recent_requested.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.recent, 3)
        row.addStretch(1)
        box.addLayout(row)
        outer.addLayout(box)
        outer.addStretch(3)

    def set_recent(self, files: list[str]) -> None:
        """Show the recent files (hidden when there are none)."""
        self.recent.clear()
        for f in files:
            item = QListWidgetItem(f"{Path(f).stem}    —    {f}")
            item.setData(Qt.ItemDataRole.UserRole, f)
            item.setToolTip(f)
            self.recent.addItem(item)
        self.recent.setVisible(bool(files))
        self.recent_title.setVisible(bool(files))
        rows = max(1, min(len(files), 6))
        row_height = self.recent.sizeHintForRow(0) if files else 28
        self.recent.setFixedHeight(rows * row_height + 2 * self.recent.frameWidth() + 4)


class MainWindow(QMainWindow):
    """The studio's window.

    Signals:
        project_opened(object): a project finished opening (the Project).
        open_failed(str): opening a project failed (the sentence shown).
    """

    project_opened = Signal(object)
    open_failed = Signal(str)

    def __init__(
        self,
        context: AppContext,
        settings: AppSettings | None = None,
        parent: QWidget | None = None,
        *,
        opening: bool = False,
    ) -> None:
        """Build the window; ``opening``: a project is about to be opened, so show
        "Opening…" instead of the welcome page."""
        super().__init__(parent)
        self.context = context
        self.settings = settings if settings is not None else load_settings()
        self.setObjectName("mainWindow")
        self.setWindowIcon(app_icon())
        self.resize(1280, 820)
        self.setMinimumSize(QSize(860, 560))
        self._views: dict[str, QWidget] = {}
        self._specs = registered_views()
        self._opening = False
        self.last_error_dialog: ErrorDialog | None = None

        self._build_central()
        self._build_menus()
        self._build_status_bar()

        context.project_changed.connect(self._on_project_changed)
        context.status_requested.connect(self._show_status)
        context.error_requested.connect(self.show_error_message)
        context.navigate_requested.connect(self.navigate)
        context.runner.busy_changed.connect(self._on_busy)

        self._restore_layout()
        if opening and context.project is None:
            self.pages.setCurrentWidget(self.opening_page)
            self.save_copy_action.setEnabled(False)
            self.close_action.setEnabled(False)
        else:
            self._on_project_changed(context.project)

    # -- building --------------------------------------------------------------------

    def _build_central(self) -> None:
        self.pages = QStackedWidget()
        self._welcome: WelcomePage | None = None
        self.opening_page = QLabel("Opening the project…")
        self.opening_page.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.opening_page.setStyleSheet("color: palette(placeholder-text); font-size: 13pt;")
        self.pages.addWidget(self.opening_page)

        self.workspace = QWidget()
        row = QHBoxLayout(self.workspace)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setIconSize(QSize(22, 22))
        self.nav.setFixedWidth(150)
        self.nav.setFrameShape(QListWidget.Shape.NoFrame)
        self.nav.setStyleSheet(
            "QListWidget#navigation { background: palette(window);"
            " border-right: 1px solid palette(mid); padding-top: 8px; }"
            "QListWidget#navigation::item { padding: 8px 6px; border-radius: 4px;"
            " margin: 1px 6px; }"
            "QListWidget#navigation::item:selected { background: #dbe4ff; color: #1c2b8a; }"
        )
        for i, spec in enumerate(self._specs):
            item = QListWidgetItem(
                spec.icon if isinstance(spec.icon, QIcon) else icon(spec.icon), spec.title
            )
            item.setData(Qt.ItemDataRole.UserRole, spec.name)
            if i < 9:
                item.setToolTip(f"{spec.title} (Ctrl+{i + 1})")
            self.nav.addItem(item)
        self.nav.currentRowChanged.connect(self._show_view_at)
        row.addWidget(self.nav)
        self.view_stack = QStackedWidget()
        # A read-only file opens read-only (ISSUE-11 §6): say so above every view
        self.read_only_banner = QLabel()
        self.read_only_banner.setObjectName("readOnlyBanner")
        self.read_only_banner.setWordWrap(True)
        self.read_only_banner.setStyleSheet(
            "QLabel#readOnlyBanner { background: #fff3bf; color: #5c3c00;"
            " border-bottom: 1px solid #f0c36d; padding: 6px 10px; }"
        )
        self.read_only_banner.hide()
        right = QWidget()
        right_col = QVBoxLayout(right)
        right_col.setContentsMargins(0, 0, 0, 0)
        right_col.setSpacing(0)
        right_col.addWidget(self.read_only_banner)
        right_col.addWidget(self.view_stack, 1)
        row.addWidget(right, 1)
        self.pages.addWidget(self.workspace)
        self.setCentralWidget(self.pages)

    @property
    def welcome(self) -> WelcomePage:
        """The page shown without a project (built when first needed: not at start-up
        when a file is being opened)."""
        if self._welcome is None:
            self._welcome = WelcomePage()
            self._welcome.new_requested.connect(self.new_project_dialog)
            self._welcome.open_requested.connect(self.open_project_dialog)
            self._welcome.demo_requested.connect(self.open_demo)
            self._welcome.recent_requested.connect(self.open_recent)
            self.pages.addWidget(self._welcome)
        return self._welcome

    def _action(
        self,
        text: str,
        slot: Callable[[], Any],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setStatusTip(tip)
            action.setToolTip(f"{tip} ({keys})" if keys else tip)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.new_action = self._action(
            "&New…", self.new_project_dialog, QKeySequence.StandardKey.New, "Create a project file"
        )
        self.open_action = self._action(
            "&Open…", self.open_project_dialog, QKeySequence.StandardKey.Open, "Open a project file"
        )
        self.demo_action = self._action(
            "Open the &Demo Project", self.open_demo, None, "Open the demo project"
        )
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.save_copy_action = self._action(
            "Save a &Copy…",
            self.save_copy_dialog,
            "Ctrl+Shift+S",
            "Write a consistent copy of the project to another file",
        )
        self.close_action = self._action(
            "&Close Project",
            self.close_project,
            QKeySequence.StandardKey.Close,
            "Close the project",
        )
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit, "Quit")
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        for a in (self.new_action, self.open_action):
            file_menu.addAction(a)
        file_menu.addMenu(self.recent_menu)
        file_menu.addAction(self.demo_action)
        file_menu.addSeparator()
        file_menu.addAction(self.save_copy_action)
        file_menu.addSeparator()
        file_menu.addAction(self.close_action)
        file_menu.addAction(self.quit_action)

        edit_menu = bar.addMenu("&Edit")
        self.undo_action = self.context.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.context.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)

        self.view_menu = bar.addMenu("&View")
        for i, spec in enumerate(self._specs):
            action = self._action(
                spec.title,
                functools.partial(self.navigate, spec.name, None),
                f"Ctrl+{i + 1}" if i < 9 else None,
                f"Show {spec.title}",
            )
            self.view_menu.addAction(action)
            self.addAction(action)

        help_menu = bar.addMenu("&Help")
        # "&&" is a literal ampersand in Qt action text ("& D" would underline the D)
        about = self._action("&About " + APP_TITLE.replace("&", "&&"), self.show_about)
        about.setObjectName("aboutAction")
        about.setMenuRole(QAction.MenuRole.AboutRole)
        help_menu.addAction(about)
        help_menu.addAction(self._action("Show &Log File", self._show_log_location))

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.busy_label = QLabel("Working…")
        self.busy_label.setVisible(False)
        status.addPermanentWidget(self.busy_label)
        self.project_label = QLabel("")
        self.project_label.setStyleSheet("color: palette(placeholder-text); padding: 0 6px;")
        status.addPermanentWidget(self.project_label)

    # -- views ---------------------------------------------------------------------------

    def view(self, name: str) -> QWidget:
        """The view named ``name``, built on first use."""
        widget = self._views.get(name)
        if widget is None:
            spec = next(s for s in self._specs if s.name == name)
            widget = spec.build(self.context)
            widget.setObjectName(f"view_{name}")
            self._views[name] = widget
            self.view_stack.addWidget(widget)
            restore = getattr(widget, "restore_layout", None)
            if callable(restore):
                restore(window_state_store())
        return widget

    @Slot(int)
    def _show_view_at(self, row: int) -> None:
        if 0 <= row < len(self._specs):
            self.view_stack.setCurrentWidget(self.view(self._specs[row].name))

    @Slot(str, object)
    def navigate(self, name: str, target: object = None) -> None:
        """Show the view ``name`` and, when it supports it, the ``target`` inside it."""
        names = [s.name for s in self._specs]
        if name not in names:
            self.context.show_status(f"There is no “{name}” view in this version.")
            return
        self.nav.setCurrentRow(names.index(name))
        widget = self.view(name)
        navigate_to = getattr(widget, "navigate_to", None)
        if target is not None and callable(navigate_to):
            navigate_to(target)

    def current_view_name(self) -> str | None:
        """Name of the view shown, or None."""
        row = self.nav.currentRow()
        return self._specs[row].name if 0 <= row < len(self._specs) else None

    # -- project lifecycle ---------------------------------------------------------------

    @Slot(object)
    def _on_project_changed(self, project: Project | None) -> None:
        has = project is not None
        self.save_copy_action.setEnabled(has)
        self.close_action.setEnabled(has)
        if has:
            assert project is not None
            self.setWindowTitle(f"{project.path.stem} — {APP_TITLE}")
            self.setWindowFilePath(str(project.path))
            self.project_label.setText(str(project.path))
            read_only = bool(getattr(project, "read_only", False))
            self.read_only_banner.setText(
                f"Read-only: {project.path.name} cannot be written, so you can look but not "
                "change anything. File ▸ Save a Copy makes an editable copy."
                if read_only
                else ""
            )
            self.read_only_banner.setVisible(read_only)
            if read_only:
                self.setWindowTitle(f"{project.path.stem} (read-only) — {APP_TITLE}")
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
        self.settings.add_recent(project.path)
        save_settings(self.settings)
        self.context.set_project(project)
        self.context.show_status(f"Opened {project.path.name}")
        self.project_opened.emit(project)
        # Import the other views' code in the background (~0.4 s of Python): the first
        # visit to a view then only builds widgets (ISSUE-11 §5: no GUI-thread stall)
        modules = [
            s.factory.partition(":")[0] for s in self._specs if isinstance(s.factory, str)
        ]
        self.context.runner.run(lambda: _import_modules(modules), db=False)

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

    def _remember_dir(self, path: str) -> None:
        self.settings.last_dir = str(Path(path).parent)
        save_settings(self.settings)

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
        if current is not None and p.resolve() == current.path.resolve():
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
            save_settings(self.settings)
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
            text = f"&{i + 1}  {Path(f).name}" if i < 9 else Path(f).name
            action = self.recent_menu.addAction(text)
            action.setToolTip(f)
            action.setStatusTip(f)
            action.triggered.connect(lambda _c=False, f=f: self.open_recent(f))
        self.recent_menu.addSeparator()
        self.recent_menu.addAction("Clear Menu", self._clear_recent)

    def _clear_recent(self) -> None:
        self.settings.recent_files = []
        save_settings(self.settings)
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

    def _task_error(self, exc: BaseException) -> None:
        self.context.show_status("")
        self.show_error_message(*describe(exc))

    @Slot(str, str)
    def show_error_message(self, message: str, details: str = "") -> None:
        """Show a failure as a sentence, with optional details (non-blocking dialog)."""
        from studio.ui.widgets.error_dialog import ErrorDialog

        dialog = ErrorDialog(message, details, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_: self._forget_dialog(dialog))
        self.last_error_dialog = dialog
        dialog.open()

    def _forget_dialog(self, dialog: ErrorDialog) -> None:
        if self.last_error_dialog is dialog:
            self.last_error_dialog = None

    def show_about(self) -> None:
        """Help ▸ About."""
        from PySide6.QtWidgets import QMessageBox  # on demand: not at start-up

        QMessageBox.about(
            self,
            f"About {APP_TITLE}",
            f"<h3>{APP_TITLE} {__version__}</h3>"
            "<p>Version prompts, curate fine-tuning data, validate and export JSONL, "
            "A/B-test prompts and decide whether fine-tuning is worth it.</p>"
            "<p>A project is one SQLite file; every change is saved at once.</p>"
            "<p><b>Data attribution.</b> The demo uses the BANKING77 dataset by PolyAI "
            "(Casanueva et al., “Efficient Intent Detection with Dual Sentence Encoders”, "
            "NLP4ConvAI at ACL 2020), licensed under "
            "<a href='https://creativecommons.org/licenses/by/4.0/'>CC BY 4.0</a>.</p>",
        )

    def _show_log_location(self) -> None:
        from PySide6.QtWidgets import QMessageBox  # on demand: not at start-up

        from studio.ui.errors import log_file_path

        QMessageBox.information(self, "Log File", f"The log is written to:\n{log_file_path()}")

    # -- status --------------------------------------------------------------------------

    @Slot(str, int)
    def _show_status(self, message: str, timeout_ms: int) -> None:
        if message:
            self.statusBar().showMessage(message, timeout_ms)
        else:
            self.statusBar().clearMessage()

    @Slot(bool)
    def _on_busy(self, busy: bool) -> None:
        self.busy_label.setVisible(busy)

    # -- layout memory -------------------------------------------------------------------

    def _restore_layout(self) -> None:
        store = window_state_store()
        geometry = store.value("main/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = store.value("main/state")
        if state is not None:
            self.restoreState(state)

    def save_layout(self, store: QSettings | None = None) -> None:
        """Remember window geometry and every built view's splitters."""
        store = store or window_state_store()
        store.setValue("main/geometry", self.saveGeometry())
        store.setValue("main/state", self.saveState())
        for widget in self._views.values():
            save = getattr(widget, "save_layout", None)
            if callable(save):
                save(store)
        store.sync()

    def unsaved_changes(self) -> list[str]:
        """What the views hold that is not stored yet (e.g. prompt edits not saved as versions)."""
        out: list[str] = []
        for widget in self._views.values():
            ask = getattr(widget, "unsaved_changes", None)
            if callable(ask):
                out.extend(ask())
        return out

    def closeEvent(self, event: QCloseEvent) -> None:
        from PySide6.QtWidgets import QMessageBox  # on demand: not at start-up

        pending = self.unsaved_changes()
        if pending:
            listed = "\n".join(f"• {p}" for p in pending[:8])
            answer = QMessageBox.question(
                self,
                "Quit Without Saving Versions?",
                f"These edits are not saved as versions yet:\n\n{listed}\n\nQuit anyway?",
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Discard:
                event.ignore()
                return
        self.save_layout()
        self.context.runner.shutdown()
        if self.context.project is not None:
            self.context.set_project(None)
        super().closeEvent(event)
