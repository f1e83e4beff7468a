"""``studio prompt ...``: the prompt registry from the command line.

list, save, log, diff, label, labels, export, render, restore. Every command opens the
project named by ``--project``, does one thing in one transaction and closes it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from studio.cli.common import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    CliUsageError,
    add_force_arg,
    add_project_arg,
    eprint,
    open_project_arg,
    print_json,
)


def register(sub: Any) -> None:
    """Add the ``prompt`` command group."""
    p = sub.add_parser("prompt", help="versioned prompts: save, log, diff, label, export")
    psub = p.add_subparsers(dest="prompt_command", metavar="SUBCOMMAND", parser_class=type(p))
    p.set_defaults(func=lambda _a: _missing_subcommand(p))

    def add(
        name: str, help_text: str, func: Callable[[argparse.Namespace], int]
    ) -> argparse.ArgumentParser:
        sp: argparse.ArgumentParser = psub.add_parser(name, help=help_text, description=help_text)
        add_project_arg(sp)
        sp.set_defaults(func=func)
        return sp

    sp = add("list", "list prompts with their latest version and labels", _list)
    sp.add_argument(
        "--search", metavar="TEXT", help="only prompts whose name or description contains TEXT"
    )
    sp.add_argument("--json", action="store_true", help="print JSON")

    sp = add("save", "save a prompt file as the next version of NAME", _save)
    sp.add_argument("name", metavar="NAME")
    sp.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="PROMPT.json|yaml",
        type=Path,
        help="prompt file to save",
    )
    sp.add_argument("--message", "-m", default="", metavar="TEXT", help="commit message")
    sp.add_argument("--author", metavar="NAME", help="author (default: your login name)")

    sp = add("log", "list the versions of NAME, newest first", _log)
    sp.add_argument("name", metavar="NAME")
    sp.add_argument("--json", action="store_true", help="print JSON")

    sp = add("diff", "show what changed from V1 to V2 (numbers or labels)", _diff)
    sp.add_argument("name", metavar="NAME")
    sp.add_argument("v1", metavar="V1")
    sp.add_argument("v2", metavar="V2")
    sp.add_argument(
        "--exit-code",
        action="store_true",
        help="exit 1 when the versions differ (like git diff --exit-code)",
    )

    sp = add("label", "point LABEL at VERSION of NAME (the move is recorded)", _label)
    sp.add_argument("name", metavar="NAME")
    sp.add_argument("version", metavar="VERSION", help="version number, label or latest")
    sp.add_argument("label", metavar="LABEL")
    sp.add_argument("--actor", metavar="NAME", help="who moves it (default: your login name)")

    sp = add("labels", "show the labels of NAME and every move", _labels)
    sp.add_argument("name", metavar="NAME")
    sp.add_argument("--json", action="store_true", help="print JSON")

    sp = add("export", "write a version as a JSON or YAML prompt file", _export)
    sp.add_argument("ref", metavar="NAME[@VERSION|@LABEL]")
    sp.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        type=Path,
        help="file to write (.json, .yaml or .yml); default: JSON to stdout",
    )
    sp.add_argument("--format", choices=("json", "yaml"), help="format on stdout (default json)")
    add_force_arg(sp)

    sp = add("render", "fill the variables of a version and print the messages", _render)
    sp.add_argument("ref", metavar="NAME[@VERSION|@LABEL]")
    sp.add_argument(
        "--var", action="append", default=[], metavar="KEY=VALUE", help="a variable value (repeat)"
    )
    sp.add_argument(
        "--vars",
        dest="vars_file",
        metavar="FILE.json",
        type=Path,
        help="a JSON object of variable values",
    )
    sp.add_argument("--json", action="store_true", help="print the messages as JSON")

    sp = add("restore", "save an old version's content as the newest version", _restore)
    sp.add_argument("name", metavar="NAME")
    sp.add_argument("version", metavar="VERSION", help="version number or label")
    sp.add_argument("--message", "-m", metavar="TEXT", help="commit message")
    sp.add_argument("--author", metavar="NAME", help="author (default: your login name)")


def _missing_subcommand(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    raise CliUsageError("name a prompt subcommand (list, save, log, diff, label, export, ...).")


def _iso(ts: Any) -> str:
    return str(ts.isoformat(timespec="seconds"))


# -- commands -------------------------------------------------------------------------


def _list(args: argparse.Namespace) -> int:
    from studio.core.prompts.service import list_prompts

    with open_project_arg(args.project) as project:
        rows = list_prompts(project, args.search)
    if args.json:
        print_json(
            [
                {
                    "name": r.name,
                    "description": r.description,
                    "latest_version": r.latest_version,
                    "labels": r.labels,
                    "updated_at": _iso(r.updated_at),
                    "variables": list(r.variables),
                }
                for r in rows
            ]
        )
        return EXIT_OK
    if not rows:
        print("No prompts." if not args.search else f"No prompts match {args.search!r}.")
        return EXIT_OK
    width = max(len(r.name) for r in rows)
    for r in rows:
        labels = ", ".join(f"{k}→v{v}" for k, v in r.labels.items())
        latest = f"v{r.latest_version}" if r.latest_version else "(no versions)"
        line = f"{r.name:<{width}}  {latest:<5}  {_iso(r.updated_at)}"
        if labels:
            line += f"  [{labels}]"
        print(line)
    return EXIT_OK


def _save(args: argparse.Namespace) -> int:
    from studio.core.prompts.files import load_prompt_file
    from studio.core.prompts.service import save_version

    file_name, description, spec = load_prompt_file(args.source)
    if file_name != args.name:
        eprint(
            f"studio: note: {args.source} names the prompt `{file_name}`; saving it as "
            f"`{args.name}`."
        )
    with open_project_arg(args.project) as project:
        result = save_version(
            project, args.name, spec, args.message, author=args.author, description=description
        )
    for w in result.warnings:
        eprint(f"studio: warning: {w}")
    if result.created:
        print(f"Saved {args.name} version {result.version}.")
    else:
        print(
            f"Nothing changed: {args.name} version {result.latest_version} already has "
            "this content; no version was created."
        )
    return EXIT_OK


def _log(args: argparse.Namespace) -> int:
    from studio.core.prompts.service import log

    with open_project_arg(args.project) as project:
        rows = log(project, args.name)
    if args.json:
        print_json(
            [
                {
                    "version": r.version,
                    "created_at": _iso(r.created_at),
                    "message": r.message,
                    "labels": list(r.labels),
                    "hash": r.hash,
                }
                for r in rows
            ]
        )
        return EXIT_OK
    if not rows:
        print(f"{args.name} has no versions yet.")
    for r in rows:
        labels = f" [{', '.join(r.labels)}]" if r.labels else ""
        restored = f" (restored from v{r.restored_from})" if r.restored_from else ""
        print(
            f"v{r.version}{labels}  {_iso(r.created_at)}  {r.author or '?'}  "
            f"{r.hash[:12]}{restored}"
        )
        if r.message:
            for line in r.message.splitlines():
                print(f"    {line}")
    return EXIT_OK


def _diff(args: argparse.Namespace) -> int:
    from studio.core.prompts.service import diff

    with open_project_arg(args.project) as project:
        result = diff(project, args.name, args.v1, args.v2)
    print(f"{args.name}: {args.v1} → {args.v2}")
    print(result.to_text())
    return EXIT_CHECK_FAILED if args.exit_code and not result.is_empty else EXIT_OK


def _label(args: argparse.Namespace) -> int:
    from studio.core.prompts.service import set_label

    with open_project_arg(args.project) as project:
        move = set_label(project, args.name, args.label, args.version, actor=args.actor)
    if move is None:
        print(f"{args.label} of {args.name} already points at that version; nothing moved.")
    elif move.from_version is None:
        print(f"Labelled {args.name} version {move.to_version} as {args.label}.")
    else:
        print(
            f"Moved {args.label} of {args.name} from version {move.from_version} to "
            f"version {move.to_version}."
        )
    return EXIT_OK


def _labels(args: argparse.Namespace) -> int:
    from studio.core.prompts.service import label_history, labels

    with open_project_arg(args.project) as project:
        current = labels(project, args.name)
        moves = label_history(project, args.name)
    if args.json:
        print_json(
            {
                "labels": current,
                "history": [
                    {
                        "label": m.label,
                        "from_version": m.from_version,
                        "to_version": m.to_version,
                        "actor": m.actor,
                        "at": _iso(m.at),
                    }
                    for m in moves
                ],
            }
        )
        return EXIT_OK
    if current:
        for label, version in current.items():
            print(f"{label} → v{version}")
    else:
        print(f"{args.name} has no labels.")
    if moves:
        print("History (newest first):")
        for m in moves:
            src = f"v{m.from_version}" if m.from_version is not None else "(none)"
            dst = f"v{m.to_version}" if m.to_version is not None else "(removed)"
            print(f"  {_iso(m.at)}  {m.actor or '?'}  {m.label}: {src} → {dst}")
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    from studio.core.prompts.files import export_prompt_file, format_for_path, write_prompt_file
    from studio.core.prompts.service import resolve_ref

    if args.output is not None:
        fmt = format_for_path(args.output)
        if args.format and args.format != fmt:
            raise CliUsageError(f"--format {args.format} does not match {args.output}.")
        from studio.core.output_paths import check_output_file

        check_output_file(args.output, project=args.project, force=args.force)
    with open_project_arg(args.project) as project:
        v = resolve_ref(project, args.ref)
    if args.output is None:
        sys.stdout.write(export_prompt_file(v.name, v.description, v.spec, args.format or "json"))
    else:
        write_prompt_file(args.output, v.name, v.description, v.spec)
        print(f"Wrote {v.name} version {v.version} to {args.output}.", file=sys.stderr)
    return EXIT_OK


def _parse_vars(args: argparse.Namespace) -> dict[str, Any]:
    from studio.core.errors import UserError

    values: dict[str, Any] = {}
    if args.vars_file is not None:
        from studio.core.json_depth import check_text_depth

        try:
            text = args.vars_file.read_text(encoding="utf-8")
            check_text_depth(text, str(args.vars_file))
            data = json.loads(text)
        except OSError as exc:
            raise UserError(
                f"{args.vars_file} cannot be read: {exc.strerror or exc}.",
                where=str(args.vars_file),
            ) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise UserError(
                f"{args.vars_file} is not valid JSON ({exc}).", where=str(args.vars_file)
            ) from None
        if not isinstance(data, dict):
            raise UserError(
                f"{args.vars_file} must hold a JSON object of variable values.",
                where=str(args.vars_file),
            )
        values.update(data)
    for item in args.var:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CliUsageError(f"--var {item!r}: write --var NAME=VALUE.")
        values[key] = value
    return values


def _render(args: argparse.Namespace) -> int:
    from studio.core.prompts.render import render
    from studio.core.prompts.service import resolve_ref

    values = _parse_vars(args)
    with open_project_arg(args.project) as project:
        v = resolve_ref(project, args.ref)
    result = render(v.spec, values)
    for w in result.warnings:
        eprint(f"studio: warning: {w}")
    if args.json:
        print_json(result.messages)
    else:
        for i, m in enumerate(result.messages):
            if i:
                print()
            print(f"--- {m['role']} ---")
            print(m["content"])
    return EXIT_OK


def _restore(args: argparse.Namespace) -> int:
    from studio.core.prompts.service import restore_version

    with open_project_arg(args.project) as project:
        result = restore_version(
            project, args.name, args.version, actor=args.author, message=args.message
        )
    if result.created:
        print(f"Restored {args.name} version {args.version} as version {result.version}.")
    else:
        print(
            f"Nothing changed: version {args.version} of {args.name} already is the latest "
            f"content (version {result.latest_version})."
        )
    return EXIT_OK
