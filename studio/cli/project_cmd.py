"""``studio new FILE [--demo]``: create a project file (or a project on PostgreSQL)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from studio.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    eprint,
    print_json,
    project_location,
)


def register(sub: Any) -> None:
    """Add the ``new`` and ``project`` commands (a placeholder of either is replaced)."""
    _register_project(sub)
    if "new" in sub.choices:  # main.build_parser added a placeholder before this module
        return
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


def _register_project(sub: Any) -> None:
    if "project" in sub.choices:
        return
    p = sub.add_parser(
        "project",
        help="whole-project operations: copy between a file and PostgreSQL",
        description="Whole-project operations.",
    )
    psub = p.add_subparsers(dest="project_command", metavar="SUBCOMMAND", required=True)
    c = psub.add_parser(
        "copy",
        help="copy a project (file or postgresql://…) into a new one, verified",
        description=(
            "Copy every table of SRC into the new project DST (a .studio file or "
            "postgresql://user@host:port/db), ids kept, then verify row counts and "
            "per-table SHA-256 checksums. DST must not exist (or be an empty database)."
        ),
    )
    c.add_argument("src", type=project_location, help="the project to copy")
    c.add_argument("dst", type=project_location, help="the new project")
    c.add_argument("--json", action="store_true", help="print the report as JSON")
    c.set_defaults(func=_copy)


def _copy(args: argparse.Namespace) -> int:
    from studio.core.db.copy import copy_project

    report = copy_project(args.src, args.dst)
    if args.json:
        print_json(report.as_json())
    else:
        print(f"Copied {report.source} -> {report.dest}")
        width = max((len(t.table) for t in report.tables), default=5)
        print(f"{'table':<{width}}  {'rows':>7}  {'sha256 (source = copy)':<64}")
        for t in report.tables:
            mark = "ok" if t.ok else f"DIFFERS (copy {t.dest_rows} rows, {t.dest_sha256})"
            print(f"{t.table:<{width}}  {t.source_rows:>7}  {t.source_sha256}  {mark}")
        print(f"{report.total_rows} rows in {len(report.tables)} tables, all verified.")
    if not report.ok:  # pragma: no cover - copy_project raises first
        eprint("The copy differs from the source.")
        return EXIT_BAD_INPUT
    return EXIT_OK
