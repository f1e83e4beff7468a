"""The streaming validator: every line of a fine-tuning JSONL file gets a verdict.

The file is read in binary, one LF-terminated line at a time (never whole), and parsed
with orjson. Per line: generic JSONL rules (docs/formats.md §1), the target's own rules, token
counts, secrets/PII, special tokens, duplicates and an optional JSON Schema for the
assistant outputs. The validator never raises on file content: a line that breaks one of
our own checks is reported as ``check_failed``, not as a crash.

Speed (benchmarks/bench_validate.py): plain OpenAI chat lines take an exact fast path
(fastpath.py) that checks, counts and keys the record in one walk; the content scans run
once per raw line behind cheap C-speed gates (scan.py); every other line takes the full
path. Both paths give the same findings, counts and statistics.
"""

from __future__ import annotations

import contextlib
import hashlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson

from studio.core.errors import UserError
from studio.core.formats.aliases import check_aliases
from studio.core.formats.collector import FindingCollector, report_parse_failure
from studio.core.formats.common import (
    UTF8_BOM,
    CheckContext,
    Finding,
    RecordResult,
    ValidationReport,
)
from studio.core.formats.detect import (
    choose_format,
    describe_style,
    detect_record,
    prompt_completion_style,
)
from studio.core.formats.duplicate_keys import FastKeys
from studio.core.formats.fastpath import FAST_FORMATS, FAST_PRIMARY, make_plain_chat
from studio.core.formats.file_stats import token_stats, training_stats
from studio.core.formats.json_array import json_array_items
from studio.core.formats.output_schema import check_output, compile_schema
from studio.core.formats.registry import FORMATS
from studio.core.formats.scan import find_control_chars, might_have_control_chars, scan_line
from studio.core.json_depth import MAX_DEPTH, nesting_excess
from studio.core.progress import CancelToken, Progress, ProgressCallback
from studio.core.tokens.counting import (
    caching_counter,
    counter,
    encoding_for_model,
    role_counter,
)
from studio.core.tokens.prices import PriceTable, load_price_table

PRESCAN_LINES = 500
PRESCAN_BYTES = 4 * 1024 * 1024
PROGRESS_EVERY = 2048
OPENAI_MAX_FILE_BYTES = 512 * 1024 * 1024
VERTEX_MAX_FILE_BYTES = 1024 * 1024 * 1024


def _normalise_format(fmt: str) -> str:
    name = fmt.strip().lower().replace("_", "-")
    if name != "auto" and name not in FORMATS:
        raise UserError(
            f"Unknown format {fmt!r}; use auto or one of: {', '.join(FORMATS)}.", where="format"
        )
    return name


def _prescan(path: Path) -> list[Any]:
    records: list[Any] = []
    read = 0
    with path.open("rb") as fh:
        for i, raw in enumerate(fh):
            read += len(raw)
            if i >= PRESCAN_LINES or read > PRESCAN_BYTES:
                break
            body = raw[3:] if i == 0 and raw.startswith(UTF8_BOM) else raw
            try:
                records.append(orjson.loads(body))
            except orjson.JSONDecodeError:
                continue
    return records


