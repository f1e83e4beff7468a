"""The demo project a newcomer opens with ``studio --demo``.

Each area adds its part (prompts, a dataset, later runs and a report) through its own
``add_demo_*`` function; :func:`fill_demo_project` calls those that exist in this build,
so the demo grows as areas land. The demo file is built under a temporary name and
renamed into place, so an interrupted first start never leaves a half-filled demo.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import logging
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from studio.core import paths
from studio.core.db.project import Project, new_project, open_project

log = logging.getLogger(__name__)

# (module, function) of every part of the demo, in the order they are added
DEMO_PARTS: tuple[tuple[str, str], ...] = (
    ("studio.core.demo.prompts", "add_demo_prompts"),
    ("studio.core.demo.dataset", "add_demo_dataset"),
    ("studio.core.demo.run", "add_demo_run"),
    ("studio.core.demo.distil", "add_demo_distil"),
    ("studio.core.demo.student", "add_demo_student"),
    ("studio.core.demo.decision", "add_demo_decision"),
)


def _available_part(module_name: str, func_name: str) -> Callable[[Project], Any] | None:
    # A real module check (not a blanket ImportError catch) so that a bug inside an
    # existing demo module still surfaces instead of silently shrinking the demo.
    if importlib.util.find_spec(module_name) is None:
        return None
    module = importlib.import_module(module_name)
    func = getattr(module, func_name, None)
    return func if callable(func) else None


def fill_demo_project(project: Project) -> list[str]:
    """Add every available demo part to ``project``; return the names of those added."""
    added: list[str] = []
    for module_name, func_name in DEMO_PARTS:
        func = _available_part(module_name, func_name)
        if func is None:
            log.info("demo part %s.%s is not in this build", module_name, func_name)
            continue
        func(project)
        added.append(func_name)
    return added


def _settle(path: Path) -> None:
    # Fold the WAL into the main file and leave rollback-journal mode so that the
    # single file can be renamed without its -wal/-shm companions.
    with contextlib.closing(sqlite3.connect(str(path))) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(str(path) + suffix).unlink()


def create_demo_project(path: Path) -> None:
    """Build a complete demo project at ``path`` (replacing what is there).

    Its dataset operations are recorded as the current user (the one who builds the
    demo on their machine), so the example operations in its history are theirs to
    undo with Ctrl+Z or ``studio dataset undo`` (undo is personal:
    :mod:`studio.core.datasets.operations`).
    """
    building = path.with_name(path.name + ".building")
    for p in (building, Path(str(building) + "-wal"), Path(str(building) + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
    project = new_project(building, overwrite=True)
    try:
        fill_demo_project(project)
    except BaseException:
        project.close()
        with contextlib.suppress(OSError):
            building.unlink()
        raise
    project.close()
    _settle(building)
    os.replace(building, path)


def open_or_create_demo_project(path: Path | None = None) -> Project:
    """Open the demo project (in the user data folder by default), creating it if needed."""
    path = path or paths.demo_project_path()
    if not path.exists():
        create_demo_project(path)
    return open_project(path)
