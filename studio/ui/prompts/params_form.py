"""Model and parameters of a prompt version as a form.

Each common parameter has a checkbox: unchecked means "not sent" (the provider's
default), which is different from any value. Parameters the form has no field for stay
in an "Other parameters" JSON box, so nothing in a version is lost by editing it here.
Values the user did not touch come back exactly as loaded (no float rounding drift).
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.core.errors import UserError
from studio.ui.widgets.json_editor import JsonEditor

SUGGESTED_MODELS = (
    "gpt-4.1-mini",
    "gpt-4.1",
    "gpt-4.1-nano",
    "gpt-4o-mini",
    "gpt-4o",
    "gpt-5",
    "gpt-5-mini",
    "gpt-5-nano",
    "o4-mini",
)
REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
FORM_KEYS = ("temperature", "top_p", "max_tokens", "seed", "stop", "reasoning_effort")


def _validate_other(value: Any) -> list[str]:
    from studio.core.prompts.spec import validate_params

    if not isinstance(value, dict):
        raise UserError("Other parameters must be a JSON object {…}.")
    clash = [k for k in value if k in FORM_KEYS]
    if clash:
        raise UserError(f"`{clash[0]}` has its own field above; remove it here.")
    return validate_params(value)


class _Field:
    """A checkbox + editor pair; remembers what it showed when loaded."""

    def __init__(self, key: str, check: QCheckBox, editor: QWidget) -> None:
        self.key = key
        self.check = check
        self.editor = editor
        self.loaded_value: Any = None
        self.loaded_shown: Any = None

    def shown(self) -> Any:
        e = self.editor
        if not self.check.isChecked():
            return None
        if isinstance(e, (QDoubleSpinBox, QSpinBox)):
            return e.value()
        if isinstance(e, QComboBox):
            return e.currentText()
        if isinstance(e, QLineEdit):
            return e.text()
        return None


class ParamsForm(QWidget):
    """Model + parameters.

    Signals:
        changed(): any field changed.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        outer.setSpacing(10)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        self.model = QComboBox()
        self.model.setObjectName("modelCombo")
        self.model.setEditable(True)
        self.model.addItems(SUGGESTED_MODELS)
        self.model.setToolTip(
            "The model this version is written for (any name your provider accepts)"
        )
        self.model.currentTextChanged.connect(self.changed.emit)
        form.addRow("Model", self.model)

        # One spin box per parameter: the ranges, steps and hints are the content, so
        # each stays written out (temperature ~ top_p look alike by shape only).
        self.fields: dict[str, _Field] = {}
        temperature = QDoubleSpinBox()
        temperature.setRange(0.0, 2.0)
        temperature.setSingleStep(0.1)
        temperature.setDecimals(2)
        temperature.setValue(1.0)
        self._add(form, "temperature", "Temperature", temperature, "Randomness, 0–2")
        top_p = QDoubleSpinBox()
        top_p.setRange(0.0, 1.0)
        top_p.setSingleStep(0.05)
        top_p.setDecimals(2)
        top_p.setValue(1.0)
        self._add(form, "top_p", "Top P", top_p, "Nucleus sampling, 0–1")
        max_tokens = QSpinBox()
        max_tokens.setRange(1, 1_000_000)
        max_tokens.setValue(1024)
        self._add(form, "max_tokens", "Max tokens", max_tokens, "Longest answer, in tokens")
        seed = QSpinBox()
        seed.setRange(-2_147_483_648, 2_147_483_647)
        seed.setValue(0)
        self._add(form, "seed", "Seed", seed, "Best-effort reproducible sampling")
        stop = QLineEdit()
        stop.setPlaceholderText('END   or   ["###", "\\n\\n"]')
        self._add(form, "stop", "Stop", stop, "One stop text, or a JSON list of up to 4")
        effort = QComboBox()
        effort.addItems(REASONING_EFFORTS)
        effort.setCurrentText("medium")
        self._add(form, "reasoning_effort", "Reasoning effort", effort, "For reasoning models")
        outer.addLayout(form)

        outer.addWidget(QLabel("Other parameters (JSON object)"))
        self.other = JsonEditor(
            validator=_validate_other, expect=dict, placeholder='{"presence_penalty": 0.5}'
        )
        self.other.setObjectName("otherParams")
        self.other.edited.connect(self.changed.emit)
        outer.addWidget(self.other, 1)

    def _add(self, form: QFormLayout, key: str, label: str, editor: QWidget, tip: str) -> None:
        check = QCheckBox(label)
        check.setToolTip(f"{tip}. Unchecked: not sent (the provider's default).")
        editor.setToolTip(tip)
        editor.setEnabled(False)
        check.toggled.connect(editor.setEnabled)
        check.toggled.connect(lambda _c: self.changed.emit())
        if isinstance(editor, (QDoubleSpinBox, QSpinBox)):
            editor.valueChanged.connect(lambda _v: self.changed.emit())
        elif isinstance(editor, QComboBox):
            editor.currentTextChanged.connect(lambda _v: self.changed.emit())
        elif isinstance(editor, QLineEdit):
            editor.textChanged.connect(lambda _v: self.changed.emit())
        row = QHBoxLayout()
        row.addWidget(editor, 1)
        form.addRow(check, row)
        self.fields[key] = _Field(key, check, editor)

    def field(self, key: str) -> QWidget:
        """The editor of parameter ``key`` (tests, focus)."""
        return self.fields[key].editor

    # -- value -------------------------------------------------------------------------

    def set_values(self, model: str, params: dict[str, Any]) -> None:
        """Show a version's model and parameters."""
        blockers = [self.model.blockSignals(True)]
        self.model.setCurrentText(model)
        self.model.blockSignals(blockers[0])
        for key, f in self.fields.items():
            value = params.get(key)
            f.check.blockSignals(True)
            f.editor.blockSignals(True)
            f.check.setChecked(key in params)
            f.editor.setEnabled(key in params)
            if key in params:
                e = f.editor
                if isinstance(e, QDoubleSpinBox) and isinstance(value, (int, float)):
                    e.setValue(float(value))
                elif isinstance(e, QSpinBox) and isinstance(value, int):
                    e.setValue(value)
                elif isinstance(e, QComboBox):
                    if e.findText(str(value)) < 0:
                        e.addItem(str(value))
                    e.setCurrentText(str(value))
                elif isinstance(e, QLineEdit):
                    e.setText(
                        value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                    )
            f.check.blockSignals(False)
            f.editor.blockSignals(False)
            f.loaded_value = value if key in params else None
            f.loaded_shown = f.shown()
        other = {k: v for k, v in params.items() if k not in self.fields}
        self.other.set_value(other or None)
        self.changed.emit()

    def model_name(self) -> str:
        """The model text."""
        return self.model.currentText().strip()

    def params(self) -> dict[str, Any]:
        """The parameters as they would be saved (other parameters must be valid)."""
        out: dict[str, Any] = {}
        for key, f in self.fields.items():
            shown = f.shown()
            if shown is None:
                continue
            if shown == f.loaded_shown and f.loaded_value is not None:
                out[key] = f.loaded_value  # untouched: exactly what was loaded
            elif key == "stop":
                out[key] = _parse_stop(shown)
            else:
                out[key] = shown
        other = self.other.value()
        if isinstance(other, dict):
            out.update(other)
        return out

    @property
    def is_valid(self) -> bool:
        """False while the other-parameters JSON is broken."""
        return self.other.is_valid


def _parse_stop(text: str) -> Any:
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            value = json.loads(stripped)
        except (json.JSONDecodeError, RecursionError):
            return text
        return value
    return text
