"""Check a provider before a run: list its models, wait while a local server loads.

llama.cpp answers 503 "Loading model" until the weights are in memory and the SDK's own
retries of a 503 last ~1.5 s, so a run started too early fails its first calls
(docs/engineering-facts.md §3). :func:`wait_until_ready` polls ``/health`` (compatible servers)
and ``/v1/models`` until they answer, up to ``timeout_s``, and gives up within ~2 s when
nothing listens at the address at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from studio.core.errors import CancelledError, UserError
from studio.core.llm.client import make_sync_client
from studio.core.llm.errors import (
    MappedError,
    ServerUnreachableError,
    map_exception,
    unreachable_message,
)
from studio.core.llm.providers import ProviderConfig
from studio.core.progress import CancelToken

if TYPE_CHECKING:
    from openai import OpenAI

# How long connection-refused may last before we call the server unreachable. Short:
# a server that is starting listens on its port long before its model is loaded.
REFUSED_GRACE_S = 2.0
PROBE_READ_TIMEOUT_S = 10.0


def _root_url(base_url: str) -> str:
    base = base_url.rstrip("/")
    return base[: -len("/v1")] if base.endswith("/v1") else base


def _list(client: OpenAI) -> list[str]:
    return sorted(model.id for model in client.models.list())


def list_models(
    config: ProviderConfig, key: str | None, *, read_timeout_s: float = PROBE_READ_TIMEOUT_S
) -> list[str]:
    """Model (or deployment) ids the provider lists; raises :class:`UserError` on failure."""
    client = make_sync_client(
        config, key, read_timeout_s=read_timeout_s, connect_timeout_s=min(5.0, read_timeout_s)
    )
    try:
        return _list(client)
    except Exception as exc:
        mapped = map_exception(exc, base_url=config.base_url)
        if mapped.connect_failed:
            raise ServerUnreachableError(unreachable_message(config.base_url)) from None
        raise UserError(mapped.message, where=config.base_url) from None
    finally:
        client.close()


def _health_loading(
    client: OpenAI, config: ProviderConfig, *, silence_counts: bool = False
) -> MappedError | None:
    """A 503 from llama.cpp's ``/health`` means "still loading"; anything else is ignored
    (with ``silence_counts``, a read timeout is returned too)."""
    import httpx2

    try:
        client.get(_root_url(config.base_url) + "/health", cast_to=httpx2.Response)
    except Exception as exc:
        mapped = map_exception(exc, base_url=config.base_url)
        if mapped.status == 503 or mapped.connect_failed:
            return mapped
        if silence_counts and mapped.kind == "timeout":
            return mapped
    return None


def wait_until_ready(
    config: ProviderConfig,
    key: str | None,
    timeout_s: float = 120.0,
    cancel: CancelToken | None = None,
    on_wait: Callable[[float, str], None] | None = None,
    *,
    poll_s: float = 0.5,
    silent_limit_s: float | None = None,
) -> list[str]:
    """Poll until the provider lists its models; return them.

    Args:
        config: the provider.
        key: its key (None for local servers).
        timeout_s: give up after this long while the server reports "loading".
        cancel: stops the wait (raises :class:`CancelledError`).
        on_wait: called as ``on_wait(seconds_waited, sentence)`` while waiting.
        poll_s: pause between polls.
        silent_limit_s: give up (:class:`UserError`) once a probe got no answer at all
            for this long: a server that accepts connections and never replies is not
            "loading" (a loading server answers 503). None = keep waiting up to
            ``timeout_s``. Before a run the caller passes a few seconds, so the run's own
            stop rule (:mod:`studio.core.evals.limits`) is not preceded by minutes of
            probing.

    Raises:
        ServerUnreachableError: nothing listens at the address (within ~2 s).
        UserError: the key is rejected, the URL is wrong, or the server was still not
            ready after ``timeout_s``.
        CancelledError: ``cancel`` was triggered.
    """
    start = time.monotonic()
    refused_since: float | None = None
    read_timeout_s = PROBE_READ_TIMEOUT_S
    if silent_limit_s is not None:
        read_timeout_s = min(read_timeout_s, silent_limit_s)
    client = make_sync_client(
        config, key, read_timeout_s=read_timeout_s, connect_timeout_s=min(5.0, timeout_s)
    )
    try:
        while True:
            if cancel is not None and cancel.cancelled:
                raise CancelledError("Cancelled while waiting for the server.")
            now = time.monotonic()
            waited = now - start
            problem: MappedError | None = None
            if config.kind == "compatible":
                problem = _health_loading(client, config, silence_counts=silent_limit_s is not None)
            if problem is None:
                try:
                    return _list(client)
                except Exception as exc:
                    problem = map_exception(exc, base_url=config.base_url)
            if (
                silent_limit_s is not None
                and problem.kind == "timeout"
                and not problem.connect_failed
            ):
                raise UserError(
                    f"The server at {config.base_url} accepted the connection but sent no "
                    f"answer in {read_timeout_s:g} s.",
                    where=config.base_url,
                )
            if problem.connect_failed:
                refused_since = refused_since if refused_since is not None else now
                if now - refused_since >= REFUSED_GRACE_S:
                    raise ServerUnreachableError(unreachable_message(config.base_url))
            elif problem.status == 503 or problem.kind in ("timeout", "connection", "server"):
                refused_since = None
            else:  # auth, not found, bad request: waiting will not help
                raise UserError(problem.message, where=config.base_url)
            if waited >= timeout_s:
                raise UserError(
                    f"The server at {config.base_url} was not ready after {timeout_s:g} s: "
                    f"{problem.message}",
                    where=config.base_url,
                )
            if on_wait is not None:
                on_wait(waited, problem.message)
            pause = 0.25 if problem.connect_failed else poll_s
            deadline = min(start + timeout_s, time.monotonic() + pause)
            while time.monotonic() < deadline:
                if cancel is not None and cancel.cancelled:
                    raise CancelledError("Cancelled while waiting for the server.")
                time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
    finally:
        client.close()


def describe_models(models: list[str], limit: int = 5) -> str:
    """A short sentence listing models, for the UI."""
    if not models:
        return "The server lists no models."
    shown: list[Any] = models[:limit]
    more = f" and {len(models) - limit} more" if len(models) > limit else ""
    return f"{len(models)} model(s): {', '.join(shown)}{more}."
