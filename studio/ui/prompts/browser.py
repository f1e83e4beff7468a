"""The Prompts view's browsing: the prompt list, one prompt loaded, drafts, history, diffs.

Every database call goes through ``context.runner`` (the database thread) and returns
plain frozen dataclasses; the widgets are updated on the GUI thread when the result
arrives. Unsaved edits are kept as an in-memory draft per prompt while the user looks
at another prompt, so switching never loses work and needs no "discard?" dialog.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt, Signal, Slot
from PySide6.QtWidgets import QLabel, QStackedWidget, QWidget

from studio.ui.context import AppContext
from studio.ui.prompts.common import alive, run_db
from studio.ui.prompts.prompt_list import PromptListPanel, PromptRow

if TYPE_CHECKING:
    from PySide6.QtWidgets import QTabWidget

    from studio.core.db.project import Project
    from studio.ui.prompts.editor import PromptEditor
    from studio.ui.prompts.history import HistoryPanel, VersionRow


class PromptBrowser(QWidget):
    """The lowest layer of the Prompts view: what is listed and shown.

    The widgets are built by ``PromptsView``; ``VersionActions`` (version_actions.py)
    sits between the two.

    Signals:
        list_shown(int): the prompt list of the open project is on screen (row count).
        prompt_loaded(str): the editor and history show this prompt.
        history_loaded(str): versions and label history of this prompt were refreshed.
        diff_shown(int, int): a diff from version a to b is on screen.
        saved(object): a save finished (the core's SaveResult).
    """

    list_shown = Signal(int)
    prompt_loaded = Signal(str)
    history_loaded = Signal(str)
    diff_shown = Signal(int, int)
    saved = Signal(object)

    # Built by PromptsView
    list_panel: PromptListPanel
    right: QStackedWidget
    placeholder: QLabel

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.current = ""
        self.drafts: dict[str, tuple[int, Any]] = {}
        self.labels: dict[str, int] = {}
        self.versions: list[int] = []
        self._quick = False
        self.tabs: QTabWidget | None = None
        self.editor: PromptEditor = None  # type: ignore[assignment]  # built by _ensure_page
        self.history: HistoryPanel = None  # type: ignore[assignment]
        self._layout_store: QSettings | None = None
        self.dialog: Any = None  # the dialog currently open (tests reach it here)

    def _ensure_page(self) -> None:
        """Build the editor and history page; the view (``PromptsView``) does it."""

    # -- project and list --------------------------------------------------------------

    def show_quick_list(self, rows: list[Any]) -> None:
        """Show the list read by the quick look while the project is still opening."""
        self._quick = True
        self.list_panel.set_rows([PromptRow.from_summary(r) for r in rows])
        self.placeholder.setText("Opening the project…")
        self.list_shown.emit(len(rows))

    def clear_quick_list(self) -> None:
        """The open failed: forget the quick look."""
        self._quick = False
        self.list_panel.set_rows([])

    @Slot(object)
    def _project_changed(self, project: Project | None) -> None:
        self.current = ""
        self.drafts.clear()
        self.right.setCurrentWidget(self.placeholder)
        self.placeholder.setText("Select a prompt on the left to edit it and browse its history.")
        if not self._quick:
            self.list_panel.search.clear()  # a search typed during the quick look stays
        self._quick = False
        if project is None:
            self.list_panel.set_rows([])
            return
        self.refresh_list()

    @Slot(str)
    def _data_changed(self, area: str) -> None:
        if area == "prompts":
            self.refresh_list()
            if self.current:
                self.load_prompt(self.current, keep_editor=True)

    def refresh_list(self, select: str | None = None) -> None:
        """Reload the prompt list (then select ``select`` if given)."""
        from_select = select

        def work(project: Project) -> list[PromptRow]:
            from studio.core.prompts.service import list_prompts

            return [PromptRow.from_summary(s) for s in list_prompts(project)]

        def done(rows: list[PromptRow]) -> None:
            self.list_panel.set_rows(rows, select=from_select)
            if from_select and from_select not in {r.name for r in rows}:
                # a link to a prompt that was renamed or deleted since
                self.context.show_status(f"There is no prompt named “{from_select}” any more.")
            if not self.list_panel.current_name() and rows and not self.current:
                self.list_panel.select(rows[0].name)
            self.list_shown.emit(len(rows))

        run_db(self.context, self, work, done)

    @Slot()
    def focus_search(self) -> None:
        """Ctrl+F: put the cursor in the search box."""
        self.list_panel.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.list_panel.search.selectAll()

    # -- one prompt --------------------------------------------------------------------

    @Slot(str)
    def _prompt_selected(self, name: str) -> None:
        if name == self.current:
            return
        self._stash_draft()
        if not name:
            return
        self.load_prompt(name)

    def _stash_draft(self) -> None:
        if (
            self.current
            and self.editor is not None
            and self.editor.base is not None
            and self.editor.is_dirty
        ):
            try:
                spec = self.editor.current_spec()
            except Exception:  # broken JSON in a box: keep nothing rather than crash
                return
            self.drafts[self.current] = (self.editor.base.version, spec)

    def load_prompt(
        self, name: str, ref: int | str | None = None, *, keep_editor: bool = False
    ) -> None:
        """Show prompt ``name``: version ``ref`` (default latest) in the editor, and its history."""

        from studio.ui.prompts.history import VersionRow

        def work(project: Project) -> tuple[Any, list[VersionRow], list[Any], dict[str, int]]:
            from studio.core.prompts import service

            data = service.get_version(project, name, ref if ref is not None else "latest")
            rows = [VersionRow.from_info(v) for v in service.log(project, name)]
            return data, rows, service.label_history(project, name), service.labels(project, name)

        def done(result: tuple[Any, list[VersionRow], list[Any], dict[str, int]]) -> None:
            data, rows, moves, labels = result
            self._ensure_page()
            assert self.tabs is not None
            switching = name != self.current
            self.current = name
            self.labels = labels
            self.versions = [r.version for r in rows]
            self.right.setCurrentWidget(self.tabs)
            if switching or not keep_editor or not self.editor.is_dirty:
                self.editor.load(data, keep_values=not switching)
                draft = self.drafts.pop(name, None)
                if draft is not None and switching:
                    self._apply_draft(draft[1])
            self.history.set_versions(
                rows, select=None if switching else self.history.selected_versions()
            )
            self.history.set_label_history(moves)
            self.tabs.setTabText(1, f"History ({len(rows)})")
            self.prompt_loaded.emit(name)
            self.history_loaded.emit(name)

        def failed(exc: BaseException) -> None:
            from studio.core.errors import NotFoundError

            if isinstance(exc, NotFoundError):
                # No versions yet, or deleted meanwhile: show the list again
                self.context.show_status(exc.message)
                self.refresh_list()
                return
            self.context.show_error(exc)

        run_db(self.context, self, work, done, failed)

    def _apply_draft(self, spec: Any) -> None:
        base = self.editor.base
        self.editor.load(dataclasses.replace(base, spec=spec), keep_values=True)
        # keep the real base, so Save Version compares with what is stored
        self.editor.base = base
        self.editor._update_state()

    def reload_history(self) -> None:
        """Refresh versions and labels of the current prompt (editor untouched)."""
        if self.current:
            self.load_prompt(self.current, keep_editor=True)

    @Slot(bool)
    def _dirty_changed(self, dirty: bool) -> None:
        assert self.tabs is not None
        self.tabs.setTabText(0, "Editor •" if dirty else "Editor")

    @Slot(int)
    def open_version_in_editor(self, version: int) -> None:
        """Start the next version from ``version`` (shows the editor)."""
        name = self.current

        def work(project: Project) -> Any:
            from studio.core.prompts.service import get_version

            return get_version(project, name, version)

        def done(data: Any) -> None:
            if name == self.current and self.tabs is not None:
                self.editor.load(data, keep_values=True)
                self.tabs.setCurrentWidget(self.editor)
                self.context.show_status(f"Editing from v{version} of {name}.")

        run_db(self.context, self, work, done)

    # -- diff ------------------------------------------------------------------------

    @Slot(int, int)
    def compare(self, a: int, b: int) -> None:
        """Show the diff from version ``a`` to ``b`` of the current prompt."""
        name = self.current

        def work(project: Project) -> Any:
            from studio.core.prompts.service import diff

            return diff(project, name, a, b)

        def done(result: Any) -> None:
            if name == self.current and alive(self.history):
                self.history.diff.show_diff(result, f"v{a}", f"v{b}")
                self.diff_shown.emit(a, b)

        run_db(self.context, self, work, done)
