"""Liveness of each process executing a run together with others (ISSUE-14 §4).

A run may be executed by several processes at once (``studio runs resume RUN --join``),
on one machine (a project file) or several (a PostgreSQL project). Each holds a *worker
lock* of its own for as long as it executes, named by a random token that its case
claims carry (:mod:`.run_claims`): when the lock is gone the worker is dead and its
unfinished claims are taken over. The same liveness idea as the run lock
(:mod:`.run_lock`), per worker:

* project file: an exclusive ``flock`` on ``.<project>.run-<id>.w-<token>.lock`` beside
  the project, dropped by the kernel when the process dies;
* PostgreSQL: a session-level advisory lock ``(WORKER_CLASS, token)`` held on a
  connection of its own, dropped by the server when the session ends; the session's
  ``application_name`` names the run and the owner as the run lock's does.

A run is alive while its run lock *or* any of its worker locks is held
(:func:`probe_workers`, used by :func:`.run_lock.probe_run`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING

import orjson
from sqlalchemy import text

from studio.core.db import advisory
from studio.core.db.advisory import AdvisoryLock
from studio.core.db.transactions import db_errors, read_conn
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

# classid of the worker locks' advisory keys: 'STUW' as a big-endian int (fits an int4)
WORKER_CLASS = 0x53545557


def worker_path(project_path: Path, run_id: int, token: str) -> Path:
    """The lock file of worker ``token`` of run ``run_id``: hidden, beside the project."""
    return project_path.with_name(f".{project_path.name}.run-{int(run_id)}.w-{token}.lock")


def _worker_files(project_path: Path, run_id: int) -> list[tuple[str, Path]]:
    prefix = f".{project_path.name}.run-{int(run_id)}.w-"
    out = []
    for path in project_path.parent.glob(f"{prefix}*.lock"):
        out.append((path.name[len(prefix) : -len(".lock")], path))
    return out


class WorkerLock:
    """This process's worker lock on one run; :meth:`release` it (or use ``with``)."""

    def __init__(
        self, token: str, path: Path | None, fh: IO[bytes] | None, lock: AdvisoryLock | None
    ) -> None:
        self.token = token
        self._path = path
        self._fh = fh
        self._lock = lock

    def release(self) -> None:
        """Drop the lock (idempotent); the file is unlinked while still held."""
        fh, self._fh = self._fh, None
        if fh is not None:
            with contextlib.suppress(OSError):
                if self._path is not None:
                    self._path.unlink()
            with contextlib.suppress(OSError):
                unlock(fh)
            fh.close()
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()

    def __enter__(self) -> WorkerLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def acquire_worker_lock(project: Project, run_id: int) -> WorkerLock:
    """Take a new worker lock on run ``run_id`` for this process.

    Raises:
        UserError: the lock file cannot be written, or the server refuses.
    """
    if project.is_server:
        for _ in range(8):
            key = secrets.randbelow(2**31 - 2) + 1
            with db_errors(project):
                lock = advisory.try_lock(project.engine, WORKER_CLASS, key, owner_name(run_id))
            if lock is not None:
                return WorkerLock(str(key), None, None, lock)
        raise UserError(f"Could not take a worker lock on run {run_id}.", where=f"run {run_id}")
    for _ in range(3):
        token = secrets.token_hex(6)
        path = worker_path(project.path, run_id, token)
        try:
            fh = open(path, "a+b")  # noqa: SIM115 - held for the worker's lifetime
        except OSError as exc:
            raise UserError(
                f"Could not create the run's worker lock file {path}: {exc.strerror or exc}.",
                where=str(path),
            ) from exc
        if not try_lock(fh):  # a prober cleaning stale files holds it for microseconds
            fh.close()
            continue
        try:
            same = os.path.samestat(os.fstat(fh.fileno()), os.stat(path))
        except OSError:
            same = False
        if not same:  # a prober took it for a dead worker's file and unlinked it
            unlock(fh)
            fh.close()
            continue
        fh.write(
            orjson.dumps(
                {
                    "run_id": int(run_id),
                    "worker": token,
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                }
            )
        )
        fh.flush()
        return WorkerLock(token, path, fh, None)
    raise UserError(f"Could not lock a worker file of run {run_id}.", where=f"run {run_id}")


def _file_alive(path: Path, *, clean: bool) -> tuple[bool, LockOwner | None]:
    """Whether ``path`` is locked by a live worker; ``clean`` unlinks a dead one's file."""
    try:
        fh = open(path, "r+b")  # noqa: SIM115 - closed below
    except OSError:
        return False, None
    with fh:
        owner = read_owner(fh)
        if not try_lock(fh):
            return True, owner
        if clean:
            with contextlib.suppress(OSError):
                path.unlink()
        unlock(fh)
        return False, owner


def _server_workers(project: Project) -> list[tuple[str, str | None]]:
    """``(token, application_name)`` of every live worker lock in the database."""
    with read_conn(project) as conn:
        rows = conn.execute(
            text(
                "SELECT l.objid, a.application_name FROM pg_locks l "
                "LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :c "
                "AND l.objsubid = 2 AND l.database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"c": WORKER_CLASS},
        ).all()
    return [(str(int(r[0])), r[1]) for r in rows]


def live_workers(project: Project, run_id: int, tokens: Iterable[str]) -> set[str]:
    """The tokens among ``tokens`` whose worker still holds its lock."""
    wanted = set(tokens)
    if not wanted:
        return set()
    if project.is_server:
        return {tok for tok, _name in _server_workers(project) if tok in wanted}
    return {
        tok for tok in wanted if _file_alive(worker_path(project.path, run_id, tok), clean=False)[0]
    }


def probe_workers(
    project: Project, run_id: int, *, exclude: str | None = None
) -> tuple[bool, LockOwner | None]:
    """``(alive, owner)`` over run ``run_id``'s worker locks (other than ``exclude``).

    On a project file the files of dead workers are removed on the way.
    """
    if project.is_server:
        prefix = f"studio run {int(run_id)} pid "
        for tok, name in _server_workers(project):
            if tok != exclude and (name or "").startswith(prefix):
                return True, parse_owner(name)
        return False, None
    return probe_worker_files(project.path, run_id, exclude=exclude)


def probe_worker_files(
    project_path: Path, run_id: int, *, exclude: str | None = None
) -> tuple[bool, LockOwner | None]:
    """:func:`probe_workers` for a project file given by its path."""
    for tok, path in _worker_files(project_path, run_id):
        if tok == exclude:
            continue
        alive, owner = _file_alive(path, clean=True)
        if alive:
            return True, owner
    return False, None
