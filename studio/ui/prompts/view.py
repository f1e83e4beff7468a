"""The Prompts view: prompt list on the left; editor and history of the selected prompt.

Every database call goes through ``context.runner`` (the database thread) and returns
plain frozen dataclasses; the widgets are updated on the GUI thread when the result
arrives. Unsaved edits are kept as an in-memory draft per prompt while the user looks
at another prompt, so switching never loses work and needs no "discard?" dialog.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from studio.ui.context import AppContext
from studio.ui.prompts.common import alive, run_db
from studio.ui.prompts.prompt_list import PromptListPanel, PromptRow

if TYPE_CHECKING:
    from PySide6.QtWidgets import QTabWidget

    from studio.core.db.project import Project
    from studio.ui.prompts.editor import PromptEditor
    from studio.ui.prompts.history import HistoryPanel, VersionRow

PROMPT_FILE_FILTER = "Prompt files (*.json *.yaml *.yml);;JSON (*.json);;YAML (*.yaml *.yml)"
STARTER_SYSTEM = "You are a helpful assistant for {{product}}. Answer briefly and accurately."
STARTER_USER = "{{question}}"


class PromptsView(QWidget):
    """Prompt list, editor, history.

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

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("promptsSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.list_panel = PromptListPanel()
        self.list_panel.setMinimumWidth(220)
        self.list_panel.prompt_selected.connect(self._prompt_selected)
        self.list_panel.new_requested.connect(self.new_prompt_dialog)
        self.splitter.addWidget(self.list_panel)

        self.right = QStackedWidget()
        self.placeholder = QLabel("Select a prompt on the left to edit it and browse its history.")
        self.placeholder.setObjectName("promptsPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setStyleSheet("color: palette(placeholder-text); font-size: 13pt;")
        self.right.addWidget(self.placeholder)
        self.splitter.addWidget(self.right)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([270, 1000])
        layout.addWidget(self.splitter)

        find = QAction("Find Prompt", self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.triggered.connect(self.focus_search)
        self.addAction(find)
        new = QAction("New Prompt…", self)
        new.setShortcut(QKeySequence("Ctrl+Shift+N"))
        new.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        new.triggered.connect(self.new_prompt_dialog)
        self.addAction(new)
        context.project_changed.connect(self._project_changed)
        context.data_changed.connect(self._data_changed)
        if context.project is not None:
            self.refresh_list()

    def _ensure_page(self) -> None:
        """Build the editor and history the first time a prompt is shown.

        Start-up shows only the list; the page (and the prompt core it imports) waits
        until it is needed.
        """
        if self.tabs is not None:
            return
        from PySide6.QtWidgets import QTabWidget

        from studio.ui.prompts.editor import PromptEditor
        from studio.ui.prompts.history import HistoryPanel

        self.tabs = QTabWidget()
        self.tabs.setObjectName("promptTabs")
        self.tabs.setDocumentMode(True)
        self.editor = PromptEditor()
        self.editor.save_requested.connect(self.save_version_dialog)
        self.editor.import_requested.connect(self.import_file_dialog)
        self.editor.export_requested.connect(
            lambda: self.export_version_dialog(self.editor.base.version if self.editor.base else 0)
        )
        self.editor.description_edited.connect(self._save_description)
        self.editor.dirty_changed.connect(self._dirty_changed)
        self.tabs.addTab(self.editor, "Editor")
        self.history = HistoryPanel()
        self.history.compare_requested.connect(self.compare)
        self.history.open_requested.connect(self.open_version_in_editor)
        self.history.move_label_requested.connect(self.move_label_dialog)
        self.history.restore_requested.connect(self.restore_dialog)
        self.history.export_requested.connect(self.export_version_dialog)
        self.tabs.addTab(self.history, "History")
        self.right.addWidget(self.tabs)
        self.history_shortcut = QAction("Show History", self)
        self.history_shortcut.setShortcut(QKeySequence("Ctrl+H"))
        self.history_shortcut.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.history_shortcut.triggered.connect(lambda: self.tabs.setCurrentWidget(self.history))
        self.addAction(self.history_shortcut)
        self.tabs.setTabToolTip(0, "Edit the next version (Ctrl+E)")
        self.tabs.setTabToolTip(1, "Versions, labels and diffs (Ctrl+H)")
        edit_shortcut = QAction("Show Editor", self)
        edit_shortcut.setShortcut(QKeySequence("Ctrl+E"))
        edit_shortcut.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        edit_shortcut.triggered.connect(lambda: self.tabs.setCurrentWidget(self.editor))
        self.addAction(edit_shortcut)

        if self._layout_store is not None:
            self.editor.restore_layout(self._layout_store, "prompts")
            self.history.restore_layout(self._layout_store, "prompts")

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

    # -- saving ----------------------------------------------------------------------

    @Slot()
    def save_version_dialog(self) -> None:
        """Save Version…: ask for a message, then store the editor's spec."""
        spec, problem = self.editor.check()
        if spec is None:
            self.context.show_status(problem or "Nothing to save.")
            return
        base = self.editor.base
        if base is None:
            return
        from studio.core.prompts.diff import diff_versions

        summary = diff_versions(base.spec, spec).to_text()
        latest = max(self.versions) if self.versions else 0
        from studio.ui.prompts.dialogs import SaveVersionDialog

        dialog = SaveVersionDialog(self.current, latest + 1, summary, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        name = self.current
        dialog.accepted.connect(lambda: self.save_version(name, spec, dialog.commit_message()))
        self.dialog = dialog
        dialog.open()

    def save_version(self, name: str, spec: Any, message: str) -> None:
        """Store ``spec`` as the next version of ``name`` (no version when identical)."""

        def work(project: Project) -> Any:
            from studio.core.prompts.service import save_version

            return save_version(project, name, spec, message)

        def done(result: Any) -> None:
            if result.created:
                self.context.show_status(f"Saved v{result.version} of {name}.")
                self.drafts.pop(name, None)
                if name == self.current:
                    self.load_prompt(name)  # the editor now starts from the new version
            else:
                self.context.show_status("No changes: no version created.")
            self.refresh_list()
            self.saved.emit(result)

        run_db(self.context, self, work, done)

    @Slot(str)
    def _save_description(self, text: str) -> None:
        name = self.current

        def work(project: Project) -> Any:
            from studio.core.prompts.service import set_description

            return set_description(project, name, text)

        def done(_info: Any) -> None:
            if self.editor.base is not None and self.editor.base.name == name:
                self.editor.base = dataclasses.replace(self.editor.base, description=text)
            self.context.show_status(f"Description of {name} saved.")
            self.refresh_list()

        run_db(self.context, self, work, done)

    # -- new prompt ------------------------------------------------------------------

    @Slot()
    def new_prompt_dialog(self) -> None:
        """New Prompt…: name, description, model; creates v1 from a small template."""
        if self.context.project is None:
            return
        from studio.ui.prompts.dialogs import NewPromptDialog

        dialog = NewPromptDialog([r.name for r in self.list_panel.model.rows], self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.create_prompt(*dialog.values()))
        self.dialog = dialog
        dialog.open()

    def create_prompt(self, name: str, description: str, model: str) -> None:
        """Create ``name`` with a first version to start editing from."""

        def work(project: Project) -> Any:
            from studio.core.prompts.service import save_version
            from studio.core.prompts.spec import Message, PromptSpec

            spec = PromptSpec(
                messages=(Message("system", STARTER_SYSTEM), Message("user", STARTER_USER)),
                model=model or "gpt-4.1-mini",
                params={"temperature": 0.2},
            )
            return save_version(project, name, spec, "First version", description=description)

        def done(_result: Any) -> None:
            self.context.show_status(f"Created {name}.")
            self.refresh_list(select=name)
            if self.tabs is not None:
                self.tabs.setCurrentWidget(self.editor)

        run_db(self.context, self, work, done)

    # -- labels, restore -------------------------------------------------------------

    @Slot(int)
    def move_label_dialog(self, version: int) -> None:
        """Move Label…: choose the label; the dialog states the move before it happens."""
        name = self.current
        from studio.ui.prompts.dialogs import MoveLabelDialog

        dialog = MoveLabelDialog(name, self.labels, self.versions, version, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def accepted() -> None:
            label = dialog.label_name()
            target = dialog.target_version()
            from studio.ui.prompts.commands import MoveLabelCommand

            self.context.undo_stack.push(
                MoveLabelCommand(self, name, label, target, self.labels.get(label))
            )

        dialog.accepted.connect(accepted)
        self.dialog = dialog
        dialog.open()

    def apply_label(self, name: str, label: str, version: int | None) -> None:
        """Point ``label`` of ``name`` at ``version`` (None removes it); recorded by the core."""

        def work(project: Project) -> Any:
            from studio.core.prompts.service import remove_label, set_label

            if version is None:
                return remove_label(project, name, label)
            return set_label(project, name, label, version)

        def done(_move: Any) -> None:
            where = f"v{version}" if version is not None else "no version"
            self.context.show_status(f"{label} of {name} now points at {where}.")
            self.refresh_list()
            if name == self.current:
                self.reload_history()

        run_db(self.context, self, work, done)

    @Slot(int)
    def restore_dialog(self, version: int) -> None:
        """Restore as Newest: confirm, then save v``version``'s content as the newest version."""
        name = self.current
        latest = max(self.versions) if self.versions else version
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(self)
        box.setObjectName("restoreConfirm")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Restore Version")
        box.setText(f"Restore v{version} of {name} as the newest version (v{latest + 1})?")
        box.setInformativeText("Nothing is deleted: the versions in between stay in the history.")
        box.setStandardButtons(QMessageBox.StandardButton.Cancel)
        restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(restore)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(
            lambda b: self.restore_version(name, version) if b is restore else None
        )
        self.dialog = box
        box.open()

    def restore_version(self, name: str, version: int) -> None:
        """Save v``version``'s content again as the newest version."""

        def work(project: Project) -> Any:
            from studio.core.prompts.service import restore_version

            return restore_version(project, name, version)

        def done(result: Any) -> None:
            if result.created:
                self.context.show_status(f"Restored v{version} of {name} as v{result.version}.")
            else:
                self.context.show_status(
                    f"v{version} has the same content as the newest version: no version created."
                )
            self.drafts.pop(name, None)
            self.refresh_list()
            if name == self.current:
                self.load_prompt(name)
            self.saved.emit(result)

        run_db(self.context, self, work, done)

    # -- files -----------------------------------------------------------------------

    @Slot(int)
    def export_version_dialog(self, version: int) -> None:
        """Export v``version`` to a JSON or YAML prompt file."""
        name = self.current
        if not name or not version:
            return
        suggested = str(Path.home() / f"{name}.v{version}.json")
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(
            self, "Export Prompt Version", suggested, PROMPT_FILE_FILTER
        )
        if not path:
            return
        dest = Path(path)
        if dest.suffix.lower() not in (".json", ".yaml", ".yml"):
            dest = dest.with_name(dest.name + ".json")
        from studio.ui.widgets.save_path import confirm_output

        if not confirm_output(self, self.context, dest, dialog_confirmed=str(dest) == path):
            return

        def work(project: Project) -> None:
            from studio.core.prompts.files import write_prompt_file
            from studio.core.prompts.service import get_version

            data = get_version(project, name, version)
            write_prompt_file(dest, data.name, data.description, data.spec)

        run_db(
            self.context,
            self,
            work,
            lambda _r: self.context.show_status(f"Exported v{version} of {name} to {dest}."),
        )

    @Slot()
    def import_file_dialog(self) -> None:
        """Import a prompt file as a new version of the current prompt."""
        name = self.current
        if not name:
            return
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getOpenFileName(
            self, "Import Prompt File", str(Path.home()), PROMPT_FILE_FILTER
        )
        if path:
            self.import_file(name, Path(path))

    def import_file(self, name: str, path: Path) -> None:
        """Store the prompt in ``path`` as the next version of ``name``."""

        def work(project: Project) -> tuple[Any, str]:
            from studio.core.prompts.files import load_prompt_file
            from studio.core.prompts.service import save_version

            file_name, _description, spec = load_prompt_file(path)
            return save_version(project, name, spec, f"Imported from {path.name}"), file_name

        def done(result: tuple[Any, str]) -> None:
            saved, file_name = result
            note = f" (the file names it “{file_name}”)" if file_name and file_name != name else ""
            if saved.created:
                self.context.show_status(
                    f"Imported {path.name} as v{saved.version} of {name}{note}."
                )
                self.drafts.pop(name, None)
                self.refresh_list()
                if name == self.current:
                    self.load_prompt(name)
            else:
                self.context.show_status("No changes: no version created.")
            self.saved.emit(saved)

        run_db(self.context, self, work, done)

    def unsaved_changes(self) -> list[str]:
        """Prompts with edits not saved as a version (the window asks before quitting)."""
        names = set(self.drafts)
        if self.editor is not None and self.editor.is_dirty and self.current:
            names.add(self.current)
        return [f"{name}: edits not saved as a version" for name in sorted(names)]

    # -- navigation and layout ---------------------------------------------------------

    def navigate_to(self, target: object) -> None:
        """``{"prompt": name, "version": n}``: select the prompt (and show that version's diff)."""
        if not isinstance(target, dict) or "prompt" not in target:
            return
        name = str(target["prompt"])
        if not self.list_panel.select(name):
            self.refresh_list(select=name)
        version = target.get("version")
        if isinstance(version, int):
            self._ensure_page()
            assert self.tabs is not None
            self.tabs.setCurrentWidget(self.history)
            self.history_loaded.connect(self._select_after_load(version))

    def _select_after_load(self, version: int) -> Any:
        def once(_name: str) -> None:
            self.history_loaded.disconnect(once)
            self.history.select_versions([version])

        return once

    def save_layout(self, store: QSettings) -> None:
        """Remember the splitters."""
        store.setValue("prompts/splitter", self.splitter.saveState())
        if self.tabs is not None:
            self.editor.save_layout(store, "prompts")
            self.history.save_layout(store, "prompts")

    def restore_layout(self, store: QSettings) -> None:
        """Restore the splitters (the page's when it is built)."""
        state = store.value("prompts/splitter")
        if state is not None:
            self.splitter.restoreState(state)
        self._layout_store = store
