"""The bulk-action dialog: a value and a scope (the selection or everything matching)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.models.dataset import SPLITS, STATUSES

# field key -> (title, verb shown on the OK button)
BULK_FIELDS: dict[str, tuple[str, str]] = {
    "label": ("Set label", "Set label"),
    "status": ("Set status", "Set status"),
    "split": ("Set split", "Set split"),
    "tags+": ("Add tag", "Add tag"),
    "tags-": ("Remove tag", "Remove tag"),
    "delete": ("Delete examples", "Delete"),
}


class BulkDialog(QDialog):
    """Choose the value and whether it applies to the selection or the whole filter."""

    def __init__(
        self,
        field: str,
        *,
        labels: Sequence[str],
        tags: Sequence[str],
        selected: int,
        matching: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        title, verb = BULK_FIELDS[field]
        self.field = field
        self.setWindowTitle(title)
        form = QFormLayout()
        self.value = QComboBox(self)
        if field == "label":
            self.value.addItem("(no label)", None)
            for lab in labels:
                self.value.addItem(lab, lab)
            self.value.setEditable(True)
        elif field == "status":
            for st in STATUSES:
                self.value.addItem(st.replace("_", " "), st)
        elif field == "split":
            self.value.addItem("(none)", None)
            for sp in SPLITS:
                self.value.addItem(sp, sp)
        elif field in ("tags+", "tags-"):
            self.value.setEditable(True)
            for t in tags:
                self.value.addItem(t, t)
            self.value.setCurrentIndex(-1)
            line = self.value.lineEdit()
            if line is not None:
                line.setPlaceholderText("tag name")
        if field != "delete":
            form.addRow("Value", self.value)
        else:
            self.value.hide()

        self.on_selection = QRadioButton(
            f"The {selected:,} selected example{'s' if selected != 1 else ''}", self
        )
        self.on_filter = QRadioButton(f"All {matching:,} examples matching the filter", self)
        group = QButtonGroup(self)
        group.addButton(self.on_selection)
        group.addButton(self.on_filter)
        # Rows selected: the action is for them (ISSUE-11 §6); all matching rows only when
        # the user picks that, or when nothing is selected
        if selected > 0:
            self.on_selection.setChecked(True)
        else:
            self.on_filter.setChecked(True)
        self.on_selection.setEnabled(selected > 0)
        note = QLabel("One step: Ctrl+Z undoes it all.", self)
        note.setStyleSheet("color: #6b7280;")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(verb)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(QLabel("Apply to:", self))
        lay.addWidget(self.on_selection)
        lay.addWidget(self.on_filter)
        lay.addWidget(note)
        lay.addWidget(buttons)

    def chosen_value(self) -> str | None:
        """The value to set (None clears label or split)."""
        if self.field in ("tags+", "tags-"):
            return self.value.currentText().strip() or None
        if self.field == "label":
            text = self.value.currentText().strip()
            if (
                self.value.currentIndex() >= 0
                and self.value.itemText(self.value.currentIndex()) == text
            ):
                data = self.value.currentData()
                return str(data) if data is not None else None
            return text or None
        data = self.value.currentData()
        return str(data) if data is not None else None

    def applies_to_selection(self) -> bool:
        """True for the selection, False for everything matching the filter."""
        return self.on_selection.isChecked()
