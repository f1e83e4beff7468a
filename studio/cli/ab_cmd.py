"""``studio ab``: A/B-test prompt versions on a dataset split against a real model.

    studio ab --project FILE --dataset NAME [--split test|validation|train|all]
              --variant NAME@VERSION[=MODEL] --variant NAME@VERSION[=MODEL]
              [--provider NAME | --base-url URL] [--model M] [--timeout S] [--deadline S]
              [--concurrency N]
              [--scorer exact|label|label-strict|json|json-equal|json-schema|judge]
              [--schema FILE] [--judge-prompt NAME@VERSION] [--no-cache] [--json]

Where requests go: ``--provider NAME`` (a saved provider: ``studio provider add``) or
``--base-url URL`` (default OpenAI). Which key: ``OPENAI_API_KEY`` only for OpenAI's own
host, a saved provider's key (keyring) for that provider, ``--api-key-env NAME`` for any
host; another base URL gets no key by default. A key never goes over plain http to
another machine without ``--allow-insecure-key``. Every key is masked by value in all
that is stored or printed. A local server (Ollama, llama.cpp, vLLM, LM Studio) needs no key.

``=MODEL`` runs that variant on another model than its version names, so one version
can be compared on two models (``--variant intents@2=big --variant intents@2=small``).
``--timeout``/``--deadline``: see ``studio runs`` (a silent server stops the run, exit 1,
and ``studio runs resume RUN_ID`` sends the unanswered cases).

``--json`` prints ``{"run_id", "n", "variants": [{"prompt", "version", "model", "label",
"score", "ci95", "errors",
"latency_ms": {"p50", "p95"}, "tokens": {"input", "output"}, "cost_usd"}], "comparison":
{"difference", "ci95", "p_value", "test", "verdict"}, "calls": {"made", "cached",
"failed"}}``; ``score`` is correct / answered (errors are counted apart), unknown tokens
or cost are ``null``. A ``json-equal`` variant adds ``field_agreement``: ``{field:
{"agree", "scored", "share"}}``; ``label``/``label-strict`` add ``label_matches``:
``{"exact", "lenient"}``. Without ``--json``: a table, those figures and the verdict.

``--scorer json-schema`` checks answers against the prompt versions' ``response_schema``
unless ``--schema FILE`` names another; with neither it is a usage error (exit 2).

Exit codes: 0 the run completed, 1 some calls failed (no answer), 2 bad input (unknown
dataset, prompt or version, fewer than two variants, a bad URL, a dead server).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from studio.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_CHECK_FAILED,
    EXIT_OK,
    CliUsageError,
    add_project_arg,
    eprint,
    open_project_arg,
    print_json,
)
from studio.cli.provider_args import (
    DEFAULT_BASE_URL,
    add_key_args,
    add_provider_args,
    resolve_target,
)
from studio.cli.runs_cmd import add_limit_args, add_no_cache_arg, limits_from_args, report_stop

SCORER_CHOICES = ("exact", "label", "label-strict", "json", "json-equal", "json-schema", "judge")


def register(sub: Any) -> None:
    """Add the ``ab`` command."""
    p = sub.add_parser(
        "ab",
        help="A/B-test two or more prompt versions on a dataset split, with statistics",
        description="Run each example of a dataset split through two or more prompt "
        "versions against a model, score the answers and compare the versions "
        "(Wilson intervals, exact McNemar test, a plain verdict).",
        formatter_class=_KeepLinesFormatter,
        epilog=_scorers_epilog(),
    )
    add_project_arg(p)
    p.add_argument("--dataset", required=True, metavar="NAME", help="the dataset to test on")
    p.add_argument(
        "--split",
        default="test",
        choices=("test", "validation", "train", "all"),
        help="which examples (default: test)",
    )
    p.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME@VERSION[=MODEL]",
        help="a prompt version (or NAME@label), optionally on another model "
        "(=MODEL); give two or more (the first is the baseline A)",
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
        "--model",
        default=None,
        metavar="M",
        help="model for every variant without =MODEL (default: each version's own model)",
    )
    add_limit_args(p)
    p.add_argument(
        "--concurrency",
        type=int,
        default=8,
        metavar="N",
        help="requests in flight, 1-64 (default 8)",
    )
    p.add_argument(
        "--scorer",
        default=None,
        choices=SCORER_CHOICES,
        help="how answers are scored (default: label for classification "
        "datasets, else exact; each is explained below)",
    )
    p.add_argument(
        "--schema",
        default=None,
        metavar="FILE",
        help="JSON Schema file for --scorer json-schema (default: the prompt "
        "version's response_schema)",
    )
    p.add_argument(
        "--judge-prompt",
        default=None,
        metavar="NAME@VERSION",
        help="the judge prompt for --scorer judge",
    )
    add_no_cache_arg(p)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=_ab)


class _KeepLinesFormatter(argparse.HelpFormatter):
    """Wraps the description as usual; keeps pre-formatted text (the scorer list) as is."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def _scorers_epilog() -> str:
    from studio.core.evals.run_scoring import scorer_help_text

    return "scorers (--scorer), each with an answer that passes and one that fails:\n\n" + (
        scorer_help_text(SCORER_CHOICES)
    )


