"""The Prompts view: prompt list on the left; editor and history of the selected prompt.

Every database call goes through ``context.runner`` (the database thread) and returns
plain frozen dataclasses; the widgets are updated on the GUI thread when the result
arrives. Unsaved edits are kept as an in-memory draft per prompt while the user looks
at another prompt, so switching never loses work and needs no "discard?" dialog.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from studio.ui.context import AppContext
from studio.ui.prompts.prompt_list import PromptListPanel
from studio.ui.prompts.version_actions import (
    PROMPT_FILE_FILTER,
    STARTER_SYSTEM,
    STARTER_USER,
    VersionActions,
)

__all__ = ["PROMPT_FILE_FILTER", "STARTER_SYSTEM", "STARTER_USER", "PromptsView"]


class PromptsView(VersionActions):
    """Prompt list, editor, history.

    What it does is layered below it: ``PromptBrowser`` (browser.py: list, loading,
    drafts, history, diffs) → ``VersionActions`` (version_actions.py: save, new prompt,
    labels, restore, import/export).

    Signals (declared in ``PromptBrowser``):
        list_shown(int): the prompt list of the open project is on screen (row count).
        prompt_loaded(str): the editor and history show this prompt.
        history_loaded(str): versions and label history of this prompt were refreshed.
        diff_shown(int, int): a diff from version a to b is on screen.
        saved(object): a save finished (the core's SaveResult).
    """

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)

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
