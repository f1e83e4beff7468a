"""The main window: navigation between views, the File/Edit/Help menus, status bar.

Views register themselves in one line (see :func:`register_view` and
``_register_builtin_views`` in :mod:`studio.ui.view_registry`); the window builds a view
the first time it is shown, so start-up pays only for the Prompts view. A view is any
QWidget built by ``factory(context)``; it may also define (all optional):

* ``navigate_to(target)``: called on ``context.navigate_requested(name, target)``;
* ``save_layout(store)`` / ``restore_layout(store)``: splitter sizes in the QSettings store;
* ``unsaved_changes() -> list[str]``: edits not stored yet; quitting asks first.

Opening, creating and copying projects runs on the database thread of
:class:`studio.ui.workers.TaskRunner` (:mod:`studio.ui.project_lifecycle`); the heavy
database modules are imported there, never at import time of this module.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, Slot
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from studio import __version__
from studio.ui.context import AppContext
from studio.ui.project_lifecycle import PROJECT_FILTER
from studio.ui.server_projects import ServerProjectActions
from studio.ui.settings import AppSettings, load_settings
from studio.ui.view_registry import VIEWS, ViewFactory, ViewSpec, register_view, registered_views
from studio.ui.welcome import APP_TITLE, WelcomePage
from studio.ui.widgets.icons import app_icon, icon

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent

    from studio.ui.widgets.error_dialog import ErrorDialog

__all__ = [
    "APP_TITLE",
    "PROJECT_FILTER",
    "MainWindow",
    "ViewFactory",
    "ViewSpec",
    "WelcomePage",
    "register_view",
    "registered_views",
]

_VIEWS = VIEWS  # the registry itself, under the name it had here


class MainWindow(ServerProjectActions):
    """The studio's window: its widgets, menus and status bar.

    What it does is layered below it: ``WindowViews`` (window_views.py: views, error
    dialog, layout memory) → ``ProjectLifecycle`` (project_lifecycle.py: open, create,
    close, save a copy, recent files) → ``ServerProjectActions`` (server_projects.py:
    projects on a PostgreSQL server).

    Signals (declared in ``ProjectLifecycle``):
        project_opened(object): a project finished opening (the Project).
        open_failed(str): opening a project failed (the sentence shown).
    """

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
        self.open_server_action = self._action(
            "Open &Server Project…",
            self.open_server_dialog,
            None,
            "Open a project in a PostgreSQL database",
        )
        self.new_server_action = self._action(
            "New Ser&ver Project…",
            self.new_server_dialog,
            None,
            "Create a project in a PostgreSQL database",
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
        file_menu.addSeparator()
        file_menu.addAction(self.open_server_action)
        file_menu.addAction(self.new_server_action)
        file_menu.addSeparator()
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
