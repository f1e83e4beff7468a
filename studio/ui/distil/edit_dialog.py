"""E in the review table: correct the teacher's answer; saving accepts it as corrected.

Classification rows pick a label (typing filters the dataset's label set); other rows
edit the text (JSON answers are checked as JSON before the dialog closes). The view
stores the result with :func:`studio.core.distil.review.edit_and_accept`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from studio.ui.distil.candidates_model import candidate_text
from studio.ui.widgets.labels import wrapped_label


class EditCandidateDialog(QDialog):
    """Edit one candidate's answer. After ``accepted``, :meth:`value` is the new answer."""

    def __init__(
        self, candidate: Any, labels: Sequence[str] = (), parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("distilEditDialog")
        self.setWindowTitle(f"Edit and Accept — Example {candidate.example_id}")
        self.candidate = candidate
        # Classification: the ideal output is a label whatever the answer's shape (a JSON
        # answer's label is read the way the label scorer reads it)
        self.is_label = bool(labels)
        self.input_view = QPlainTextEdit(candidate.input_text)
        self.input_view.setObjectName("distil_edit_input")
        self.input_view.setReadOnly(True)
        self.input_view.setMaximumHeight(120)
        self.label_combo = QComboBox()
        self.label_combo.setObjectName("distil_edit_label")
        self.label_combo.setEditable(True)
        self.label_combo.addItems(list(labels))
        self.text_edit = QPlainTextEdit()
        self.text_edit.setObjectName("distil_edit_text")
        self.problem = wrapped_label("distil_edit_problem")
        self.problem.setStyleSheet("color: #b3261e;")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("Save and Accept")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Input:"))
        layout.addWidget(self.input_view)
        layout.addWidget(QLabel("Label:" if self.is_label else "Ideal output:"))
        if self.is_label:
            self.label_combo.setCurrentText(candidate_text(candidate))
            layout.addWidget(self.label_combo)
            self.text_edit.hide()
        else:
            self.text_edit.setPlainText(candidate.output or "")
            layout.addWidget(self.text_edit, 1)
            self.label_combo.hide()
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.resize(620, 420 if not self.is_label else 260)

    def value(self) -> str:
        """The corrected answer."""
        if self.is_label:
            return self.label_combo.currentText().strip()
        return self.text_edit.toPlainText()

    def accept(self) -> None:
        """Refuse an empty answer, and JSON that does not parse for a JSON candidate."""
        value = self.value()
        if not value.strip():
            self.problem.setText("The answer is empty: type one, or press Cancel.")
            return
        if not self.is_label and self.candidate.output_kind == "json":
            try:
                orjson.loads(value)
            except orjson.JSONDecodeError as exc:
                self.problem.setText(f"This is not valid JSON: {exc}")
                return
        super().accept()
