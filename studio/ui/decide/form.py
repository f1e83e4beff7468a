"""The guided form: what must change, volume, latency, data rules, platforms, models.

Every field maps one to one onto :class:`DecisionAnswers` (the same fields as the CLI's
answers file). Spin boxes use their minimum as "not known" (0 calls a day, a 0 ms
latency target or a 0.00 quality target would mean nothing), shown as words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.core.decide.answers import (
    CHANGE_KINDS,
    KNOWLEDGE_CHANGES,
    OPENAI_ACCESS,
    OPENAI_ACCESS_QUESTION,
    PLATFORM_IDS,
    RESIDENCIES,
    SENSITIVITIES,
    DecisionAnswers,
)

#: (title, one-line explanation) of each kind of change, in the table's order.
CHANGE_TEXT: dict[str, tuple[str, str]] = {
    "format_structure": (
        "Format or structure",
        "The same fixed shape every time, e.g. name, email and intent as JSON.",
    ),
    "tone_style": ("Tone or style", "Sound like the brand: reply the way the team writes."),
    "knowledge_facts": (
        "Knowledge or facts",
        "Know current prices, policies or docs: answer from the handbook.",
    ),
    "long_procedure": (
        "A long procedure",
        "Follow a multi-rule procedure, e.g. a 14-step intake SOP.",
    ),
    "narrow_high_volume": (
        "A narrow, high-volume task",
        "One repetitive task at scale, cheaply: classify 8,000 tickets a day.",
    ),
    "next_step_decisions": (
        "Next-step decisions",
        "Choose what to do next depending on what the last step found.",
    ),
}
KNOWLEDGE_TEXT = {
    "never": "never",
    "rarely": "rarely",
    "monthly": "monthly",
    "weekly": "weekly",
    "daily": "daily",
}
SENSITIVITY_TEXT = {
    "public": "Public",
    "internal": "Internal",
    "confidential": "Confidential",
    "regulated": "Regulated (health, finance, personal data rules)",
}
RESIDENCY_TEXT = {
    "any": "Anywhere",
    "eu": "EU only",
    "us": "US only",
    "on_prem": "On our own machines",
}
PLATFORM_TEXT = {
    "openai": "OpenAI fine-tuning",
    "vertex": "Google Vertex AI",
    "bedrock": "Amazon Bedrock",
    "together": "Together (LoRA on open models)",
    "local": "Local LoRA / QLoRA on our GPU",
}
OPENAI_ACCESS_TEXT = {"yes": "Yes", "no": "No", "unknown": "Don't know"}
NOT_NAMED = ""


def _note(text: str) -> QLabel:
    """A grey explanation under a group (not one of the change kinds' hints)."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: palette(placeholder-text);")
    return label


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setProperty("hint", True)
    label.setStyleSheet("color: palette(placeholder-text); margin-left: 22px;")
    return label


def _choices(values: Iterable[str], text: Mapping[str, str]) -> QComboBox:
    """A combo box of ``values``, each shown by its sentence in ``text``."""
    combo = QComboBox()
    for value in values:
        combo.addItem(text[value], value)
    return combo


def _count(top: int, step: int, unset: str, suffix: str) -> QSpinBox:
    """A whole-number box from 0 (shown as ``unset``: the answer not given) to ``top``."""
    box = QSpinBox()
    box.setRange(0, top)
    box.setSingleStep(step)
    box.setGroupSeparatorShown(True)
    box.setSpecialValueText(unset)
    box.setSuffix(suffix)
    return box


class DecisionForm(QWidget):
    """The answers form. ``changed`` fires on every edit (the view marks itself unsaved)."""

    changed = Signal()

    def __init__(self, models: Sequence[str] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)

        change_box = QGroupBox("What must change?")
        change_layout = QVBoxLayout(change_box)
        change_layout.setSpacing(2)
        self.change_boxes: dict[str, QCheckBox] = {}
        for kind in CHANGE_KINDS:
            title, hint = CHANGE_TEXT[kind]
            box = QCheckBox(title)
            box.setObjectName(f"change_{kind}")
            box.setToolTip(hint)
            box.toggled.connect(self.changed)
            self.change_boxes[kind] = box
            change_layout.addWidget(box)
            change_layout.addWidget(_hint(hint))
        outer.addWidget(change_box)

        task_box = QGroupBox("The task in production")
        task = QFormLayout(task_box)
        self.knowledge = _choices(KNOWLEDGE_CHANGES, KNOWLEDGE_TEXT)
        task.addRow("The facts it relies on change", self.knowledge)
        self.calls = _count(100_000_000, 1000, "not known", " calls a day")
        task.addRow("Expected volume", self.calls)
        self.latency = _count(600_000, 100, "no target", " ms (p95)")
        task.addRow("Latency target", self.latency)
        self.quality = QDoubleSpinBox()
        self.quality.setRange(0.0, 1.0)
        self.quality.setDecimals(2)
        self.quality.setSingleStep(0.01)
        self.quality.setSpecialValueText("not set")
        task.addRow("Quality target (test split)", self.quality)
        outer.addWidget(task_box)

        data_box = QGroupBox("Data rules")
        data = QFormLayout(data_box)
        self.sensitivity = _choices(SENSITIVITIES, SENSITIVITY_TEXT)
        data.addRow("Data sensitivity", self.sensitivity)
        self.residency = _choices(RESIDENCIES, RESIDENCY_TEXT)
        data.addRow("Data may be processed", self.residency)
        outer.addWidget(data_box)

        platform_box = QGroupBox("Platforms the team may use for fine-tuning")
        platforms = QVBoxLayout(platform_box)
        platforms.setSpacing(2)
        self.platform_boxes: dict[str, QCheckBox] = {}
        for pid in PLATFORM_IDS:
            box = QCheckBox(PLATFORM_TEXT[pid])
            box.setObjectName(f"platform_{pid}")
            box.toggled.connect(self.changed)
            self.platform_boxes[pid] = box
            platforms.addWidget(box)
        platforms.addWidget(_note("None ticked: every platform is weighed and priced."))
        access_form = QFormLayout()
        self.openai_access = _choices(OPENAI_ACCESS, OPENAI_ACCESS_TEXT)
        self.openai_access.setObjectName("openai_access")
        self._select(self.openai_access, "unknown")
        access_label = QLabel(OPENAI_ACCESS_QUESTION)
        access_label.setWordWrap(True)
        access_form.addRow(access_label, self.openai_access)
        platforms.addLayout(access_form)
        platforms.addWidget(
            _note(
                "OpenAI closed fine-tuning to new organisations on "
                "2026-05-07 and takes no new jobs from 2027-01-06; only "
                '"Yes" lets the studio advise fine-tuning there.'
            )
        )
        outer.addWidget(platform_box)

        model_box = QGroupBox("Models")
        model_form = QFormLayout(model_box)
        self.current_model = self._model_combo(models)
        self.current_model.setObjectName("current_model")
        model_form.addRow("Current model", self.current_model)
        self.candidate_model = self._model_combo(models)
        self.candidate_model.setObjectName("candidate_model")
        model_form.addRow("Smaller candidate", self.candidate_model)
        outer.addWidget(model_box)
        outer.addStretch(1)

        for combo in (self.knowledge, self.sensitivity, self.residency, self.openai_access):
            combo.currentIndexChanged.connect(self.changed)
        for spin in (self.calls, self.latency):
            spin.valueChanged.connect(self.changed)
        self.quality.valueChanged.connect(self.changed)

    def _model_combo(self, models: Sequence[str]) -> QComboBox:
        combo = QComboBox()
        combo.setEditable(True)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(14)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        combo.addItem(NOT_NAMED)
        combo.addItems(list(models))
        line = combo.lineEdit()
        if line is not None:
            line.setPlaceholderText("model name from the price table")
        combo.editTextChanged.connect(self.changed)
        return combo

    # -- answers <-> widgets --------------------------------------------------------------

    def set_answers(self, answers: DecisionAnswers) -> None:
        """Show ``answers`` (without emitting ``changed`` per widget)."""
        self.blockSignals(True)
        try:
            for kind, box in self.change_boxes.items():
                box.setChecked(answers.wants(kind))
            self._select(self.knowledge, answers.knowledge_changes)
            self.calls.setValue(round(answers.calls_per_day or 0))
            self.latency.setValue(round(answers.latency_target_p95_ms or 0))
            self.quality.setValue(answers.quality_target or 0.0)
            self._select(self.sensitivity, answers.data_sensitivity)
            self._select(self.residency, answers.residency)
            for pid, box in self.platform_boxes.items():
                box.setChecked(pid in answers.allowed_platforms)
            self._select(self.openai_access, answers.openai_fine_tuning_access)
            self.current_model.setEditText(answers.current_model or NOT_NAMED)
            self.candidate_model.setEditText(answers.candidate_model or NOT_NAMED)
        finally:
            self.blockSignals(False)

    def answers(self) -> DecisionAnswers:
        """The answers on screen.

        Raises:
            UserError: a field holds something the answers cannot take (names the field).
        """
        data: dict[str, object] = {
            "must_change": [k for k, b in self.change_boxes.items() if b.isChecked()],
            "knowledge_changes": self.knowledge.currentData(),
            "calls_per_day": self.calls.value() or None,
            "latency_target_p95_ms": self.latency.value() or None,
            "data_sensitivity": self.sensitivity.currentData(),
            "residency": self.residency.currentData(),
            "allowed_platforms": [p for p, b in self.platform_boxes.items() if b.isChecked()],
            "openai_fine_tuning_access": self.openai_access.currentData(),
            "quality_target": round(self.quality.value(), 4) or None,
            "current_model": self.current_model.currentText().strip() or None,
            "candidate_model": self.candidate_model.currentText().strip() or None,
        }
        return DecisionAnswers.from_dict(data, source="The decision form")

    @staticmethod
    def _select(combo: QComboBox, value: str) -> None:
        index = combo.findData(value)
        if index >= 0:
            combo.setCurrentIndex(index)

    def set_read_only(self, read_only: bool) -> None:
        """Grey the form out (no project open)."""
        for child in self.findChildren(QGroupBox):
            child.setEnabled(not read_only)


def hint_labels(form: DecisionForm) -> list[QLabel]:
    """The one-line explanations (tests and screenshots look at them)."""
    return [w for w in form.findChildren(QLabel) if w.property("hint")]


__all__ = ["CHANGE_TEXT", "DecisionForm", "hint_labels"]
