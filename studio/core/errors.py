"""Error classes shared by the core, the command line and the GUI.

Two kinds (after qutebrowser's ``sql.py``): a :class:`UserError` is caused by the
environment or the input (a bad file, a read-only disk, a rejected key) and is shown
to the user as a sentence; anything else is a bug and goes to the error dialog/log.
"""

from __future__ import annotations


class StudioError(Exception):
    """Base class of every error the studio raises on purpose."""


class UserError(StudioError):
    """A problem with the user's input or environment, worded for the user.

    Attributes:
        message: a full sentence naming the file, line or field at fault.
        where: optional location (file path, ``file:line`` or field name).
    """

    def __init__(self, message: str, *, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return self.message


class NotFoundError(UserError):
    """A named thing (prompt, version, label, dataset, run) does not exist."""


class ValidationError(UserError):
    """Input that breaks a rule (invalid JSON Schema, unbalanced braces, ...)."""


class ProjectFileError(UserError):
    """A project file that cannot be opened: corrupt, foreign, newer, read-only, locked."""


class CancelledError(StudioError):
    """Long work stopped because the user asked; not a failure."""


class DatabaseError(UserError):
    """The project's database refused a read or write; the message names the file."""


class DatabaseBusyError(DatabaseError):
    """Another program held the database locked for longer than the studio waits."""


class DatabaseReadOnlyError(DatabaseError):
    """The project file or its folder cannot be written."""


class DatabaseCorruptError(DatabaseError):
    """SQLite reports the file as damaged."""


class DiskFullError(DatabaseError):
    """The disk holding the project is full; nothing was changed."""


class StaleEditError(UserError):
    """An edit made on a stale read: someone changed the example since it was read.

    Nothing was saved. The message says who changed it and when; the attributes let a
    caller show the value that is there now.

    Attributes:
        example_id: the example.
        expected_version: the version the editor read.
        version: the example's version now.
        changed_by: who made the last change ("" when unknown).
        changed_at: when (``YYYY-MM-DD HH:MM:SS`` UTC, "" when unknown).
        current: the example's curation fields now (label, ideal_output, status, ...).
    """

    def __init__(
        self,
        example_id: int,
        *,
        expected_version: int,
        version: int,
        changed_by: str,
        changed_at: str,
        current: dict[str, object],
    ) -> None:
        who = changed_by or "someone"
        when = f" at {changed_at} UTC" if changed_at else ""
        label = current.get("label")
        now = f' Its label is now "{label}".' if label is not None else ""
        super().__init__(
            f"Example {example_id} was changed by {who}{when} (version {version}; your edit "
            f"was made on version {expected_version}), so your edit was not saved.{now} "
            "Look at the new value and edit again if it still needs changing.",
            where=f"example {example_id}",
        )
        self.example_id = example_id
        self.expected_version = expected_version
        self.version = version
        self.changed_by = changed_by
        self.changed_at = changed_at
        self.current = current
