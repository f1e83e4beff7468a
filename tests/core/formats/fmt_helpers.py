"""Helpers for the format tests: run one checker on one record, write JSONL files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from studio.core.formats.common import CheckContext, RecordResult
from studio.core.formats.registry import FORMATS
from studio.core.tokens.counting import counter, role_counter


class Sink:
    """Collects (severity, code, message) like the validator's collector."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, str]] = []

    def error(self, code: str, message: str) -> None:
        self.items.append(("error", code, message))

    def warning(self, code: str, message: str) -> None:
        self.items.append(("warning", code, message))

    def info(self, code: str, message: str) -> None:
        self.items.append(("info", code, message))

    def codes(self, severity: str | None = None) -> set[str]:
        return {c for s, c, _ in self.items if severity is None or s == severity}


def run_checker(fmt: str, *records: dict[str, Any]) -> tuple[Sink, list[RecordResult]]:
    """Check records with one checker instance (so per-file state applies)."""
    ctx = CheckContext(
        count=counter("o200k_base"),
        role_count=role_counter("o200k_base"),
        model=None,
        encoding="o200k_base",
    )
    checker = FORMATS[fmt].make_checker(ctx)
    sink = Sink()
    results = [checker.check(r, sink) for r in records]
    checker.finish(sink)
    return sink, results


def write_jsonl(path: Path, records: Iterable[Any]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def chat_records(n: int = 12) -> list[dict[str, Any]]:
    """Twelve distinct valid OpenAI chat examples."""
    return [
        {
            "messages": [
                {"role": "system", "content": "Classify banking questions."},
                {"role": "user", "content": f"Where is my card? ({i})"},
                {"role": "assistant", "content": f"card_arrival {i}"},
            ]
        }
        for i in range(n)
    ]
