"""The provider dialog against a real loopback server and the real openai SDK."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.loopback_server import LoopbackServer, dead_base_url
from PySide6.QtCore import Qt

from studio.core.llm import keys
from studio.core.llm.provider_store import (
    ProviderSettings,
    load_providers,
    providers_path,
    save_providers,
)
from studio.core.llm.providers import ProviderConfig
from studio.ui.context import AppContext
from studio.ui.providers.dialog import PRESETS, ProviderDialog

pytestmark = pytest.mark.gui

SECRET = "sk-DIALOGTEST-0123456789abcdefghij"


def _dialog(
    qtbot: object, context: AppContext, config: ProviderConfig | None = None
) -> ProviderDialog:
    dialog = ProviderDialog(context, config)
    qtbot.addWidget(dialog)  # type: ignore[attr-defined]
    dialog.show()
    return dialog


def _point_at(dialog: ProviderDialog, base_url: str, name: str = "Local") -> None:
    dialog.name_edit.setText(name)
    dialog.select_preset("OpenAI-compatible: other")
    dialog.url_edit.setText(base_url)


def test_test_connection_waits_politely_while_the_server_loads(
    qtbot: object, context: AppContext, wait_idle: Callable[..., None]
) -> None:
    with LoopbackServer(loading_for_s=1.0, models=("qwen2.5-7b", "llama3.1-8b")) as server:
        dialog = _dialog(qtbot, context)
        _point_at(dialog, server.base_url)
        seen: list[str] = []
        dialog.test_status.setText("")

        def remember() -> bool:
            seen.append(dialog.test_status.text())
            return dialog.test_status.text().startswith("Connected")

        with qtbot.waitSignal(dialog.test_finished, timeout=15000) as blocker:  # type: ignore[attr-defined]
            qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
            qtbot.waitUntil(remember, timeout=15000)  # type: ignore[attr-defined]
        ok, text = blocker.args
        assert ok, text
        assert any(
            s.startswith("Server is loading the model… ") and s.endswith(" s") for s in seen
        ), seen
        assert "2 model(s): llama3.1-8b, qwen2.5-7b" in text
        items = [dialog.model_combo.itemText(i) for i in range(dialog.model_combo.count())]
        assert items == ["llama3.1-8b", "qwen2.5-7b"]
        assert server.path_counts["GET /health"] >= 2  # it polled while loading
        assert dialog.test_button.isEnabled() and not dialog.cancel_test_button.isEnabled()
        wait_idle(context)


def test_cancel_stops_the_wait_within_a_second(
    qtbot: object, context: AppContext, wait_idle: Callable[..., None]
) -> None:
    with LoopbackServer(loading_for_s=60.0) as server:
        dialog = _dialog(qtbot, context)
        _point_at(dialog, server.base_url)
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
        qtbot.waitUntil(lambda: "loading the model" in dialog.test_status.text(), timeout=5000)  # type: ignore[attr-defined]
        assert dialog.cancel_test_button.isEnabled()
        with qtbot.waitSignal(dialog.test_finished, timeout=3000) as blocker:  # type: ignore[attr-defined]
            started = time.monotonic()
            qtbot.mouseClick(dialog.cancel_test_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
        assert time.monotonic() - started < 1.0
        assert blocker.args == [False, "Test cancelled."]
        wait_idle(context)


def test_unreachable_server_is_reported_quickly(
    qtbot: object, context: AppContext, wait_idle: Callable[..., None]
) -> None:
    dialog = _dialog(qtbot, context)
    _point_at(dialog, dead_base_url())
    started = time.monotonic()
    with qtbot.waitSignal(dialog.test_finished, timeout=10000) as blocker:  # type: ignore[attr-defined]
        dialog.test_connection()
    assert time.monotonic() - started < 5.0
    ok, text = blocker.args
    assert not ok and "Server unreachable" in text
    wait_idle(context)


def test_key_goes_to_memory_when_there_is_no_keyring_and_never_to_a_file(
    qtbot: object, context: AppContext, studio_home: Path, wait_idle: Callable[..., None]
) -> None:
    ok, sentence = keys.keyring_status()
    assert not ok  # the test environment has no keyring backend, like CI
    with LoopbackServer(require_key=SECRET) as server:
        dialog = _dialog(qtbot, context)
        _point_at(dialog, server.base_url, name="Guarded vLLM")
        assert dialog.key_edit.echoMode() == dialog.key_edit.EchoMode.Password
        dialog.key_edit.setText(SECRET)
        # Test Connection uses the typed key (the server refuses anything else)
        with qtbot.waitSignal(dialog.test_finished, timeout=10000) as blocker:  # type: ignore[attr-defined]
            dialog.test_connection()
        assert blocker.args[0], blocker.args[1]
        assert server.last_authorization == f"Bearer {SECRET}"
        with qtbot.waitSignal(dialog.key_saved, timeout=1000) as saved:  # type: ignore[attr-defined]
            qtbot.mouseClick(dialog.save_key_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
        assert saved.args == ["session"]
        assert dialog.key_status.text() == sentence  # says so, no silent fallback
        assert dialog.key_edit.text() == ""
        assert keys.get_key_with_source("Guarded vLLM") == (SECRET, "session")
        dialog.accept()
        config = dialog.result_config
        assert config is not None and config.name == "Guarded vLLM"
        settings = ProviderSettings()
        settings.upsert(config)
        save_providers(settings)
        wait_idle(context)
    written = [p for p in studio_home.rglob("*") if p.is_file()]
    assert providers_path() in written
    assert not [p for p in written if SECRET.encode() in p.read_bytes()]
    assert load_providers().get("Guarded vLLM") == config


def test_presets_fill_base_urls_and_azure_asks_for_an_api_version(
    qtbot: object, context: AppContext
) -> None:
    dialog = _dialog(qtbot, context)
    urls = {}
    for preset in PRESETS:
        dialog.select_preset(preset.title)
        urls[preset.title] = dialog.url_edit.text()
        assert dialog.version_edit.isVisible() == (preset.kind == "azure")
    assert urls["OpenAI-compatible: Ollama"] == "http://127.0.0.1:11434/v1"
    assert urls["OpenAI-compatible: LM Studio"] == "http://127.0.0.1:1234/v1"
    assert urls["OpenAI-compatible: vLLM"] == "http://127.0.0.1:8000/v1"
    assert urls["OpenAI"] == "https://api.openai.com/v1"

    dialog.name_edit.setText("")
    dialog.accept()
    assert dialog.result_config is None and "needs a name" in dialog.error_label.text()
    dialog.name_edit.setText("Work Azure")
    dialog.select_preset("Azure OpenAI")
    dialog.url_edit.setText("https://contoso.openai.azure.com")
    dialog.version_edit.setText("")
    dialog.accept()
    assert "API version" in dialog.error_label.text()
    dialog.version_edit.setText("2024-10-21")
    dialog.model_combo.setEditText("gpt-4o-mini-deploy")
    dialog.accept()
    assert dialog.result_config == ProviderConfig(
        "Work Azure",
        "https://contoso.openai.azure.com",
        "azure",
        "2024-10-21",
        "gpt-4o-mini-deploy",
    )


def test_editing_keeps_the_kind_and_providers_file_refuses_keys(
    qtbot: object, context: AppContext
) -> None:
    ollama = ProviderConfig(
        "Ollama", "http://127.0.0.1:11434/v1", "compatible", default_model="llama3.1"
    )
    dialog = _dialog(qtbot, context, ollama)
    assert dialog.preset.title == "OpenAI-compatible: Ollama"
    assert dialog.url_edit.text() == ollama.base_url
    assert dialog.model_combo.currentText() == "llama3.1"
    # a hand-edited providers.json with a key in it is not loaded
    providers_path().write_text(
        json.dumps(
            {
                "version": 1,
                "default": "x",
                "providers": [
                    {
                        "name": "x",
                        "base_url": "http://127.0.0.1:1/v1",
                        "kind": "compatible",
                        "api_key": "sk-planted-0123456789abcdef",
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    assert load_providers().providers == []


def test_provider_settings_rename_keeps_order_and_default() -> None:
    settings = ProviderSettings()
    a = ProviderConfig("A", "http://127.0.0.1:1/v1", "compatible")
    b = ProviderConfig("B", "http://127.0.0.1:2/v1", "compatible")
    settings.upsert(a)
    settings.upsert(b)
    assert settings.default == "A"
    renamed = ProviderConfig("A2", "http://127.0.0.1:3/v1", "compatible")
    settings.upsert(renamed, replaces="A")
    assert [p.name for p in settings.providers] == ["A2", "B"]
    assert settings.default == "A2" and settings.default_provider == renamed
    save_providers(settings)
    again = load_providers()
    assert again.providers == settings.providers and again.default == "A2"
    again.remove("A2")
    assert again.default == "B"
