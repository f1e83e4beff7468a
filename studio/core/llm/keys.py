"""API keys: the OS keyring, else the environment, else memory for this session.

Rules (docs/engineering-facts.md bars 16-18): a key is never written to any file by the studio.
When no keyring backend exists (``keyring.backends.fail.Keyring`` / ``NoKeyringError``,
which is what headless Linux and CI have) there is NO plaintext fallback: keys come from
the environment or are held in memory until the app quits, and :func:`keyring_status`
says so in a sentence for the UI.

Environment fallback (:mod:`studio.core.llm.key_policy`): ``OPENAI_API_KEY`` only for an
``openai`` provider at OpenAI's own API host and ``AZURE_OPENAI_API_KEY`` only for an
``azure`` provider at an Azure host. ``compatible`` providers (local or third-party
servers), and an ``openai`` provider pointed at another host, never fall back to them:
that would send the user's key to whatever host the base URL names.

Every key read or stored here is remembered by :mod:`studio.core.redact`, so it is
removed by value from whatever the studio stores, logs or prints.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from typing import Literal

from studio.core.errors import UserError
from studio.core.llm.key_policy import (
    KeyOrigin,
    allow_insecure_key,
    check_transport,
    environment_variable_for,
)
from studio.core.llm.providers import ProviderConfig
from studio.core.redact import redact, remember_secret

SERVICE = "prompt-dataset-studio"
KeySource = Literal["keyring", "session", "environment"]

__all__ = [
    "SERVICE",
    "KeySource",
    "clear_session_keys",
    "delete_key",
    "get_key",
    "get_key_with_source",
    "keyring_status",
    "redact",
    "set_key",
]

_session: dict[str, str] = {}
_session_lock = threading.Lock()


def _keyring_usable() -> tuple[bool, str]:
    try:
        import keyring
        from keyring.backends import fail
    except Exception as exc:  # keyring missing or broken
        return False, f"keyring unavailable ({type(exc).__name__})"
    try:
        backend = keyring.get_keyring()
    except Exception as exc:
        return False, f"keyring unavailable ({type(exc).__name__})"
    if isinstance(backend, fail.Keyring):
        return False, "no keyring backend"
    try:
        from keyring.backends import null

        if isinstance(backend, null.Keyring):
            return False, "keyring disabled"
    except Exception:  # pragma: no cover - null backend always ships with keyring
        pass
    name = getattr(backend, "name", type(backend).__name__)
    return True, str(name)


def keyring_status() -> tuple[bool, str]:
    """Whether keys can be stored in the OS keyring, and a sentence saying so for the UI."""
    ok, what = _keyring_usable()
    if ok:
        return True, f"API keys are stored in the system keyring ({what})."
    return False, (
        "No system keyring is available, so API keys are not saved: the studio uses "
        "OPENAI_API_KEY / AZURE_OPENAI_API_KEY from the environment (for OpenAI's and "
        "Azure's own hosts only), or keeps a key you type in memory until you quit."
    )


def _username(provider: ProviderConfig | str) -> str:
    return provider.name if isinstance(provider, ProviderConfig) else provider


def _env_var(provider: ProviderConfig | str) -> str | None:
    # a bare name says nothing about the host: no environment fallback
    if isinstance(provider, ProviderConfig):
        return environment_variable_for(provider)
    return None


def _keyring_get(username: str) -> str | None:
    if not _keyring_usable()[0]:
        return None
    import keyring
    from keyring.errors import KeyringError

    try:
        return keyring.get_password(SERVICE, username)
    except KeyringError:
        return None


def get_key_with_source(provider: ProviderConfig | str) -> tuple[str | None, KeySource | None]:
    """The key for ``provider`` and where it came from (keyring, session, environment)."""
    import os

    username = _username(provider)
    key = _keyring_get(username)
    source: KeySource | None = "keyring"
    if not key:
        with _session_lock:
            key = _session.get(username)
        source = "session"
    if not key:
        env = _env_var(provider)
        key = os.environ.get(env) if env else None
        source = "environment"
    if not key:
        return None, None
    remember_secret(key)
    return key, source


def get_key(provider: ProviderConfig | str) -> str | None:
    """The key for ``provider``, or None when there is none."""
    return get_key_with_source(provider)[0]


def set_key(provider: ProviderConfig | str, key: str) -> KeySource:
    """Store ``key`` in the keyring, or in memory when no keyring exists.

    Returns:
        ``"keyring"`` or ``"session"``: where the key now lives (tell the user).
    """
    key = key.strip()
    if not key:
        raise UserError("The API key is empty.", where="api_key")
    username = _username(provider)
    remember_secret(key)
    if _keyring_usable()[0]:
        import keyring
        from keyring.errors import KeyringError

        try:
            keyring.set_password(SERVICE, username, key)
        except KeyringError:
            pass  # locked or refused: fall through to the session store
        else:
            with _session_lock:
                _session.pop(username, None)
            return "keyring"
    with _session_lock:
        _session[username] = key
    return "session"


def delete_key(provider: ProviderConfig | str) -> None:
    """Forget the stored key (keyring and session); environment variables are untouched."""
    username = _username(provider)
    with _session_lock:
        _session.pop(username, None)
    if _keyring_usable()[0]:
        import keyring
        from keyring.errors import KeyringError

        # PasswordDeleteError when there was none
        with contextlib.suppress(KeyringError):
            keyring.delete_password(SERVICE, username)


def clear_session_keys() -> None:
    """Forget every in-memory key (tests, "log out")."""
    with _session_lock:
        _session.clear()


@dataclass(frozen=True, slots=True)
class ResolvedKey:
    """The key chosen for one provider, where it came from, and any warning to show."""

    key: str | None
    origin: KeyOrigin | None
    warning: str | None = None


def resolve_key(
    config: ProviderConfig,
    *,
    api_key_env: str | None = None,
    saved: bool = True,
    allow_insecure: bool = False,
) -> ResolvedKey:
    """The key to send to ``config``, by the rules in the module docstring.

    Args:
        config: where the requests go.
        api_key_env: the name of an environment variable holding the key (the user named
            it for this invocation, so it goes to any host).
        saved: look in the keyring / session store under ``config.name`` (a provider
            the user saved); False for a bare ``--base-url``.
        allow_insecure: the user opted in to a key over plain http to another machine.

    Raises:
        UserError: ``api_key_env`` names an unset variable.
        InsecureKeyError: see :func:`check_transport`.
    """
    key: str | None = None
    origin: KeyOrigin | None = None
    if api_key_env:
        key = (os.environ.get(api_key_env) or "").strip() or None
        if key is None:
            raise UserError(
                f"--api-key-env {api_key_env}: the environment variable {api_key_env} is "
                "not set or empty.",
                where=api_key_env,
            )
        origin = "api-key-env"
    elif saved:
        key, source = get_key_with_source(config)
        origin = source
    else:
        env = environment_variable_for(config)
        key = ((os.environ.get(env) or "").strip() or None) if env else None
        origin = "environment" if key else None
    remember_secret(key)
    warning = check_transport(config.base_url, key, allow_insecure=allow_insecure)
    if warning is not None:
        allow_insecure_key(config.base_url)  # the client factory checks again
    return ResolvedKey(key, origin, warning)
