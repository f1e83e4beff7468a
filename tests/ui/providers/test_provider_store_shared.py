"""The app's provider dialog and run setup use the core provider store the CLI uses,
and a key over plain http to another machine needs a confirmation first."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from studio.cli.main import run_cli
from studio.core.llm.key_policy import insecure_key_allowed
from studio.core.llm.provider_store import load_providers, providers_path
from studio.ui.context import AppContext
from studio.ui.evaluate.view import EvaluateView
from studio.ui.providers.dialog import ProviderDialog

pytestmark = pytest.mark.gui

FAR_URL = "http://192.0.2.10:8000/v1"  # TEST-NET-1: not this machine, never contacted


def _view(qtbot: object, context: AppContext) -> EvaluateView:
    view = EvaluateView(context)
    qtbot.addWidget(view)  # type: ignore[attr-defined]
    view.resize(1200, 800)
    view.show()
    qtbot.waitUntil(lambda: bool(view.setup.lists.prompts), timeout=10000)  # type: ignore[attr-defined]
    return view


def test_app_and_cli_share_one_provider_store(
    qtbot: object,
    open_context: AppContext,
    studio_home: Path,
    capsys: pytest.CaptureFixture[str],
    wait_idle: Callable[..., None],
) -> None:
    # saved by the command line ...
    assert (
        run_cli(
            [
                "provider",
                "add",
                "cli-vllm",
                "--base-url",
                "http://127.0.0.1:8000/v1",
                "--model",
                "qwen2.5",
            ]
        )
        == 0
    )
    assert providers_path() == studio_home / "config" / "providers.json"
    view = _view(qtbot, open_context)
    combo = view.setup.provider_combo
    # ... offered by the app
    assert [combo.itemText(i) for i in range(combo.count())] == ["cli-vllm"]
    # a provider the CLI adds while the app is open is not lost when the app saves
    assert run_cli(["provider", "add", "late", "--base-url", "http://127.0.0.1:9/v1"]) == 0
    dialog = view.setup.open_provider_dialog(edit=False)
    dialog.name_edit.setText("Local Ollama")
    dialog.select_preset("OpenAI-compatible: Ollama")
    dialog.model_combo.setEditText("llama3.1")
    dialog.accept()
    qtbot.waitUntil(
        lambda: (
            view.setup.current_provider() is not None  # type: ignore[attr-defined]
            and view.setup.current_provider().name == "Local Ollama"
        ),
        timeout=5000,
    )
    capsys.readouterr()
    assert run_cli(["provider", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["providers"]
    assert [r["name"] for r in rows] == ["cli-vllm", "late", "Local Ollama"]
    ollama = rows[2]
    assert (ollama["base_url"], ollama["kind"], ollama["default_model"]) == (
        "http://127.0.0.1:11434/v1",
        "compatible",
        "llama3.1",
    )
    assert [p.name for p in load_providers().providers] == ["cli-vllm", "late", "Local Ollama"]
    wait_idle(open_context)


def test_a_plain_http_key_to_another_machine_asks_first(
    qtbot: object,
    context: AppContext,
    monkeypatch: pytest.MonkeyPatch,
    wait_idle: Callable[..., None],
) -> None:
    asked: list[str] = []
    answer = {"value": QMessageBox.StandardButton.No}

    def warning(parent: object, title: str, text: str, *args: object) -> object:
        asked.append(text)
        return answer["value"]

    monkeypatch.setattr(QMessageBox, "warning", warning)
    dialog = ProviderDialog(context)
    qtbot.addWidget(dialog)  # type: ignore[attr-defined]
    dialog.show()
    dialog.name_edit.setText("Lab server")
    dialog.select_preset("OpenAI-compatible: other")
    dialog.url_edit.setText(FAR_URL)
    dialog.key_edit.setText("k9x")
    dialog.test_connection()
    assert len(asked) == 1 and "unencrypted (plain http) to 192.0.2.10" in asked[0]
    assert "k9x" not in asked[0]
    assert not dialog.testing and dialog.test_status.text().startswith("Not tested")
    assert not insecure_key_allowed(FAR_URL)
    # without a key there is nothing to protect: no question
    dialog.key_edit.clear()
    dialog.url_edit.setText("http://127.0.0.1:9/v1")
    with qtbot.waitSignal(dialog.test_finished, timeout=10000):  # type: ignore[attr-defined]
        dialog.test_connection()
    assert len(asked) == 1
    # Yes: the opt-in is recorded for this session (the client factory checks it)
    answer["value"] = QMessageBox.StandardButton.Yes
    dialog.url_edit.setText(FAR_URL)
    dialog.key_edit.setText("k9x")
    dialog.test_connection()
    assert len(asked) == 2 and insecure_key_allowed(FAR_URL) and dialog.testing
    dialog.cancel_test()
    qtbot.waitUntil(lambda: not dialog.testing, timeout=10000)  # type: ignore[attr-defined]
    wait_idle(context)


def test_a_run_with_a_plain_http_key_to_another_machine_asks_and_no_stops_it(
    qtbot: object,
    open_context: AppContext,
    monkeypatch: pytest.MonkeyPatch,
    wait_idle: Callable[..., None],
) -> None:
    from PySide6.QtCore import Qt

    from studio.core.evals import run_store
    from studio.core.llm import keys
    from studio.core.llm.providers import ProviderConfig

    asked: list[str] = []
    monkeypatch.setattr(
        QMessageBox,
        "warning",
        lambda parent, title, text, *a: (asked.append(text), QMessageBox.StandardButton.No)[1],
    )
    view = _view(qtbot, open_context)
    runs_before = len(run_store.list_runs(open_context.project))  # type: ignore[arg-type]
    far = ProviderConfig("Lab server", FAR_URL, "compatible", default_model="loopback-small")
    view.setup.save_provider(far)
    keys.set_key(far, "k9x")  # no keyring in tests: kept in memory for the session
    try:
        view.setup.set_variants([("banking-intent", 2, ""), ("banking-intent", 3, "")])
        view.setup.refresh_estimate()
        qtbot.waitUntil(lambda: view.setup.run_button.isEnabled(), timeout=20000)  # type: ignore[attr-defined]
        qtbot.mouseClick(view.setup.run_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
        assert len(asked) == 1 and "192.0.2.10" in asked[0]
        assert not view.running
        assert len(run_store.list_runs(open_context.project)) == runs_before  # type: ignore[arg-type]
    finally:
        keys.clear_session_keys()
    wait_idle(open_context)
