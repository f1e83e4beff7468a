"""Build openai SDK clients for a provider, lazily.

``import openai`` costs ~0.9 s, so nothing here imports it at module level: a cached
re-run or the GUI start-up never pays for it.

Every client is built with ``max_retries=0``: the eval runner is the ONE retry layer
(stacked SDK + runner retries multiply each other, bar 8), and a probe must fail fast.
Timeouts: connect 5 s, read 120 s by default (the SDK's 600 s is too long for a UI).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from studio.core.errors import UserError
from studio.core.llm.key_policy import check_transport
from studio.core.llm.providers import ProviderConfig
from studio.core.redact import remember_secret

if TYPE_CHECKING:
    from openai import AsyncOpenAI, OpenAI

DEFAULT_CONNECT_TIMEOUT_S = 5.0
DEFAULT_READ_TIMEOUT_S = 120.0
# Local servers ignore the key but the SDK refuses an empty one.
DUMMY_KEY = "not-needed"


def _resolve_key(config: ProviderConfig, key: str | None) -> str:
    if key:
        return key
    if config.kind == "compatible":
        return DUMMY_KEY
    raise UserError(
        f"No API key is set for provider {config.name!r}. Enter one in Settings, or set "
        f"{'AZURE_OPENAI_API_KEY' if config.kind == 'azure' else 'OPENAI_API_KEY'} "
        "(used only for OpenAI's and Azure's own hosts).",
        where=config.name,
    )


def _client_kwargs(
    config: ProviderConfig, key: str | None, read_timeout_s: float, connect_timeout_s: float
) -> dict[str, Any]:
    import httpx2

    # Every key that leaves the studio passes here: from now on it is masked by value
    # in whatever the studio stores, logs or prints (studio.core.redact).
    remember_secret(key)
    # ... and never crosses the network unencrypted without the user's opt-in.
    check_transport(config.base_url, key, allow_insecure=False)
    return {
        "api_key": _resolve_key(config, key),
        "timeout": httpx2.Timeout(read_timeout_s, connect=connect_timeout_s),
        "max_retries": 0,
    }


def make_async_client(
    config: ProviderConfig,
    key: str | None,
    *,
    read_timeout_s: float = DEFAULT_READ_TIMEOUT_S,
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
) -> AsyncOpenAI:
    """An ``AsyncOpenAI`` (or ``AsyncAzureOpenAI``) for ``config``; close it when done."""
    kwargs = _client_kwargs(config, key, read_timeout_s, connect_timeout_s)
    if config.kind == "azure":
        from openai import AsyncAzureOpenAI

        return AsyncAzureOpenAI(
            azure_endpoint=config.base_url, api_version=config.api_version, **kwargs
        )
    from openai import AsyncOpenAI

    return AsyncOpenAI(base_url=config.base_url, **kwargs)


# Same shape as make_async_client (duplicates report): the SDK has separate sync and
# async classes; what they share is _client_kwargs.
def make_sync_client(
    config: ProviderConfig,
    key: str | None,
    *,
    read_timeout_s: float = DEFAULT_READ_TIMEOUT_S,
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
) -> OpenAI:
    """A blocking ``OpenAI`` (or ``AzureOpenAI``) client for probes; close it when done."""
    kwargs = _client_kwargs(config, key, read_timeout_s, connect_timeout_s)
    if config.kind == "azure":
        from openai import AzureOpenAI

        return AzureOpenAI(azure_endpoint=config.base_url, api_version=config.api_version, **kwargs)
    from openai import OpenAI

    return OpenAI(base_url=config.base_url, **kwargs)
