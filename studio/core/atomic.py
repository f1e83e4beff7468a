"""Atomic file writes: a temporary file beside the target, fsynced, then renamed over it.

Readers of the target (another process, a crash-interrupted run) therefore see either the
old file or the complete new one, never half a file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

from studio.core.errors import UserError
from studio.core.redact import redact_bytes

_DEFAULT_FILE_MODE = 0o666  # what open() asks for; the umask takes its bits away


def current_umask() -> int:
    """The process umask, read without changing it where the system allows.

    Linux reports it in ``/proc/self/status``; elsewhere it is read by setting and
    restoring it (a brief window in which another thread creating a file would get 0o077).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def _target_mode(path: Path) -> int:
    """Permission bits for the file written at ``path``.

    An existing file keeps its bits (as an editor's save would); a new file gets what
    a plain ``open(path, "w")`` gives it: 0o666 less the umask. ``mkstemp`` alone would
    leave every written file readable by its owner only (0o600).
    """
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return _DEFAULT_FILE_MODE & ~current_umask()


def write_error(path: Path, exc: OSError) -> UserError:
    """The user-facing error for an OSError while writing ``path``."""
    reason = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
    return UserError(f"Cannot write {path}: {reason}.", where=str(path))


@contextlib.contextmanager
def atomic_open(path: str | Path) -> Iterator[BinaryIO]:
    """Open a binary temporary file that replaces ``path`` when the block ends cleanly.

    The written file honours the umask (a new file) or keeps the replaced file's
    permission bits. On a clean exit the data is flushed, fsynced and renamed over ``path`` with
    :func:`os.replace`; on any exception the temporary file is removed and ``path`` is left
    as it was.

    Raises:
        UserError: an OSError while creating, writing or renaming (missing folder, no
            permission, full disk ...). Other exceptions propagate unchanged.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise write_error(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            if hasattr(os, "fchmod"):
                os.fchmod(fh.fileno(), _target_mode(path))
            yield cast(BinaryIO, _RedactingWriter(fh))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise write_error(path, exc) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_open`)."""
    with atomic_open(path) as fh:
        fh.write(data)


class _RedactingWriter:
    """The file :func:`atomic_open` yields: every write has the studio's keys masked.

    Every file the studio writes for the user (exports, reports, prompt files, settings)
    goes through :func:`atomic_open`, so this is the one place where a key that reached
    the data (a server echoing it back) is kept out of files. Writers write whole lines
    or documents, and a key never spans a line, so chunk-wise masking finds every copy.
    """

    def __init__(self, inner: BinaryIO) -> None:
        self._inner = inner

    def write(self, data: bytes) -> int:
        self._inner.write(redact_bytes(bytes(data)))
        return len(data)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
