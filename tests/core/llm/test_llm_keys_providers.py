"""Keys (keyring / environment / session, never files), redaction, provider settings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import SENTINEL_KEY, files_containing
from helpers.memory_keyring import MemoryKeyring

from studio.core.errors import ValidationError
from studio.core.llm import keys
from studio.core.llm.providers import ProviderConfig


@pytest.fixture(autouse=True)
def clean_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("AZURE_OPENAI_API_KEY", raising=False)
    keys.clear_session_keys()
    yield
    keys.clear_session_keys()


OPENAI = ProviderConfig("openai", "https://api.openai.com/v1", "openai")
LOCAL = ProviderConfig("ollama", "http://127.0.0.1:11434/v1", "compatible")
AZURE = ProviderConfig("azure", "https://x.openai.azure.com", "azure", api_version="2024-10-21")


def test_no_keyring_backend_is_detected_and_explained() -> None:
    ok, sentence = keys.keyring_status()
    assert ok is False
    assert "No system keyring" in sentence and "OPENAI_API_KEY" in sentence


def test_without_keyring_a_key_lives_in_memory_only(tmp_path: Path, studio_home: Path) -> None:
    assert keys.set_key(OPENAI, SENTINEL_KEY) == "session"
    assert keys.get_key_with_source(OPENAI) == (SENTINEL_KEY, "session")
    assert files_containing(studio_home, SENTINEL_KEY) == []
    assert files_containing(tmp_path, SENTINEL_KEY) == []
    keys.delete_key(OPENAI)
    assert keys.get_key(OPENAI) is None


def test_environment_fallback_by_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env-0000000000000000")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-env-key")
    assert keys.get_key_with_source(OPENAI) == ("sk-from-env-0000000000000000", "environment")
    assert keys.get_key(AZURE) == "azure-env-key"
    # Never send the OpenAI key to a third-party/local server.
    assert keys.get_key(LOCAL) is None
    keys.set_key(OPENAI, "sk-typed-in-000000000000000000")
    assert keys.get_key_with_source(OPENAI)[1] == "session"  # what the user typed wins


def test_with_a_keyring_keys_go_there(working_keyring: MemoryKeyring) -> None:
    ok, sentence = keys.keyring_status()
    assert ok and "system keyring" in sentence
    assert keys.set_key(OPENAI, SENTINEL_KEY) == "keyring"
    assert working_keyring.store[("prompt-dataset-studio", "openai")] == SENTINEL_KEY
    assert keys.get_key_with_source(OPENAI) == (SENTINEL_KEY, "keyring")
    keys.delete_key(OPENAI)
    assert working_keyring.store == {} and keys.get_key(OPENAI) is None
    keys.delete_key(OPENAI)  # deleting twice is fine
    with pytest.raises(Exception, match="empty"):
        keys.set_key(OPENAI, "   ")


def test_redact_masks_keys_and_bearer_tokens() -> None:
    text = (
        f"failed with key {SENTINEL_KEY}; header Authorization: Bearer abc.def-ghi_jkl123; "
        "api_key=supersecretvalue1 and sk-short"
    )
    out = keys.redact(text)
    assert SENTINEL_KEY not in out and "abc.def-ghi_jkl123" not in out
    assert "supersecretvalue1" not in out
    assert "sk-short" in out  # too short to be a key
    assert "sk-***" in out


def test_provider_config_round_trips_as_json_and_refuses_keys() -> None:
    data = json.loads(json.dumps(AZURE.to_dict()))
    assert ProviderConfig.from_dict(data) == AZURE
    assert set(data) == {"name", "base_url", "kind", "api_version", "default_model"}
    with pytest.raises(ValidationError, match="keyring"):
        ProviderConfig.from_dict({**OPENAI.to_dict(), "api_key": SENTINEL_KEY})
    with pytest.raises(ValidationError, match="Unknown"):
        ProviderConfig.from_dict({**OPENAI.to_dict(), "colour": "red"})
    with pytest.raises(ValidationError, match="lack"):
        ProviderConfig.from_dict({"name": "x"})
    with pytest.raises(ValidationError, match="http"):
        ProviderConfig("bad", "ftp://x", "openai")
    with pytest.raises(ValidationError, match="API version"):
        ProviderConfig("az", "https://x.openai.azure.com", "azure")
    with pytest.raises(ValidationError, match="kind"):
        ProviderConfig("x", "http://h", "bedrock")  # type: ignore[arg-type]
    assert LOCAL.is_local and not OPENAI.is_local
