"""Configured providers, saved between sessions in ``providers.json`` (never a key).

One store for the app (run setup, the provider dialog) and the command line
(``studio provider ...``, ``studio ab --provider NAME``). A small versioned JSON file
beside ``settings.json`` in :func:`studio.core.paths.config_dir` (the platformdirs user
config folder, or ``$STUDIO_HOME/config`` in tests). It holds
:class:`~studio.core.llm.providers.ProviderConfig` dicts (name, kind, base URL, API
version, default model) and which one is the default. API keys are NOT here: they
live in the OS keyring, the environment or memory (:mod:`studio.core.llm.keys`), and
``ProviderConfig.from_dict`` refuses a dict that carries one, so a hand-edited file
cannot smuggle a key back in either.

A damaged file falls back to "no providers" with a log line rather than stopping the app.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from studio.core import paths
from studio.core.atomic import write_bytes_atomic, write_error
from studio.core.errors import NotFoundError, UserError
from studio.core.json_store import read_json_object
from studio.core.llm import keys
from studio.core.llm.providers import ProviderConfig

log = logging.getLogger(__name__)

PROVIDERS_VERSION = 1


@dataclass
class ProviderSettings:
    """The saved providers.

    Attributes:
        providers: in the order the user added them.
        default: name of the provider preselected in run setup (None = the first).
    """

    providers: list[ProviderConfig] = field(default_factory=list)
    default: str | None = None

    def get(self, name: str) -> ProviderConfig | None:
        """The provider called ``name``, or None."""
        return next((p for p in self.providers if p.name == name), None)

    def upsert(self, config: ProviderConfig, replaces: str | None = None) -> None:
        """Add ``config``, or replace the provider called ``replaces`` (or ``config.name``)."""
        old = replaces or config.name
        names = {old, config.name}  # a rename must not leave a second entry behind
        position = next(
            (i for i, p in enumerate(self.providers) if p.name in names), len(self.providers)
        )
        kept = [p for p in self.providers if p.name not in names]
        kept.insert(min(position, len(kept)), config)
        self.providers = kept
        if self.default == old:
            self.default = config.name
        if self.default is None:
            self.default = config.name

    def remove(self, name: str) -> None:
        """Forget the provider called ``name`` (its key is not touched here)."""
        self.providers = [p for p in self.providers if p.name != name]
        if self.default == name:
            self.default = self.providers[0].name if self.providers else None

    @property
    def default_provider(self) -> ProviderConfig | None:
        """The default provider (or the first, or None)."""
        if self.default is not None:
            found = self.get(self.default)
            if found is not None:
                return found
        return self.providers[0] if self.providers else None


def providers_path() -> Path:
    """Where ``providers.json`` lives."""
    return paths.config_dir() / "providers.json"


def load_providers(path: Path | None = None) -> ProviderSettings:
    """Read the saved providers; empty settings when the file is missing or damaged."""
    path = path or providers_path()
    raw = read_json_object(path, "providers")
    if raw is None:
        return ProviderSettings()
    if not isinstance(raw.get("providers"), list):
        log.warning("ignoring providers file %s: not a providers document", path)
        return ProviderSettings()
    out = ProviderSettings()
    for entry in raw["providers"]:
        if not isinstance(entry, dict):
            continue
        try:
            out.providers.append(ProviderConfig.from_dict(entry))
        except UserError as exc:
            log.warning("skipping a provider in %s: %s", path, exc.message)
    default = raw.get("default")
    out.default = default if isinstance(default, str) and out.get(default) else None
    return out


def save_providers(settings: ProviderSettings, path: Path | None = None) -> None:
    """Write the providers atomically (temp file + rename).

    Raises:
        UserError: the file could not be written (names the file).
    """
    path = path or providers_path()
    data = {
        "version": PROVIDERS_VERSION,
        "default": settings.default,
        "providers": [p.to_dict() for p in settings.providers],
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(path, exc) from None
    write_bytes_atomic(path, json.dumps(data, indent=2).encode("utf-8"))


def get_provider(name: str, path: Path | None = None) -> ProviderConfig:
    """The saved provider called ``name``.

    Raises:
        NotFoundError: there is none (the sentence lists the saved names).
    """
    settings = load_providers(path)
    found = settings.get(name)
    if found is None:
        names = ", ".join(p.name for p in settings.providers) or "none saved yet"
        raise NotFoundError(
            f"No provider called {name!r} (saved providers: {names}); add one with "
            "`studio provider add` or in the app's provider dialog.",
            where=name,
        )
    return found


def add_provider(
    config: ProviderConfig,
    *,
    key: str | None = None,
    replace: bool = False,
    make_default: bool = False,
    path: Path | None = None,
) -> keys.KeySource | None:
    """Save ``config`` (and its key, in the keyring) for the app and the command line.

    Returns:
        Where the key went (``"keyring"``/``"session"``), or None without a key.

    Raises:
        UserError: a provider of that name exists and ``replace`` is False, or the file
            cannot be written.
    """
    settings = load_providers(path)
    if settings.get(config.name) is not None and not replace:
        raise UserError(
            f"A provider called {config.name!r} already exists; remove it first or replace it.",
            where=config.name,
        )
    settings.upsert(config)
    if make_default:
        settings.default = config.name
    save_providers(settings, path)
    return keys.set_key(config, key) if key else None


def remove_provider(name: str, path: Path | None = None) -> ProviderConfig:
    """Forget the provider called ``name`` and its stored key; returns what was removed.

    Raises:
        NotFoundError: there is none.
    """
    config = get_provider(name, path)
    settings = load_providers(path)
    settings.remove(name)
    save_providers(settings, path)
    keys.delete_key(config)
    return config
