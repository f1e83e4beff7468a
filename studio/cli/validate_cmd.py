"""``studio validate PATH``: check a fine-tuning JSONL file offline, for one target.

Exit codes: 0 the file is valid (no error; warnings allowed), 1 it is invalid, 2 the
input cannot be read or the usage is wrong (missing file, unreadable or invalid schema
file, unknown format). ``--json`` prints the validator's report as one object:
``{"file", "format", "valid", "examples", "findings": [{"line", "severity", "code",
"message"}], "stats": {...}}``, exactly :meth:`ValidationReport.to_json`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson

from studio.cli.common import EXIT_CHECK_FAILED, EXIT_OK, CliUsageError, print_json
from studio.core.errors import UserError
from studio.core.formats import FORMATS, Finding, ValidationReport, validate_file

FORMAT_CHOICES = ("auto", *FORMATS)
LINES_SHOWN = 5  # first N findings shown per code in the human output
SEVERITY_ORDER = ("error", "warning", "info")
SEVERITY_TITLE = {"error": "Errors", "warning": "Warnings", "info": "Notes"}


def register(sub: Any) -> None:
    """Add the ``validate`` command."""
    p = sub.add_parser(
        "validate",
        help="check a fine-tuning JSONL file for a target, offline",
        description="Check a fine-tuning JSONL file offline: JSON per line, the target's "
        "rules, token limits and cost, duplicates, secrets and personal data.",
    )
    p.add_argument("path", metavar="PATH", help="the JSONL file")
    p.add_argument(
        "--format",
        default="auto",
        choices=FORMAT_CHOICES,
        metavar="FORMAT",
        help="auto (default) or one of: " + ", ".join(FORMATS),
    )
    p.add_argument(
        "--model",
        metavar="NAME",
        help="target model for token limits and cost (default: per format)",
    )
    p.add_argument(
        "--schema",
        metavar="SCHEMA.json",
        type=Path,
        help="JSON Schema the assistant outputs must match",
    )
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.set_defaults(func=run_validate)


def load_schema(path: Path) -> dict[str, Any]:
    """Read a JSON Schema file; CliUsageError naming the file when it is unusable."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CliUsageError(f"Cannot read the schema file {path}: {exc.strerror or exc}.") from None
    from studio.core.json_depth import check_text_depth

    check_text_depth(data, f"The schema file {path}")
    try:
        schema = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise CliUsageError(
            f"The schema file {path} is not valid JSON (line {exc.lineno}, "
            f"column {exc.colno}: {exc.msg})."
        ) from None
    if not isinstance(schema, dict):
        raise CliUsageError(f"The schema file {path} must hold a JSON object (a JSON Schema).")
    return schema


def check_readable(path: Path) -> None:
    """CliUsageError naming ``path`` when it is missing, a folder or unreadable."""
    if not path.exists():
        raise CliUsageError(f"The file {path} does not exist.")
    if not path.is_file():
        raise CliUsageError(f"{path} is not a file.")
    if not os.access(path, os.R_OK):
        raise CliUsageError(f"The file {path} cannot be read (permission denied).")


def run_validate(args: argparse.Namespace) -> int:
    """Validate one file; exit 0 valid, 1 invalid, 2 unreadable or bad usage."""
    path = Path(args.path)
    check_readable(path)
    schema = load_schema(args.schema) if args.schema is not None else None
    try:
        report = validate_file(path, args.format, model=args.model, schema=schema)
    except UserError as exc:
        if exc.where == "schema" and args.schema is not None:
            detail = exc.message.removeprefix("The output JSON Schema is invalid: ")
            raise CliUsageError(
                f"The schema file {args.schema} is not a valid JSON Schema: {detail}"
            ) from None
        raise
    unreadable = [f for f in report.findings if f.code == "cannot_read"]
    if unreadable:
        raise CliUsageError(unreadable[0].message)
    if args.json:
        print_json(report.to_json())
    else:
        sys.stdout.write(render_human(report, args.model))
    return EXIT_OK if report.valid else EXIT_CHECK_FAILED


# -- human output -------------------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def group_findings(findings: list[Finding]) -> dict[str, dict[str, list[Finding]]]:
    """severity -> code -> findings (in file order), severities and codes in a stable order."""
    grouped: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for f in findings:
        grouped[f.severity][f.code].append(f)
    return {sev: dict(sorted(grouped[sev].items())) for sev in SEVERITY_ORDER if sev in grouped}


