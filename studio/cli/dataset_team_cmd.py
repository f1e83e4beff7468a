"""``studio dataset edit|assign|agreement|adjudicate``: many labellers on one dataset.

Every single-row edit carries the row version it was made on (``--expect-version N``,
the ``version`` of ``rows --json``); without it the command reads the version and
writes in one compare-and-set, so an edit never silently overwrites a change someone
else made in between. A refused edit exits 2 saying who changed the row and when, and
prints the value it holds now (``--json``: an object with ``"error": "stale"``).

``assign`` splits the unlabelled rows among labellers, ``label --mine`` labels from your
own queue (blind on overlap rows), ``agreement`` reports Cohen's kappa / Krippendorff's
alpha, ``adjudicate`` lists and decides the rows whose labellers disagree.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from studio.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    CliUsageError,
    add_project_arg,
    eprint,
    fraction_type,
    opened_project,
    print_json,
)
from studio.cli.dataset_curate_cmd import _filter, _ids, _plural
from studio.cli.dataset_curate_cmd import _label as curate_label
from studio.core.errors import StaleEditError


def register(dsub: Any) -> None:
    """Add ``edit``, ``assign``, ``agreement`` and ``adjudicate`` to the ``dataset`` group.

    Also takes over ``dataset label`` (declared with its flags in
    :mod:`studio.cli.dataset_curate_cmd`): ``--mine``, ``--expect-version`` and one
    ``--ids`` are versioned single-row labels here, anything else goes back to it.
    """
    dsub.choices["label"].set_defaults(func=_label)
    p = dsub.add_parser(
        "edit",
        help="edit one example, refused if it changed since the version you read",
        description="Edit fields of one example (one undoable operation). With "
        "--expect-version N the edit is refused when the example is no longer at "
        "version N (someone else changed it); without, the version is read and "
        "checked in the same write.",
    )
    add_project_arg(p)
    p.add_argument("dataset", metavar="DATASET", help="dataset name")
    p.add_argument("row", metavar="ROW", type=int, help="example id")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--label", metavar="L")
    g.add_argument("--clear-label", action="store_true")
    p.add_argument("--status", choices=("draft", "needs_review", "approved", "rejected"))
    p.add_argument("--notes", metavar="TEXT")
    p.add_argument("--ideal-output", metavar="TEXT")
    p.add_argument("--expect-version", type=int, metavar="N", help="the version you read")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_edit)

    p = dsub.add_parser(
        "assign",
        help="split the unlabelled rows among labellers (counts or shares, with overlap)",
        description="Split the dataset's unlabelled rows that have no labeller yet among "
        "named labellers: --to alice=60% --to bob=40% (shares) or --to alice=100 "
        "(counts). --overlap F gives that share of the rows to a second labeller too "
        "(labelled blind; agreement and adjudication use them).",
    )
    add_project_arg(p)
    p.add_argument("dataset", metavar="DATASET", help="dataset name")
    p.add_argument("--to", action="append", required=True, metavar="NAME=SHARE", help="repeatable")
    p.add_argument(
        "--overlap",
        type=fraction_type("--overlap"),
        default=0.0,
        metavar="F",
        help="share of the rows labelled twice (0 to 1, default 0)",
    )
    p.add_argument("--seed", type=int, default=0, metavar="N")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_assign)

    p = dsub.add_parser(
        "agreement",
        help="Cohen's kappa / Krippendorff's alpha on the rows labelled twice",
        description="Agreement between labellers on the overlap rows, overall and per "
        "label (one-vs-rest): Cohen's kappa for two labellers, Krippendorff's alpha "
        "(nominal) for any number; and each labeller's progress.",
    )
    add_project_arg(p)
    p.add_argument("dataset", metavar="DATASET", help="dataset name")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_agreement)

    p = dsub.add_parser(
        "adjudicate",
        help="list the rows whose labellers disagree, or decide them (--ids, --label)",
        description="Without --label: list the rows whose labellers disagree. With --ids "
        "and --label: decide them (recorded with who and when; sets the label).",
    )
    add_project_arg(p)
    p.add_argument("dataset", metavar="DATASET", help="dataset name")
    p.add_argument("--ids", type=_ids, action="append", metavar="IDS")
    p.add_argument("--label", metavar="L")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_adjudicate)


# ----------------------------------------------------------------------------- stale edits


def _stale(args: argparse.Namespace, exc: StaleEditError) -> int:
    """Report a refused edit: the message, and the value there now."""
    if getattr(args, "json", False):
        print_json(
            {
                "error": "stale",
                "message": exc.message,
                "id": exc.example_id,
                "expected_version": exc.expected_version,
                "version": exc.version,
                "changed_by": exc.changed_by,
                "changed_at": exc.changed_at,
                "current": exc.current,
            }
        )
    eprint(f"studio: {exc.message}")
    cur = exc.current
    eprint(
        f"  now (version {exc.version}): label={cur.get('label') or '-'} "
        f"status={cur.get('status')} ideal output={cur.get('ideal_output') or '-'}"
    )
    return EXIT_BAD_INPUT


def _label(args: argparse.Namespace) -> int:
    if not label_needs_versions(args):
        return curate_label(args)
    label = None if args.clear else args.label
    if label is not None and not label.strip():
        raise CliUsageError("--label needs a name (use --clear to remove labels).")
    return label_one_or_mine(args, label)


def label_needs_versions(args: argparse.Namespace) -> bool:
    """``label`` goes through the versioned path: --mine, --expect-version or one --ids."""
    ids = [i for part in (args.ids or []) for i in part]
    one = len(ids) == 1 and not args.where and not args.all
    return bool(args.mine or args.expect_version is not None or one)


def label_one_or_mine(args: argparse.Namespace, label: str | None) -> int:
    """``dataset label`` on one row (compare-and-set) or from your queue (``--mine``)."""
    from studio.core.datasets.assignment import record_labels
    from studio.core.datasets.catalog import get_dataset
    from studio.core.datasets.curation import update_example
    from studio.core.datasets.queries import query_ids

    flt = _filter(args, changing=True)
    with opened_project(args.project) as project:
        info = get_dataset(project, args.dataset)
        ids = query_ids(project, info.id, flt)
        if args.expect_version is not None and len(ids) != 1:
            raise CliUsageError(
                "--expect-version goes with exactly one example of the dataset (--ids N); "
                f"the selection has {_plural(len(ids))}."
            )
        try:
            if args.mine:
                if label is None:
                    raise CliUsageError("--mine records your label: give --label L.")
                result = record_labels(
                    project, info.id, ids, label, expected_version=args.expect_version
                )
                return _print_recorded(args, result)
            if not ids:
                raise CliUsageError(
                    f"example {flt.ids[0] if flt.ids else '?'} is not in {info.name}."
                )
            new_label = label.strip() if label else None
            if info.task_type == "classification" and new_label not in (None, *info.label_set):
                # as the bulk label does: a new label joins the dataset's labels
                from studio.core.datasets.catalog import update_dataset

                update_dataset(project, info.id, label_set=[*info.label_set, str(new_label)])
            changes = update_example(
                project, ids[0], label=label, expected_version=args.expect_version
            )
            version = query_version(project, ids[0])
        except StaleEditError as exc:
            return _stale(args, exc)
    if args.json:
        print_json(
            {
                "selected": 1,
                "changed": changes.count,
                "unchanged": 1 - changes.count,
                "op_id": changes.op_id,
                "description": changes.description,
                "version": version,
            }
        )
        return EXIT_OK
    if changes.op_id is None:
        print(f"label: nothing changed (example {ids[0]} already so; version {version}).")
    else:
        print(f"{changes.description} (operation {changes.op_id}): now version {version}.")
    return EXIT_OK


def query_version(project: Any, example_id: int) -> int:
    from studio.core.datasets.queries import fetch_rows

    rows = fetch_rows(project, [example_id])
    return rows[0].version if rows else 0


def _print_recorded(args: argparse.Namespace, result: Any) -> int:
    if args.json:
        print_json(result.to_json())
        return EXIT_OK
    print(
        f"Recorded your label on {_plural(len(result.recorded))}: "
        f"{len(result.set_on_example):,} labelled, "
        f"{len(result.waiting):,} waiting for another labeller, "
        f"{len(result.to_adjudicate):,} to adjudicate."
    )
    if result.not_assigned:
        eprint(
            f"studio: warning: {_plural(len(result.not_assigned))} not in your queue "
            f"(not recorded): {', '.join(str(i) for i in result.not_assigned[:10])}"
        )
    return EXIT_OK


# ----------------------------------------------------------------------------- edit


def _edit(args: argparse.Namespace) -> int:
    from studio.core.datasets.catalog import get_dataset
    from studio.core.datasets.curation import update_example
    from studio.core.datasets.queries import get_example

    fields: dict[str, Any] = {}
    if args.label is not None:
        if not args.label.strip():
            raise CliUsageError("--label needs a name (use --clear-label to remove it).")
        fields["label"] = args.label
    if args.clear_label:
        fields["label"] = None
    for name in ("status", "notes", "ideal_output"):
        if getattr(args, name) is not None:
            fields[name] = getattr(args, name)
    if not fields:
        raise CliUsageError(
            "say what to change: --label, --clear-label, --status, --notes or --ideal-output."
        )
    with opened_project(args.project) as project:
        info = get_dataset(project, args.dataset)
        if get_example(project, args.row).dataset_id != info.id:
            raise CliUsageError(f"example {args.row} is not in dataset {info.name!r}.")
        try:
            changes = update_example(
                project, args.row, expected_version=args.expect_version, **fields
            )
        except StaleEditError as exc:
            return _stale(args, exc)
        version = query_version(project, args.row)
    if args.json:
        print_json(
            {
                "id": args.row,
                "changed": changes.op_id is not None,
                "op_id": changes.op_id,
                "description": changes.description,
                "version": version,
            }
        )
        return EXIT_OK
    if changes.op_id is None:
        print(f"example {args.row}: nothing changed (version {version}).")
    else:
        print(f"{changes.description} (operation {changes.op_id}): now version {version}.")
    return EXIT_OK


# ----------------------------------------------------------------------------- assign


def _assign(args: argparse.Namespace) -> int:
    from studio.core.datasets.assignment import assign, parse_share
    from studio.core.datasets.catalog import get_dataset

    shares = [parse_share(v) for v in args.to]
    with opened_project(args.project) as project:
        info = get_dataset(project, args.dataset)
        result = assign(project, info.id, shares, overlap=args.overlap, seed=args.seed)
    if args.json:
        print_json(result.to_json())
        return EXIT_OK
    print(
        f"Assigned {_plural(result.examples)} of {result.pool:,} unlabelled "
        f"({result.overlap:,} to two labellers):"
    )
    for name, n in result.assigned.items():
        print(f"  {name}\t{n:,}")
    return EXIT_OK


# ----------------------------------------------------------------------------- agreement


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _agreement(args: argparse.Namespace) -> int:
    from studio.core.datasets.adjudication import adjudication_queue
    from studio.core.datasets.agreement import dataset_agreement
    from studio.core.datasets.assignment import queue_progress
    from studio.core.datasets.catalog import get_dataset

    with opened_project(args.project) as project:
        info = get_dataset(project, args.dataset)
        agr = dataset_agreement(project, info.id)
        progress = queue_progress(project, info.id)
        waiting = len(adjudication_queue(project, info.id))
    if args.json:
        print_json(
            {
                **agr.to_json(),
                "to_adjudicate": waiting,
                "progress": [
                    {"labeller": q.labeller, "assigned": q.assigned, "done": q.done}
                    for q in progress
                ],
            }
        )
        return EXIT_OK
    out = sys.stdout
    for q in progress:
        out.write(f"{q.labeller}: {q.done:,} of {q.assigned:,} labelled\n")
    if not agr.items:
        out.write(f"{info.name}: no row has been labelled by two people yet.\n")
        return EXIT_OK
    out.write(
        f"{info.name}: {_plural(agr.items, 'row')} labelled by {len(agr.labellers)} people "
        f"({', '.join(agr.labellers)}); observed agreement {_fmt(agr.observed)}\n"
        f"  Cohen's kappa {_fmt(agr.kappa)}   Krippendorff's alpha {_fmt(agr.alpha)}   "
        f"{agr.disagreements:,} disagreements, {waiting:,} to adjudicate\n"
        "label\tgiven\tkappa\talpha\n"
    )
    for p in agr.per_label:
        out.write(f"{p.label}\t{p.given}\t{_fmt(p.kappa)}\t{_fmt(p.alpha)}\n")
    return EXIT_OK


# ----------------------------------------------------------------------------- adjudicate


def _adjudicate(args: argparse.Namespace) -> int:
    from studio.core.datasets.adjudication import adjudicate, adjudication_queue
    from studio.core.datasets.catalog import get_dataset

    ids = [i for part in (args.ids or []) for i in part]
    if args.label is not None and not ids:
        raise CliUsageError("choose the rows to decide with --ids (see the list without --label).")
    if ids and args.label is None:
        raise CliUsageError("give the chosen label with --label L.")
    with opened_project(args.project) as project:
        info = get_dataset(project, args.dataset)
        if args.label is None:
            queue = adjudication_queue(project, info.id)
            if args.json:
                print_json([d.to_json() for d in queue])
                return EXIT_OK
            if not queue:
                print(f"{info.name}: nothing to adjudicate.")
            for d in queue:
                labels = ", ".join(f"{w}={lb}" for w, lb in d.labels.items())
                text_ = d.input if len(d.input) <= 70 else d.input[:69] + "…"
                print(f"{d.example_id}\t{labels}\t{text_}")
            return EXIT_OK
        result = adjudicate(project, info.id, ids, args.label)
    if args.json:
        print_json(result.to_json())
        return EXIT_OK
    print(f'Decided "{args.label.strip()}" on {_plural(len(result.decided))}.')
    if result.not_in_queue:
        eprint(
            f"studio: warning: {_plural(len(result.not_in_queue))} not waiting for a decision "
            f"(left alone): {', '.join(str(i) for i in result.not_in_queue[:10])}"
        )
    return EXIT_OK
