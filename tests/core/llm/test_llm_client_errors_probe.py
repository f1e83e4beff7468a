"""Client factory, error sentences and the readiness probe against the loopback server."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time

import pytest
from helpers import Fault, dead_base_url, loopback, provider_for

from studio.core.errors import CancelledError, UserError
from studio.core.llm.client import DUMMY_KEY, make_async_client, make_sync_client
from studio.core.llm.errors import MappedError, ServerUnreachableError, map_exception
from studio.core.llm.probe import describe_models, list_models, wait_until_ready
from studio.core.llm.providers import ProviderConfig
from studio.core.progress import CancelToken


def test_clients_have_no_sdk_retries_and_our_timeouts() -> None:
    local = ProviderConfig("local", "http://127.0.0.1:1/v1", "compatible")
    client = make_async_client(local, None, read_timeout_s=42)
    try:
        assert client.max_retries == 0 and client.api_key == DUMMY_KEY
        assert client.timeout.read == 42 and client.timeout.connect == 5.0  # type: ignore[union-attr]
    finally:
        asyncio.run(client.close())
    azure = ProviderConfig("az", "https://r.openai.azure.com", "azure", api_version="2024-10-21")
    sync = make_sync_client(azure, "k")
    try:
        assert type(sync).__name__ == "AzureOpenAI" and sync.max_retries == 0
    finally:
        sync.close()
    with pytest.raises(UserError, match="No API key"):
        make_sync_client(ProviderConfig("oa", "https://api.openai.com/v1", "openai"), None)


def test_importing_the_runner_does_not_import_openai() -> None:
    code = (
        "import sys, studio.core.evals.runner, studio.core.evals.scorers, studio.core.llm.probe\n"
        "sys.exit(1 if 'openai' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def _error_from(server_kwargs: dict[str, object], model: str = "m", **call: object) -> MappedError:
    with loopback(**server_kwargs) as server:  # type: ignore[arg-type]
        client = make_sync_client(provider_for(server), "sk-wrong-000000000000000000", **call)  # type: ignore[arg-type]
        try:
            client.chat.completions.create(model=model, messages=[{"role": "user", "content": "x"}])
        except Exception as exc:
            return map_exception(exc, base_url=server.base_url, model=model)
        finally:
            client.close()
    raise AssertionError("no error raised")


def test_errors_become_sentences() -> None:
    auth = _error_from({"require_key": "sk-right-00000000000000000000"})
    assert auth.kind == "auth" and "rejected the API key" in auth.message and not auth.retryable
    missing = _error_from({"known_models_only": True}, model="gpt-nope")
    assert missing.kind == "not_found" and "'gpt-nope' was not found" in missing.message
    limited = _error_from({"faults": [Fault("429", retry_after=7)]})
    assert limited.kind == "rate_limit" and limited.retryable and limited.retry_after_s == 7
    loading = _error_from({"faults": ["503"]})
    assert loading.kind == "server" and "still loading" in loading.message
    slow = _error_from({"faults": [Fault("stall", stall_s=3)]}, read_timeout_s=0.2)
    assert slow.kind == "timeout" and not slow.connect_failed
    bad = _error_from({"faults": ["500"]})
    assert bad.status == 500 and bad.retryable


def test_connection_refused_is_recognised() -> None:
    url = dead_base_url()
    client = make_sync_client(ProviderConfig("d", url, "compatible"), None)
    try:
        client.models.list()
    except Exception as exc:
        mapped = map_exception(exc, base_url=url)
    finally:
        client.close()
    assert mapped.kind == "connection" and mapped.connect_failed
    assert url in mapped.message


def test_list_models_and_describe() -> None:
    with loopback(models=["b-model", "a-model"]) as server:
        models = list_models(provider_for(server), None)
    assert models == ["a-model", "b-model"]
    assert describe_models(models) == "2 model(s): a-model, b-model."
    assert describe_models([]) == "The server lists no models."
    with pytest.raises(ServerUnreachableError):
        list_models(provider_for(dead_base_url()), None)


def test_wait_until_ready_waits_through_loading() -> None:
    waits: list[tuple[float, str]] = []
    with loopback(loading_for_s=0.8) as server:
        start = time.monotonic()
        models = wait_until_ready(
            provider_for(server), None, on_wait=lambda s, m: waits.append((s, m)), poll_s=0.1
        )
        elapsed = time.monotonic() - start
    # it waited for the loading to end, polling every poll_s (about 8 polls in 0.8 s);
    # the upper bound only rules out a wait for the 120 s default timeout
    assert models and 0.8 <= elapsed < 0.8 + 10.0
    assert len(waits) >= 3 and "still loading" in waits[0][1]


def test_wait_until_ready_fails_fast_when_nothing_listens() -> None:
    start = time.monotonic()
    with pytest.raises(ServerUnreachableError, match="Server unreachable at"):
        wait_until_ready(provider_for(dead_base_url()), None, timeout_s=120)
    assert time.monotonic() - start <= 5.0


def test_wait_until_ready_gives_up_cancels_and_rejects_bad_keys() -> None:
    with loopback(loading_for_s=30) as server:
        with pytest.raises(UserError, match=r"not ready after 0\.5 s"):
            wait_until_ready(provider_for(server), None, timeout_s=0.5, poll_s=0.1)
        token = CancelToken()
        timer = threading.Timer(0.2, token.cancel)
        start = time.monotonic()
        timer.start()
        with pytest.raises(CancelledError):
            wait_until_ready(provider_for(server), None, cancel=token)
        # cancel takes effect within 1 s of the click (the timer clicks after 0.2 s)
        assert time.monotonic() - start < 0.2 + 1.0
        timer.join()
    with loopback(require_key="sk-right-00000000000000000000") as server:
        with pytest.raises(UserError, match="rejected the API key"):
            wait_until_ready(provider_for(server, kind="openai"), "sk-wrong-00000000000000000")
        # a rejected key is final: asked once, never retried or polled again
        assert server.path_counts["GET /v1/models"] == 1
