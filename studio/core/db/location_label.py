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


SSL_MODES = ("disable", "prefer", "require", "verify-full")
"""The sslmode values the app offers; ``prefer`` is libpq's default (left out of the URL)."""

_NOT_IN_A_NAME = set("/@?:#&= ")


def location_from_fields(
    host: str, port: int, database: str, user: str, sslmode: str = "prefer"
) -> str:
    """``postgresql://user@host:port/db[?sslmode=…]`` from the app's fields (no password).

    Raises:
        ValueError: a field is empty or holds a character a location cannot (the message
            says which, for the user).
    """
    host, database, user = host.strip(), database.strip(), user.strip()
    for value, what in ((host, "host"), (database, "database"), (user, "user")):
        if not value:
            raise ValueError(f"Fill in the {what}.")
        bad = set(value) & (_NOT_IN_A_NAME - ({":"} if what == "host" else set()))
        if bad:
            raise ValueError(
                f"The {what} {value!r} holds {''.join(sorted(bad))!r}, which a location cannot."
            )
    if sslmode not in SSL_MODES:
        raise ValueError(f"The SSL mode must be one of {', '.join(SSL_MODES)}.")
    if not 1 <= int(port) <= 65535:
        raise ValueError(f"The port {port} is not between 1 and 65535.")
    netloc_host = f"[{host}]" if ":" in host else host
    text = f"postgresql://{user}@{netloc_host}:{int(port)}/{database}"
    return text + (f"?sslmode={sslmode}" if sslmode != "prefer" else "")


def fields_of_location(location: str) -> dict[str, str | int] | None:
    """The app's fields of a location (host, port, database, user, sslmode), None if unreadable."""
    from urllib.parse import parse_qs

    try:
        parts = urlsplit(location.strip())
        port = parts.port or DEFAULT_PORT
    except ValueError:
        return None
    database = parts.path.lstrip("/")
    if not parts.username or not database:
        return None
    sslmode = parse_qs(parts.query).get("sslmode", ["prefer"])[0]
    return {
        "host": parts.hostname or "localhost",
        "port": port,
        "database": database,
        "user": parts.username,
        "sslmode": sslmode if sslmode in SSL_MODES else "prefer",
    }
