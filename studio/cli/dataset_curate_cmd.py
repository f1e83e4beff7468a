"""``studio dataset rows|show|label|status|tag|history|undo``: curation on the command line.

Every change goes through the same core operation as the app (one undoable operation
with its change set), so a label set here is undone by Ctrl+Z in the app or by
``studio dataset undo``, and each command prints how many examples it changed.

Rows are chosen with ``--ids`` and/or ``--where`` (see :data:`WHERE_HELP`); a changing
command needs a selection or ``--all``, so a forgotten filter never relabels a whole
dataset. Exit codes: 0 ok; 2 bad input (unknown dataset, key, status or id; an undo
that later operations are in the way of, naming them).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from studio.cli.common import (
    EXIT_OK,
    CliUsageError,
    add_project_arg,
    eprint,
    opened_project,
    print_json,
)

if TYPE_CHECKING:
    from studio.core.datasets.queries import ExampleFilter

WHERE_KEYS = ("label", "split", "status", "tag", "source", "text", "regex")

WHERE_HELP = """\
selecting rows:
  --ids 3,7,10-20      these example ids (ranges allowed)
  --where KEY=VALUE    repeatable; different keys must all match, a repeated key
                       matches any of its values (tag: all of them). Keys:
                         label=L     label L (label= : no label)
                         split=S     train, validation or test (split= : no split)
                         status=S    draft, needs_review, approved or rejected
                         tag=T       has tag T
                         source=F    imported from file name F (manual: added by hand)
                         text=WORDS  input, ideal output or notes contain WORDS
                                     (case-insensitive)
                         regex=RE    the same texts match the regular expression RE
  --all                every example (changing commands need --ids, --where or --all)
examples:
  studio dataset label --project p.studio intents --label refund --where text=refund
  studio dataset status --project p.studio intents --approve --where label=refund
  studio dataset tag --project p.studio intents --add checked --ids 4,9-12
