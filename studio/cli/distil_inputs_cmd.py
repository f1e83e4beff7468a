"""``studio distil inputs``: synthetic inputs where real ones are few (ISSUE 13 §2).

    studio distil inputs --project FILE --dataset D --model M --count N [--per-label]
                         [--examples K] [--instructions TEXT ...] [--temperature T]
                         [--batch-size B] [--seed S] [--no-json-mode]
                         [--base-url URL | --provider NAME] [--api-key-env NAME]
                         [--plan-out FILE [--force] | --plan FILE] [--yes] [--json]

A model writes new inputs from few-shot seed rows of the dataset (never test rows),
cell by cell of a generation plan: one row per label with ``--per-label`` (quotas that
fill the rarest labels first), one column per instruction (``--instructions``, or a
built-in set of varied ones). Before any call the plan is printed (the grid with its
counts, the calls and the cost) and confirmed (``--yes`` answers for you; without a
terminal, ``--yes`` is required). To edit the plan, write it with ``--plan-out FILE``
(no call is made), change the counts, labels or instructions in the JSON, and run it
with ``--plan FILE``.

Every new input is checked against the whole dataset: near-duplicates of a row or of
another new input are dropped, and a near-duplicate of a test row is never added (a
test leak). The rest are added in one undoable operation (``studio dataset undo --op
ID``) as ``source=synthetic`` rows with provenance, status needs_review, no split.
The same plan run again is answered from the cache (0 calls) and adds nothing new;
``--seed`` draws other seed rows and so asks new questions.

``--json`` prints ``{"requested", "generated", "added", "near_duplicates",
"test_leaks", "failed", "failed_calls", "calls", "cost", "op", "cancelled"}``.

Exit codes: 0 done, 1 some asked-for inputs did not come back (failed calls or too few
items), 2 bad input (naming the field) or a refused confirmation.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_CHECK_FAILED,
    EXIT_OK,
    CliUsageError,
    add_force_arg,
    add_project_arg,
    eprint,
    opened_project,
    print_json,
)

if TYPE_CHECKING:
    from studio.core.distil.inputs import PlanEstimate
    from studio.core.distil.plan import GenerationPlan


def add_parser(dsub: Any) -> None:
    """Add ``distil inputs`` to the ``distil`` subcommands."""
    from studio.cli.provider_args import DEFAULT_BASE_URL, add_key_args, add_provider_args
    from studio.core.distil.plan import (
        DEFAULT_BATCH_SIZE,
        DEFAULT_EXAMPLES,
        DEFAULT_INSTRUCTIONS,
        DEFAULT_TEMPERATURE,
    )

    p = dsub.add_parser(
        "inputs",
        help="write synthetic inputs from seed rows (never near-copies of rows or test leaks)",
        description="A model writes new inputs from few-shot seed rows of the dataset, per "
        "label and instruction. Near-duplicates of existing rows are dropped and "
        "near-duplicates of test rows are never added. The plan is shown, with its cost, "
        "before any call.",
        epilog="Built-in instructions (when none are given): "
        + "; ".join(DEFAULT_INSTRUCTIONS)
        + ". Edit a plan: --plan-out FILE, change it, then --plan FILE.",
    )
    add_project_arg(p)
    p.add_argument("--dataset", default=None, metavar="NAME", help="the dataset")
    p.add_argument("--model", default=None, metavar="M", help="the model that writes inputs")
    p.add_argument("--count", type=int, default=None, metavar="N", help="new inputs to ask for")
    p.add_argument(
        "--per-label",
        action="store_true",
        help="quotas per label that fill the rarest labels first (classification)",
    )
    p.add_argument(
        "--examples",
        type=int,
        default=DEFAULT_EXAMPLES,
        metavar="K",
        help=f"seed rows shown per call (default {DEFAULT_EXAMPLES}; never test rows)",
    )
    p.add_argument(
        "--instructions",
        nargs="+",
        action="extend",
        default=[],
        metavar="TEXT",
        help="variations, one grid column each (e.g. 'short and informal' 'with a typo')",
    )
    p.add_argument(
        "--temperature",
        type=float,
        default=DEFAULT_TEMPERATURE,
        metavar="T",
        help=f"sampling temperature (default {DEFAULT_TEMPERATURE:g})",
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        metavar="B",
        help=f"inputs asked for per call (default {DEFAULT_BATCH_SIZE})",
    )
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seeds the choice of seed rows")
    p.add_argument(
        "--no-json-mode",
        action="store_true",
        help="do not send response_format json_object (for servers that refuse it)",
    )
    p.add_argument(
        "--concurrency", type=int, default=8, metavar="N", help="requests in flight, 1-64"
    )
    p.add_argument(
        "--base-url",
        default=None,
        metavar="URL",
        help=f"OpenAI-compatible base URL (default: {DEFAULT_BASE_URL})",
    )
    add_provider_args(p)
    add_key_args(p)
    p.add_argument(
        "--plan-out",
        default=None,
        metavar="FILE",
        type=Path,
        help="write the plan as JSON and stop (no call): edit it, then run it with --plan",
    )
    add_force_arg(p)
    p.add_argument(
        "--plan",
        default=None,
        metavar="FILE",
        type=Path,
        help="run this plan (written by --plan-out, maybe edited) instead of making one",
    )
    p.add_argument("--yes", action="store_true", help="do not ask before calling the model")
    p.add_argument(
        "--json",
        action="store_true",
        help='print {"requested", "generated", "added", "near_duplicates", "test_leaks", '
        '"failed", "calls", "cost", ...}',
    )
    p.set_defaults(func=_inputs)


def _read_plan(path: Path) -> GenerationPlan:
    from studio.core.distil.plan import GenerationPlan
    from studio.core.errors import UserError

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CliUsageError(f"--plan {path}: no such file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliUsageError(f"--plan {path}: cannot be read ({exc}).") from None
    except json.JSONDecodeError as exc:
        raise CliUsageError(
            f"--plan {path}: line {exc.lineno}: not valid JSON ({exc.msg})."
        ) from None
    try:
        return GenerationPlan.from_json(data)
    except UserError as exc:
        raise CliUsageError(f"--plan {path}: field {exc.where}: {exc.message}") from None


def _make_plan(args: argparse.Namespace, project: Any) -> GenerationPlan:
    from studio.core.distil.plan import make_plan

    if args.plan is not None:
        given = [
            f
            for f, v in (
                ("--count", args.count),
                ("--per-label", args.per_label or None),
                ("--instructions", args.instructions or None),
            )
            if v is not None
        ]
        if given:
            raise CliUsageError(
                f"--plan FILE holds the grid: leave out {', '.join(given)} (edit the file)."
            )
        plan = _read_plan(args.plan)
        if args.model:
            plan.model = args.model
        if args.dataset and args.dataset != str(plan.dataset):
            raise CliUsageError(
                f"--dataset {args.dataset} differs from the plan's dataset {plan.dataset}."
            )
        return plan
    missing = [
        f
        for f, v in (("--dataset", args.dataset), ("--model", args.model), ("--count", args.count))
        if v is None
    ]
    if missing:
        raise CliUsageError(f"give {', '.join(missing)} (or run a saved plan with --plan FILE).")
    return make_plan(
        project,
        args.dataset,
        model=args.model,
        count=args.count,
        per_label=args.per_label,
        examples=args.examples,
        instructions=args.instructions,
        temperature=args.temperature,
        batch_size=args.batch_size,
        seed=args.seed,
    )


def format_plan(plan: GenerationPlan, estimate: PlanEstimate | None = None) -> str:
    """The plan as a text grid (labels down, instructions across) with its totals."""
    labels, instructions = plan.labels(), plan.instructions()
    names = [lb if lb is not None else "(any label)" for lb in labels]
    first = max([len("label"), *(len(n) for n in names)])
    widths = [max(len(i), 5) for i in instructions]
    lines = [
        f"Plan for {plan.dataset}: {plan.total:,} new inputs from {plan.model} "
        f"({plan.examples_per_call} examples per call, {plan.batch_size} inputs per call, "
        f"temperature {plan.temperature:g}, seed {plan.seed})",
        "  ".join(
            [
                "label".ljust(first),
                *(i.rjust(w) for i, w in zip(instructions, widths, strict=True)),
                "total",
            ]
        ),
    ]
    for label, name in zip(labels, names, strict=True):
        counts = [plan.count_of(label, i) for i in instructions]
        before = plan.labels_before.get(label) if label is not None else None
        note = f"  (has {before:,})" if before is not None else ""
        lines.append(
            "  ".join(
                [
                    name.ljust(first),
                    *(str(c).rjust(w) for c, w in zip(counts, widths, strict=True)),
                    str(sum(counts)).rjust(5),
                ]
            )
            + note
        )
    if estimate is not None:
        cost = "unknown" if estimate.cost_usd is None else f"${estimate.cost_usd:.4f}"
        cached = f" ({estimate.n_cached} cached)" if estimate.n_cached else ""
        lines.append(
            f"Calls: {estimate.n_calls}{cached}; tokens: {estimate.input_tokens:,} in, "
            f"~{estimate.output_tokens_estimated:,} out; cost: {cost}. "
            f"{estimate.price_note}".rstrip()
        )
    return "\n".join(lines) + "\n"


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        raise CliUsageError("no terminal to confirm on: pass --yes to call the model.")
    sys.stderr.write(question + " [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _inputs(args: argparse.Namespace) -> int:
    from studio.cli.provider_args import resolve_target
    from studio.core.distil.inputs import estimate_plan, run_plan
    from studio.core.output_paths import check_output_file

    if args.plan_out is not None and args.plan is not None:
        raise CliUsageError("give either --plan-out FILE (write a plan) or --plan FILE (run one).")
    if args.plan_out is not None:
        check_output_file(args.plan_out, project=args.project, force=args.force, flag="--plan-out")
    out = sys.stderr if args.json else sys.stdout
    with opened_project(args.project) as project:
        plan = _make_plan(args, project)
        if args.no_json_mode:
            plan.json_mode = False
        if args.plan_out is not None:
            from studio.core.atomic import write_bytes_atomic

            estimate = None
            write_bytes_atomic(
                args.plan_out,
                (json.dumps(plan.to_json(), indent=2, ensure_ascii=False) + "\n").encode(),
            )
            out.write(format_plan(plan, estimate))
            out.write(f"Wrote the plan to {args.plan_out}: edit it, then run it with --plan.\n")
            return EXIT_OK
        target = resolve_target(args)
        estimate = estimate_plan(project, plan, target.provider)
        out.write(format_plan(plan, estimate))
        out.flush()
        if not args.yes and not _confirm(
            f"Ask {target.provider.base_url} for {plan.total:,} inputs in {estimate.n_calls} calls?"
        ):
            eprint("studio: not confirmed; nothing was called.")
            return EXIT_BAD_INPUT
        outcome = run_plan(
            project, plan, provider=target.provider, key=target.key, concurrency=args.concurrency
        )
    if args.json:
        print_json(outcome.to_json())
    else:
        cost = "unknown" if outcome.cost_usd is None else f"${outcome.cost_usd:.4f}"
        sys.stdout.write(
            f"Requested {outcome.requested:,}, generated {outcome.generated:,}: added "
            f"{outcome.added:,}, near-duplicates dropped {outcome.near_duplicates:,}, test "
            f"leaks refused {outcome.test_leaks:,}, failed {outcome.failed:,} "
            f"({outcome.failed_calls} failed calls). Calls: {outcome.calls}, cost {cost}.\n"
        )
        if outcome.op_id is not None:
            sys.stdout.write(
                f"Added as operation {outcome.op_id} (undo: studio dataset undo --project "
                f"{args.project} {plan.dataset} --op {outcome.op_id}).\n"
            )
    return EXIT_CHECK_FAILED if outcome.failed else EXIT_OK
