"""The streaming validator: every line of a fine-tuning JSONL file gets a verdict.

The file is read in binary, one LF-terminated line at a time (never whole), and parsed
with orjson. Per line: generic JSONL rules (formats.md §1), the target's own rules, token
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
import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson

from studio.core.errors import UserError
from studio.core.formats.aliases import check_aliases
from studio.core.formats.common import (
    SEVERITY_RANK,
    CheckContext,
    Finding,
    FormatSpec,
    RecordResult,
    Severity,
    ValidationReport,
)
from studio.core.formats.detect import (
    choose_format,
    describe_style,
    detect_record,
    prompt_completion_style,
)
from studio.core.formats.fastpath import FAST_FORMATS, FAST_PRIMARY, make_plain_chat
from studio.core.formats.registry import FORMATS
from studio.core.formats.scan import find_control_chars, might_have_control_chars, scan_line
from studio.core.json_depth import MAX_DEPTH, nesting_excess, value_too_deep
from studio.core.progress import CancelToken, Progress, ProgressCallback
from studio.core.quantiles import percentile
from studio.core.tokens.counting import (
    caching_counter,
    counter,
    encoding_for_model,
    role_counter,
)
from studio.core.tokens.prices import PriceTable, default_epochs, load_price_table

PRESCAN_LINES = 500
PRESCAN_BYTES = 4 * 1024 * 1024
PROGRESS_EVERY = 2048
OPENAI_MAX_FILE_BYTES = 512 * 1024 * 1024
VERTEX_MAX_FILE_BYTES = 1024 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"
_HIST_EDGES = (0, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072)


class _Collector:
    """Collects findings for the current line, capped per code, and tracks the verdict."""

    def __init__(self, cap: int) -> None:
        self.findings: list[Finding] = []
        self.by_code: Counter[str] = Counter()
        self.cap = max(1, cap)
        self.line: int | None = None
        self.line_rank = 0
        self.errors = 0

    def add(self, severity: str, code: str, message: str) -> None:
        n = self.by_code[code] + 1
        self.by_code[code] = n
        sev: Severity = "error" if severity == "error" else (
            "warning" if severity == "warning" else "info")
        if n <= self.cap:
            self.findings.append(Finding(self.line, sev, code, message))
        rank = SEVERITY_RANK[sev]
        if rank > self.line_rank:
            self.line_rank = rank
        if sev == "error":
            self.errors += 1

    def error(self, code: str, message: str) -> None:
        self.add("error", code, message)

    def warning(self, code: str, message: str) -> None:
        self.add("warning", code, message)

    def info(self, code: str, message: str) -> None:
        self.add("info", code, message)

    def file_level(self, severity: str, code: str, message: str) -> None:
        saved, saved_rank = self.line, self.line_rank
        self.line = None
        self.add(severity, code, message)
        self.line, self.line_rank = saved, saved_rank


def _normalise_format(fmt: str) -> str:
    name = fmt.strip().lower().replace("_", "-")
    if name != "auto" and name not in FORMATS:
        raise UserError(f"Unknown format {fmt!r}; use auto or one of: {', '.join(FORMATS)}.",
                        where="format")
    return name


def compile_schema(schema: dict[str, Any] | None) -> Any:
    """A compiled Draft 2020-12 validator for ``schema`` (None for None).

    Raises:
        UserError: ``schema`` is not a valid JSON Schema.
    """
    if schema is None:
        return None
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    if value_too_deep(schema):
        raise UserError(f"The output JSON Schema is invalid: it is nested more than "
                        f"{MAX_DEPTH} levels deep.", where="schema")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise UserError(f"The output JSON Schema is invalid: {exc.message}.",
                        where="schema") from None
    # ONE compiled validator for the whole file (jsonschema.validate per line re-checks the
    # schema every call: 313 docs/s instead of 6,500).
    return Draft202012Validator(schema)


def _prescan(path: Path) -> list[Any]:
    records: list[Any] = []
    read = 0
    with path.open("rb") as fh:
        for i, raw in enumerate(fh):
            read += len(raw)
            if i >= PRESCAN_LINES or read > PRESCAN_BYTES:
                break
            body = raw[3:] if i == 0 and raw.startswith(_BOM) else raw
            try:
                records.append(orjson.loads(body))
            except orjson.JSONDecodeError:
                continue
    return records


ARRAY_MAX_BYTES = 256 * 1024 * 1024
"""Largest whole-file JSON array whose elements are checked one by one."""
# A JSON string, or one of the characters that delimit array elements
_ARRAY_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{},]')


def json_array_items(path: Path) -> list[tuple[int, bytes]] | None:
    """(line where it starts, the element as one JSON line) for each element of a file
    whose whole content is one JSON array; None for any other file.

    Raises:
        OSError: the file cannot be read.
    """
    with path.open("rb") as fh:
        head = fh.read(4096)
    head = head[3:] if head.startswith(_BOM) else head
    if head.lstrip()[:1] != b"[" or path.stat().st_size > ARRAY_MAX_BYTES:
        return None
    data = path.read_bytes()
    offset = 3 if data.startswith(_BOM) else 0
    try:
        doc = orjson.loads(data[offset:])
    except orjson.JSONDecodeError:
        return None  # not one JSON document: the line-by-line checks report it
    if not isinstance(doc, list):
        return None
    starts: list[int] = []
    depth = 0
    for m in _ARRAY_TOKENS.finditer(data, offset):
        tok = m.group()
        if tok in (b"[", b"{"):
            depth += 1
            if depth == 1:
                starts.append(m.end())
        elif tok in (b"]", b"}"):
            depth -= 1
        elif tok == b"," and depth == 1:
            starts.append(m.end())
    lines: list[int] = []
    newline_count, counted_to = 0, 0
    for at in starts[:len(doc)]:
        while at < len(data) and data[at] in b" \t\r\n":
            at += 1
        newline_count += data.count(b"\n", counted_to, at)
        counted_to = at
        lines.append(newline_count + 1)
    if len(lines) != len(doc):  # cannot happen for a parsed array; never guess lines
        lines = [1] * len(doc)
    return [(line, orjson.dumps(item) + b"\n") for line, item in zip(lines, doc, strict=True)]


def _parse_failure(body: bytes, exc: orjson.JSONDecodeError, col: _Collector) -> None:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as bad:
        col.error("invalid_utf8",
                  f"Byte {bad.start + 1} (0x{body[bad.start]:02x}) is not valid UTF-8; the file "
                  "must be UTF-8 encoded.")
        return
    msg = exc.msg
    if body.startswith(_BOM):
        col.error("utf8_bom", "The line starts with a UTF-8 byte order mark (BOM); JSON "
                              "parsers reject it. Use 'strip BOM'.")
    elif "surrogate" in msg:
        col.error("lone_surrogate",
                  f"Invalid JSON at column {exc.colno}: {msg} (a lone \\uD800-\\uDFFF escape "
                  "cannot be encoded as UTF-8).")
    else:
        col.error("invalid_json", f"Invalid JSON at column {exc.colno}: {msg}.")


class _FastKeys:
    """Confirms repeated fast-path duplicate keys by re-reading the earlier line.

    The fast path keys a record by a 64-bit hash of its content instead of hashing its
    canonical JSON (saves a sort-keys dump and a blake2b per line). Two different records
    can share a 64-bit key, so a repeated key counts as a duplicate only once the earlier
    line, read back from the file at its offset, has the same canonical JSON. Records that
    collide without being equal are all kept as candidates, so later copies of any of them
    are still found.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.starts: array[int] = array("q")  # byte offset of each line (index lineno - 1)
        self.others: dict[int, list[int]] = {}  # key -> later non-equal lines with that key
        self._fh: Any = None

    def match(self, key: int, first: int, obj: dict[str, Any], lineno: int) -> int | None:
        """The earlier line equal to ``obj`` among those keyed ``key``, else None."""
        canon = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
        others = self.others.get(key)
        for line in (first, *others) if others else (first,):
            if self._canonical(line) == canon:
                return line
        self.others.setdefault(key, []).append(lineno)
        return None

    def _canonical(self, line: int) -> bytes | None:
        if self._fh is None:
            self._fh = self.path.open("rb")
        self._fh.seek(self.starts[line - 1])
        raw = self._fh.readline()
        if line == 1 and raw.startswith(_BOM):
            raw = raw[3:]
        try:
            return orjson.dumps(orjson.loads(raw), option=orjson.OPT_SORT_KEYS)
        except (orjson.JSONDecodeError, TypeError):  # the file changed under us
            return None

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def _percentile(sorted_values: array[int] | list[int], q: float) -> int:
    """Whole tokens at the studio's one percentile definition (:mod:`studio.core.quantiles`)."""
    value = percentile(sorted_values, q * 100)
    return 0 if value is None else round(value)


