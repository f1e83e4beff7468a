"""App settings: a typed, versioned JSON file; QSettings only for window layout.

``settings.json`` in :func:`studio.core.paths.config_dir` holds what the user chose
(recent files, ...). It is versioned so a later studio can migrate it, and a damaged
or unknown file falls back to defaults instead of stopping the app. Window geometry,
dock/splitter states live in an INI file next to it through QSettings (never app
settings: see the QSettings pitfall in the architecture notes). Both live under
``STUDIO_HOME`` in tests, so tests never touch the real user folders.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

from studio.core import paths
from studio.core.atomic import write_bytes_atomic
from studio.core.errors import UserError
from studio.core.json_store import read_json_object

log = logging.getLogger(__name__)

SETTINGS_VERSION = 1
MAX_RECENT = 10


@dataclass
class AppSettings:
    """What the user chose, saved between runs.

    Attributes:
        version: the settings format version (for migrations of this file).
        recent_files: most recent first: absolute paths, and server projects as
            ``postgresql://user@host:port/db`` (never with a password).
        max_recent: how many recent files Open Recent keeps.
        last_dir: the folder the last file dialog was in.
    """

    version: int = SETTINGS_VERSION
    recent_files: list[str] = field(default_factory=list)
    max_recent: int = MAX_RECENT
    last_dir: str = ""

    def add_recent(self, path: str | Path) -> None:
        """Put ``path`` first in the recent files (no duplicates, capped)."""
        p = _recent_key(path)
        self.recent_files = [p] + [r for r in self.recent_files if r != p]
        del self.recent_files[self.max_recent :]

    def remove_recent(self, path: str | Path) -> None:
        """Forget ``path`` (a recent file that no longer exists)."""
        p = _recent_key(path)
        self.recent_files = [r for r in self.recent_files if r != p]


def is_server_entry(entry: str | Path) -> bool:
    """True for a recent entry naming a server project (``postgresql://…``)."""
    return isinstance(entry, str) and entry.strip().lower().startswith(
        ("postgresql://", "postgres://", "postgresql+psycopg://")
    )


def _recent_key(path: str | Path) -> str:
    """A file as its absolute path; a server location as written (it holds no password)."""
    if is_server_entry(path):
        return str(path).strip()
    return str(Path(path).expanduser().resolve())


def settings_path() -> Path:
    """Where ``settings.json`` lives."""
    return paths.config_dir() / "settings.json"


def _from_dict(raw: dict[str, Any]) -> AppSettings:
    settings = AppSettings()
    recent = raw.get("recent_files", [])
    if isinstance(recent, list):
        settings.recent_files = [str(r) for r in recent if isinstance(r, str)]
    max_recent = raw.get("max_recent", MAX_RECENT)
    if isinstance(max_recent, int) and 1 <= max_recent <= 50:
        settings.max_recent = max_recent
    last_dir = raw.get("last_dir", "")
    if isinstance(last_dir, str):
        settings.last_dir = last_dir
    del settings.recent_files[settings.max_recent :]
    return settings


def load_settings(path: Path | None = None) -> AppSettings:
    """Read the settings file; defaults when it is missing, damaged or from a newer studio."""
    path = path or settings_path()
    raw = read_json_object(path)
    if raw is None:
        return AppSettings()
    version = raw.get("version")
    if not isinstance(version, int) or version > SETTINGS_VERSION:
        # A newer studio wrote it: read what we understand, but never write over it
        # with fewer fields than it had (save_settings checks the version too).
        log.info("settings file %s has version %r; reading known fields only", path, version)
    return _from_dict(raw)


def save_settings(settings: AppSettings, path: Path | None = None) -> None:
    """Write the settings atomically (temp file + rename); failures are logged, not raised.

    A file written by a newer studio (a higher ``version``) is left as it is.
    """
    path = path or settings_path()
    on_disk = read_json_object(path)
    version = on_disk.get("version") if on_disk is not None else None
    if isinstance(version, int) and version > SETTINGS_VERSION:
        log.info("not saving settings over %s: a newer studio wrote it", path)
        return
    data = asdict(settings)
    data["version"] = SETTINGS_VERSION
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, json.dumps(data, indent=2).encode("utf-8"))
    except (OSError, UserError) as exc:
        # Losing the recent-files list is not worth an error dialog
        log.warning("could not save settings to %s: %s", path, exc)


def window_state_store() -> QSettings:
    """QSettings for window geometry, window state and splitter sizes only.

    An explicit INI file in the config folder (rather than the platform registry)
    so tests and ``--temp-data-dir`` redirect it with ``STUDIO_HOME``.
    """
    return QSettings(str(paths.config_dir() / "window-state.ini"), QSettings.Format.IniFormat)
