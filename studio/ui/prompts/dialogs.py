"""Dialogs of the Prompts view: Save Version, Move Label, New Prompt.

They are opened with ``open()`` (window-modal, non-blocking) and report through
``accepted``; none of them touches the database.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.ui.prompts.params_form import SUGGESTED_MODELS

STANDARD_LABELS = ("production", "staging")


def _ok_cancel(dialog: QDialog, ok_text: str) -> tuple[QDialogButtonBox, QPushButton]:
    """OK (renamed ``ok_text``) and Cancel wired to ``dialog``'s accept and reject."""
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
    ok.setText(ok_text)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons, ok


class SaveVersionDialog(QDialog):
    """Ask for the commit message of a new version, showing what changed."""

    def __init__(
        self, name: str, next_version: int, summary: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Save Version of {name}")
        self.setObjectName("saveVersionDialog")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        intro = QLabel(
            f"Save the edits of <b>{name}</b> as version <b>v{next_version}</b>. "
            "Versions never change once saved."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        if summary:
            changes = QPlainTextEdit(summary)
            changes.setReadOnly(True)
            changes.setMaximumHeight(140)
            changes.setObjectName("saveSummary")
            layout.addWidget(QLabel("What changed"))
            layout.addWidget(changes)
        layout.addWidget(QLabel("Message"))
        self.message = QLineEdit()
        self.message.setObjectName("commitMessage")
        self.message.setPlaceholderText("Why this change, e.g. “Ask for the order number first”")
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("Save Version")
        self.save_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.message.textChanged.connect(lambda t: self.save_button.setEnabled(bool(t.strip())))

    def commit_message(self) -> str:
        """The message typed."""
        return self.message.text().strip()


class MoveLabelDialog(QDialog):
    """Point a label at a version; the sentence at the bottom says exactly what happens."""

    def __init__(
        self,
        name: str,
        labels: dict[str, int],
        versions: list[int],
        target: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Move Label of {name}")
        self.setObjectName("moveLabelDialog")
        self.setMinimumWidth(440)
        self.labels = dict(labels)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.label = QComboBox()
        self.label.setObjectName("labelCombo")
        self.label.setEditable(True)
        names = list(STANDARD_LABELS) + sorted(n for n in labels if n not in STANDARD_LABELS)
        for n in names:
            where = f"   (now v{labels[n]})" if n in labels else "   (new)"
            self.label.addItem(n + where, n)
        self.label.setToolTip("production, staging, or type a name of your own")
        form.addRow("Label", self.label)
        self.version = QComboBox()
        self.version.setObjectName("versionCombo")
        for v in versions:
            self.version.addItem(f"v{v}", v)
        self.version.setCurrentIndex(max(0, versions.index(target) if target in versions else 0))
        form.addRow("Version", self.version)
        layout.addLayout(form)
        self.sentence = QLabel("")
        self.sentence.setObjectName("moveSentence")
        self.sentence.setWordWrap(True)
        layout.addWidget(self.sentence)
        note = QLabel("Every move is recorded in the label history, so you can move it back.")
        note.setStyleSheet("color: palette(placeholder-text);")
        note.setWordWrap(True)
        layout.addWidget(note)
        self.buttons, self.ok = _ok_cancel(self, "Move Label")
        layout.addWidget(self.buttons)
        self.label.currentIndexChanged.connect(self._update)
        self.label.editTextChanged.connect(self._update)
        self.version.currentIndexChanged.connect(self._update)
        self._update()

    def label_name(self) -> str:
        """The label chosen or typed (without the "(now vN)" note)."""
        text = self.label.currentText().strip()
        index = self.label.findText(text)
        if index >= 0:
            return str(self.label.itemData(index))
        return text.split("   (")[0].strip()

    def target_version(self) -> int:
        """The version chosen."""
        return int(self.version.currentData())

    @Slot()
    def _update(self) -> None:
        label = self.label_name()
        version = self.target_version()
        current = self.labels.get(label)
        if not label:
            text, ok = "Type a label name.", False
        elif current == version:
            text, ok = f"“{label}” already points at v{version}.", False
        elif current is None:
            text, ok = f"Create “{label}” pointing at v{version}.", True
        else:
            text, ok = f"Move “{label}” from v{current} to v{version}.", True
        self.sentence.setText(f"<b>{text}</b>")
        self.ok.setEnabled(ok)


class NewPromptDialog(QDialog):
    """Name, description and model of a new prompt (its first version is a template)."""

    def __init__(self, existing: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New Prompt")
        self.setObjectName("newPromptDialog")
        self.setMinimumWidth(460)
        self.existing = {n.lower() for n in existing}
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.name = QLineEdit()
        self.name.setObjectName("newPromptName")
        self.name.setPlaceholderText("e.g. support-triage")
        form.addRow("Name", self.name)
        self.description = QLineEdit()
        self.description.setPlaceholderText("What it is for")
        form.addRow("Description", self.description)
        self.model = QComboBox()
        self.model.setEditable(True)
        self.model.addItems(SUGGESTED_MODELS)
        form.addRow("Model", self.model)
        layout.addLayout(form)
        self.problem = QLabel("")
        self.problem.setStyleSheet("color: #c92a2a;")
        layout.addWidget(self.problem)
        self.buttons, self.ok = _ok_cancel(self, "Create Prompt")
        layout.addWidget(self.buttons)
        self.name.textChanged.connect(self._check)
        self._check()

    @Slot()
    def _check(self) -> None:
        from studio.core.errors import UserError
        from studio.core.prompts.names import check_prompt_name

        name = self.name.text().strip()
        problem = ""
        if name:
            try:
                check_prompt_name(name)
            except UserError as exc:
                problem = exc.message
            if name.lower() in self.existing:
                problem = f"A prompt named “{name}” already exists."
        self.problem.setText(problem)
        self.ok.setEnabled(bool(name) and not problem)

    def values(self) -> tuple[str, str, str]:
        """(name, description, model)."""
        return (
            self.name.text().strip(),
            self.description.text().strip(),
            self.model.currentText().strip(),
        )


__all__ = ["MoveLabelDialog", "NewPromptDialog", "SaveVersionDialog"]
_ = Qt
