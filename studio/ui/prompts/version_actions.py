"""The Prompts view's actions on versions: save, new prompt, labels, restore, files.

Every database call goes through ``context.runner`` (the database thread); moving a
label is an undoable step (:mod:`studio.ui.prompts.commands`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Slot

from studio.ui.prompts.browser import PromptBrowser
from studio.ui.prompts.common import run_db

if TYPE_CHECKING:
    from studio.core.db.project import Project

PROMPT_FILE_FILTER = "Prompt files (*.json *.yaml *.yml);;JSON (*.json);;YAML (*.yaml *.yml)"
STARTER_SYSTEM = "You are a helpful assistant for {{product}}. Answer briefly and accurately."
STARTER_USER = "{{question}}"


class VersionActions(PromptBrowser):
    """What the user does to a prompt's versions (each reported in the status bar)."""

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
            self._took_new_version(name)
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
                self._took_new_version(name)
            else:
                self.context.show_status("No changes: no version created.")
            self.saved.emit(saved)

        run_db(self.context, self, work, done)

    def _took_new_version(self, name: str) -> None:
        """``name`` has a new version (restored or imported): drop its draft, list it again
        and, when it is the one shown, start the editor from the new version."""
        self.drafts.pop(name, None)
        self.refresh_list()
        if name == self.current:
            self.load_prompt(name)

    def unsaved_changes(self) -> list[str]:
        """Prompts with edits not saved as a version (the window asks before quitting)."""
        names = set(self.drafts)
        if self.editor is not None and self.editor.is_dirty and self.current:
            names.add(self.current)
        return [f"{name}: edits not saved as a version" for name in sorted(names)]
