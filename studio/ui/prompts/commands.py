"""Undoable prompt operations for Edit ▸ Undo/Redo (the core records every step)."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtGui import QUndoCommand


class LabelApplier(Protocol):
    """What a label move needs of the Prompts view (named here so this module needs no view)."""

    def apply_label(self, name: str, label: str, version: int | None) -> None:
        """Point ``label`` of ``name`` at ``version`` (None removes it)."""


class MoveLabelCommand(QUndoCommand):
    """Moving a label as an undoable step (undo moves it back; both moves are recorded)."""

    def __init__(
        self, view: LabelApplier, name: str, label: str, to_version: int, from_version: int | None
    ) -> None:
        target = f"v{to_version}"
        super().__init__(
            f"Move {label} to {target}" if from_version else f"Set {label} on {target}"
        )
        self.view = view
        self.name = name
        self.label = label
        self.to_version = to_version
        self.from_version = from_version

    def redo(self) -> None:
        self.view.apply_label(self.name, self.label, self.to_version)

    def undo(self) -> None:
        self.view.apply_label(self.name, self.label, self.from_version)
