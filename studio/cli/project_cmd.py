"""``studio new FILE [--demo]``: create a project file (or a project on PostgreSQL)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from studio.cli.common import EXIT_OK, project_location


def register(sub: Any) -> None:
    """Add the ``new`` command."""
    p = sub.add_parser("new", help="create a new project file")
    p.add_argument(
        "file",
        type=project_location,
        help="path of the new .studio file, or postgresql://user@host:port/db",
    )
    p.add_argument("--demo", action="store_true", help="fill it with the demo content")
    p.set_defaults(func=_new)


def _new(args: argparse.Namespace) -> int:
    from studio.core.db.project import new_project

    path: Path | str = args.file
    if isinstance(path, Path) and path.suffix != ".studio":
        path = path.with_name(path.name + ".studio") if not path.suffix else path
    project = new_project(path)
    try:
        if args.demo:
            from studio.core.demo import fill_demo_project

            fill_demo_project(project)
    finally:
        project.close()
    print(f"Created {path}")
    return EXIT_OK