def _token_stats(tokens: array[int], limit: int | None, exact: bool,
                 encoding: str) -> dict[str, Any]:
    values = sorted(tokens)
    n = len(values)
    hist: list[dict[str, Any]] = []
    if n:
        edges = [*list(_HIST_EDGES), None]
        counts = [0] * (len(edges) - 1)
        j = 0
        for v in values:  # sorted: walk the edges once
            while edges[j + 1] is not None and v >= edges[j + 1]:  # type: ignore[operator]
                j += 1
            counts[j] += 1
        hist = [{"lo": edges[i], "hi": edges[i + 1], "count": c}
                for i, c in enumerate(counts) if c]
    return {
        "encoding": encoding,
        "exact": exact,
        "count": n,
        "total": sum(values),
        "min": values[0] if n else 0,
        "max": values[-1] if n else 0,
        "mean": round(sum(values) / n, 2) if n else 0.0,
        "p50": _percentile(values, 0.5),
        "p95": _percentile(values, 0.95),
        "histogram": hist,
        "limit": limit,
        "over_limit": sum(1 for v in values if limit is not None and v > limit),
    }


def _training_stats(tokens: array[int], spec: FormatSpec, model: str | None,
                    table: PriceTable | None, limit: int | None,
                    encoding: str) -> dict[str, Any]:
    n = len(tokens)
    epochs = default_epochs(n)
    per_limit: dict[int | None, int] = {}

    def clipped(lim: int | None) -> int:
        if lim not in per_limit:
            per_limit[lim] = sum(tokens) if lim is None else sum(min(lim, t) for t in tokens)
        return per_limit[lim]

    billed = epochs * clipped(limit)
    result: dict[str, Any] = {
        "model": model,
        "epochs": epochs,
        "max_tokens_per_example": limit,
        "billed_tokens": billed,
        "estimated_cost": None,
        "currency": table.currency if table else None,
        "price_as_of": table.as_of.isoformat() if table else None,
        "price_file": str(table.path) if table and table.path else None,
        "estimate_note": "Cookbook rule: epochs x sum(min(limit, tokens)); the real billed "
                         "count is the job's trained_tokens.",
        "per_model": {},
    }
    if table is None:
        return result
    if model is not None:
        result["estimated_cost"] = table.training_cost(model, billed)
    entry = table.get(model) if model else None
    provider = entry.provider if entry else None
    if spec.exact_tokens and provider:
        for name, price in table.models.items():
            # Same provider and tokenizer only: counts in another encoding would differ.
            if price.provider != provider or price.training_per_1m is None or \
                    price.encoding != encoding:
                continue
            b = epochs * clipped(price.max_example_tokens)
            result["per_model"][name] = {
                "billed_tokens": b,
                "estimated_cost": round(b * price.training_per_1m / 1_000_000, 4),
                "max_example_tokens": price.max_example_tokens,
            }
    return result


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
    col = _Collector(max_findings_per_code)
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
        return early(name, "invalid_utf8", "The file is UTF-16 encoded; save it as UTF-8 "
                                           "(without BOM).")

    try:
        array_items = json_array_items(path)
    except OSError as exc:
        return early(name, "cannot_read", f"Cannot read {path}: {exc.strerror or exc}.")
    if array_items is not None:
        # G8: a JSON array is not JSONL, but each element is still checked, and every
        # finding names the line where its element starts.
        col.line = 1
        col.error("not_jsonl",
                  f"The file is a JSON array of {len(array_items):,} elements, not JSONL (one "
                  "object per line); each element was checked and its findings name the line "
                  "where it starts. Use 'convert JSON array to JSONL'.")
        col.line = None

    detected_from: str | None = None
    if name == "auto":
        try:
            sample = _prescan(path) if array_items is None else [
                orjson.loads(body) for _, body in array_items[:PRESCAN_LINES]]
        except OSError as exc:
            return early(name, "cannot_read", f"Cannot read {path}: {exc.strerror or exc}.")
        chosen = choose_format(sample)
        detected_from = f"{len(sample)} sampled " + (
            "lines" if array_items is None else "array elements")
        if chosen is None:
            col.file_level("error", "unknown_format",
                           "Could not detect a fine-tuning format from the first lines, so "
                           "the file was checked as openai-chat; choose a format explicitly.")
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
    limit = entry.max_example_tokens if entry and entry.max_example_tokens else \
        spec.max_example_tokens
    exact = spec.exact_tokens and (entry is None or entry.encoding is not None)
    ctx = CheckContext(count=caching_counter(encoding), role_count=role_counter(encoding),
                       model=model_used, encoding=encoding)
    checker = spec.make_checker(ctx)

    tokens: array[int] = array("q")
    seen: dict[bytes | int, int] = {}
    # The fast path (fastpath.py) stands in for detection and the format rules on plain
    # chat lines; it is exact, and every other line takes the full path below.
    plain = make_plain_chat(counter(encoding), ctx.role_count) \
        if name_used in FAST_FORMATS and array_items is None else None
    fast_keys = _FastKeys(path)
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
            enumerate(fh, 1) if array_items is None else array_items)
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
            if lineno == 1 and raw.startswith(_BOM):
                col.error("utf8_bom", "The file starts with a UTF-8 byte order mark (BOM); "
                                      "JSON parsers reject it. Use 'strip BOM'.")
                body = raw[3:]
            if body[:1] != b"{" and not body.strip():
                blank += 1
                col.error("empty_line", "Blank line: every line must hold one JSON object "
                                        "(remove empty lines, including at the end).")
                verdicts[3] += 1
                continue
            content += 1
            try:
                obj = loads(body)
            except decode_error as exc:
                stripped = body.lstrip()
                if content == 1 and (stripped.startswith(b"[") or stripped.rstrip() == b"{"):
                    skip_rest = "not_jsonl"
                    col.file_level("error", "not_jsonl",
                                   "The file is a pretty-printed JSON "
                                   + ("array" if stripped.startswith(b"[") else "document")
                                   + ", not JSONL (one object per line). Use 'convert JSON "
                                     "array to JSONL'.")
                    verdicts[3] += 1
                    continue
                _parse_failure(body, exc, col)
                verdicts[col.line_rank] += 1
                continue
            if type(obj) is not dict:
                if content == 1 and isinstance(obj, list) and obj and all(
                        isinstance(x, dict) for x in obj):
                    col.file_level("error", "not_jsonl",
                                   f"Line 1 is a JSON array of {len(obj)} objects: the file is "
                                   "JSON, not JSONL. Use 'convert JSON array to JSONL'.")
                    col.line_rank = 3
                else:
                    col.error("not_an_object", "Each line must be a JSON object, not "
                              f"{'an array' if isinstance(obj, list) else type(obj).__name__}.")
                verdicts[col.line_rank] += 1
                continue
            if nesting_excess(body) is not None:  # cheap unless the line is bracket-heavy
                col.error("too_deep", f"The JSON is nested more than {MAX_DEPTH} levels deep; "
                                      "no training format nests like this.")
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
                            col.info("legacy_prompt_completion",
                                     "This line is in OpenAI's legacy prompt/completion "
                                     "format (separator at the end of the prompt, completion "
                                     "starting with a space or ending with a stop sequence; "
                                     "babbage-002/davinci-002, no longer trainable). TRL and "
                                     "Together train on the text as it is, markers included; "
                                     "OpenAI's chat models need 'messages'.")
                    if primary is not None and name_used not in fits:
                        looks = describe_style(style) or primary
                        col.error(mismatch_code,
                                  f"This line looks like {looks}, but the file is validated "
                                  f"as {name_used}" + (f" (detected from {detected_from})"
                                                       if detected_from else "") + ".")
                        result = RecordResult()
                    else:
                        result = check(obj, col)
                    # an alias is often why a line looks like another format
                    check_aliases(name_used, obj, col)
                    n_tokens, outputs = result.tokens, result.outputs
                if n_tokens is not None:
                    tokens.append(n_tokens)
                    if limit is not None and n_tokens > limit:
                        add(too_long_sev, "example_too_long",
                            f"The example has {n_tokens:,} tokens"
                            + ("" if exact else " (estimated)")
                            + f", over the {limit:,}-token limit of {model_used}; the "
                              "end (the answer) would be truncated.")
                scan_line(body, add)
                if b"\\" in body and might_have_control_chars(body):
                    where = find_control_chars(obj)
                    if where:
                        col.warning("control_character",
                                    f"A string contains the control character {where}; "
                                    "usually a data-cleaning accident.")
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
                        _check_output(output, i, validator, col)
            except Exception as exc:  # a bug of ours must not stop the file
                col.error("check_failed",
                          f"This line could not be fully checked ({type(exc).__name__}); "
                          "please report it.")
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
        col.file_level("info", "crlf_line_endings",
                       f"{crlf:,} lines end with CRLF; harmless (CR is JSON whitespace).")
    if skip_rest is None:
        if examples < spec.min_examples:
            col.file_level("error", "too_few_examples",
                           f"The file has {examples} examples; {spec.title} needs at least "
                           f"{spec.min_examples}.")
        elif examples < spec.recommended_examples:
            col.file_level("warning", "few_examples",
                           f"The file has {examples} examples; at least "
                           f"{spec.recommended_examples} are recommended for {spec.title}.")
    if spec.name.startswith("openai") and size > OPENAI_MAX_FILE_BYTES:
        col.file_level("error", "file_too_large", "OpenAI accepts files up to 512 MB per "
                                                  "upload (8 GB through the Uploads API).")
    if spec.name == "vertex-gemini" and size > VERTEX_MAX_FILE_BYTES:
        col.file_level("error", "file_too_large", "Vertex AI accepts training files up to 1 GB.")
    for code, n in sorted(col.by_code.items()):
        if n > col.cap:
            col.findings.append(Finding(None, "info", "findings_truncated",
                                        f"{n - col.cap:,} more '{code}' findings are not "
                                        "listed."))
    stats.update({
        "lines": lineno,
        "blank_lines": blank,
        "crlf_lines": crlf,
        "bytes": size,
        "duplicates": duplicates,
        "detected_from": detected_from,
        "format_counts": dict(format_counts),
        "prompt_completion_styles": dict(pc_styles),
        "verdicts": {"ok": verdicts[0], "info": verdicts[1], "warning": verdicts[2],
                     "error": verdicts[3]},
        "findings_by_code": dict(sorted(col.by_code.items())),
        "tokens": _token_stats(tokens, limit, exact, encoding),
        "training": _training_stats(tokens, spec, model_used, table, limit, encoding),
    })
    if not exact:
        stats["tokens"]["note"] = ("Estimated with " + encoding + "; " + spec.title
                                   + " models use their own tokenizer.")
    return ValidationReport(
        file=str(path),
        format=name_used,
        valid=col.errors == 0,
        examples=examples,
        findings=col.findings,
        stats=stats,
    )


def output_schema_problem(output: str, validator: Any) -> tuple[str, str] | None:
    """Why ``output`` does not fit the compiled schema: ``(code, sentence)``, or None.

    The one check of an assistant output against a JSON Schema: the validator uses it on
    every output of a file, and the export (:mod:`studio.core.export.fit`) before writing.
    """
    from jsonschema.exceptions import best_match

    if nesting_excess(output) is not None:
        return "output_not_json", f"is JSON nested more than {MAX_DEPTH} levels deep"
    try:
        instance = orjson.loads(output)
    except orjson.JSONDecodeError as exc:
        return "output_not_json", f"is not JSON ({exc.msg})"
    error = best_match(validator.iter_errors(instance))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return "output_schema_violation", f"breaks the schema at {where}: {error.message}"


def _check_output(output: str, index: int, validator: Any, col: _Collector) -> None:
    problem = output_schema_problem(output, validator)
    if problem is None:
        return
    code, why = problem
    suffix = ", but a schema was given." if why.startswith("is not JSON") else ""
    col.error(code, f"Assistant output {index} {why}{suffix}")


ValidateFn = Callable[..., ValidationReport]
