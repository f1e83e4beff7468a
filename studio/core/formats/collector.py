"""The findings of one validated file: collected per line, capped per code, with the
line's verdict, and the wording of a line that is not JSON."""

from __future__ import annotations

from collections import Counter

import orjson

from studio.core.formats.common import SEVERITY_RANK, UTF8_BOM, Finding, Severity


class FindingCollector:
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
        sev: Severity = (
            "error" if severity == "error" else ("warning" if severity == "warning" else "info")
        )
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


def report_parse_failure(body: bytes, exc: orjson.JSONDecodeError, col: FindingCollector) -> None:
    """Report why ``body`` did not parse: bad UTF-8, a BOM, a lone surrogate or bad JSON."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as bad:
        col.error(
            "invalid_utf8",
            f"Byte {bad.start + 1} (0x{body[bad.start]:02x}) is not valid UTF-8; the file "
            "must be UTF-8 encoded.",
        )
        return
    msg = exc.msg
    if body.startswith(UTF8_BOM):
        col.error(
            "utf8_bom",
            "The line starts with a UTF-8 byte order mark (BOM); JSON "
            "parsers reject it. Use 'strip BOM'.",
        )
    elif "surrogate" in msg:
        col.error(
            "lone_surrogate",
            f"Invalid JSON at column {exc.colno}: {msg} (a lone \\uD800-\\uDFFF escape "
            "cannot be encoded as UTF-8).",
        )
    else:
        col.error("invalid_json", f"Invalid JSON at column {exc.colno}: {msg}.")
