"""``studio distil accept|reject|list``: review teacher candidates on the command line.

    studio distil accept DATASET --project FILE [--min-agreement X] [--min-judge X]
                         [--where KEY=VALUE ... | --ids IDS] [--include-invalid] [--json]
    studio distil reject DATASET --project FILE [--below-agreement X]
                         [--where KEY=VALUE ... | --ids IDS | --all] [--json]
    studio distil list   DATASET --project FILE [--status S]
                         [--where KEY=VALUE ... | --ids IDS] [--json]

``accept`` makes each selected row's current (newest) candidate its ideal output and
approves the row (classification: the label read from the answer as the ``label``
scorer reads it); ``reject`` marks candidates rejected and leaves the rows as they were.
Each is ONE dataset operation: ``studio dataset history`` lists it and ``studio dataset
undo`` reverses it, candidate statuses included. An approved human ideal output is
never overwritten. ``--where``/``--ids`` select rows as ``studio dataset rows`` does
(``--ids`` are example ids). ``reject`` needs a selection, ``--below-agreement`` or
``--all``, so a forgotten filter never rejects everything. ``accept --min-judge`` warns on
standard error when the accepted candidates' scores come from more than one judge (JSON:
``"judges"``, judge -> count). ``list`` shows each candidate's judge score and who gave it
(``judged by``: ``NAME@N (model)``, or "judge not recorded" for an older score; JSON:
``judge_ref``, ``judge_model``, ``judged_at``).

Exit codes: 0 ok (also when nothing qualified: the counts say why); 2 bad input (unknown
dataset, bad agreement, unknown status, reject without a selection).
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any

from studio.cli.common import (
    EXIT_OK,
    CliUsageError,
    add_project_arg,
    fraction_type,
    opened_project,
    print_json,
)
from studio.cli.dataset_curate_cmd import WHERE_HELP, _add_selection, _filter, _warn_missing_ids


def add_parser(dsub: Any) -> None:
    """Add ``accept``, ``reject`` and ``list`` to the ``distil`` command's subparsers."""
    p = _parser(
        dsub,
        "accept",
        "make teacher candidates the rows' ideal outputs (one undoable operation)",
        "Accept each selected row's current teacher candidate: it becomes the row's ideal "
        "output (classification: its label) and the row is approved. Failed or "
        "schema-breaking answers are skipped unless --include-invalid; approved human "
        "ideal outputs are never overwritten. Undo with `studio dataset undo`.",
    )
    p.add_argument(
        "--min-agreement",
        type=fraction_type("--min-agreement"),
        default=None,
        metavar="X",
        help="only candidates whose samples agreed at least this much (0-1; 1 = all agreed)",
    )
    p.add_argument(
        "--min-judge",
        type=fraction_type("--min-judge"),
        default=None,
        metavar="X",
        help="only candidates whose judge score is at least this (0-1; see "
        "`studio distil judge`); unscored candidates are skipped",
    )
    _add_selection(p, changing=False)
    p.add_argument(
        "--include-invalid",
        action="store_true",
        help="also accept answers marked invalid (that broke the response schema)",
    )
    p.add_argument("--json", action="store_true", help="print the counts as JSON")
    p.set_defaults(func=_accept)

    p = _parser(
        dsub,
        "reject",
        "reject teacher candidates (one undoable operation; rows keep what they had)",
        "Reject each selected row's current pending teacher candidate. The rows are not "
        "changed. Needs --below-agreement, --where, --ids or --all. Undo with "
        "`studio dataset undo`.",
    )
    p.add_argument(
        "--below-agreement",
        type=fraction_type("--below-agreement"),
        default=None,
        metavar="X",
        help="only candidates whose samples agreed less than this (0-1)",
    )
    _add_selection(p, changing=True)
    p.add_argument("--json", action="store_true", help="print the counts as JSON")
    p.set_defaults(func=_reject)

    from studio.core.models.distil import CANDIDATE_STATUSES

    p = _parser(
        dsub,
        "list",
        "teacher candidates beside their inputs",
        "List the dataset's teacher candidates (every one, oldest first per row) beside "
        "the rows' inputs: status, agreement, validity, the answer.",
    )
    p.add_argument("--status", choices=CANDIDATE_STATUSES, default=None, help="only this status")
    _add_selection(p, changing=False)
    p.add_argument("--json", action="store_true", help="print the candidates as JSON")
    p.set_defaults(func=_list)


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


