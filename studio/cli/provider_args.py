"""Where requests go and which key they carry: the options ``ab`` and ``provider test`` share.

The rules live in :mod:`studio.core.llm.key_policy`; this module only turns
``--provider`` / ``--base-url`` / ``--api-key-env`` / ``--allow-insecure-key`` into a
provider and a key, and prints the warning of an allowed plain-http key.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from studio.cli.common import CliUsageError, eprint
from studio.core.llm.providers import OPENAI_BASE_URL, ProviderConfig

DEFAULT_BASE_URL = OPENAI_BASE_URL


def add_key_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--api-key-env NAME`` and ``--allow-insecure-key``."""
    parser.add_argument(
        "--api-key-env",
        default=None,
        metavar="NAME",
        help="send the key held in the environment variable NAME (for any base URL). "
        "Without it, OPENAI_API_KEY goes only to api.openai.com, AZURE_OPENAI_API_KEY "
        "only to Azure, a saved provider's key only to that provider, and other "
        "servers get no key",
    )
    parser.add_argument(
        "--allow-insecure-key",
        action="store_true",
        help="allow sending a key over plain http to a host that is not this machine "
        "(refused by default: anyone on the network path could read it)",
    )


def add_provider_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--provider NAME`` (a saved provider) beside an existing ``--base-url``."""
    parser.add_argument(
        "--provider",
        default=None,
        metavar="NAME",
        help="a saved provider (studio provider list): its base URL, kind and stored key",
    )


@dataclass(frozen=True, slots=True)
class Target:
    """The provider requests go to and the key they carry (None: no key)."""

    provider: ProviderConfig
    key: str | None
    key_origin: str | None


def provider_from_url(base_url: str | None) -> ProviderConfig:
    """A provider for a bare ``--base-url`` (OpenAI's host is ``openai``, others compatible)."""
    from studio.core.llm.key_policy import is_openai_host

    url = (base_url or DEFAULT_BASE_URL).rstrip("/")
    if is_openai_host(url):
        return ProviderConfig(name="OpenAI", base_url=url, kind="openai")
    return ProviderConfig(name=url, base_url=url, kind="compatible")


def resolve_target(args: Any, *, need_key: bool = True) -> Target:
    """The provider and key named by the parsed options (prints an insecure-key warning).

    Raises:
        CliUsageError: ``--provider`` and ``--base-url`` together, or no key where one is
            required (OpenAI, Azure).
        UserError: an unknown provider, an unset ``--api-key-env`` variable, or a key over
            plain http to another machine without ``--allow-insecure-key``.
    """
    from studio.core.llm.provider_store import get_provider

    name = getattr(args, "provider", None)
    base_url = getattr(args, "base_url", None)
    if name and base_url:
        raise CliUsageError("give either --provider NAME or --base-url URL, not both.")
    provider = get_provider(name) if name else provider_from_url(base_url)
    return key_target(provider, args, saved=bool(name), need_key=need_key)


def key_target(
    provider: ProviderConfig, args: Any, *, saved: bool, need_key: bool = True
) -> Target:
    """``provider`` with the key the key policy gives it under the parsed key options.

    Args:
        saved: ``provider`` is a saved provider (its key is in the keyring); False for a
            bare ``--base-url``.

    Raises:
        CliUsageError: no key where one is required (OpenAI, Azure).
        UserError: an unset ``--api-key-env`` variable, or a key over plain http to another
            machine without ``--allow-insecure-key``.
    """
    from studio.core.llm.keys import resolve_key

    resolved = resolve_key(
        provider,
        api_key_env=getattr(args, "api_key_env", None),
        saved=saved,
        allow_insecure=bool(getattr(args, "allow_insecure_key", False)),
    )
    if resolved.warning:
        eprint(f"studio: {resolved.warning}")
    if need_key and resolved.key is None and provider.kind != "compatible":
        env = "AZURE_OPENAI_API_KEY" if provider.kind == "azure" else "OPENAI_API_KEY"
        where = (
            f"store one with `studio provider add {provider.name} ... --key-stdin`"
            if saved
            else "store a key in the app's provider settings"
        )
        raise CliUsageError(
            f"no API key for {provider.base_url}: set {env}, pass --api-key-env NAME, or {where}."
        )
    return Target(provider, resolved.key, resolved.origin)
