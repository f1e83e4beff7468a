"""Logging in to a server project from the app: a connection check and typed passwords.

The app's Open Server Project dialog (ISSUE-14 §1) builds a location from its fields,
tests it before opening and may be given a password. This module holds the part that
is not Qt:

* :func:`build_location`: the ``postgresql://user@host:port/db[?sslmode=…]`` text of
  the fields (never with a password);
* :func:`check_connection`: connect and say in one sentence what is there — a studio
  project, or why not (unreachable, login refused, no such database, not a project);
* :func:`use_password`: a password typed in the dialog, kept in this process's memory
  for that login (:func:`studio.core.db.server.keyring_password` reads it first), and
  stored in the OS keyring under the service the core reads when the user asks.

A password is never written to settings, the project or a log (it is registered with
:func:`studio.core.redact.remember_secret` so a message that echoes it is redacted).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from studio.core.db import server
from studio.core.db.location_label import SSL_MODES, location_from_fields
from studio.core.db.server import (
    KEYRING_SERVICE,
    describe_connect_error,
    inspect_server,
    make_server_engine,
    parse_location,
)
from studio.core.errors import ProjectFileError, UserError
from studio.core.redact import remember_secret

CheckKind = Literal[
    "ok", "empty", "not_studio", "unreachable", "auth", "no_database", "bad_location", "other"
]


@dataclass(frozen=True, slots=True)
class ConnectionCheck:
    """What :func:`check_connection` found.

    Attributes:
        kind: ``ok`` (a studio project), ``empty`` (an empty database: New can create a
            project there), ``not_studio``, ``unreachable``, ``auth``, ``no_database``,
            ``bad_location`` or ``other``.
        message: one sentence for the user.
    """

    kind: CheckKind
    message: str

    @property
    def ok(self) -> bool:
        """True when the location holds a studio project that can be opened."""
        return self.kind == "ok"


def build_location(host: str, port: int, database: str, user: str, sslmode: str = "prefer") -> str:
    """The location text of the dialog's fields (parsed, so it is a valid one).

    Raises:
        ProjectFileError: a field is missing or makes no valid location.
    """
    try:
        text = location_from_fields(host, port, database, user, sslmode)
    except ValueError as exc:
        raise ProjectFileError(str(exc)) from exc
    return parse_location(text).display


def _kind_of(exc: BaseException) -> CheckKind:
    low = str(getattr(exc, "orig", exc)).lower()
    if "authentication failed" in low or "no password supplied" in low:
        return "auth"
    if "role" in low and "does not exist" in low:
        return "auth"
    if "does not exist" in low and "database" in low:
        return "no_database"
    return "unreachable"


def check_connection(location_text: str) -> ConnectionCheck:
    """Connect to ``location_text`` and say what is there (never raises for a user error).

    Takes as long as the server needs to answer (libpq's connect timeout, 10 s by
    default): call it off the GUI thread.
    """
    from sqlalchemy.exc import DBAPIError

    try:
        location = parse_location(location_text)
    except UserError as exc:
        return ConnectionCheck("bad_location", exc.message)
    engine = make_server_engine(location)
    try:
        state = inspect_server(engine, location)
    except ProjectFileError as exc:
        cause = exc.__cause__
        kind = _kind_of(cause) if isinstance(cause, DBAPIError) else "other"
        return ConnectionCheck(kind, exc.message)
    except DBAPIError as exc:  # inspect_server maps these; kept as a safety net
        return ConnectionCheck(_kind_of(exc), describe_connect_error(exc, location))
    finally:
        engine.dispose()
    where = location.display
    if not state.tables:
        return ConnectionCheck(
            "empty",
            f"Connected to {where}: the database is empty, not a studio project yet "
            "(File ▸ New Server Project… creates one there).",
        )
    if not state.is_studio:
        return ConnectionCheck(
            "not_studio",
            f"Connected to {where}, but it is not a studio project (it holds "
            f"{len(state.tables)} other table{'s' if len(state.tables) != 1 else ''}).",
        )
    suffix = " (read-only for this user)" if state.read_only else ""
    return ConnectionCheck("ok", f"Connected: {where} is a studio project{suffix}.")


def use_password(location_text: str, password: str, *, remember: bool = False) -> None:
    """Use ``password`` for this login in this process; with ``remember``, keyring it too.

    An empty password forgets the one typed earlier (the keyring, PGPASSWORD and
    ``~/.pgpass`` apply again).

    Raises:
        UserError: ``remember`` was asked and the OS keyring cannot store it.
    """
    location = parse_location(location_text)
    key = location.keyring_key
    if not password:
        server.SESSION_PASSWORDS.pop(key, None)
        return
    remember_secret(password)
    server.SESSION_PASSWORDS[key] = password
    if not remember:
        return
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, key, password)
    except Exception as exc:  # no backend (headless), a locked keyring, a refusal
        raise UserError(
            f"The password was used but could not be stored in the keyring ({KEYRING_SERVICE}, "
            f"{key}): {type(exc).__name__}. It is kept until the app quits; set PGPASSWORD "
            "or add it to ~/.pgpass to keep it.",
            where=key,
        ) from exc


__all__ = [
    "SSL_MODES",
    "ConnectionCheck",
    "build_location",
    "check_connection",
    "use_password",
]
