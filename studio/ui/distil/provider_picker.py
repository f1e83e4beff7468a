"""The provider row of the teacher-outputs dialog, and the key lookup before a call.

The same choices and the same dialog as the Evaluate view's setup
(``studio/ui/evaluate/setup.py``): providers come from ``providers.json`` (never a key),
Add…/Edit… open :class:`studio.ui.providers.dialog.ProviderDialog`, and the key is read
on the GUI thread just before a run and handed to that run only
(``studio/ui/evaluate/view.py``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QPushButton, QWidget

from studio.core.errors import UserError
from studio.core.llm import keys
from studio.core.llm.provider_store import ProviderSettings, load_providers
from studio.core.llm.providers import ProviderConfig
from studio.ui.context import AppContext
from studio.ui.providers.editing import open_provider_dialog, store_provider


def key_for(provider: ProviderConfig) -> str | None:
    """The provider's key (None is fine for local servers); raises if one is required.

    The same rule and sentence as the Evaluate view's runs.
    """
    key = keys.get_key(provider)
    if key is None and provider.kind != "compatible":
        raise UserError(
            f"No API key for provider {provider.name!r}: press Edit… next to Provider and "
            "save one, or set "
            f"{'AZURE_OPENAI_API_KEY' if provider.kind == 'azure' else 'OPENAI_API_KEY'}.",
            where=provider.name,
        )
    return key


class ProviderPicker(QWidget):
    """Provider combo with Add… and Edit…; the choice is saved to providers.json.

    Signals:
        changed(): another provider was chosen (or one was added/edited).
        models_loaded(list): models the provider dialog fetched from the server.
    """

    changed = Signal()
    models_loaded = Signal(list)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.providers: ProviderSettings = load_providers()
        self.combo = QComboBox()
        self.combo.setObjectName("distil_provider_combo")
        self.combo.setPlaceholderText("No provider yet: Add… a local server or OpenAI")
        self.combo.setMinimumContentsLength(16)
        self.add_button = QPushButton("Add…")
        self.add_button.setObjectName("distil_add_provider_button")
        self.add_button.clicked.connect(lambda: self.open_dialog(edit=False))
        self.edit_button = QPushButton("Edit…")
        self.edit_button.setObjectName("distil_edit_provider_button")
        self.edit_button.clicked.connect(lambda: self.open_dialog(edit=True))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo, 1)
        row.addWidget(self.add_button)
        row.addWidget(self.edit_button)
        self.combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.fill()

    def fill(self, select: str | None = None) -> None:
        """List the saved providers; select ``select`` (else the current or the default)."""
        chosen = select or self.combo.currentText() or self.providers.default
        self.combo.blockSignals(True)
        self.combo.clear()
        for p in self.providers.providers:
            self.combo.addItem(p.name, p)
        index = self.combo.findText(chosen) if chosen else -1
        self.combo.setCurrentIndex(index if index >= 0 else 0)
        self.combo.blockSignals(False)
        self.edit_button.setEnabled(bool(self.providers.providers))
        self.changed.emit()

    def current(self) -> ProviderConfig | None:
        """The chosen provider."""
        data = self.combo.currentData()
        return data if isinstance(data, ProviderConfig) else None

    def open_dialog(self, edit: bool = False) -> Any:
        """Open the provider dialog (non-blocking); returns it (tests drive it)."""
        config = self.current() if edit else None
        return open_provider_dialog(
            self, self.context, self.providers, config, self.models_loaded.emit, self.save
        )

    def save(self, config: ProviderConfig, replaces: str | None = None) -> None:
        """Add or replace a provider, save providers.json (no key) and select it."""
        self.providers = store_provider(self.context, config, replaces)
        self.fill(select=config.name)
