"""Fuzz: validate_file never raises on any file content and every line gets a verdict."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import orjson
from fmt_helpers import chat_records
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from studio.core.formats import FORMATS, validate_file
from studio.core.formats.json_array import json_array_items

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
VALID_LINES = [orjson.dumps(r) for r in chat_records(12)]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "role",
                    "content",
                    "messages",
                    "weight",
                    "tool_calls",
                    "contents",
                    "parts",
                    "text",
                    "prompt",
                    "completion",
                    "input",
                    "preferred_output",
                    "system",
                    "x",
                ]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


def lf_lines(data: bytes) -> int:
    """Lines counted on LF; a final LF does not start a new line."""
    if not data:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def check_file(tmp_path: Path, data: bytes, fmt: str = "auto") -> None:
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(data)
    report = validate_file(path, fmt, max_findings_per_code=50)
    verdicts = report.stats.get("verdicts")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # a UTF-16 byte-order mark: refused as a whole before any line is read
        assert report.stats["lines"] == 0 and "invalid_utf8" in report.codes()
        assert not report.valid
        return
    elements = json_array_items(path)
    if data:
        assert report.stats["lines"] == lf_lines(data)
        # one verdict per line, or per element of a whole-file JSON array
        expected = lf_lines(data) if elements is None else len(elements)
        assert verdicts is not None and sum(verdicts.values()) == expected
    assert report.valid == (not any(f.severity == "error" for f in report.findings))
    for f in report.findings:
        assert f.line is None or 1 <= f.line <= lf_lines(data)
    report.to_json()
    # our own checks never crashed on the input (the safety net stayed unused)
    assert "check_failed" not in report.codes(), report.findings


@SETTINGS
@given(data=st.binary(max_size=600))
@example(data=b"\xfe\xff")  # found by Hypothesis in a CI run: a lone UTF-16 BOM
@example(data=b"\xff\xfe{}\n")
def test_random_bytes(tmp_path: Path, data: bytes) -> None:
    check_file(tmp_path, data)


@SETTINGS
@given(lines=st.lists(json_values, min_size=1, max_size=8), fmt=st.sampled_from(["auto", *FORMATS]))
def test_random_json_lines_every_format(tmp_path: Path, lines: list[Any], fmt: str) -> None:
    data = b"".join(json.dumps(v).encode() + b"\n" for v in lines)
    check_file(tmp_path, data, fmt)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n_mutations=st.integers(1, 12))
def test_mutated_valid_lines(tmp_path: Path, seed: int, n_mutations: int) -> None:
    rng = random.Random(seed)
    lines = [bytearray(line) for line in VALID_LINES]
    for _ in range(n_mutations):
        line = rng.choice(lines)
        op = rng.randrange(5)
        pos = rng.randrange(len(line) + 1)
        if op == 0 and line:
            del line[pos : pos + rng.randint(1, 5)]
        elif op == 1:
            line[pos:pos] = bytes([rng.randrange(256)])
        elif op == 2:
            line[pos:pos] = rng.choice(
                [
                    b"\n",
                    b"\r\n",
                    b"\xef\xbb\xbf",
                    b"\\ud83d",
                    b",",
                    b"\x00",
                    b'"',
                    b"{",
                    b"]",
                    b"<|endoftext|>",
                ]
            )
        elif op == 3 and line:
            line[pos - 1 if pos else 0] = rng.randrange(256)
        else:
            lines.append(bytearray(rng.choice(VALID_LINES)))
    check_file(tmp_path, b"\n".join(bytes(x) for x in lines) + b"\n")


def test_deep_nesting_and_huge_strings(tmp_path: Path) -> None:
    deep_list = b'{"messages": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    deep_ok = (
        b'{"messages": [{"role": "user", "content": "x", "x": '
        + b"[" * 1000
        + b"]" * 1000
        + b'}, {"role": "assistant", "content": "y"}]}'
    )
    deep_dict = b'{"a": ' * 300 + b"1" + b"}" * 300
    huge = orjson.dumps(
        {
            "messages": [
                {"role": "user", "content": "x" * 3_000_000},
                {"role": "assistant", "content": "é😀" * 100_000},
            ]
        }
    )
    data = b"\n".join([*VALID_LINES, deep_list, deep_ok, deep_dict, huge]) + b"\n"
    for fmt in ("auto", *FORMATS):
        check_file(tmp_path, data, fmt)


def test_tool_calls_that_are_not_a_list_are_reported_not_crashed_on(tmp_path: Path) -> None:
    line = json.dumps({"role": None, "prompt": [{"tool_calls": True}]}).encode() + b"\n"
    check_file(tmp_path, line)
