"""The validator misses nothing it should see (ISSUE-10 §8)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from studio.core.formats import validate_file
from studio.core.formats.detect import prompt_completion_style

U = {"role": "user", "content": "Where is my card?"}
A = {"role": "assistant", "content": "It ships in 3 days."}


def _jsonl(tmp_path: Path, records: list[Any], name: str = "data.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _findings(path: Path, fmt: str = "auto") -> list[tuple[int | None, str, str, str]]:
    report = validate_file(path, fmt)
    return [(f.line, f.severity, f.code, f.message) for f in report.findings]


# -- line numbers -------------------------------------------------------------------------


def test_json_array_findings_name_the_line_where_each_element_starts(tmp_path: Path) -> None:
    records = [
        {"messages": [U, A]},
        {"messages": [U, {"role": "assistant", "content": ""}]},
        {"messages": [{"role": "bot", "content": "q"}, A]},
        {
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "look"}, {"type": "image_url"}],
                },
                A,
            ]
        },
    ]
    path = tmp_path / "data.json"
    text = json.dumps(records, indent=2)
    path.write_text(text, encoding="utf-8")
    # the line of each element's opening brace, counted by hand from the text
    lines = text.splitlines()
    starts = [i + 1 for i, line in enumerate(lines) if line == "  {"]
    assert len(starts) == 4
    found = _findings(path, "openai-chat")
    assert found[0][:3] == (1, "error", "not_jsonl")
    by_code = {code: line for line, _, code, _ in found if line is not None}
    assert by_code["assistant_missing_content"] == starts[1]
    assert by_code["unknown_role"] == starts[2]
    assert by_code["invalid_content_part"] == starts[3]
    # only file-level findings have no line
    assert {code for line, _, code, _ in found if line is None} == {"too_few_examples"}


def test_compact_array_on_one_line(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps([{"messages": [U, A]}, {"messages": [U]}]), encoding="utf-8")
    found = _findings(path, "openai-chat")
    assert all(line == 1 for line, _, code, _ in found if code != "too_few_examples")
    assert any(code == "missing_assistant_message" for _, _, code, _ in found)


def test_mixed_media_findings_carry_their_line(tmp_path: Path) -> None:
    parts_user = {
        "role": "user",
        "content": [
            {"type": "text", "text": "What is in the picture?"},
            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
        ],
    }
    records = [
        {"messages": [parts_user, A]},
        {
            "messages": [
                parts_user,
                {"role": "assistant", "content": [{"type": "text", "text": ""}]},
            ]
        },
        {
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "ftp://x"}}],
                },
                A,
            ]
        },
        {
            "messages": [
                parts_user,
                {
                    "role": "assistant",
                    "content": [
                        {"type": "image_url", "image_url": {"url": "https://example.com/b.png"}}
                    ],
                },
            ]
        },
    ]
    found = _findings(_jsonl(tmp_path, records), "openai-chat")
    per_line = [(line, code) for line, _, code, _ in found if code != "too_few_examples"]
    assert all(line is not None for line, _ in per_line), per_line
    assert (2, "assistant_missing_content") in per_line
    assert any(line == 3 for line, _ in per_line)
    assert (4, "invalid_content_part") in per_line


# -- aliases ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "record", "alias", "real"),
    [
        ("alpaca", {"instruction": "Say hi", "input": "", "response": "hi"}, "response", "output"),
        ("alpaca", {"instruction": "Say hi", "answer": "hi"}, "answer", "output"),
        ("trl", {"prompt": "Say hi", "response": "hi"}, "response", "completion"),
        ("together", {"prompt": "Say hi", "output": "hi"}, "output", "completion"),
        ("openai-chat", {"conversation": [U, A]}, "conversation", "messages"),
        (
            "openai-dpo",
            {"input": {"messages": [U]}, "chosen": "a", "rejected": "b"},
            "chosen",
            "preferred_output",
        ),
        ("sharegpt", {"messages": [{"from": "human", "value": "q"}]}, "messages", "conversations"),
    ],
)
def test_known_aliases_are_named_with_their_fix(
    tmp_path: Path, fmt: str, record: Any, alias: str, real: str
) -> None:
    found = _findings(_jsonl(tmp_path, [record]), fmt)
    fixes = [m for line, _, code, m in found if code == "field_alias" and line == 1]
    assert fixes and f"rename {alias!r} to {real!r}" in fixes[0], found


def test_chat_role_and_key_aliases_name_their_fix(tmp_path: Path) -> None:
    record = {"messages": [{"role": "human", "content": "q"}, {"role": "assistant", "value": "a"}]}
    found = _findings(_jsonl(tmp_path, [record]), "openai-chat")
    messages = " ".join(m for line, _, _, m in found if line == 1)
    assert "'human' is another tool's name for 'user': use 'user'" in messages
    assert "rename 'value' to 'content'" in messages


# -- legacy prompt/completion vs TRL ------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "style"),
    [
        (
            {"prompt": "Ticket: my card is lost\n\n###\n\n", "completion": " lost_card END"},
            "openai-legacy",
        ),
        ({"prompt": "Ticket: my card is lost ->", "completion": " lost_card\n"}, "openai-legacy"),
        ({"prompt": "Ticket: my card is lost", "completion": "lost_card"}, "standard"),
        ({"prompt": [U], "completion": [A]}, "conversational"),
        ({"messages": [U, A]}, None),
    ],
)
def test_prompt_completion_style(record: Any, style: str | None) -> None:
    assert prompt_completion_style(record) == style


def test_detection_tells_legacy_from_trl(tmp_path: Path) -> None:
    legacy = [
        {"prompt": f"Ticket {i}\n\n###\n\n", "completion": f" label{i} END"} for i in range(3)
    ]
    report = validate_file(_jsonl(tmp_path, legacy, "legacy.jsonl"))
    assert report.stats["prompt_completion_styles"] == {"openai-legacy": 3}
    [note] = [f for f in report.findings if f.code == "legacy_prompt_completion"]
    assert note.line == 1 and "babbage-002" in note.message
    trl = [{"prompt": [U], "completion": [A]}]
    report = validate_file(_jsonl(tmp_path, trl, "trl.jsonl"))
    assert report.format == "trl"
    assert report.stats["prompt_completion_styles"] == {"conversational": 1}
    assert "legacy_prompt_completion" not in report.codes()
    # validated as chat, each kind is named for what it is
    for records, words in (
        (legacy, "OpenAI's legacy prompt/completion format"),
        (trl, "TRL conversational prompt-completion"),
    ):
        found = _findings(_jsonl(tmp_path, records, "x.jsonl"), "openai-chat")
        mismatch = [m for _, _, code, m in found if code == "format_mismatch"]
        assert mismatch and words in mismatch[0]


# -- empty required text ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "record", "what"),
    [
        ("together", {"prompt": "q", "completion": ""}, "completion"),
        ("trl", {"prompt": "q", "completion": "   "}, "completion"),
        ("trl", {"prompt": "q", "chosen": "", "rejected": "b"}, "chosen"),
        ("trl", {"prompt": "q", "chosen": "a", "rejected": " "}, "rejected"),
        ("trl", {"text": ""}, "text"),
        ("alpaca", {"instruction": "q", "output": ""}, "output"),
        ("alpaca", {"instruction": "q", "chosen": "", "rejected": "b"}, "chosen"),
        ("openai-chat", {"messages": [U, {"role": "assistant", "content": ""}]}, "message 2"),
        ("openai-chat", {"messages": [U, {"role": "assistant", "content": "  \n"}]}, "message 2"),
        (
            "openai-chat",
            {"messages": [U, {"role": "assistant", "content": [{"type": "text", "text": " "}]}]},
            "message 2",
        ),
        ("trl", {"prompt": [U], "completion": [{"role": "assistant", "content": ""}]}, "message 1"),
        (
            "openai-dpo",
            {
                "input": {"messages": [U]},
                "preferred_output": [{"role": "assistant", "content": ""}],
                "non_preferred_output": [{"role": "assistant", "content": "b"}],
            },
            "preferred_output",
        ),
    ],
)
def test_an_empty_required_text_is_an_error(
    tmp_path: Path, fmt: str, record: Any, what: str
) -> None:
    found = _findings(_jsonl(tmp_path, [record]), fmt)
    errors = [
        m
        for line, sev, code, m in found
        if line == 1
        and sev == "error"
        and code in ("missing_content", "assistant_missing_content", "dpo_invalid_output")
    ]
    assert errors and what in errors[0], found
    assert not validate_file(_jsonl(tmp_path, [record]), fmt).valid


def test_a_deeply_nested_assistant_output_checked_against_a_schema_is_named_by_line(
    tmp_path: Path,
) -> None:
    deep = "[" * 5000 + "]" * 5000
    fits = {"role": "assistant", "content": '{"intent": "card"}'}
    path = _jsonl(
        tmp_path,
        [{"messages": [U, fits]}, {"messages": [U, {"role": "assistant", "content": deep}]}],
    )
    schema = {"type": "object", "properties": {"intent": {"type": "string"}}}
    report = validate_file(path, "openai-chat", schema=schema)
    bad = [f for f in report.findings if f.code == "output_not_json"]
    assert [(f.line, f.severity) for f in bad] == [(2, "error")]
    assert "nested more than 100 levels" in bad[0].message