def summary_line(report: ValidationReport) -> str:
    """``file: VALID/INVALID for FORMAT — N examples, E errors, W warnings``."""
    by_sev: dict[str, int] = defaultdict(int)
    counts = report.stats.get("findings_by_code") or {}
    listed: dict[str, int] = defaultdict(int)
    for f in report.findings:
        if f.code != "findings_truncated":
            listed[f.code] += 1
    sev_of = {f.code: f.severity for f in report.findings}
    for code, sev in sev_of.items():
        if code == "findings_truncated":
            continue
        by_sev[sev] += max(int(counts.get(code, 0)), listed[code])
    verdict = "VALID" if report.valid else "INVALID"
    detected = report.stats.get("detected_from")
    fmt = report.format + (f" (detected from {detected})" if detected else "")
    return (
        f"{report.file}: {verdict} for {fmt} - {_plural(report.examples, 'example')}, "
        f"{_plural(by_sev['error'], 'error')}, {_plural(by_sev['warning'], 'warning')}, "
        f"{by_sev['info']:,} info"
    )


def render_human(report: ValidationReport, model: str | None = None) -> str:
    """The report as text: summary, findings by severity and code, tokens and cost."""
    out = [summary_line(report)]
    formats = report.stats.get("format_counts") or {}
    if len(formats) > 1:
        out.append(
            "Formats seen: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(formats.items(), key=lambda x: -x[1]))
        )
    counts = report.stats.get("findings_by_code") or {}
    for sev, codes in group_findings(report.findings).items():
        out.append("")
        out.append(SEVERITY_TITLE[sev])
        for code, items in codes.items():
            n = max(int(counts.get(code, 0)), len(items))
            out.append(f"  {code} ({n:,})")
            for f in items[:LINES_SHOWN]:
                where = f"line {f.line}" if f.line is not None else "file"
                out.append(f"    {where}: {f.message}")
            if n > LINES_SHOWN:
                lines = [f.line for f in items[LINES_SHOWN:] if f.line is not None]
                more = f"    ... {n - LINES_SHOWN:,} more"
                if lines:
                    shown = ", ".join(str(x) for x in lines[:10])
                    more += f" (lines {shown}{', ...' if len(lines) > 10 else ''})"
                out.append(more)
    out.append("")
    out.extend(token_lines(report.stats, model))
    return "\n".join(out) + "\n"


def token_lines(stats: dict[str, Any], model: str | None = None) -> list[str]:
    """Token statistics and the cost estimate with the price table's date."""
    tokens = stats.get("tokens") or {}
    training = stats.get("training") or {}
    lines: list[str] = []
    if not tokens.get("count"):
        lines.append("Tokens: no example could be counted.")
        return lines
    how = "exact" if tokens.get("exact") else "estimated"
    lines.append(
        f"Tokens ({tokens.get('encoding')}, {how}): {tokens['total']:,} total over "
        f"{tokens['count']:,} examples; min {tokens['min']:,}, mean {tokens['mean']:,}, "
        f"p50 {tokens['p50']:,}, p95 {tokens['p95']:,}, max {tokens['max']:,}."
    )
    if tokens.get("limit"):
        lines.append(
            f"Limit {tokens['limit']:,} tokens per example: "
            f"{_plural(tokens.get('over_limit', 0), 'example')} over."
        )
    if tokens.get("note"):
        lines.append(str(tokens["note"]))
    used = training.get("model")
    billed = training.get("billed_tokens", 0)
    epochs = training.get("epochs")
    cost = training.get("estimated_cost")
    as_of = training.get("price_as_of")
    if cost is not None:
        lines.append(
            f"Training on {used}: {epochs} epochs x tokens = {billed:,} billed tokens, about "
            f"{cost:,.4f} {training.get('currency') or 'USD'} (prices as of {as_of}, "
            f"{training.get('price_file')})."
        )
    elif used:
        why = (
            (
                f"{used} has no training price in the price table"
                + (f" dated {as_of}" if as_of else "")
            )
            if as_of
            else "no price table"
        )
        lines.append(
            f"Training: {epochs} epochs, {billed:,} billed tokens; no cost estimate ({why})."
        )
    return lines
