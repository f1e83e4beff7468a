"""The window's server projects (ISSUE-14 §1): open or create one, reopen it, copy it to a file.

File ▸ Open Server Project… and New Server Project… ask where with
:class:`studio.ui.server_dialog.ServerProjectDialog`; opening runs on the database
thread like a file (connecting can take seconds). A server project has no file, so
Open Recent reopens it by its location (it cannot be "gone") and Save a Copy becomes
Copy to a File…, a verified table-by-table copy (:func:`studio.core.db.copy.copy_to_file`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from studio.ui.project_lifecycle import ProjectLifecycle, project_file, recent_label
from studio.ui.settings import is_server_entry

if TYPE_CHECKING:
    from studio.core.db.project import Project
    from studio.ui.server_dialog import ServerProjectDialog


def _open_server(location: str, password: str | None, remember: bool, create: bool) -> Project:
    """Open or create on the database thread; ``password`` None keeps what this login has."""
    from studio.core.db.project import new_project, open_project
    from studio.core.db.server_check import use_password
    from studio.core.errors import UserError

    keyring_problem: UserError | None = None
    if password is not None:
        try:
            use_password(location, password, remember=remember)
        except UserError as exc:  # used for this session; only remembering failed
            keyring_problem = exc
    project = new_project(location) if create else open_project(location)
    if keyring_problem is not None:
        project.keyring_problem = keyring_problem.message  # type: ignore[attr-defined]
    return project


class ServerProjectActions(ProjectLifecycle):
    """Open Server Project…, New Server Project…, and what differs for a server project."""

    server_dialog: ServerProjectDialog | None = None

    def open_server_dialog(self, *, create: bool = False, location: str | None = None) -> None:
        """File ▸ Open Server Project… (``create``: New Server Project…)."""
        from studio.ui.server_dialog import ServerProjectDialog

        if location is None:
            location = next((r for r in self.settings.recent_files if is_server_entry(r)), None)
        dialog = ServerProjectDialog(self.context, self, create=create, location=location)
        if create:
            dialog.database.clear()
        self.server_dialog = dialog
        dialog.accepted.connect(lambda: self._server_dialog_accepted(dialog))
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        dialog.open()

    def new_server_dialog(self) -> None:
        """File ▸ New Server Project…"""
        self.open_server_dialog(create=True)

    def _server_dialog_accepted(self, dialog: ServerProjectDialog) -> None:
        location = dialog.location()
        if location is None:
            return
        self.open_location(
            location,
            password=dialog.password.text(),
            remember=dialog.remember.isChecked(),
            create=dialog.creating,
        )

    def open_location(
        self,
        location: str,
        *,
        password: str | None = None,
        remember: bool = False,
        create: bool = False,
    ) -> None:
        """Open (or ``create``) the server project at ``location`` off the GUI thread.

        ``password``: typed in the dialog ("" = none typed: the keyring, PGPASSWORD or
        ~/.pgpass); None (Open Recent, the command line) keeps one typed earlier.
        """
        self._start_open(
            lambda: _open_server(location, password, remember, create), recent_label(location)
        )

    def _opened(self, project: Project) -> None:
        super()._opened(project)
        problem = getattr(project, "keyring_problem", None)
        if problem:
            self.show_error_message(problem)

    def open_recent(self, path: str) -> None:
        """A server entry reopens by its location; a file as before."""
        if is_server_entry(path):
            self.open_location(path)
            return
        super().open_recent(path)

    def _on_project_changed(self, project: Project | None) -> None:
        super()._on_project_changed(project)
        server = project is not None and project_file(project) is None
        self.save_copy_action.setText("&Copy to a File…" if server else "Save a &Copy…")
        self.save_copy_action.setStatusTip(
            "Copy the server project into a project file (verified table by table)"
            if server
            else "Write a consistent copy of the project to another file"
        )

    def save_copy_dialog(self) -> None:
        """Save a Copy… for a file; Copy to a File… for a server project."""
        project = self.context.project
        if project is None or project_file(project) is not None:
            super().save_copy_dialog()
            return
        suggested = str(Path(self._start_dir()) / f"{project.name}.studio")
        dest = self._ask_project_save_path("Copy to a File", suggested)
        if dest is None:
            return
        location = project.location
        self.context.show_status(f"Copying {recent_label(location)} to {dest}…", 0)

        def work() -> int:
            from studio.core.db.copy import copy_to_file

            return copy_to_file(location, dest).total_rows

        self.context.runner.run(
            work,
            on_done=lambda rows: self.context.show_status(
                f"Copied {rows:,} rows to {dest} (verified)"
            ),
            on_error=self._task_error,
            db=False,
        )
