"""The variants of a run's setup: what the form offers, and one row per prompt version."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget


@dataclass(frozen=True)
class SetupLists:
    """What the form offers, loaded on the database thread."""

    datasets: list[Any]  # DatasetSummary
    prompts: dict[str, list[int]] = field(default_factory=dict)  # name -> versions, newest first


def load_setup_lists(project: Any) -> SetupLists:
    """Datasets with their split counts and every prompt's versions (database thread)."""
    from studio.core.datasets.catalog import dataset_summaries
    from studio.core.prompts import service as prompts

    versions: dict[str, list[int]] = {}
    for p in prompts.list_prompts(project):
        versions[p.name] = [v.version for v in prompts.log(project, p.name)]
    return SetupLists(dataset_summaries(project), versions)


class VariantRow(QWidget):
    """One variant: prompt, version, optional model override, remove."""

    changed = Signal()
    remove_requested = Signal(object)

    def __init__(
        self, letter: str, prompts: dict[str, list[int]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.prompts = prompts
        self.letter = QLabel(letter)
        self.letter.setMinimumWidth(18)
        self.prompt_combo = QComboBox()
        self.prompt_combo.setObjectName("variant_prompt")
        self.prompt_combo.setMinimumContentsLength(16)
        self.prompt_combo.addItems(sorted(prompts))
        self.version_combo = QComboBox()
        self.version_combo.setObjectName("variant_version")
        self.version_combo.setMinimumContentsLength(4)
        self.model_edit = QLineEdit()
        self.model_edit.setObjectName("variant_model")
        self.model_edit.setPlaceholderText("model override (optional)")
        self.model_edit.setToolTip(
            "Call this variant on another model than the run's model, to compare across models"
        )
        self.remove_button = QToolButton()
        self.remove_button.setText("✕")
        self.remove_button.setToolTip("Remove this variant")
        self.remove_button.clicked.connect(lambda: self.remove_requested.emit(self))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.letter)
        layout.addWidget(self.prompt_combo, 3)
        layout.addWidget(QLabel("@"))
        layout.addWidget(self.version_combo, 1)
        layout.addWidget(self.model_edit, 2)
        layout.addWidget(self.remove_button)
        self.prompt_combo.currentTextChanged.connect(self._prompt_changed)
        self.version_combo.currentIndexChanged.connect(lambda _: self.changed.emit())
        self.model_edit.textChanged.connect(lambda _: self.changed.emit())
        self._prompt_changed(self.prompt_combo.currentText())

    def _prompt_changed(self, name: str) -> None:
        self.version_combo.blockSignals(True)
        self.version_combo.clear()
        for v in self.prompts.get(name, []):
            self.version_combo.addItem(str(v), v)
        self.version_combo.blockSignals(False)
        self.changed.emit()

    def set_ref(self, name: str, version: int, model: str = "") -> None:
        """Choose ``name@version`` (and a model override)."""
        self.prompt_combo.setCurrentText(name)
        index = self.version_combo.findData(version)
        if index < 0:
            raise ValueError(f"{name}@{version} is not in the project")
        self.version_combo.setCurrentIndex(index)
        self.model_edit.setText(model)

    def ref(self) -> str | None:
        """``NAME@VERSION`` or None when incomplete."""
        name = self.prompt_combo.currentText()
        version = self.version_combo.currentData()
        return f"{name}@{version}" if name and version is not None else None