def _schema_arg(path: str) -> dict[str, Any]:
    """The ``--schema`` file as a checked JSON Schema (usage error naming the file)."""
    from pathlib import Path

    from studio.cli.validate_cmd import load_schema
    from studio.core.errors import ValidationError
    from studio.core.evals.json_scorers import JsonSchemaValid

    schema = load_schema(Path(path))
    try:
        JsonSchemaValid(schema)
    except ValidationError as exc:
        raise CliUsageError(
            f"The schema file {path} is not a valid JSON Schema: {exc.message}"
        ) from None
    return schema


def _ab(args: argparse.Namespace) -> int:
    from studio.core.datasets.catalog import get_dataset
    from studio.core.evals import run_execute, run_results, run_setup
    from studio.core.evals.summary import format_text

    if len(args.variant) < 2:
        raise CliUsageError(
            "give at least two prompt versions to compare: --variant NAME@VERSION "
            "--variant NAME@VERSION."
        )
    if args.scorer == "judge" and not args.judge_prompt:
        raise CliUsageError("--scorer judge needs --judge-prompt NAME@VERSION.")
    from studio.core.evals.variant_arg import parse_variant_arg

    variants = [parse_variant_arg(ref, args.model) for ref in args.variant]
    limits = limits_from_args(args)
    target = resolve_target(args)
    provider, key = target.provider, target.key
    project = open_project_arg(args.project)
    try:
        info = get_dataset(project, args.dataset)
        scorer = args.scorer or ("label" if info.task_type == "classification" else "exact")
        config: dict[str, Any] = {}
        if args.judge_prompt:
            config["judge_prompt"] = args.judge_prompt
        if args.schema is not None:
            if scorer != "json-schema":
                raise CliUsageError("--schema is for --scorer json-schema.")
            config["schema"] = _schema_arg(args.schema)
        spec = run_setup.RunSpec(
            dataset=info.id,
            variants=variants,
            provider=provider,
            split=args.split,
            scorer=scorer,
            scorer_config=config,
            concurrency=args.concurrency,
            limits=limits,
        )
        run_id = run_setup.create_run(project, spec)
        if not args.json:
            eprint(
                f"Run {run_id}: {len(args.variant)} variants on {info.name} "
                f"({args.split}) at {provider.base_url} ..."
            )
        outcome = run_execute.execute_run(project, run_id, key=key, cache=not args.no_cache)
        stopped = report_stop(outcome, args.project, project if args.json else None)
        if stopped is not None:
            return stopped
        if outcome.failed_reason:
            eprint(f"studio: {outcome.failed_reason}")
            return EXIT_BAD_INPUT
        summary = run_results.run_summary(project, run_id)
    finally:
        project.close()
    if args.json:
        print_json(summary.to_cli_json())
    else:
        sys.stdout.write(format_text(summary))
    if summary.calls.get("failed", 0) > 0:
        return EXIT_CHECK_FAILED
    return EXIT_OK
