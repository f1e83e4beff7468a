"""Which key goes to which host: the one rule the app and the command line share.

* ``OPENAI_API_KEY`` goes only to OpenAI's own API host (``api.openai.com``, and its
  regional ``*.api.openai.com`` hosts), over https.
* ``AZURE_OPENAI_API_KEY`` goes only to Azure OpenAI hosts (``*.openai.azure.com``,
  ``*.cognitiveservices.azure.com``, ``*.services.ai.azure.com``), over https.
* Any other base URL gets a key only when the user named one for it: the saved
  provider's key (keyring) or ``--api-key-env NAME``. By default none is sent.
* A key never travels over plain http to a host that is not this machine, unless the
  user opts in (``--allow-insecure-key`` / a confirmation in the app), and then with a
  warning.

:func:`studio.core.llm.keys.resolve_key` applies all of it (with the key store) and
remembers the key for redaction (:mod:`studio.core.redact`).
"""

from __future__ import annotations

import ipaddress
import threading
from typing import Literal
from urllib.parse import urlsplit

from studio.core.errors import UserError
from studio.core.llm.providers import ProviderConfig

KeyOrigin = Literal["api-key-env", "keyring", "session", "environment"]

OPENAI_KEY_ENV = "OPENAI_API_KEY"
AZURE_KEY_ENV = "AZURE_OPENAI_API_KEY"
_AZURE_SUFFIXES = (".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com")


class InsecureKeyError(UserError):
    """A key would travel over plain http to another machine without the user's opt-in."""


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def is_openai_host(url: str) -> bool:
    """True for OpenAI's own API over https (``api.openai.com`` or a regional host)."""
    host = _host(url)
    return urlsplit(url).scheme == "https" and (
        host == "api.openai.com" or host.endswith(".api.openai.com")
    )


def is_azure_host(url: str) -> bool:
    """True for an Azure OpenAI endpoint over https."""
    return urlsplit(url).scheme == "https" and _host(url).endswith(_AZURE_SUFFIXES)


def is_loopback(url: str) -> bool:
    """True when ``url`` names this machine (``localhost``, ``127.0.0.0/8``, ``::1``)."""
    host = _host(url)
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def environment_variable_for(config: ProviderConfig) -> str | None:
    """The environment variable whose key may go to ``config``'s host (None: no fallback)."""
    if config.kind == "openai" and is_openai_host(config.base_url):
        return OPENAI_KEY_ENV
    if config.kind == "azure" and is_azure_host(config.base_url):
        return AZURE_KEY_ENV
    return None


def insecure_transport(url: str) -> bool:
    """True when a key sent to ``url`` would cross the network unencrypted."""
    return urlsplit(url).scheme == "http" and not is_loopback(url)


def insecure_warning(url: str) -> str:
    """The warning shown when the user allowed a key over plain http."""
    return (
        f"Warning: the API key is sent unencrypted (plain http) to {_host(url)}; anyone on "
        "the network path can read it."
    )


# Base URLs the user allowed a key over plain http to, for this process (the CLI's
# --allow-insecure-key, the app's confirmation). The client factory checks it, so no
# path can send a key unencrypted to another machine without that opt-in.
_insecure_opt_ins: set[str] = set()
_opt_in_lock = threading.Lock()


def _url_key(url: str) -> str:
    return url.rstrip("/").lower()


def allow_insecure_key(url: str) -> None:
    """Record the user's opt-in to send a key over plain http to ``url`` (this process)."""
    with _opt_in_lock:
        _insecure_opt_ins.add(_url_key(url))


def insecure_key_allowed(url: str) -> bool:
    """Whether the user opted in to a key over plain http to ``url``."""
    with _opt_in_lock:
        return _url_key(url) in _insecure_opt_ins


def forget_insecure_opt_ins() -> None:
    """Forget every opt-in (tests)."""
    with _opt_in_lock:
        _insecure_opt_ins.clear()


def check_transport(url: str, key: str | None, *, allow_insecure: bool) -> str | None:
    """Refuse a key over plain http to another machine unless allowed.

    Returns:
        A warning sentence when the key goes over plain http with the user's opt-in,
        else None.

    Raises:
        InsecureKeyError: a key would go over plain http to a non-loopback host and the
            user did not opt in.
    """
    if not key or not insecure_transport(url):
        return None
    if not (allow_insecure or insecure_key_allowed(url)):
        raise InsecureKeyError(
            f"Refusing to send an API key over plain http to {_host(url)} ({url}): use "
            "https, or pass --allow-insecure-key if you accept that the key can be read "
            "on the way.",
            where=url,
        )
    return insecure_warning(url)
