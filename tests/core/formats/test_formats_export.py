"""Exporters: every target's output validates clean under its own validator; targets that
cannot express something raise UserError; atomic writes and safe fixes."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson
import pytest
from fmt_helpers import chat_records, write_jsonl

from studio.core.errors import UserError
from studio.core.formats import (
    FORMATS,
    ChatExample,
    PreferenceExample,
    choose_format,
    detect_record,
    fix_file,
    validate_file,
    write_jsonl_atomic,
)
from studio.core.formats.export import export_chat, export_preference

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup_card",
            "description": "Find a card.",
            "parameters": {"type": "object", "properties": {"id": {"type": "integer"}}},
        },
    }
]


def plain_example(i: int) -> ChatExample:
    return ChatExample(
        messages=[
            {"role": "system", "content": "Classify banking questions."},
            {"role": "user", "content": f"Where is my card number {i}?"},
            {"role": "assistant", "content": f"card_arrival {i}"},
            {"role": "user", "content": f"And my PIN {i}?"},
            {"role": "assistant", "content": f"pin_blocked {i}"},
        ],
        example_id=i,
    )


def tool_example(i: int) -> ChatExample:
    return ChatExample(
        messages=[
            {"role": "user", "content": f"Card {i}?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": f"call_{i}_long_id",
                        "type": "function",
                        "function": {"name": "lookup_card", "arguments": f'{{"id": {i}}}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": f"call_{i}_long_id", "content": "shipped"},
            {"role": "assistant", "content": f"Your card {i} has shipped."},
        ],
        tools=TOOLS,
    )


def pref_example(i: int) -> PreferenceExample:
    return PreferenceExample(
        prompt_messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": f"Where is card {i}?"},
        ],
        chosen=f"It ships in {i} days.",
        rejected=f"I don't know {i}.",
    )


def assert_clean(tmp_path: Path, fmt: str, records: list[dict[str, Any]]) -> None:
    path = tmp_path / f"{fmt}.jsonl"
    count, _ = write_jsonl_atomic(path, records)
    assert count == len(records)
    report = validate_file(path, fmt)
    assert report.valid, [(f.line, f.code, f.message) for f in report.findings]
    assert not [f for f in report.findings if f.severity == "warning" and f.line is not None], (
        report.findings
    )
    assert report.examples == len(records)
    # auto-detection finds a format that accepts the file too
    auto = validate_file(path, "auto")
    assert auto.valid, (fmt, auto.format, auto.findings[:3])


@pytest.mark.parametrize("fmt", [f for f, s in FORMATS.items() if s.export_chat])
def test_chat_export_validates_clean(tmp_path: Path, fmt: str) -> None:
    records = [export_chat(fmt, plain_example(i)) for i in range(12)]
    assert_clean(tmp_path, fmt, records)


@pytest.mark.parametrize("fmt", ["openai-chat", "vertex-gemini", "trl", "sharegpt", "mistral"])
def test_tool_example_export_validates_clean(tmp_path: Path, fmt: str) -> None:
    records = [export_chat(fmt, tool_example(i)) for i in range(12)]
    assert_clean(tmp_path, fmt, records)


@pytest.mark.parametrize("fmt", [f for f, s in FORMATS.items() if s.export_preference])
def test_preference_export_validates_clean(tmp_path: Path, fmt: str) -> None:
    records = [export_preference(fmt, pref_example(i)) for i in range(12)]
    assert_clean(tmp_path, fmt, records)


def test_weight_last_trains_only_the_final_answer() -> None:
    ex = plain_example(1)
    ex.weight_last = 1
    record = export_chat("openai-chat", ex)
    weights = [m.get("weight") for m in record["messages"] if m["role"] == "assistant"]
    assert weights == [0, 1]
    assert "weight" not in ex.messages[2]  # the neutral example is not modified


def test_trl_export_turns_arguments_into_objects() -> None:
    record = export_chat("trl", tool_example(3))
    assert record["messages"][1]["tool_calls"][0]["function"]["arguments"] == {"id": 3}


def test_mistral_export_uses_nine_character_ids() -> None:
    record = export_chat("mistral", tool_example(3))
    call_id = record["messages"][1]["tool_calls"][0]["id"]
    assert len(call_id) == 9 and record["messages"][2]["tool_call_id"] == call_id


@pytest.mark.parametrize(
    ("fmt", "fragment"),
    [
        ("alpaca", "tools"),
        ("bedrock-claude", "tool"),
        ("bedrock-nova", "tool"),
        ("together", "tool"),
    ],
)
def test_targets_without_tools_refuse_tool_examples(fmt: str, fragment: str) -> None:
    with pytest.raises(UserError, match=fragment):
        export_chat(fmt, tool_example(1))


def test_unexpressible_examples_raise_clear_errors() -> None:
    image = ChatExample(
        messages=[
            {
                "role": "user",
                "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}],
            },
            {"role": "assistant", "content": "a cat"},
        ]
    )
    for fmt in ("alpaca", "bedrock-claude", "vertex-gemini", "mistral"):
        with pytest.raises(UserError):
            export_chat(fmt, image)
    two_users = ChatExample(
        messages=[
            {"role": "user", "content": "a"},
            {"role": "user", "content": "b"},
            {"role": "assistant", "content": "c"},
        ]
    )
    with pytest.raises(UserError, match="alternate"):
        export_chat("bedrock-claude", two_users)
    with pytest.raises(UserError, match="no preference"):
        export_preference("mistral", pref_example(1))
    with pytest.raises(UserError, match="no chat"):
        export_chat("openai-dpo", plain_example(1))
    with pytest.raises(UserError, match="Unknown format"):
        export_chat("csv", plain_example(1))


def test_every_target_but_dpo_has_a_chat_exporter() -> None:
    assert [f for f, s in FORMATS.items() if s.export_chat is None] == ["openai-dpo"]


def test_write_jsonl_atomic(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text("old content")
    records = [{"text": "é 😀", "n": i} for i in range(5)]
    count, digest = write_jsonl_atomic(path, records)
    data = path.read_bytes()
    assert count == 5 and hashlib.sha256(data).hexdigest() == digest
    assert not data.startswith(b"\xef\xbb\xbf") and data.endswith(b"}\n")
    assert [orjson.loads(line) for line in data.splitlines()] == records
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]
    with pytest.raises(UserError, match="Record 2"):
        write_jsonl_atomic(path, [{"ok": 1}, {"bad": {1, 2}}])
    assert path.read_bytes() == data  # the old file survives a failed write
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_fix_file_writes_a_new_clean_file(tmp_path: Path) -> None:
    lines = [orjson.dumps(r) for r in chat_records(12)]
    dirty = (
        b"\xef\xbb\xbf" + lines[0] + b"\n\n" + b"\n".join(lines[1:]) + b"\n" + lines[3] + b"\n   \n"
    )
    src = tmp_path / "dirty.jsonl"
    src.write_bytes(dirty)
    assert not validate_file(src).valid
    dst = tmp_path / "clean.jsonl"
    result = fix_file(src, dst)
    assert src.read_bytes() == dirty  # untouched
    assert result.counts == {
        "bom_stripped": 1,
        "blank_lines_dropped": 2,
        "duplicates_dropped": 1,
        "json_array_converted": 0,
    }
    assert result.lines_written == 12
    assert hashlib.sha256(dst.read_bytes()).hexdigest() == result.sha256
    assert validate_file(dst).valid
    with pytest.raises(UserError, match="overwrite"):
        fix_file(src, src)


def test_fix_file_converts_a_json_array(tmp_path: Path) -> None:
    src = tmp_path / "data.json"
    src.write_text(orjson.dumps(chat_records(12), option=orjson.OPT_INDENT_2).decode())
    assert "not_jsonl" in validate_file(src).codes("error")
    result = fix_file(src, tmp_path / "data.jsonl")
    assert result.counts["json_array_converted"] == 12
    assert validate_file(tmp_path / "data.jsonl").valid


# ---------------------------------------------------------------- detection


@pytest.mark.parametrize(
    ("record", "primary"),
    [
        (
            {"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]},
            "openai-chat",
        ),
        (
            {"messages": [{"role": "developer", "content": "x"}], "reference_answer": "y"},
            "openai-rft",
        ),
        (
            {"input": {"messages": []}, "preferred_output": [], "non_preferred_output": []},
            "openai-dpo",
        ),
        ({"contents": []}, "vertex-gemini"),
        ({"system": "s", "messages": []}, "bedrock-claude"),
        ({"schemaVersion": "bedrock-conversation-2024", "messages": []}, "bedrock-nova"),
        ({"messages": [{"role": "user", "content": [{"text": "x"}]}]}, "bedrock-nova"),
        ({"prompt": "q", "completion": "a"}, "together"),
        ({"text": "t"}, "together"),
        ({"prompt": [], "chosen": [], "rejected": []}, "trl"),
        ({"instruction": "i", "output": "o"}, "alpaca"),
        ({"conversations": []}, "sharegpt"),
        ({"messages": [], "available_tools": []}, "mistral"),
        ({"foo": 1}, None),
        ([1, 2], None),
    ],
)
def test_detect_record(record: Any, primary: str | None) -> None:
    assert detect_record(record)[0] == primary


def test_choose_format_prefers_what_most_lines_fit() -> None:
    chat = {"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]}
    claude = {"system": "s", **chat}
    assert choose_format([chat] * 5) == "openai-chat"
    assert choose_format([chat, claude, claude]) == "bedrock-claude"
    assert choose_format([{"foo": 1}]) is None


def test_mixed_formats_are_flagged_per_line(tmp_path: Path) -> None:
    records: list[Any] = [
        *chat_records(12),
        {"contents": [{"role": "user", "parts": [{"text": "x"}]}]},
        {"instruction": "i", "output": "o"},
    ]
    report = validate_file(write_jsonl(tmp_path / "mixed.jsonl", records))
    assert report.format == "openai-chat"
    assert [f.line for f in report.findings if f.code == "mixed_formats"] == [13, 14]
    assert report.stats["format_counts"] == {"openai-chat": 12, "vertex-gemini": 1, "alpaca": 1}
    explicit = validate_file(tmp_path / "mixed.jsonl", "openai-chat")
    assert [f.line for f in explicit.findings if f.code == "format_mismatch"] == [13, 14]
