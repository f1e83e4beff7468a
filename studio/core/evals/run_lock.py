"""A run's liveness signal: an OS-locked file held by the process executing the run.

A run whose process died (kill -9, a crash, power loss) keeps the status ``running`` in
the project. Its age says nothing (a long run on a slow model is young for hours), so the
process executing a run holds an exclusive OS lock (``flock`` on POSIX, ``msvcrt.locking``
on Windows) on a small file beside the project for as long as it runs; the file names the
owner (pid, host, start time). The kernel drops the lock the moment the process dies, so:

* lock held by someone -> the run is alive (possibly in another process or thread);
* lock free (or no file) while the stored status is ``running`` -> **interrupted**.

``flock`` locks belong to the open file, not the process, so a check from the same
process (the GUI listing runs while its worker executes one) also sees the lock held.
The lock file is removed when the run ends normally.

A project on a PostgreSQL server has no file to put a lock beside, and its runs may be
executed from other machines: there the lock is a session-level advisory lock
(``pg_try_advisory_lock(STUD, run_id)``) held on a connection kept open for the run.
The server drops it when that session ends (the process died, the machine or the
network went away), so the same two rules hold; ``pg_locks`` and the session's
``application_name`` say who holds it.

Processes that join a run (``studio runs resume RUN --join``) hold worker locks instead
(:mod:`.run_workers`); :func:`probe_run` counts the run alive while any of them is held.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

import orjson

from studio.core.db import advisory
from studio.core.db.advisory import AdvisoryLock
from studio.core.db.transactions import db_errors
from studio.core.errors import UserError
from studio.core.evals.lock_owner import (
    LockOwner,
    owner_name,
    parse_owner,
    read_owner,
    try_lock,
    unlock,
)

if TYPE_CHECKING:
    from studio.core.db.project import Project

INTERRUPTED = "interrupted"


# classid of the run locks' advisory keys: 'STUD' as a big-endian int (fits an int4)
ADVISORY_CLASS = 0x53545544


def lock_path(project_path: Path, run_id: int) -> Path:
    """The lock file of ``run_id``: hidden, beside the project file."""
    return project_path.with_name(f".{project_path.name}.run-{int(run_id)}.lock")


def owner_text(owner: LockOwner | None) -> str:
    """``pid 123 on host x`` (or a plain phrase when unknown)."""
    if owner is None or owner.pid is None:
        return "another process"
    return f"pid {owner.pid} on {owner.host or 'this computer'}"


class RunLock:
    """The held lock of one run; release it with :meth:`release` (or ``with``)."""

    def __init__(self, path: Path, fh: IO[bytes]) -> None:
        self.path: Path | None = path
        self._fh: IO[bytes] | None = fh

    def release(self) -> None:
        """Remove the file and drop the lock (idempotent)."""
        fh, self._fh = self._fh, None
        if fh is None:
            return
        # Unlink first, while still holding the lock: a checker that opened the file
        # before the unlink sees it locked or, after, no file; the status it then reads
        # is already final (the caller stores it before releasing).
        with contextlib.suppress(OSError):
            if self.path is not None:
                self.path.unlink()
        with contextlib.suppress(OSError):
            unlock(fh)
        fh.close()

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class ServerRunLock(RunLock):
    """A run's advisory lock on PostgreSQL (:mod:`studio.core.db.advisory`)."""

    def __init__(self, lock: AdvisoryLock) -> None:
        self.path = None
        self._fh = None
        self._lock: AdvisoryLock | None = lock

    def release(self) -> None:
        """Unlock (idempotent)."""
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()


def _acquire_server_lock(project: Project, run_id: int) -> ServerRunLock:
    with db_errors(project):
        lock = advisory.try_lock(project.engine, ADVISORY_CLASS, int(run_id), owner_name(run_id))
    if lock is None:
        _alive, owner = _probe_server(project, run_id)
        raise UserError(
            f"Run {run_id} is being executed by {owner_text(owner)}; wait for it to end, "
            "stop it there first, or help finish it: "
            f"studio runs resume {run_id} --join.",
            where=f"run {run_id}",
        )
    return ServerRunLock(lock)


