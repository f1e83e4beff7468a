"""Who holds a run's lock, and the OS file-lock primitives the run and worker locks share.

Kept apart from :mod:`.run_lock` so that :mod:`.run_workers` (the locks of processes
that joined a run) and :mod:`.run_lock` (the run's own lock, whose liveness probe asks
the workers too) both build on it without importing each other.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import time
from dataclasses import dataclass
from typing import IO

import orjson


@dataclass(frozen=True, slots=True)
class LockOwner:
    """Who holds (or last held) a run's lock."""

    pid: int | None
    host: str
    started: str


def try_lock(fh: IO[bytes]) -> bool:
    """Take the exclusive lock without waiting; False when someone holds it."""
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (BlockingIOError, PermissionError):
        return False
    return True


def unlock(fh: IO[bytes]) -> None:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        with contextlib.suppress(OSError):
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def read_owner(fh: IO[bytes]) -> LockOwner | None:
    try:
        fh.seek(0)
        data = orjson.loads(fh.read(4096) or b"{}")
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    pid = data.get("pid")
    return LockOwner(
        pid if isinstance(pid, int) else None,
        str(data.get("host", "")),
        str(data.get("started", "")),
    )


def owner_name(run_id: int) -> str:
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    # application_name holds at most 63 bytes; the host is cut first
    return f"studio run {int(run_id)} pid {os.getpid()} {started} {socket.gethostname()}"[:63]


def parse_owner(name: str | None) -> LockOwner | None:
    parts = (name or "").split(" ")
    if len(parts) < 6 or parts[:2] != ["studio", "run"] or parts[3] != "pid":
        return None
    try:
        pid = int(parts[4])
    except ValueError:
        return None
    return LockOwner(pid, " ".join(parts[6:]), parts[5])
