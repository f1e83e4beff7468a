"""The main window's views: built on first use, switched, told where to go; failures shown.

Each view may define ``navigate_to``, ``save_layout``/``restore_layout`` and
``unsaved_changes`` (see :mod:`studio.ui.main_window`); this layer calls them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, Slot
from PySide6.QtWidgets import QListWidget, QMainWindow, QStackedWidget, QWidget

from studio.ui.context import AppContext
from studio.ui.errors import describe
from studio.ui.settings import AppSettings, window_state_store
from studio.ui.view_registry import ViewSpec

if TYPE_CHECKING:
    from studio.ui.widgets.error_dialog import ErrorDialog


class WindowViews(QMainWindow):
    """The lowest layer of the main window: the views and the error dialog.

    The widgets are built by ``MainWindow``; ``ProjectLifecycle`` (project_lifecycle.py)
    sits between the two.
    """

    context: AppContext
    settings: AppSettings
    nav: QListWidget
    view_stack: QStackedWidget
    _views: dict[str, QWidget]
    _specs: list[ViewSpec]
    last_error_dialog: ErrorDialog | None

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
