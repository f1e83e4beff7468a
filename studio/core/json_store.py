"""Reading the studio's small JSON stores (``settings.json``, ``providers.json``)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def read_json_object(path: Path, what: str = "settings") -> dict[str, Any] | None:
    """The JSON object in ``path``, or None when it is missing, unreadable or not an object.

    A damaged file is logged (``what`` names it) and treated as absent rather than
    stopping the app.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError) as exc:
        log.warning("ignoring unreadable %s file %s: %s", what, path, exc)
        return None
    if not isinstance(raw, dict):
        log.warning("ignoring %s file %s: not a JSON object", what, path)
        return None
    return raw
