"""Setting the display name changes are recorded under (read by :mod:`studio.core.identity`)."""

from __future__ import annotations

import json

from studio.core.atomic import write_bytes_atomic
from studio.core.errors import ValidationError
from studio.core.identity import MAX_NAME, identity_path


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
    data = json.dumps({"display_name": name or None}, indent=2) + "\n"
    write_bytes_atomic(identity_path(), data.encode())