def _example_ids(project: Any, args: argparse.Namespace) -> list[int] | None:
    """The rows ``--where``/``--ids`` select, or None when neither is given (every row)."""
    from studio.core.datasets.catalog import get_dataset
    from studio.core.datasets.queries import query_ids

    info = get_dataset(project, args.dataset)
    if not args.ids and not args.where:
        return None
    flt = _filter(args, changing=False)
    _warn_missing_ids(project, info.id, flt, info.name)
    return query_ids(project, info.id, flt)


_SKIP_WORDS = {
    "human_approved": "approved human ideal output",
    "invalid": "failed or invalid",
    "no_output": "no answer",
    "below_agreement": "below the agreement",
    "below_judge": "below the judge score",
    "no_judge": "no judge score",
    "at_or_above_agreement": "at or above the agreement",
    "no_agreement": "agreement not measured",
    "no_label": "no label in the answer",
    "schema_mismatch": "does not fit the dataset's schema",
    "already_accepted": "already accepted",
    "already_rejected": "already rejected",
    "rejected": "rejected earlier",
    "failed": "failed",
    "same_example": "an older candidate of the same row",
}


def _report(args: argparse.Namespace, result: Any, verb: str) -> int:
    mixed = getattr(result, "mixed_judges", "")
    if mixed:  # --min-judge over scores of different judges: said on stderr, JSON or not
        import sys

        sys.stderr.write(f"studio: warning: {mixed}\n")
    if args.json:
        print_json(result.to_json())
        return EXIT_OK
    skipped = ", ".join(f"{n:,} {_SKIP_WORDS.get(k, k)}" for k, n in sorted(result.skipped.items()))
    tail = f"; skipped: {skipped}" if skipped else ""
    if result.op_id is None:
        print(f"Nothing {verb}{tail or ' (no candidates selected)'}.")
        return EXIT_OK
    print(f"{result.description} (operation {result.op_id}): {result.changed:,} {verb}{tail}.")
    project, dataset = shlex.quote(str(args.project)), shlex.quote(args.dataset)
    print(f"Undo: studio dataset undo --project {project} {dataset} --op {result.op_id}")
    return EXIT_OK


def _accept(args: argparse.Namespace) -> int:
    from studio.core.distil.review import accept

    with opened_project(args.project) as project:
        ids = _example_ids(project, args)
        result = accept(
            project,
            args.dataset,
            min_agreement=args.min_agreement,
            example_ids=ids,
            only_valid=not args.include_invalid,
            min_judge=args.min_judge,
        )
    return _report(args, result, "accepted")


def _reject(args: argparse.Namespace) -> int:
    from studio.core.distil.review import reject

    if not (args.ids or args.where or args.all or args.below_agreement is not None):
        raise CliUsageError(
            "choose the candidates to reject with --below-agreement X, --where KEY=VALUE, "
            "--ids or --all (see `studio distil reject --help`)."
        )
    with opened_project(args.project) as project:
        ids = _example_ids(project, args)
        result = reject(project, args.dataset, min_agreement=args.below_agreement, example_ids=ids)
    return _report(args, result, "rejected")


def _cut(value: str | None, n: int = 60) -> str:
    if value is None:
        return "-"
    s = value.replace("\n", " ⏎ ")
    return s if len(s) <= n else s[: n - 1] + "…"


def _list(args: argparse.Namespace) -> int:
    import sys

    from studio.core.distil.candidates import list_candidates
    from studio.core.distil.run_judge import judge_name

    with opened_project(args.project) as project:
        ids = _example_ids(project, args)
        rows = list_candidates(project, args.dataset, status=args.status, example_ids=ids)
    if args.json:
        print_json([r.to_json() for r in rows])
        return EXIT_OK
    out = sys.stdout
    out.write("candidate\trow\tstatus\tagreement\tjudge\tjudged by\tvalid\tanswer\tinput\n")
    for r in rows:
        agreement = "-" if r.agreement is None else f"{r.agreement:.2f}"
        judge = "-" if r.judge_score is None else f"{r.judge_score:.2f}"
        by = judge_name(r.judge_ref, r.judge_model) if r.judged else "-"
        answer = r.label if r.label is not None else r.output
        valid = "yes" if r.valid else f"no: {_cut(r.reason, 40)}"
        out.write(
            f"{r.id}\t{r.example_id}\t{r.status}\t{agreement}\t{judge}\t{by}\t{valid}\t"
            f"{_cut(answer)}\t"
            f"{_cut(r.input_text)}\n"
        )
    sys.stderr.write(f"{len(rows):,} candidate{'' if len(rows) == 1 else 's'} of {args.dataset}\n")
    return EXIT_OK