def _probe_server(project: Project, run_id: int) -> tuple[bool, LockOwner | None]:
    with db_errors(project):
        held, name = advisory.holder(project.engine, ADVISORY_CLASS, int(run_id))
    return held, parse_owner(name) if held else None


def acquire_run_lock(project: Project, run_id: int) -> RunLock:
    """Take run ``run_id``'s lock for this process.

    Raises:
        UserError: another live process (or thread) is executing the run, or the lock
            file cannot be written.
    """
    if project.is_server:
        return _acquire_server_lock(project, run_id)
    path = lock_path(project.path, run_id)
    for _ in range(3):
        try:
            fh = open(path, "a+b")  # noqa: SIM115 - held for the run's lifetime
        except OSError as exc:
            raise UserError(
                f"Could not create the run's lock file {path}: {exc.strerror or exc}.",
                where=str(path),
            ) from exc
        # A checker (probe_run) holds the lock for microseconds: try a few times.
        locked = try_lock(fh)
        for _wait in range(5):
            if locked:
                break
            time.sleep(0.02)
            locked = try_lock(fh)
        if not locked:
            owner = read_owner(fh)
            fh.close()
            raise UserError(
                f"Run {run_id} is being executed by {owner_text(owner)}; wait for it to end, "
                "stop it there first, or help finish it: "
                f"studio runs resume {run_id} --join.",
                where=f"run {run_id}",
            )
        # The previous holder may have unlinked the file between our open and our lock:
        # then we hold a lock on a nameless file; start again on the real path.
        try:
            same = os.path.samestat(os.fstat(fh.fileno()), os.stat(path))
        except OSError:
            same = False
        if not same:
            unlock(fh)
            fh.close()
            continue
        fh.seek(0)
        fh.truncate()
        fh.write(
            orjson.dumps(
                {
                    "run_id": int(run_id),
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                }
            )
        )
        fh.flush()
        return RunLock(path, fh)
    raise UserError(f"Could not lock run {run_id}: its lock file keeps changing.", where=str(path))


def run_is_alive(project: Project | Path, run_id: int) -> bool:
    """True when some live process holds run ``run_id``'s lock."""
    return probe_run(project, run_id)[0]


def probe_run(project: Project | Path, run_id: int) -> tuple[bool, LockOwner | None]:
    """``(alive, owner)``: whether the lock is held and who holds / last held it.

    ``project`` is the open project (either backend) or, for a file, its path.
    """
    alive, owner = _probe_main(project, run_id)
    if alive:
        return alive, owner
    # processes that joined it (studio runs resume --join) keep it alive too
    from studio.core.evals import run_workers

    if isinstance(project, Path):
        w_alive, w_owner = run_workers.probe_worker_files(project, run_id)
    else:
        w_alive, w_owner = run_workers.probe_workers(project, run_id)
    return (True, w_owner) if w_alive else (False, owner or w_owner)


def _probe_main(project: Project | Path, run_id: int) -> tuple[bool, LockOwner | None]:
    if not isinstance(project, Path):
        if project.is_server:
            return _probe_server(project, run_id)
        project = project.path
    path = lock_path(project, run_id)
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return False, None
    except OSError:
        return False, None
    with fh:
        owner = read_owner(fh)
        if sys.platform == "win32":  # pragma: no cover - msvcrt needs a writable handle
            try:
                wfh = open(path, "r+b")  # noqa: SIM115
            except OSError:
                return True, owner  # open for writing elsewhere: the owner holds it
            with wfh:
                if try_lock(wfh):
                    unlock(wfh)
                    return False, owner
                return True, owner
        if try_lock(fh):
            unlock(fh)
            return False, owner
        return True, owner


@contextlib.contextmanager
def held(project: Project, run_id: int) -> Iterator[RunLock]:
    """``with held(project, run_id):`` execute the run while holding its lock."""
    lock = acquire_run_lock(project, run_id)
    try:
        yield lock
    finally:
        lock.release()
