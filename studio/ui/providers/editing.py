"""Adding and editing a saved provider from any view (Evaluate's setup, Distil's dialogs).

One place for the dialog round trip and the save, so every view re-reads the shared
``providers.json`` before writing it (the CLI or another view may have changed it) and
reports a failed save the same way.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from studio.core.errors import UserError
from studio.core.llm.provider_store import ProviderSettings, load_providers, save_providers
from studio.core.llm.providers import ProviderConfig
from studio.ui.context import AppContext
from studio.ui.providers.dialog import ProviderDialog


def open_provider_dialog(
    parent: QWidget,
    context: AppContext,
    providers: ProviderSettings,
    config: ProviderConfig | None,
    on_models: Callable[[list[str]], None],
    on_saved: Callable[[ProviderConfig, str | None], None],
) -> ProviderDialog:
    """Open the provider dialog (non-blocking) for ``config`` (None: a new provider).

    ``on_models`` receives the models the dialog listed; ``on_saved(config, replaces)``
    runs when the user saves. Returns the dialog (tests drive it).
    """
    dialog = ProviderDialog(context, config, [p.name for p in providers.providers], parent)
    dialog.models_loaded.connect(on_models)

    def finished(result: int) -> None:
        if result and dialog.result_config is not None:
            on_saved(dialog.result_config, config.name if config else None)
        dialog.deleteLater()

    dialog.finished.connect(finished)
    dialog.open()
    return dialog


def store_provider(
    context: AppContext, config: ProviderConfig, replaces: str | None = None
) -> ProviderSettings:
    """Add or replace ``config`` in providers.json (never a key) and return the settings.

    Re-reads the file first: ``studio provider add/remove`` or another view may have
    changed it. A failed write is shown to the user; the returned settings still hold
    ``config`` so the view can select it for this session.
    """
    providers = load_providers()
    providers.upsert(config, replaces)
    try:
        save_providers(providers)
    except UserError as exc:
        context.show_error(exc)
    return providers
