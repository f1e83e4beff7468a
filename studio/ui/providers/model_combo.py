"""The model combo beside a provider picker: its first entry means "the prompt's own model"."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox

from studio.core.llm.providers import ProviderConfig


def reset_model_choices(combo: QComboBox, provider: ProviderConfig | None, own: str) -> None:
    """Refill ``combo`` for a newly chosen provider, without emitting signals.

    ``own`` (the prompt's own model) comes first; the provider's default model is
    chosen when it has one, else a model the user typed stays.
    """
    text = combo.currentText()
    combo.blockSignals(True)
    combo.clear()
    combo.addItem(own)
    if provider is not None and provider.default_model:
        combo.addItem(provider.default_model)
        combo.setCurrentIndex(1)
    elif text and text != own:
        combo.setEditText(text)
    combo.blockSignals(False)


def offer_models(combo: QComboBox, models: list[str]) -> None:
    """Add ``models`` (fetched from the provider) to ``combo``, keeping what it shows."""
    current = combo.currentText()
    for m in models:
        if combo.findText(m) < 0:
            combo.addItem(m)
    combo.setEditText(current)
