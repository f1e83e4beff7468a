"""The prompt editor: messages, variables, model and parameters, schema, tools, preview.

The editor holds work in progress; nothing is stored until Save Version. It compares
what is on screen with the version it was loaded from ("base") to know whether there is
anything to save, and checks the whole spec as the user types, so Save Version is only
enabled for a spec the core will accept.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.core.errors import UserError
from studio.ui.prompts.common import fmt_labels
from studio.ui.prompts.params_form import ParamsForm
from studio.ui.prompts.preview import PreviewPanel
from studio.ui.widgets.json_editor import JsonEditor
from studio.ui.widgets.labels import bold_label
from studio.ui.widgets.messages_editor import MessagesEditor


def _check_schema(value: Any) -> list[str]:
    from studio.core.prompts.spec import validate_response_schema

    if not isinstance(value, dict):
        raise UserError("The response schema must be a JSON object {…} (or empty for none).")
    return validate_response_schema(value)


def _check_tools(value: Any) -> list[str]:
    from studio.core.prompts.spec import validate_tools

    if not isinstance(value, list):
        raise UserError("Tools must be a JSON list […] (or empty for none).")
    validate_tools(value)
    return []


class PromptEditor(QWidget):
    """Edit one prompt's next version.

    Signals:
        save_requested(): Save Version… (Ctrl+S) was triggered.
        import_requested(), export_requested(): the file buttons.
        description_edited(str): the description field was edited and left.
        dirty_changed(bool): there are (no longer) unsaved changes.
    """

    save_requested = Signal()
    import_requested = Signal()
    export_requested = Signal()
    description_edited = Signal(str)
    dirty_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = ""
        self.base: Any = None  # PromptVersionData of the version the editor started from
        self._loading = False
        self._dirty = False
        self.problem = ""

        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 8, 10, 8)
        outer.setSpacing(8)

        header = QHBoxLayout()
        header.setSpacing(10)
        titles = QVBoxLayout()
        titles.setSpacing(2)
        self.title = QLabel("")
        self.title.setObjectName("promptTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.title.setFont(font)
        titles.addWidget(self.title)
        self.base_label = QLabel("")
        self.base_label.setObjectName("baseLabel")
        self.base_label.setStyleSheet("color: palette(placeholder-text);")
        titles.addWidget(self.base_label)
        header.addLayout(titles, 1)

        self.import_button = QPushButton("Import…")
        self.import_button.setToolTip(
            "Import a JSON/YAML prompt file as a new version of this prompt"
        )
        self.import_button.clicked.connect(self.import_requested.emit)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Export the version shown to a JSON or YAML file for git")
        self.export_button.clicked.connect(self.export_requested.emit)
        self.discard_button = QPushButton("Discard Changes")
        self.discard_button.setToolTip("Go back to the version this edit started from")
        self.discard_button.clicked.connect(self.discard_changes)
        self.save_button = QPushButton("Save Version…")
        self.save_button.setObjectName("saveVersionButton")
        self.save_button.setDefault(True)
        for b in (self.import_button, self.export_button, self.discard_button, self.save_button):
            header.addWidget(b)
        outer.addLayout(header)

        self.save_action = QAction("Save Version…", self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        self.save_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.save_action.triggered.connect(self._save_triggered)
        self.addAction(self.save_action)
        keys = self.save_action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        self.save_button.setToolTip(f"Store the edits as a new immutable version ({keys})")
        self.save_button.clicked.connect(self._save_triggered)

        desc_row = QHBoxLayout()
        desc_row.addWidget(QLabel("Description"))
        self.description = QLineEdit()
        self.description.setObjectName("promptDescription")
        self.description.setPlaceholderText(
            "What this prompt is for (saved when you leave the field)"
        )
        self.description.editingFinished.connect(self._description_done)
        desc_row.addWidget(self.description, 1)
        outer.addLayout(desc_row)

        self.problem_label = QLabel("")
        self.problem_label.setObjectName("editorProblem")
        self.problem_label.setWordWrap(True)
        self.problem_label.setVisible(False)
        outer.addWidget(self.problem_label)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("editorSplitter")
        self.splitter.setChildrenCollapsible(False)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 6, 0)
        left_layout.setSpacing(6)
        left_layout.addWidget(bold_label("Messages"))
        self.messages = MessagesEditor()
        self.messages.changed.connect(self._edited)
        left_layout.addWidget(self.messages, 1)
        self.variables_label = QLabel("")
        self.variables_label.setObjectName("variablesLabel")
        self.variables_label.setWordWrap(True)
        self.variables_label.setTextFormat(Qt.TextFormat.RichText)
        left_layout.addWidget(self.variables_label)
        self.splitter.addWidget(left)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("editorTabs")
        self.params = ParamsForm()
        self.params.changed.connect(self._edited)
        self.tabs.addTab(self.params, "Parameters")
        self.tabs.setTabToolTip(0, "Model and sampling parameters")
        self.schema = JsonEditor(
            validator=_check_schema,
            placeholder='Empty: free-text answers.\n\n{\n  "type": "object",\n'
            '  "properties": {…},\n'
            '  "required": […]\n}',
        )
        self.schema.setObjectName("schemaEditor")
        self.schema.edited.connect(self._edited)
        self.tabs.addTab(
            self._padded(self.schema, "JSON Schema the answer must follow (optional)."), "Schema"
        )
        self.tabs.setTabToolTip(1, "Response JSON Schema (structured output)")
        self.tools = JsonEditor(
            validator=_check_tools,
            placeholder='Empty: no tools.\n\n[{"type": "function", "function": {"name": …, '
            '"parameters": {…}}}]',
        )
        self.tools.setObjectName("toolsEditor")
        self.tools.edited.connect(self._edited)
        self.tabs.addTab(
            self._padded(self.tools, "Function tools the model may call (optional)."), "Tools"
        )
        self.preview = PreviewPanel()
        self.tabs.addTab(self.preview, "Preview")
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([560, 480])
        outer.addWidget(self.splitter, 1)
        self._update_state()

    def _padded(self, widget: QWidget, hint: str) -> QWidget:
        host = QWidget()
        layout = QVBoxLayout(host)
        layout.setContentsMargins(8, 8, 8, 8)
        label = QLabel(hint)
        label.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(label)
        layout.addWidget(widget, 1)
        return host

    # -- loading -----------------------------------------------------------------------

    def load(self, data: Any, *, keep_values: bool = False) -> None:
        """Show a version (a ``PromptVersionData``) as the base of the next one."""
        self._loading = True
        try:
            if not keep_values or data.name != self.name:
                self.preview.clear_values()
            self.name = data.name
            self.base = data
            spec = data.spec
            self.title.setText(data.name)
            self.description.setText(data.description)
            self.messages.set_messages([(m.role, m.content) for m in spec.messages])
            self.params.set_values(spec.model, dict(spec.params))
            self.schema.set_value(spec.response_schema)
            self.tools.set_value(spec.tools)
        finally:
            self._loading = False
        self._edited()

    def _base_text(self) -> str:
        base = self.base
        if base is None:
            return ""
        text = f"Editing from v{base.version}"
        text += " (latest)" if base.is_latest else " (an older version)"
        if base.labels:
            text += f"  ·  {fmt_labels(base.labels)}"
        return text

    # -- the spec on screen ------------------------------------------------------------

    def current_spec(self) -> Any:
        """The spec on screen as a ``PromptSpec`` (shape only; see :meth:`check`).

        Raises:
            UserError: a JSON box is broken or a field has the wrong shape.
        """
        from studio.core.prompts.spec import PromptSpec

        for editor, what in ((self.schema, "response schema"), (self.tools, "tools")):
            if not editor.is_valid:
                raise UserError(f"Fix the {what} first: {editor.error}")
        if not self.params.is_valid:
            raise UserError(f"Fix the other parameters first: {self.params.other.error}")
        return PromptSpec.from_json(
            {
                "messages": [{"role": r, "content": c} for r, c in self.messages.messages()],
                "model": self.params.model_name(),
                "params": self.params.params(),
                "response_schema": self.schema.value(),
                "tools": self.tools.value(),
            },
            validate=False,
        )

    def check(self) -> tuple[Any, str]:
        """(spec or None, problem sentence or "") for what is on screen."""
        try:
            spec = self.current_spec()
            spec.validate()
        except UserError as exc:
            return None, exc.message
        return spec, ""

    @property
    def is_dirty(self) -> bool:
        """True when the screen differs from the base version."""
        return self._dirty

    @Slot()
    def _edited(self) -> None:
        if self._loading:
            return
        self._update_state()

    def _update_state(self) -> None:
        if self.base is None:
            # Nothing loaded yet: no checks (they import the prompt core, which start-up
            # does not need before a prompt is opened)
            for w in (
                self.save_button,
                self.save_action,
                self.discard_button,
                self.export_button,
                self.import_button,
            ):
                w.setEnabled(False)
            return
        from_spec = self.base.spec
        spec, problem = self.check()
        self.problem = problem
        # broken input is a change from a (valid) stored version
        dirty = spec != from_spec if spec is not None else True
        self._show_variables()
        self.preview.set_messages(self.messages.messages())
        self.problem_label.setText(f"⚠ {problem}" if problem else "")
        self.problem_label.setStyleSheet("color: #c92a2a;")
        self.problem_label.setVisible(bool(problem))
        status = self._base_text()
        status += "  ·  unsaved changes" if dirty else "  ·  no changes"
        self.base_label.setText(status)
        can_save = dirty and spec is not None
        self.save_button.setEnabled(can_save)
        self.save_action.setEnabled(can_save)
        self.discard_button.setEnabled(dirty)
        self.export_button.setEnabled(True)
        self.import_button.setEnabled(True)
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirty_changed.emit(dirty)

    def _show_variables(self) -> None:
        from studio.core.prompts.template import TemplateError, find_variables

        found: dict[str, None] = {}
        bad = ""
        for i, (_role, content) in enumerate(self.messages.messages()):
            try:
                for v in find_variables(content):
                    found.setdefault(v, None)
            except TemplateError as exc:
                bad = bad or f"messages[{i}]: {exc.message}"
        names = list(found)
        if names:
            chips = " ".join(
                f"<span style='background:#e7f5ff; color:#1864ab;'>&nbsp;{{{{{n}}}}}&nbsp;</span>"
                for n in names
            )
            text = f"<b>Variables:</b> {chips}"
        else:
            text = (
                "<b>Variables:</b> "
                "<span style='color:gray'>none — write {{name}} in a message</span>"
            )
        if bad:
            text += f"<br><span style='color:#c92a2a'>{bad}</span>"
        self.variables_label.setText(text)
        self.preview.set_variables(names)

    def variables(self) -> list[str]:
        """Variables detected in the messages on screen."""
        return list(self.preview._variables)

    # -- actions -----------------------------------------------------------------------

    @Slot()
    def _save_triggered(self) -> None:
        if self.save_button.isEnabled():
            self.save_requested.emit()

    @Slot()
    def discard_changes(self) -> None:
        """Show the base version again."""
        if self.base is not None:
            self.load(self.base, keep_values=True)

    @Slot()
    def _description_done(self) -> None:
        if self.base is not None and self.description.text() != self.base.description:
            self.description_edited.emit(self.description.text())

    def save_layout(self, store: Any, prefix: str) -> None:
        """Remember the splitter."""
        store.setValue(f"{prefix}/editorSplitter", self.splitter.saveState())

    def restore_layout(self, store: Any, prefix: str) -> None:
        """Restore the splitter."""
        state = store.value(f"{prefix}/editorSplitter")
        if state is not None:
            self.splitter.restoreState(state)