def validate_file(
    path: Path,
    fmt: str = "auto",
    *,
    model: str | None = None,
    schema: dict[str, Any] | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    max_findings_per_code: int = 1000,
    price_table: PriceTable | None = None,
) -> ValidationReport:
    """Validate a fine-tuning JSONL file for one target (or detect it with ``auto``).

    Args:
        path: the JSONL file.
        fmt: ``auto`` or a name in :data:`FORMATS` (openai-chat, vertex-gemini, ...).
        model: target model for token limits, encoding and cost (default per format).
        schema: a Draft 2020-12 JSON Schema the assistant outputs must match.
        progress: called with bytes done / file size every few thousand lines.
        cancel: checked every few thousand lines; cancelling raises CancelledError.
        max_findings_per_code: findings listed per code; the rest are only counted.
        price_table: prices to use (default: :func:`load_price_table`).

    Raises:
        UserError: ``fmt`` is unknown or ``schema`` is not a valid JSON Schema.
        CancelledError: ``cancel`` was triggered.
    """
    path = Path(path)
    name = _normalise_format(fmt)
    validator = compile_schema(schema)
    col = FindingCollector(max_findings_per_code)
    stats: dict[str, Any] = {}

    def early(format_name: str, code: str, message: str) -> ValidationReport:
        col.file_level("error", code, message)
        stats.update({"lines": 0, "findings_by_code": dict(col.by_code)})
        return ValidationReport(str(path), format_name, False, 0, col.findings, stats)

    try:
        size = path.stat().st_size
        if not path.is_file():
            return early(name, "cannot_read", f"{path} is not a regular file.")
        with path.open("rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        return early(name, "cannot_read", f"Cannot read {path}: {exc.strerror or exc}.")
    if size == 0:
        return early(name, "empty_file", "The file is empty.")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return early(
            name, "invalid_utf8", "The file is UTF-16 encoded; save it as UTF-8 (without BOM)."
        )

    try:
        array_items = json_array_items(path)
    except OSError as exc:
        return early(name, "cannot_read", f"Cannot read {path}: {exc.strerror or exc}.")
    if array_items is not None:
        # G8: a JSON array is not JSONL, but each element is still checked, and every
        # finding names the line where its element starts.
        col.line = 1
        col.error(
            "not_jsonl",
            f"The file is a JSON array of {len(array_items):,} elements, not JSONL (one "
            "object per line); each element was checked and its findings name the line "
            "where it starts. Use 'convert JSON array to JSONL'.",
        )
        col.line = None

    detected_from: str | None = None
    if name == "auto":
        try:
            sample = (
                _prescan(path)
                if array_items is None
                else [orjson.loads(body) for _, body in array_items[:PRESCAN_LINES]]
            )
        except OSError as exc:
            return early(name, "cannot_read", f"Cannot read {path}: {exc.strerror or exc}.")
        chosen = choose_format(sample)
        detected_from = f"{len(sample)} sampled " + (
            "lines" if array_items is None else "array elements"
        )
        if chosen is None:
            col.file_level(
                "error",
                "unknown_format",
                "Could not detect a fine-tuning format from the first lines, so "
                "the file was checked as openai-chat; choose a format explicitly.",
            )
            chosen = "openai-chat"
            detected_from = None  # nothing was detected: never "detected from 0 lines"
        name_used = chosen
    else:
        name_used = name
    spec = FORMATS[name_used]
    model_used = model or spec.default_model
    encoding = encoding_for_model(model_used) if model_used else "o200k_base"
    table: PriceTable | None = price_table
    if table is None:
        try:
            table = load_price_table()
        except UserError as exc:
            col.file_level("warning", "price_table_error", f"{exc} Costs are not estimated.")
    entry = table.get(model_used) if table and model_used else None
    limit = (
        entry.max_example_tokens if entry and entry.max_example_tokens else spec.max_example_tokens
    )
    exact = spec.exact_tokens and (entry is None or entry.encoding is not None)
    ctx = CheckContext(
        count=caching_counter(encoding),
        role_count=role_counter(encoding),
        model=model_used,
        encoding=encoding,
    )
    checker = spec.make_checker(ctx)

    tokens: array[int] = array("q")
    seen: dict[bytes | int, int] = {}
    # The fast path (fastpath.py) stands in for detection and the format rules on plain
    # chat lines; it is exact, and every other line takes the full path below.
    plain = (
        make_plain_chat(counter(encoding), ctx.role_count)
        if name_used in FAST_FORMATS and array_items is None
        else None
    )
    fast_keys = FastKeys(path)
    starts = fast_keys.starts
    format_counts: Counter[str] = Counter()
    pc_styles: Counter[str] = Counter()
    verdicts = [0, 0, 0, 0]  # ok, info, warning, error (index = severity rank)
    lineno = examples = blank = crlf = duplicates = content = fast_lines = 0
    bytes_done = 0
    skip_rest: str | None = None
    loads = orjson.loads
    decode_error = orjson.JSONDecodeError
    dumps = orjson.dumps
    sort_keys = orjson.OPT_SORT_KEYS
    blake = hashlib.blake2b
    check = checker.check
    add = col.add
    too_long_sev = "error" if exact else "warning"
    mismatch_code = "mixed_formats" if name == "auto" else "format_mismatch"

    def report_progress() -> None:
        if cancel is not None:
            cancel.raise_if_cancelled()
        if progress is not None:
            progress(Progress(bytes_done, size, f"{lineno:,} lines", col.errors))

    report_progress()
    with path.open("rb") as fh, contextlib.closing(fast_keys):
        source: Iterable[tuple[int, bytes]] = (
            enumerate(fh, 1) if array_items is None else array_items
        )
        for lineno, raw in source:
            starts.append(bytes_done)
            bytes_done += len(raw)
            if not lineno % PROGRESS_EVERY:
                report_progress()
            col.line = lineno
            col.line_rank = 0
            if skip_rest is not None:
                verdicts[3] += 1
                continue
            if raw.endswith(b"\r\n"):
                crlf += 1
            body = raw
            if lineno == 1 and raw.startswith(UTF8_BOM):
                col.error(
                    "utf8_bom",
                    "The file starts with a UTF-8 byte order mark (BOM); "
                    "JSON parsers reject it. Use 'strip BOM'.",
                )
                body = raw[3:]
            if body[:1] != b"{" and not body.strip():
                blank += 1
                col.error(
                    "empty_line",
                    "Blank line: every line must hold one JSON object "
                    "(remove empty lines, including at the end).",
                )
                verdicts[3] += 1
                continue
            content += 1
            try:
                obj = loads(body)
            except decode_error as exc:
                stripped = body.lstrip()
                if content == 1 and (stripped.startswith(b"[") or stripped.rstrip() == b"{"):
                    skip_rest = "not_jsonl"
                    col.file_level(
                        "error",
                        "not_jsonl",
                        "The file is a pretty-printed JSON "
                        + ("array" if stripped.startswith(b"[") else "document")
                        + ", not JSONL (one object per line). Use 'convert JSON "
                        "array to JSONL'.",
                    )
                    verdicts[3] += 1
                    continue
                report_parse_failure(body, exc, col)
                verdicts[col.line_rank] += 1
                continue
            if type(obj) is not dict:
                if (
                    content == 1
                    and isinstance(obj, list)
                    and obj
                    and all(isinstance(x, dict) for x in obj)
                ):
                    col.file_level(
                        "error",
                        "not_jsonl",
                        f"Line 1 is a JSON array of {len(obj)} objects: the file is "
                        "JSON, not JSONL. Use 'convert JSON array to JSONL'.",
                    )
                    col.line_rank = 3
                else:
                    col.error(
                        "not_an_object",
                        "Each line must be a JSON object, not "
                        f"{'an array' if isinstance(obj, list) else type(obj).__name__}.",
                    )
                verdicts[col.line_rank] += 1
                continue
            if nesting_excess(body) is not None:  # cheap unless the line is bracket-heavy
                col.error(
                    "too_deep",
                    f"The JSON is nested more than {MAX_DEPTH} levels deep; "
                    "no training format nests like this.",
                )
                verdicts[3] += 1
                continue
            examples += 1
            fast = None
            if plain is not None:
                try:
                    fast = plain(obj)
                except Exception:  # the full path below reports whatever this was
                    fast = None
            try:
                key: bytes | int | None = None
                n_tokens: int | None
                outputs: list[str]
                if fast is not None:
                    if not fast_lines:  # keep format_counts in first-seen order
                        format_counts.setdefault(FAST_PRIMARY, 0)
                    fast_lines += 1
                    n_tokens, outputs, key = fast
                else:
                    primary, fits = detect_record(obj, deep=False)
                    format_counts[primary or "unknown"] += 1
                    style = prompt_completion_style(obj)
                    if style is not None:
                        pc_styles[style] += 1
                        if style == "openai-legacy" and pc_styles[style] == 1:
                            col.info(
                                "legacy_prompt_completion",
                                "This line is in OpenAI's legacy prompt/completion "
                                "format (separator at the end of the prompt, completion "
                                "starting with a space or ending with a stop sequence; "
                                "babbage-002/davinci-002, no longer trainable). TRL and "
                                "Together train on the text as it is, markers included; "
                                "OpenAI's chat models need 'messages'.",
                            )
                    if primary is not None and name_used not in fits:
                        looks = describe_style(style) or primary
                        col.error(
                            mismatch_code,
                            f"This line looks like {looks}, but the file is validated "
                            f"as {name_used}"
                            + (f" (detected from {detected_from})" if detected_from else "")
                            + ".",
                        )
                        result = RecordResult()
                    else:
                        result = check(obj, col)
                    # an alias is often why a line looks like another format
                    check_aliases(name_used, obj, col)
                    n_tokens, outputs = result.tokens, result.outputs
                if n_tokens is not None:
                    tokens.append(n_tokens)
                    if limit is not None and n_tokens > limit:
                        add(
                            too_long_sev,
                            "example_too_long",
                            f"The example has {n_tokens:,} tokens"
                            + ("" if exact else " (estimated)")
                            + f", over the {limit:,}-token limit of {model_used}; the "
                            "end (the answer) would be truncated.",
                        )
                scan_line(body, add)
                if b"\\" in body and might_have_control_chars(body):
                    where = find_control_chars(obj)
                    if where:
                        col.warning(
                            "control_character",
                            f"A string contains the control character {where}; "
                            "usually a data-cleaning accident.",
                        )
                if key is None:
                    try:
                        key = blake(dumps(obj, option=sort_keys), digest_size=16).digest()
                    except TypeError:  # deeper than orjson.dumps allows
                        key = blake(body.strip(), digest_size=16).digest()
                first = seen.get(key)
                if first is None:
                    seen[key] = lineno
                elif isinstance(key, int):
                    first = fast_keys.match(key, first, obj, lineno)
                if first is not None:
                    duplicates += 1
                    col.warning("duplicate_example", f"Duplicate of line {first}.")
                if validator is not None:
                    for i, output in enumerate(outputs, 1):
                        check_output(output, i, validator, col)
            except Exception as exc:  # a bug of ours must not stop the file
                col.error(
                    "check_failed",
                    f"This line could not be fully checked ({type(exc).__name__}); "
                    "please report it.",
                )
            verdicts[col.line_rank] += 1
    col.line = None
    if array_items is not None:  # "lines" counts the file's lines, not its elements
        data = path.read_bytes()
        lineno = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
        del data
    if fast_lines:
        format_counts[FAST_PRIMARY] += fast_lines
    report_progress()
    try:
        checker.finish(col)
    except Exception as exc:
        col.file_level("error", "check_failed", f"File-level checks failed ({type(exc).__name__}).")
    if crlf:
        col.file_level(
            "info",
            "crlf_line_endings",
            f"{crlf:,} lines end with CRLF; harmless (CR is JSON whitespace).",
        )
    if skip_rest is None:
        if examples < spec.min_examples:
            col.file_level(
                "error",
                "too_few_examples",
                f"The file has {examples} examples; {spec.title} needs at least "
                f"{spec.min_examples}.",
            )
        elif examples < spec.recommended_examples:
            col.file_level(
                "warning",
                "few_examples",
                f"The file has {examples} examples; at least "
                f"{spec.recommended_examples} are recommended for {spec.title}.",
            )
    if spec.name.startswith("openai") and size > OPENAI_MAX_FILE_BYTES:
        col.file_level(
            "error",
            "file_too_large",
            "OpenAI accepts files up to 512 MB per upload (8 GB through the Uploads API).",
        )
    if spec.name == "vertex-gemini" and size > VERTEX_MAX_FILE_BYTES:
        col.file_level("error", "file_too_large", "Vertex AI accepts training files up to 1 GB.")
    for code, n in sorted(col.by_code.items()):
        if n > col.cap:
            col.findings.append(
                Finding(
                    None,
                    "info",
                    "findings_truncated",
                    f"{n - col.cap:,} more '{code}' findings are not listed.",
                )
            )
    stats.update(
        {
            "lines": lineno,
            "blank_lines": blank,
            "crlf_lines": crlf,
            "bytes": size,
            "duplicates": duplicates,
            "detected_from": detected_from,
            "format_counts": dict(format_counts),
            "prompt_completion_styles": dict(pc_styles),
            "verdicts": {
                "ok": verdicts[0],
                "info": verdicts[1],
                "warning": verdicts[2],
                "error": verdicts[3],
            },
            "findings_by_code": dict(sorted(col.by_code.items())),
            "tokens": token_stats(tokens, limit, exact, encoding),
            "training": training_stats(tokens, spec, model_used, table, limit, encoding),
        }
    )
    if not exact:
        stats["tokens"]["note"] = (
            "Estimated with " + encoding + "; " + spec.title + " models use their own tokenizer."
        )
    return ValidationReport(
        file=str(path),
        format=name_used,
        valid=col.errors == 0,
        examples=examples,
        findings=col.findings,
        stats=stats,
    )


ValidateFn = Callable[..., ValidationReport]
