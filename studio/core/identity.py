"""Who is making changes: the display name a user configured for history and queues.

Kept in ``identity.json`` in the per-user settings folder (:func:`studio.core.paths.config_dir`),
never in a project: a project is shared by a team, a display name belongs to one person
on one machine. :func:`studio.core.db.project.current_user` reads it; setting it is
:func:`studio.core.display_name.set_display_name` (apart, so the database layer that
reads the name imports no file-writing code: the layers in pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

from studio.core.json_store import read_json_object
from studio.core.paths import config_dir

IDENTITY_FILE = "identity.json"
MAX_NAME = 200  # the width of the actor/labeller columns


def identity_path() -> Path:
    """Where the display name is kept."""
    return config_dir() / IDENTITY_FILE


def configured_display_name() -> str | None:
    """The configured display name, or None when none is set (or the file is unreadable)."""
    data = read_json_object(identity_path(), "identity")
    name = data.get("display_name") if data else None
    return name.strip() if isinstance(name, str) and name.strip() else None
