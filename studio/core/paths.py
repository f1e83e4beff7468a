"""Where the studio keeps things: one path API (platformdirs), overridable for tests.

Projects live wherever the user saves them; the demo project, app settings, the log
and caches live under the per-user directories. ``STUDIO_HOME`` (set by tests and by
``--temp-data-dir``) redirects all of them under one folder so nothing touches the
real user directories.
"""

from __future__ import annotations

import importlib.resources
import os
import sys
from collections.abc import Callable
from pathlib import Path

import platformdirs

APP_NAME = "PromptDatasetStudio"


def _base_override() -> Path | None:
    home = os.environ.get("STUDIO_HOME")
    return Path(home) if home else None


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _user_dir(name: str, platform_dir: Callable[..., str]) -> Path:
    """``name`` under the STUDIO_HOME override, else the platform's own per-user folder."""
    base = _base_override()
    if base is not None:
        return _ensure(base / name)
    return _ensure(Path(platform_dir(APP_NAME, appauthor=False)))


def data_dir() -> Path:
    """Per-user data folder (the demo project lives here)."""
    return _user_dir("data", platformdirs.user_data_dir)


def config_dir() -> Path:
    """Per-user settings folder (``settings.json``; never secrets)."""
    return _user_dir("config", platformdirs.user_config_dir)


def cache_dir() -> Path:
    """Per-user cache folder."""
    return _user_dir("cache", platformdirs.user_cache_dir)


def log_dir() -> Path:
    """Per-user log folder."""
    return _user_dir("log", platformdirs.user_log_dir)


def resources_dir() -> Path:
    """The studio's data files (prices, platforms, icons, demo data) as a folder.

    Installed (wheel or editable), they are the package ``studio.resources`` and found
    through importlib.resources; in a PyInstaller bundle they are under ``sys._MEIPASS``;
    ``STUDIO_RESOURCES`` overrides both. A source tree put on ``sys.path`` without an
    install has no ``studio.resources`` package, so the folder beside ``studio/`` is used.
    """
    frozen_base = getattr(sys, "_MEIPASS", None)
    if frozen_base:
        return Path(frozen_base) / "resources"
    env = os.environ.get("STUDIO_RESOURCES")
    if env:
        return Path(env)
    try:
        found = importlib.resources.files("studio.resources")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "resources"
    if isinstance(found, Path):
        return found
    # A zipped install: the files exist only as archive members; the studio needs real files.
    raise RuntimeError(f"studio.resources is not a folder on disk ({found}); install unzipped")


def demo_project_path() -> Path:
    """Path of the demo project file in the user data folder."""
    return data_dir() / "demo.studio"
