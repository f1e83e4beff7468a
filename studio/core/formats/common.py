"""Shared types of the fine-tuning formats: findings, reports, neutral examples, writing.

Every target module (``openai_chat``, ``vertex_gemini`` ...) builds on these:

* a *checker* walks one parsed JSONL record and reports :class:`Finding` s through a
  :class:`LineSink`, returning the example's token count and its assistant outputs;
* ``export_chat`` / ``export_preference`` turn a neutral :class:`ChatExample` /
  :class:`PreferenceExample` into one record of the target format.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import orjson

from studio.core.atomic import atomic_open
from studio.core.errors import UserError
from studio.core.redact import redact_bytes

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK: dict[str, int] = {"info": 1, "warning": 2, "error": 3}
#: The UTF-8 byte order mark: JSON parsers reject it, so the checks strip and report it.
UTF8_BOM = b"\xef\xbb\xbf"


# Finding.to_json and ValidationReport.to_json pair by shape (duplicates report, boilerplate)
# with each other and with the to_json/to_dict of datasets/operations.OperationInfo,
# export/fit.Misfit, decide/reasons.Reason, decide/decision.Decision and evals/run_state.RunState:
# each record spells out its own JSON keys (some renamed or converted); asdict would not.
@dataclass
class Finding:
    """One problem. ``line`` is 1-based (counted on LF); None for file-level findings."""

    line: int | None
    severity: Severity
    code: str
    message: str

    def to_json(self) -> dict[str, Any]:
        """``{"line", "severity", "code", "message"}``."""
        return {
            "line": self.line,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }


@dataclass
class ValidationReport:
    """The result of validating one file; ``valid`` is False exactly when an error exists."""

    file: str
    format: str
    valid: bool
    examples: int
    findings: list[Finding]
    stats: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The report as plain JSON-able data (the CLI prints this)."""
        return {
            "file": self.file,
            "format": self.format,
            "valid": self.valid,
            "examples": self.examples,
            "findings": [f.to_json() for f in self.findings],
            "stats": self.stats,
        }

    def codes(self, severity: str | None = None) -> set[str]:
        """The distinct finding codes (optionally of one severity)."""
        return {f.code for f in self.findings if severity is None or f.severity == severity}


@dataclass
class ChatExample:
    """A neutral chat example: OpenAI-chat shaped messages (role, content, tool_calls ...).

    ``weight_last``: when set, earlier assistant turns get weight 0 and the last assistant
    turn gets this weight (train on the final answer only), where the target supports it.
    """

    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None = None
    weight_last: int | None = None
    example_id: int | None = None


@dataclass
class PreferenceExample:
    """A neutral preference pair: a prompt conversation and two assistant answers."""

    prompt_messages: list[dict[str, Any]]
    chosen: str
    rejected: str
    example_id: int | None = None


@dataclass
class FixResult:
    """What :func:`studio.core.formats.fix.fix_file` changed, by kind."""

    counts: dict[str, int] = field(default_factory=dict)
    lines_written: int = 0
    sha256: str = ""


class LineSink(Protocol):
    """Where a checker reports findings for the current line."""

    def error(self, code: str, message: str) -> None: ...
    def warning(self, code: str, message: str) -> None: ...
    def info(self, code: str, message: str) -> None: ...


@dataclass
class RecordResult:
    """What a checker learned about one record."""

    tokens: int | None = None
    outputs: list[str] = field(default_factory=list)
    kind: str | None = None


class RecordChecker(Protocol):
    """Checks records of one format; one instance per validation run (it may keep state)."""

    def check(self, obj: dict[str, Any], out: LineSink) -> RecordResult: ...
    def finish(self, out: LineSink) -> None: ...


@dataclass(frozen=True)
class CheckContext:
    """What checkers need besides the record: token counters and the model."""

    count: Callable[[str], int]
    role_count: Callable[[str], int]
    model: str | None
    encoding: str


class BaseChecker:
    """A checker with no file-level state."""

    def __init__(self, ctx: CheckContext) -> None:
        self.ctx = ctx

    def check(self, obj: dict[str, Any], out: LineSink) -> RecordResult:  # pragma: no cover
        raise NotImplementedError

    def finish(self, out: LineSink) -> None:
        """File-level checks after the last record (none by default)."""


# Duplicates report, pairs left on purpose: every target module ends with its own
# `SPEC = FormatSpec(...)` and `export_*` functions that fill `record["system"]` and return
# it (alpaca ~ sharegpt ~ trl, openai_chat ~ openai_dpo ~ openai_rft ~ vertex_gemini ~
# bedrock_* ~ mistral), and opens with the same import list from this module. Those are
# per-target declarations with different values, not logic to share.
@dataclass(frozen=True)
class FormatSpec:
    """A target format: its CLI name, checker, exporters and limits.

    A target's ``SPEC`` states only the fields that differ from these defaults.
    """

    name: str
    title: str
    make_checker: Callable[[CheckContext], RecordChecker]
    export_chat: Callable[[ChatExample], dict[str, Any]] | None = None
    export_preference: Callable[[PreferenceExample], dict[str, Any]] | None = None
    min_examples: int = 1
    recommended_examples: int = 0
    default_model: str | None = None
    max_example_tokens: int | None = None
    exact_tokens: bool = False
    notes: str = ""


def type_name(value: Any) -> str:
    """JSON type name of a Python value, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def shape_by_keys(shapes: Iterable[tuple[str, frozenset[str]]], obj: dict[str, Any]) -> str | None:
    """The name of the first shape whose required keys ``obj`` has (None if none)."""
    return next((name for name, keys in shapes if keys <= obj.keys()), None)


def write_jsonl_atomic(path: Path, records: Iterable[dict[str, Any]]) -> tuple[int, str]:
    """Write records as UTF-8 JSONL (no BOM, LF, one object per line) atomically.

    The data goes to a temporary file in the same folder, is fsynced, then renamed over
    ``path`` with :func:`os.replace`, so readers never see a half-written file.

    Returns:
        (number of records, sha256 hex digest of the written bytes).

    Raises:
        UserError: a record cannot be serialised or the folder is not writable.
    """
    path = Path(path)
    digest = hashlib.sha256()
    count = 0
    with atomic_open(path) as fh:
        buf: list[bytes] = []
        for record in records:
            try:
                line = orjson.dumps(record) + b"\n"
            except TypeError as exc:
                raise UserError(
                    f"Record {count + 1} cannot be written as JSON: {exc}.",
                    where=f"{path}:{count + 1}",
                ) from None
            buf.append(line)
            count += 1
            if len(buf) >= 4096:
                # masked before hashing so the digest is the written file's (core.redact)
                chunk = redact_bytes(b"".join(buf))
                digest.update(chunk)
                fh.write(chunk)
                buf.clear()
        chunk = redact_bytes(b"".join(buf))
        digest.update(chunk)
        fh.write(chunk)
    return count, digest.hexdigest()
