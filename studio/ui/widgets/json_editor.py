"""A JSON text editor that validates as the user types.

The error appears under the text as a sentence with the line/column of a syntax error
or the path of a schema error (the validator's message), and the editor's frame turns
red; the text keeps its own undo/redo (Ctrl+Z / Ctrl+Shift+Z).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QFontDatabase, QTextCursor
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from studio.core.errors import UserError
from studio.core.json_depth import MAX_DEPTH, nesting_excess

# A validator gets the parsed value and raises UserError (ValidationError) when it is
# wrong; it may return warnings to show in amber.
Validator = Callable[[Any], "list[str] | None"]

_OK_STYLE = ""
_BAD_STYLE = "QPlainTextEdit { border: 1px solid #d9480f; }"


def monospace_font() -> Any:
    """The system's fixed-width font (used for prompt text and JSON)."""
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


class JsonEditor(QWidget):
    """Edit one JSON value with live validation.

    Signals:
        edited(): the text changed (by the user or :meth:`set_value`).
        validity_changed(bool): the text became valid or invalid.
    """

    edited = Signal()
    validity_changed = Signal(bool)

    def __init__(
        self,
        *,
        validator: Validator | None = None,
        allow_empty: bool = True,
        expect: type | tuple[type, ...] | None = None,
        placeholder: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._validator = validator
        self._allow_empty = allow_empty
        self._expect = expect
        self._valid = True
        self._error = ""
        self._warnings: list[str] = []
        self._value: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.text = QPlainTextEdit()
        self.text.setFont(monospace_font())
        self.text.setTabStopDistance(self.text.fontMetrics().horizontalAdvance(" ") * 2)
        self.text.setPlaceholderText(placeholder)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        layout.addWidget(self.text, 1)
        self.status = QLabel("")
        self.status.setObjectName("jsonStatus")
        self.status.setWordWrap(True)
        self.status.setVisible(False)
        layout.addWidget(self.status)
        self.text.textChanged.connect(self._revalidate)

    # -- value -------------------------------------------------------------------------

    def set_value(self, value: Any) -> None:
        """Show ``value`` pretty-printed (None shows an empty editor); clears undo history."""
        self.text.setPlainText(
            "" if value is None else json.dumps(value, indent=2, ensure_ascii=False)
        )
        self.text.moveCursor(QTextCursor.MoveOperation.Start)

    def set_text(self, text: str) -> None:
        """Replace the text (as typed: validated, undo history cleared)."""
        self.text.setPlainText(text)

    def value(self) -> Any:
        """The parsed value (None when empty). Only meaningful while :attr:`is_valid`."""
        return self._value

    @property
    def is_valid(self) -> bool:
        """True when the text parses and passes the validator."""
        return self._valid

    @property
    def error(self) -> str:
        """The sentence shown under the editor ("" when valid)."""
        return self._error

    @property
    def warnings(self) -> list[str]:
        """The validator's warnings for the current value."""
        return list(self._warnings)

    # -- validation --------------------------------------------------------------------

    @Slot()
    def _revalidate(self) -> None:
        was = self._valid
        self._valid, self._error, self._warnings = self._check(self.text.toPlainText())
        if self._error:
            self.status.setText(self._error)
            self.status.setStyleSheet("color: #c92a2a;")
            self.status.setVisible(True)
            self.text.setStyleSheet(_BAD_STYLE)
        elif self._warnings:
            self.status.setText("⚠ " + " ".join(self._warnings))
            self.status.setStyleSheet("color: #b35c00;")
            self.status.setVisible(True)
            self.text.setStyleSheet(_OK_STYLE)
        else:
            self.status.setVisible(False)
            self.text.setStyleSheet(_OK_STYLE)
        self.edited.emit()
        if was != self._valid:
            self.validity_changed.emit(self._valid)

    def _check(self, text: str) -> tuple[bool, str, list[str]]:
        if not text.strip():
            self._value = None
            if self._allow_empty:
                return True, "", []
            return False, "Enter a JSON value.", []
        deep = nesting_excess(text)
        if deep is not None:  # json.loads would fail with a RecursionError
            self._value = None
            return (
                False,
                (f"Nested more than {MAX_DEPTH} levels deep at line {deep[0]}, column {deep[1]}."),
                [],
            )
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            self._value = None
            return False, f"Not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}.", []
        self._value = value
        if self._expect is not None and not isinstance(value, self._expect):
            names = self._expect if isinstance(self._expect, tuple) else (self._expect,)
            words: dict[type, str] = {dict: "an object {…}", list: "a list […]"}
            wanted = " or ".join(words.get(t, t.__name__) for t in names)
            return False, f"Expected {wanted}.", []
        if self._validator is not None:
            try:
                warnings = self._validator(value) or []
            except UserError as exc:
                return False, exc.message, []
            return True, "", list(warnings)
        return True, "", []
