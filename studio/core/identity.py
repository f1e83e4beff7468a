"""Who is making changes: the display name a user configured for history and queues.

Kept in ``identity.json`` in the per-user settings folder (:func:`studio.core.paths.config_dir`),
never in a project: a project is shared by a team, a display name belongs to one person
on one machine. :func:`studio.core.db.project.current_user` reads it.
"""

from __future__ import annotations

import json
from pathlib import Path

from studio.core.atomic import write_bytes_atomic
from studio.core.errors import ValidationError
from studio.core.json_store import read_json_object
from studio.core.paths import config_dir

IDENTITY_FILE = "identity.json"
MAX_NAME = 200  # the width of the actor/labeller columns


def _path() -> Path:
    return config_dir() / IDENTITY_FILE


def configured_display_name() -> str | None:
    """The configured display name, or None when none is set (or the file is unreadable)."""
    data = read_json_object(_path(), "identity")
    name = data.get("display_name") if data else None
    return name.strip() if isinstance(name, str) and name.strip() else None


def set_display_name(name: str | None) -> None:
    """Set (or with None/"" clear) the display name recorded as the author of changes.

    Raises:
        ValidationError: a name longer than 200 characters or with a line break.
    """
    name = (name or "").strip()
    if len(name) > MAX_NAME or "\n" in name or "\r" in name:
        raise ValidationError(
            f"A display name is one line of at most {MAX_NAME} characters.", where="display-name"
        )
    write_bytes_atomic(
        _path(), (json.dumps({"display_name": name or None}, indent=2) + "\n").encode()
    )
