"""``db @ host``: the short name of a server project, with the standard library only.

The app shows it in the window title, Open Recent and the welcome page; the welcome page
is filled at start-up, so this must not import SQLAlchemy (see
:mod:`studio.core.db.server` for the full parse).
"""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_PORT = 5432


def server_label(location: str) -> str:
    """``db @ host`` (``db @ host:port`` off the default port); the text itself if unreadable."""
    try:
        parts = urlsplit(location.strip())
        host = parts.hostname or "localhost"
        port = parts.port
    except ValueError:
        return location
    database = parts.path.lstrip("/")
    if not database:
        return location
    shown_host = host if port in (None, DEFAULT_PORT) else f"{host}:{port}"
    return f"{database} @ {shown_host}"
