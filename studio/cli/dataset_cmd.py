"""``studio dataset import|list|stats|split``: datasets on the command line.

Curation (``rows``, ``show``, ``label``, ``status``, ``tag``, ``history``, ``undo``) lives in
:mod:`studio.cli.dataset_curate_cmd`; ``export`` in :mod:`studio.cli.export_cmd`.

Exit codes: 0 ok; 1 a check failed (``import --all-or-nothing`` with rejected rows);
2 bad input (unreadable file, missing column, fraction out of range, rows that cannot be
imported without ``--skip-bad-rows``), with a message naming the file, line or flag.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from studio.cli.common import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    CliUsageError,
    add_project_arg,
    eprint,
    fraction_type,
    opened_project,
    print_json,
)


def register(sub: Any) -> None:
    """Add the ``dataset`` command group."""
    p = sub.add_parser(
        "dataset",
        help="import, curate (rows, label, status, tag, undo), split and export datasets",
    )
    dsub = p.add_subparsers(dest="dataset_command", metavar="SUBCOMMAND")

    def no_subcommand(_args: argparse.Namespace) -> int:
        p.print_help(sys.stderr)
        return 2

    p.set_defaults(func=no_subcommand)

    imp = dsub.add_parser("import", help="import a CSV / JSONL / JSON file into a dataset")
    add_project_arg(imp)
    imp.add_argument("path", metavar="PATH", help="file to import")
    imp.add_argument("--name", required=True, help="dataset name (created if missing)")
    imp.add_argument(
        "--input-field",
        action="append",
        default=None,
        metavar="F",
        help="field that becomes an input variable (repeat for several; default: guessed)",
    )
    imp.add_argument("--output-field", metavar="F", help="field holding the ideal output")
    imp.add_argument("--label-field", metavar="F", help="field holding the label")
    imp.add_argument(
        "--task-type",
        choices=("classification", "extraction", "generation", "chat"),
        help="task type of a new dataset (default: guessed)",
    )
    imp.add_argument(
        "--status",
        choices=("draft", "needs_review", "approved", "rejected"),
        help="status of the imported examples without a status field (default: needs_review)",
    )
    imp.add_argument(
        "--all-or-nothing",
        action="store_true",
        help="import nothing (exit 1) if any row is rejected",
    )
    imp.add_argument(
        "--skip-bad-rows",
        action="store_true",
        help="import the good rows and list the bad ones (default: a bad row imports "
        "nothing, lists the bad rows and exits 2)",
    )
    imp.add_argument(
        "--encoding",
        metavar="ENC",
        help="the file's text encoding, e.g. utf-8, cp1252, latin-1 (default: detected)",
    )
    imp.add_argument("--json", action="store_true", help="print the result as JSON")
    imp.set_defaults(func=_import)

    ls = dsub.add_parser("list", help="list the datasets of a project")
    add_project_arg(ls)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=_list)

    st = dsub.add_parser("stats", help="counts, duplicates and leaks of a dataset")
    add_project_arg(st)
    st.add_argument("name", metavar="NAME")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=_stats)

    sp = dsub.add_parser("split", help="assign train / validation / test")
    add_project_arg(sp)
    sp.add_argument("name", metavar="NAME")
    sp.add_argument("--test", required=True, type=fraction_type("--test"), metavar="FRACTION")
    sp.add_argument(
        "--validation", default=0.0, type=fraction_type("--validation"), metavar="FRACTION"
    )
    sp.add_argument("--seed", type=int, default=0, metavar="N")
    sp.add_argument(
        "--stratify",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="keep label proportions equal across splits (default: on)",
    )
    sp.add_argument(
        "--move-locked",
        action="store_true",
        help="also re-assign test examples an evaluation has used (they stay in test otherwise)",
    )
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=_split)

    from studio.cli import export_cmd  # `dataset export` lives in its own module

    export_cmd.register_dataset_export(dsub)

    from studio.cli import dataset_curate_cmd  # rows/show/label/status/tag/history/undo

    dataset_curate_cmd.register(dsub)

    from studio.cli import dataset_team_cmd  # edit/assign/agreement/adjudicate (many labellers)

    dataset_team_cmd.register(dsub)


def _import(args: argparse.Namespace) -> int:
    from studio.core.datasets.importing import import_file
    from studio.core.datasets.mapping import auto_mapping
    from studio.core.datasets.preview import preview_file

    path = Path(args.path)
    preview = preview_file(path, encoding=args.encoding)
    mapping = auto_mapping(preview)
    if args.input_field:
        mapping.input_fields = list(args.input_field)
    if args.output_field:
        mapping.output_field = args.output_field
        if mapping.label_field == args.output_field:
            mapping.label_field = None
    if args.label_field:
        mapping.label_field = args.label_field
        if mapping.output_field == args.label_field:
            mapping.output_field = None
    if args.status:
        mapping.status = args.status
    if args.task_type:
        mapping.task_type = args.task_type
    elif args.label_field and not mapping.output_field:
        mapping.task_type = "classification"
    elif args.output_field and mapping.task_type == "classification":
        mapping.task_type = "generation"
    if preview.kind != "chat" and not preview.columns:
        # Nothing readable in the first rows: say why instead of listing no fields
        if preview.rejected:
            _line, reason = preview.rejected[0]
            raise CliUsageError(f"{path}: {reason}. Nothing was imported.")
        raise CliUsageError(
            f'{path} holds no records with named fields (such as {{"text": ...}}); '
            "nothing was imported."
        )
    if preview.kind != "chat" and not mapping.input_fields:
        raise CliUsageError(
            f"{path}: cannot tell which field is the input; name it with --input-field "
            f"(fields: {', '.join(preview.columns)})."
        )
    with opened_project(args.project) as project:
        result = import_file(
            project,
            path,
            args.name,
            mapping,
            all_or_nothing=not args.skip_bad_rows,
            encoding=args.encoding,
        )
    if result.rejected and not args.skip_bad_rows and not args.all_or_nothing:
        return _bad_rows(args, path, result)
    if args.json:
        print_json(result.to_json())
    else:
        if result.rolled_back and args.all_or_nothing and result.rejected:
            print(f"Nothing imported: {len(result.rejected)} row(s) of {path} were rejected.")
        else:
            print(
                f'Imported {result.imported} example(s) into "{args.name}"; skipped '
                f"{result.skipped_duplicates} duplicate(s); rejected {len(result.rejected)} row(s)."
            )
        for r in result.rejected[:50]:
            print(f"  {path}: {r.reason}")
        if len(result.rejected) > 50:
            print(f"  … and {len(result.rejected) - 50} more")
    for w in result.warnings:
        eprint(f"studio: warning: {w}")
    if args.all_or_nothing and result.rejected:
        return EXIT_CHECK_FAILED
    return EXIT_OK


def _bad_rows(args: argparse.Namespace, path: Path, result: Any) -> int:
    """Nothing was stored: list the bad rows by line and say how to go on (exit 2)."""
    from studio.cli.common import EXIT_BAD_INPUT

    if args.json:
        print_json(result.to_json())
    n = len(result.rejected)
    rows = f"{n} row{'s' if n != 1 else ''}"
    eprint(f"studio: {path}: {rows} cannot be imported; nothing was imported:")
    for r in result.rejected[:50]:
        eprint(f"  {path}: {r.reason}")
    if n > 50:
        eprint(f"  … and {n - 50} more")
    eprint("Fix these lines, or pass --skip-bad-rows to import the good rows only.")
    return EXIT_BAD_INPUT


def _list(args: argparse.Namespace) -> int:
    from studio.core.datasets.catalog import dataset_summaries

    with opened_project(args.project) as project:
        summaries = dataset_summaries(project)
    if args.json:
        print_json(
            [
                {
                    "id": s.id,
                    "name": s.name,
                    "task_type": s.task_type,
                    "examples": s.examples,
                    "by_status": s.by_status,
                    "by_split": s.by_split,
                }
                for s in summaries
            ]
        )
        return EXIT_OK
    if not summaries:
        print("No datasets.")
    for s in summaries:
        splits = ", ".join(f"{k} {v}" for k, v in sorted(s.by_split.items()))
        examples = f"{s.examples} example{'' if s.examples == 1 else 's'}"
        print(f"{s.name}\t{s.task_type}\t{examples}\t{splits}")
    return EXIT_OK


def _stats(args: argparse.Namespace) -> int:
    from studio.core.datasets.stats import dataset_stats

    with opened_project(args.project) as project:
        stats = dataset_stats(project, args.name)
    if args.json:
        keys = ("examples", "by_status", "by_split", "by_label", "duplicates", "leaks")
        out = {k: stats[k] for k in keys}
        out.update({k: v for k, v in stats.items() if k not in keys})
        print_json(out)
        return EXIT_OK
    print(f"{stats['dataset']} ({stats['task_type']}): {stats['examples']} examples")
    print("  status: " + ", ".join(f"{k} {v}" for k, v in stats["by_status"].items()))
    print("  split:  " + ", ".join(f"{k} {v}" for k, v in stats["by_split"].items()))
    print(
        f"  labels: {len(stats['by_label'])}; imbalance (largest/smallest): "
        f"{stats['imbalance_ratio']}"
    )
    print(
        f"  duplicates: {stats['duplicates']} in {stats['duplicate_groups']} group(s); "
        f"leaks: {stats['leaks']} test example(s) with a copy in train/validation"
    )
    tl = stats["token_lengths"]
    print(f"  tokens per example ({tl['method']}): median {tl['median']}, max {tl['max']}")
    return EXIT_OK


def _split(args: argparse.Namespace) -> int:
    from studio.core.datasets.catalog import get_dataset
    from studio.core.datasets.splits import split_dataset

    if args.test + args.validation > 1.0 + 1e-9:
        raise CliUsageError(
            f"--test ({args.test}) plus --validation ({args.validation}) is more than 1."
        )
    with opened_project(args.project) as project:
        info = get_dataset(project, args.name)
        result = split_dataset(
            project,
            info.id,
            args.test,
            args.validation,
            args.seed,
            args.stratify,
            args.move_locked,
        )
    out = {
        "train": result.train,
        "validation": result.validation,
        "test": result.test,
        "kept_locked": result.kept_locked,
        "moved": result.moved,
    }
    if args.json:
        print_json(out)
    else:
        print(
            f"{args.name}: train {result.train}, validation {result.validation}, test "
            f"{result.test} ({result.moved} moved; {result.kept_locked} locked test examples kept)."
        )
    return EXIT_OK
