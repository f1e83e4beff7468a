"""Output paths that never destroy inputs (ISSUE-10 §6).

Every place that writes a file or a folder the user named (``-o/--output`` on the command
line, a save dialog in the app) checks the target here first:

* it must not be the open project file (or its SQLite side files), nor any input of the
  same command: writing there would destroy what the command reads;
* an existing file, or a folder that already holds files, is replaced only when the user
  said so (``--force`` on the command line; the app asks).

The checks compare resolved paths and, for files that exist, the file identity
(:func:`os.path.samefile`), so a symlink or hard link to an input is refused as well.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from studio.core.errors import UserError

# SQLite keeps these beside a database in WAL or rollback-journal mode
_SQLITE_SIDE_SUFFIXES = ("-wal", "-shm", "-journal")


class OutputPathError(UserError):
    """An output path that would destroy an input or replace a file without consent.

    Attributes:
        reason: ``"project"``, ``"input"``, ``"exists"``, ``"not_empty"`` or ``"kind"``;
            the app asks the user for ``"exists"`` and ``"not_empty"`` and refuses the
            others.
    """

    def __init__(self, message: str, *, reason: str, where: str | None = None) -> None:
        super().__init__(message, where=where)
        self.reason = reason


def _same(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve(strict=False) == b.resolve(strict=False)


def _project_file(project: Path | str | None) -> Path | None:
    """The project's file; None for none or a server project (``postgresql://…``)."""
    if not project or "://" in str(project):
        return None
    return Path(project)


def _protected(project: Path | None, inputs: Iterable[Path | str | None]) -> list[tuple[Path, str]]:
    out: list[tuple[Path, str]] = []
    if project is not None:
        out.append((project, "project"))
        out.extend((project.with_name(project.name + s), "project") for s in _SQLITE_SIDE_SUFFIXES)
    out.extend((Path(p), "input") for p in inputs if p is not None)
    return out


def _refuse_protected(target: Path, protected: list[tuple[Path, str]], flag: str) -> None:
    for path, kind in protected:
        if _same(target, path):
            if kind == "project":
                msg = (
                    f"{flag} {target} is the project file; writing there would destroy "
                    "the project. Choose another name."
                )
            else:
                msg = (
                    f"{flag} {target} is an input of this command ({path}); writing there "
                    "would destroy it. Choose another name."
                )
            raise OutputPathError(msg, reason=kind, where=str(target))


def check_output_file(
    path: Path | str,
    *,
    project: Path | str | None = None,
    inputs: Iterable[Path | str | None] = (),
    force: bool = False,
    flag: str = "-o/--output",
) -> Path:
    """Check that ``path`` may be written as one output file; returns it as a Path.

    Args:
        path: the file the command will write.
        project: the open project file (never writable as an output, even with ``force``).
        inputs: the files the same command reads (never writable, even with ``force``).
        force: the user agreed to replace an existing file.
        flag: how the option is named in messages.

    Raises:
        OutputPathError: the path is the project, an input, a folder, or an existing file
            without ``force``.
    """
    target = Path(path)
    _refuse_protected(target, _protected(_project_file(project), inputs), flag)
    if target.is_dir():
        raise OutputPathError(
            f"{flag} {target} is a folder; name a file.", reason="kind", where=str(target)
        )
    if target.exists() and not force:
        raise OutputPathError(
            f"{flag} {target} already exists; pass --force to replace it.",
            reason="exists",
            where=str(target),
        )
    return target


# Its keyword parameters repeat check_output_file's (duplicates report): the two checks a command
# asks for; the shared checks are already _protected and _refuse_protected.
def check_output_dir(
    path: Path | str,
    *,
    writes: Iterable[str] = (),
    project: Path | str | None = None,
    inputs: Iterable[Path | str | None] = (),
    force: bool = False,
    flag: str = "-o/--output",
) -> Path:
    """Check that ``path`` may be used as an output folder; returns it as a Path.

    Args:
        path: the folder the command writes into (created later if missing).
        writes: names of the files the command writes into the folder; none of them may
            be the project or an input, even with ``force``.
        project: the open project file.
        inputs: the files the same command reads.
        force: the user agreed to write into a folder that already holds files.
        flag: how the option is named in messages.

    Raises:
        OutputPathError: the path is a file, the folder holds files without ``force``,
            or a file written there would be the project or an input.
    """
    target = Path(path)
    protected = _protected(_project_file(project), inputs)
    _refuse_protected(target, protected, flag)
    for name in writes:
        _refuse_protected(target / name, protected, flag)
    if target.exists() and not target.is_dir():
        raise OutputPathError(
            f"{flag} {target} is a file; name a folder.", reason="kind", where=str(target)
        )
    if target.is_dir() and not force:
        try:
            non_empty = any(True for _ in target.iterdir())
        except OSError as exc:
            raise UserError(
                f"Cannot read the folder {target}: {exc.strerror or exc}.", where=str(target)
            ) from None
        if non_empty:
            raise OutputPathError(
                f"{flag} {target} is a folder that already holds files; pass --force to "
                "write into it anyway (files of the same name are replaced).",
                reason="not_empty",
                where=str(target),
            )
    return target
