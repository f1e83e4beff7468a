"""Preview: render the messages with sample variable values the user types.

A missing value is shown inline (the core's sentence naming the variable) while the
preview still shows the messages with a ⟨placeholder⟩; a value for a variable no
message uses any more is a warning.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from studio.core.errors import UserError
from studio.ui.widgets.labels import bold_label
from studio.ui.widgets.messages_editor import role_colour


class PreviewPanel(QWidget):
    """Sample values on top, the rendered conversation below.

    Signals:
        values_changed(): a sample value was edited.
    """

    values_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values: dict[str, str] = {}
        self._messages: list[tuple[str, str]] = []
        self._variables: list[str] = []
        self.inputs: dict[str, QLineEdit] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        split = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        hint = bold_label("Sample values")
        top_layout.addWidget(hint)
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        self.form.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form_host)
        top_layout.addWidget(scroll, 1)
        self.no_vars = QLabel("This prompt has no {{variables}}: it is sent as written.")
        self.no_vars.setStyleSheet("color: palette(placeholder-text);")
        top_layout.addWidget(self.no_vars)
        split.addWidget(top)

        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        self.error = QLabel("")
        self.error.setObjectName("previewError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c92a2a;")
        bottom_layout.addWidget(self.error)
        # Values not typed yet are the normal first state of the tab, not an error
        # (ISSUE-11 §6: Preview opens without an error state): a grey hint, grey slots
        self.hint = QLabel("")
        self.hint.setObjectName("previewHint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: palette(placeholder-text);")
        self.hint.hide()
        bottom_layout.addWidget(self.hint)
        self.warning = QLabel("")
        self.warning.setObjectName("previewWarning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #b35c00;")
        bottom_layout.addWidget(self.warning)
        self.output = QTextBrowser()
        self.output.setObjectName("previewOutput")
        self.output.setOpenLinks(False)
        bottom_layout.addWidget(self.output, 1)
        split.addWidget(bottom)
        split.setSizes([160, 400])
        layout.addWidget(split)

    # -- inputs ------------------------------------------------------------------------

    def set_variables(self, variables: list[str]) -> None:
        """Show one input per variable; values typed earlier stay (also for gone ones)."""
        self._variables = list(variables)
        wanted = list(variables) + [v for v in self.values if v not in variables and self.values[v]]
        if list(self.inputs) != wanted:
            while self.form.rowCount():
                self.form.removeRow(0)
            self.inputs = {}
            for name in wanted:
                edit = QLineEdit(self.values.get(name, ""))
                edit.setObjectName(f"var_{name}")
                edit.setPlaceholderText(f"value for {{{{{name}}}}}")
                edit.textChanged.connect(lambda text, n=name: self._value_edited(n, text))
                label = name if name in variables else f"{name} (unused)"
                self.form.addRow(label, edit)
                self.inputs[name] = edit
        self.no_vars.setVisible(not variables)
        self.refresh()

    def set_value(self, name: str, value: str) -> None:
        """Type ``value`` for ``name`` (as the user would)."""
        edit = self.inputs.get(name)
        if edit is not None:
            edit.setText(value)
        else:
            self._value_edited(name, value)

    def _value_edited(self, name: str, text: str) -> None:
        self.values[name] = text
        self.refresh()
        self.values_changed.emit()

    def clear_values(self) -> None:
        """Forget the sample values (another prompt was opened)."""
        self.values = {}
        self.inputs = {}
        while self.form.rowCount():
            self.form.removeRow(0)

    # -- rendering ---------------------------------------------------------------------

    def set_messages(self, messages: list[tuple[str, str]]) -> None:
        """The messages to render (role, template)."""
        self._messages = list(messages)
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        """Render with the typed values; show errors and warnings inline."""
        from studio.core.prompts.render import MissingVariableError, render_messages
        from studio.core.prompts.spec import ROLES, Message

        given = {k: v for k, v in self.values.items() if v != ""}
        try:
            msgs = [Message(r if r in ROLES else "user", c) for r, c in self._messages]  # type: ignore[arg-type]
        except UserError as exc:
            self._show([], exc.message, [])
            return
        try:
            result = render_messages(msgs, given)
        except MissingVariableError as exc:
            # Still show the conversation, with placeholders where values are missing
            filled: dict[str, Any] = dict(given)
            for name in exc.missing:
                filled[name] = f"⟨{name}⟩"
            names = ", ".join(f"⟨{n}⟩" for n in exc.missing)
            hint = f"Type sample values above to fill {names}."
            try:
                partial = render_messages(msgs, filled)
                self._show(partial.messages, "", [], hint)
            except UserError:
                self._show([], exc.message, [])
            return
        except UserError as exc:
            self._show([], exc.message, [])
            return
        self._show(result.messages, "", list(result.warnings))

    def _show(
        self, messages: list[dict[str, str]], error: str, warnings: list[str], hint: str = ""
    ) -> None:
        self.error.setText(error)
        self.error.setVisible(bool(error))
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))
        self.warning.setText("⚠ " + " ".join(warnings) if warnings else "")
        self.warning.setVisible(bool(warnings))
        parts = []
        for m in messages:
            colour = role_colour(m["role"])
            body = (
                html.escape(m["content"])
                .replace("⟨", "<span style='background:#e8eaf0; color:#4b5563'>⟨")
                .replace("⟩", "⟩</span>")
            )
            parts.append(
                f"<p style='margin:8px 0 2px 0'><b style='color:{colour}'>{m['role']}</b></p>"
                f"<p style='white-space:pre-wrap; margin:0 0 6px 0'>{body}</p>"
            )
        self.output.setHtml("".join(parts))

    def rendered_text(self) -> str:
        """The preview as plain text (tests)."""
        return self.output.toPlainText()
