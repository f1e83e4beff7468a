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
from typing import BinaryIO

from studio.core.errors import UserError


def write_error(path: Path, exc: OSError) -> UserError:
    """The user-facing error for an OSError while writing ``path``."""
    reason = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
    return UserError(f"Cannot write {path}: {reason}.", where=str(path))


@contextlib.contextmanager
def atomic_open(path: str | Path) -> Iterator[BinaryIO]:
    """Open a binary temporary file that replaces ``path`` when the block ends cleanly.

    On a clean exit the data is flushed, fsynced and renamed over ``path`` with
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
            yield fh
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