"""


def _ids(value: str) -> list[int]:
    out: list[int] = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                if hi < lo:
                    raise ValueError
                out.extend(range(lo, hi + 1))
            else:
                out.append(int(part))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"--ids takes ids and ranges such as 3,7,10-20 (got {part!r})"
            ) from None
    return out


def _where(value: str) -> tuple[str, str]:
    key, sep, val = value.partition("=")
    key = key.strip().lower()
    if not sep or key not in WHERE_KEYS:
        raise argparse.ArgumentTypeError(
            f"--where takes KEY=VALUE with KEY one of {', '.join(WHERE_KEYS)} (got {value!r})"
        )
    return key, val


def _changing_selection(
    p: argparse.ArgumentParser, func: Callable[[argparse.Namespace], int]
) -> None:
    """The tail of ``label``, ``status`` and ``tag``: the selection, ``--json``, the handler."""
    _add_selection(p, changing=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=func)


def _add_selection(p: argparse.ArgumentParser, *, changing: bool) -> None:
    p.add_argument(
        "--ids",
        type=_ids,
        action="append",
        metavar="IDS",
        help="example ids, e.g. 3,7,10-20 (repeatable)",
    )
    p.add_argument(
        "--where",
        type=_where,
        action="append",
        metavar="KEY=VALUE",
        help="filter: " + ", ".join(f"{k}=…" for k in WHERE_KEYS) + " (repeatable)",
    )
    p.add_argument(
        "--mine",
        action="store_true",
        help="only the examples assigned to you that you have not labelled yet "
        "(`studio dataset assign`; you = `studio config get display-name`)",
    )
    if changing:
        p.add_argument("--all", action="store_true", help="every example of the dataset")


def _parser(sub: Any, name: str, help_: str, description: str) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help_,
        description=description,
        epilog=WHERE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_project_arg(p)
    p.add_argument("dataset", metavar="DATASET", help="dataset name")
    return p


def register(dsub: Any) -> None:
    """Add the curation subcommands to the ``dataset`` command group's subparsers."""
    p = _parser(
        dsub,
        "rows",
        "list examples (filtered with --ids / --where)",
        "List the examples of a dataset: id, status, split, label, tags, input.",
    )
    _add_selection(p, changing=False)
    p.add_argument("--limit", type=int, default=0, metavar="N", help="at most N rows (0: all)")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(func=_rows)

    p = _parser(
        dsub,
        "show",
        "one example in full, with its history",
        "Show one example: inputs, ideal output, curation fields and history.",
    )
    p.add_argument("row", metavar="ROW", type=int, help="example id (see `dataset rows`)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_show)

    p = _parser(
        dsub,
        "label",
        "set (or clear) the label of the selected examples",
        "Set the label of the selected examples (one undoable operation). In a "
        "classification dataset the label is also the ideal output.",
    )
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--label", metavar="L", help="the label to set")
    g.add_argument("--clear", action="store_true", help="remove the label")
    p.add_argument(
        "--expect-version",
        type=int,
        metavar="N",
        help="with one --ids: the version you read (`rows --json`); refused if it changed since",
    )
    _changing_selection(p, _label)

    p = _parser(
        dsub,
        "status",
        "approve, reject or set the status of the selected examples",
        "Set the status of the selected examples (one undoable operation). Export "
        "uses approved examples only.",
    )
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--approve", action="store_const", dest="status", const="approved")
    g.add_argument("--reject", action="store_const", dest="status", const="rejected")
    g.add_argument(
        "--status", dest="status", choices=("draft", "needs_review", "approved", "rejected")
    )
    _changing_selection(p, _status)

    p = _parser(
        dsub,
        "tag",
        "add or remove a tag on the selected examples",
        "Add or remove a tag on the selected examples (one undoable operation).",
    )
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--add", metavar="T", help="tag to add")
    g.add_argument("--remove", metavar="T", help="tag to remove")
    _changing_selection(p, _tag)

    p = dsub.add_parser(
        "history",
        help="the dataset's operations, newest first, with ids",
        description="List the dataset's operations (newest first) with the "
        "ids `studio dataset undo --op ID` takes.",
    )
    add_project_arg(p)
    p.add_argument("dataset", metavar="DATASET", help="dataset name")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_history)

    p = dsub.add_parser(
        "undo",
        help="undo one operation (your own newest by default)",
        description="Undo one operation of the dataset: your own newest by default "
        "(personal undo: another labeller's operation is undone only when named with "
        "--op ID; with none of yours, exit 2 naming the newest one), "
        "or --op ID. An operation that later ones changed the "
        "same examples after is refused (naming them) unless "
        "--with-later undoes those first. Later operations of other "
        "labellers count too: the refusal (exit 2) names who made each "
        "one, when, and on which examples; an operation someone else "
        "undid already is refused as already undone.",
    )
    add_project_arg(p)
    p.add_argument("dataset", metavar="DATASET", help="dataset name")
    p.add_argument("--op", type=int, metavar="ID", help="operation id (see `dataset history`)")
    p.add_argument(
        "--with-later",
        action="store_true",
        help="first undo the later operations that touched the same examples "
        "(other labellers' too)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_undo)


# ----------------------------------------------------------------------------- selection


def _filter(args: argparse.Namespace, *, changing: bool) -> ExampleFilter:
    """The ExampleFilter of --ids/--where/--all (a changing command must choose)."""
    from studio.core.datasets.queries import ExampleFilter
    from studio.core.models.dataset import SPLITS, STATUSES

    ids = [i for part in (args.ids or []) for i in part]
    where: dict[str, list[str]] = {}
    for key, val in args.where or []:
        where.setdefault(key, []).append(val)
    if changing and not ids and not where and not args.all and not args.mine:
        raise CliUsageError(
            "choose the examples with --ids, --where KEY=VALUE or --all "
            "(see `studio dataset " + args.dataset_command + " --help`)."
        )
    for st in where.get("status", []):
        if st not in STATUSES:
            raise CliUsageError(
                f'--where status={st}: "{st}" is not a status; choose one of {", ".join(STATUSES)}.'
            )
    for sp in where.get("split", []):
        if sp and sp not in SPLITS:
            raise CliUsageError(
                f'--where split={sp}: "{sp}" is not a split; choose one of {", ".join(SPLITS)} '
                "(or split= for none)."
            )
    texts = where.get("text", [])
    regexes = where.get("regex", [])
    if len(texts) + len(regexes) > 1:
        raise CliUsageError("give at most one --where text=… or regex=… search.")
    search, regex = (regexes[0], True) if regexes else ((texts[0], False) if texts else ("", False))
    return ExampleFilter(
        search=search,
        regex=regex,
        statuses=tuple(where.get("status", [])),
        labels=tuple(v.strip() or None for v in where.get("label", [])),
        splits=tuple(v.strip() or None for v in where.get("split", [])),
        tags=tuple(v.strip() for v in where.get("tag", [])),
        sources=tuple(where.get("source", [])),
        ids=tuple(ids) if ids else None,
        queue_of=_me() if args.mine else None,
    )


def _me() -> str:
    from studio.core.db.project import current_user

    return current_user()


def _warn_missing_ids(project: Any, dataset_id: int, flt: ExampleFilter, name: str) -> None:
    """Say so when some of the ``--ids`` are not examples of this dataset."""
    if not flt.ids:
        return
    from studio.core.datasets.queries import ExampleFilter, query_ids

    present = set(query_ids(project, dataset_id, ExampleFilter(ids=flt.ids)))
    missing = sorted(set(flt.ids) - present)
    if missing:
        shown = ", ".join(str(i) for i in missing[:10]) + (" …" if len(missing) > 10 else "")
        eprint(f"studio: warning: {len(missing)} of the --ids are not examples of {name}: {shown}")


def _plural(n: int, word: str = "example") -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


# ----------------------------------------------------------------------------- reading


def _rows(args: argparse.Namespace) -> int:
    from studio.core.datasets.catalog import get_dataset
    from studio.core.datasets.queries import fetch_rows, query_ids

    flt = _filter(args, changing=False)
    with opened_project(args.project) as project:
        info = get_dataset(project, args.dataset)
        _warn_missing_ids(project, info.id, flt, info.name)
        ids = query_ids(project, info.id, flt)
        total = len(ids)
        if args.limit > 0:
            ids = ids[: args.limit]
        rows = fetch_rows(project, ids)
        if args.json:
            # Each row's current teacher candidate (issue 13 §3), one query for all rows
            from studio.core.distil.candidates import current_candidates

            cands = current_candidates(project, [r.id for r in rows])
    if args.json:
        print_json(
            [
                {
                    "id": r.id,
                    "input": r.input,
                    "ideal_output": r.ideal_output,
                    "label": r.label,
                    "status": r.status,
                    "split": r.split,
                    "tags": list(r.tags),
                    "rating": r.rating,
                    "notes": r.notes,
                    "source_line": r.source_line,
                    "candidate": cands[r.id].row_summary() if r.id in cands else None,
                    "version": r.version,
                }
                for r in rows
            ]
        )
        return EXIT_OK
    out = sys.stdout
    out.write("id\tstatus\tsplit\tlabel\ttags\tinput\n")
    for r in rows:
        text_ = r.input if len(r.input) <= 80 else r.input[:79] + "…"
        out.write(
            f"{r.id}\t{r.status}\t{r.split or '-'}\t{r.label or '-'}\t"
            f"{','.join(r.tags) or '-'}\t{text_}\n"
        )
    shown = f"{len(rows):,} of {total:,}" if len(rows) < total else f"{total:,}"
    sys.stderr.write(f"{shown} example{'' if total == 1 else 's'} of {info.name}\n")
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    import dataclasses

    from studio.core.datasets.catalog import get_dataset
    from studio.core.datasets.operations import history_line
    from studio.core.datasets.queries import get_example

    with opened_project(args.project) as project:
        info = get_dataset(project, args.dataset)
        d = get_example(project, args.row)
    if d.dataset_id != info.id:
        raise CliUsageError(f"example {args.row} is not in dataset {info.name!r}.")
    if args.json:
        print_json(dataclasses.asdict(d))
        return EXIT_OK
    lines = [
        f"example {d.id} of {info.name} ({d.source or 'manual'}"
        + (f", line {d.source_line})" if d.source_line else ")")
    ]
    if d.system_prompt:
        lines.append(f"  system:   {d.system_prompt}")
    for k, v in d.inputs.items():
        lines.append(f"  input {k}: {v}")
    for m in d.conversation or []:
        lines.append(f"  {m.get('role')}: {m.get('content')}")
    lines += [
        f"  ideal output ({d.output_kind}): "
        + (d.ideal_output if d.ideal_output is not None else "-"),
        f"  label: {d.label or '-'}   status: {d.status}   split: {d.split or '-'}"
        + ("(locked)" if d.split_locked else "")
        + f"   rating: {d.rating if d.rating is not None else '-'}",
        f"  tags: {', '.join(d.tags) or '-'}",
    ]
    if d.notes:
        lines.append(f"  notes: {d.notes}")
    if d.history:
        lines.append("  history (newest first):")
        for h in d.history[:20]:
            lines.append(f"    op {h.op_id} {h.at[:19]} {h.actor}: {history_line(h)}")
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


# ----------------------------------------------------------------------------- changing


def _change(args: argparse.Namespace, apply: Any, what: str) -> int:
    """Resolve the selection, run one core operation, print the counts."""
    from studio.core.datasets.catalog import get_dataset
    from studio.core.datasets.queries import query_ids

    flt = _filter(args, changing=True)
    with opened_project(args.project) as project:
        info = get_dataset(project, args.dataset)
        _warn_missing_ids(project, info.id, flt, info.name)
        selected = len(query_ids(project, info.id, flt))
        changes = apply(project, info.id, flt)
    changed = changes.count
    unchanged = selected - changed
    if args.json:
        print_json(
            {
                "selected": selected,
                "changed": changed,
                "unchanged": unchanged,
                "op_id": changes.op_id,
                "description": changes.description,
            }
        )
        return EXIT_OK
    if changes.op_id is None:
        print(
            f"{what}: nothing changed ({_plural(selected)} selected"
            + (", all already so)." if selected else ").")
        )
        return EXIT_OK
    print(
        f"{changes.description} (operation {changes.op_id}): {_plural(changed)} changed, "
        f"{unchanged:,} already so, of {_plural(selected)} selected."
    )
    return EXIT_OK


def _label(args: argparse.Namespace) -> int:
    from studio.core.datasets.curation import set_label

    label = None if args.clear else args.label
    if label is not None and not label.strip():
        raise CliUsageError("--label needs a name (use --clear to remove labels).")
    # --mine, --expect-version and one --ids go through dataset_team_cmd, which sets
    # itself as this parser's handler and calls back here for the rest
    return _change(args, lambda p, d, f: set_label(p, d, f, label), "label")


def _status(args: argparse.Namespace) -> int:
    from studio.core.datasets.curation import set_status

    return _change(args, lambda p, d, f: set_status(p, d, f, args.status), "status")


def _tag(args: argparse.Namespace) -> int:
    from studio.core.datasets.curation import add_tag, remove_tag

    if args.add is not None:
        return _change(args, lambda p, d, f: add_tag(p, d, f, args.add), "tag")
    return _change(args, lambda p, d, f: remove_tag(p, d, f, args.remove), "tag")


# ----------------------------------------------------------------------------- history


def _history(args: argparse.Namespace) -> int:
    from studio.core.datasets.catalog import get_dataset
    from studio.core.datasets.operations import list_operations

    with opened_project(args.project) as project:
        info = get_dataset(project, args.dataset)
        ops = list_operations(project, info.id)
    if args.json:
        print_json([o.to_json() for o in ops])
        return EXIT_OK
    if not ops:
        print(f"{info.name}: no operations.")
    for o in ops:
        flag = "  (undone)" if o.undone else ""
        print(f"{o.id}\t{o.at[:19]}\t{o.actor}\t{o.description}{flag}")
    return EXIT_OK


def _undo(args: argparse.Namespace) -> int:
    from studio.core.datasets.catalog import get_dataset
    from studio.core.datasets.operations import newest_of_others, undo_operation

    with opened_project(args.project) as project:
        info = get_dataset(project, args.dataset)
        done = undo_operation(project, info.id, args.op, cascade=args.with_later)
        # Personal undo: none of mine, but a colleague's is there to undo by id
        other = newest_of_others(project, info.id) if not done and args.op is None else None
    if other is not None:
        raise CliUsageError(
            f"Nothing of yours to undo in {info.name} (newest operation {other.id} by "
            f"{other.actor} at {other.at[:19]} UTC: undo it with --op {other.id})."
        )
    if args.json:
        print_json(
            [
                {
                    "id": s.op_id,
                    "description": s.description,
                    "count": s.count,
                    "undone": s.undone,
                    "actor": s.actor,
                }
                for s in done
            ]
        )
        return EXIT_OK
    if not done:
        print(f"{info.name}: nothing to undo.")
    for s in done:
        print(f"Undone operation {s.op_id}: {s.description} ({_plural(s.changes.count)} restored).")
    return EXIT_OK
