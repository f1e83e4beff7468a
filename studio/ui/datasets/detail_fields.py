"""Pieces of the example editor: sized text fields, eliding label buttons, a conversation.

Buttons here never take keyboard focus (``Qt.NoFocus``), like every button of the
editor (see :mod:`studio.ui.datasets.detail_editor`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

ROLES = ("system", "user", "assistant", "tool")


def text_edit(parent: QWidget, min_lines: int = 2, max_lines: int = 8) -> QPlainTextEdit:
    edit = QPlainTextEdit(parent)
    edit.setTabChangesFocus(True)
    line = edit.fontMetrics().lineSpacing()
    edit.setMinimumHeight(line * min_lines + 12)
    edit.setMaximumHeight(line * max_lines + 12)
    edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return edit


class ElidedButton(QPushButton):
    """A push button that ends a text too long for it with "…" instead of cutting a letter."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.full_text = text

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        room = max(0, self.width() - 16)  # the style sheet's padding and the frame
        text = self.fontMetrics().elidedText(self.full_text, Qt.TextElideMode.ElideRight, room)
        if text != self.text():  # setText re-lays out the whole label grid: only on change
            self.setText(text)


class MessagesEditor(QWidget):
    """A conversation as editable (role, content) rows."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[QComboBox, QPlainTextEdit, QWidget]] = []
        self._lay = QVBoxLayout(self)
        self._lay.setContentsMargins(0, 0, 0, 0)
        self._add = QPushButton("Add message", self)
        self._add.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._add.clicked.connect(lambda: self._append({"role": "user", "content": ""}, True))
        self._lay.addWidget(self._add)

    def set_messages(self, messages: Sequence[dict[str, Any]]) -> None:
        """Show these messages (replaces the rows)."""
        for _combo, _edit, box in self._rows:
            box.deleteLater()
        self._rows.clear()
        for m in messages:
            self._append(m, False)

    def _append(self, message: dict[str, Any], emit: bool) -> None:
        box = QFrame(self)
        box.setFrameShape(QFrame.Shape.StyledPanel)
        lay = QVBoxLayout(box)
        lay.setContentsMargins(4, 4, 4, 4)
        head = QHBoxLayout()
        role = QComboBox(box)
        role.addItems(ROLES)
        role.setCurrentText(str(message.get("role", "user")))
        remove = QToolButton(box)
        remove.setText("✕")
        remove.setToolTip("Remove this message")
        remove.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        head.addWidget(role)
        head.addStretch(1)
        head.addWidget(remove)
        content = message.get("content")
        if not isinstance(content, str):
            content = (
                json.dumps(content, ensure_ascii=False, indent=1) if content is not None else ""
            )
        edit = text_edit(box, 2, 6)
        edit.setPlainText(content)
        lay.addLayout(head)
        lay.addWidget(edit)
        self._lay.insertWidget(self._lay.count() - 1, box)
        row = (role, edit, box)
        self._rows.append(row)
        role.currentTextChanged.connect(lambda _t: self.changed.emit())
        edit.textChanged.connect(self.changed.emit)
        remove.clicked.connect(lambda: self._remove(row))
        if emit:
            self.changed.emit()

    def _remove(self, row: tuple[QComboBox, QPlainTextEdit, QWidget]) -> None:
        self._rows.remove(row)
        row[2].deleteLater()
        self.changed.emit()

    def messages(self) -> list[dict[str, Any]]:
        """The conversation as edited."""
        return [{"role": r.currentText(), "content": e.toPlainText()} for r, e, _b in self._rows]

    def text_edits(self) -> list[QPlainTextEdit]:
        """The content fields (for focus handling)."""
        return [e for _r, e, _b in self._rows]
