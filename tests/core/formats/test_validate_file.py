"""validate_file end to end: generic JSONL rules (docs/formats.md §1), stats, limits, schema,
content scans, progress/cancel and the report shape."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from fmt_helpers import chat_records, write_jsonl

from studio.core.errors import CancelledError, UserError
from studio.core.formats import FORMATS, validate_file
from studio.core.progress import CancelToken, Progress
from studio.core.tokens.counting import count_chat_tokens
from studio.core.tokens.prices import billed_training_tokens, default_epochs, load_price_table


def lines_file(tmp_path: Path, data: bytes, name: str = "data.jsonl") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def good_bytes(n: int = 12) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in chat_records(n))


def at(report: Any, code: str) -> list[int | None]:
    return [f.line for f in report.findings if f.code == code]


def test_clean_file_is_valid_with_stats(tmp_path: Path) -> None:
    records = chat_records(12)
    report = validate_file(write_jsonl(tmp_path / "ok.jsonl", records), "openai-chat")
    assert report.valid and report.examples == 12 and report.format == "openai-chat"
    assert not [f for f in report.findings if f.severity == "error" or f.line is not None]
    tok = report.stats["tokens"]
    expected = [count_chat_tokens(r["messages"], "gpt-4o-mini") for r in records]
    assert tok["total"] == sum(expected) and tok["max"] == max(expected)
    assert tok["exact"] and tok["encoding"] == "o200k_base"
    assert sum(b["count"] for b in tok["histogram"]) == 12
    training = report.stats["training"]
    assert training["epochs"] == default_epochs(12) == 8
    assert training["billed_tokens"] == billed_training_tokens(
        expected, max_tokens_per_example=65536
    )
    table = load_price_table()
    assert training["estimated_cost"] == pytest.approx(
        table.training_cost("gpt-4o-mini", training["billed_tokens"])
    )
    assert training["price_as_of"] == table.as_of.isoformat()
    # per-model estimates only for models with the same tokenizer (o200k)
    assert "gpt-4.1-nano" in training["per_model"] and "gpt-3.5-turbo" not in training["per_model"]
    assert report.stats["verdicts"] == {"ok": 12, "info": 0, "warning": 0, "error": 0}


def test_report_json_shape(tmp_path: Path) -> None:
    data = good_bytes(11) + b"{bad\n"
    report = validate_file(lines_file(tmp_path, data))
    as_json = report.to_json()
    assert set(as_json) == {"file", "format", "valid", "examples", "findings", "stats"}
    assert all(set(f) == {"line", "severity", "code", "message"} for f in as_json["findings"])
    json.dumps(as_json)  # plain JSON
    assert as_json["valid"] is False


@pytest.mark.parametrize(
    ("data", "code", "line"),
    [
        (b"", "empty_file", None),
        (b"\xef\xbb\xbf" + good_bytes(), "utf8_bom", 1),
        (
            good_bytes(6)
            + b"\n"
            + good_bytes(6)[:0]
            + good_bytes(12)[-200:].split(b"\n")[-2]
            + b"\n",
            "empty_line",
            7,
        ),
        (good_bytes() + b"\n", "empty_line", 13),
        (good_bytes() + b"   \t\n", "empty_line", 13),
        (good_bytes() + b'{"messages": [}\n', "invalid_json", 13),
        (good_bytes() + b'{"messages": []},\n', "invalid_json", 13),
        (good_bytes() + b"{'messages': []}\n", "invalid_json", 13),
        (good_bytes() + b'{"a": 1}{"b": 2}\n', "invalid_json", 13),
        (good_bytes() + b'{"messages": [\n', "invalid_json", 13),
        (good_bytes() + b'{"a": "\xff\xfe"}\n', "invalid_utf8", 13),
        (good_bytes() + b'{"a": "\\ud83d"}\n', "lone_surrogate", 13),
        (good_bytes() + b"[1, 2]\n", "not_an_object", 13),
        (good_bytes() + b'"just a string"\n', "not_an_object", 13),
        (good_bytes() + b"null\n", "not_an_object", 13),
        (b"\xff\xfe{\x00", "invalid_utf8", None),
        (b'[\n  {"messages": []},\n  {"messages": []}\n]\n', "not_jsonl", 1),
        (b'{\n  "messages": []\n}\n', "not_jsonl", None),
        (b'[{"messages": [{"role": "user", "content": "x"}]}]', "not_jsonl", 1),
    ],
)
def test_generic_errors(tmp_path: Path, data: bytes, code: str, line: int | None) -> None:
    report = validate_file(lines_file(tmp_path, data), "openai-chat")
    assert not report.valid
    assert line in at(report, code), [(f.line, f.code) for f in report.findings]


def test_invalid_json_message_has_column(tmp_path: Path) -> None:
    report = validate_file(lines_file(tmp_path, good_bytes() + b'{"messages": [1,]}\n'))
    [finding] = [f for f in report.findings if f.code == "invalid_json"]
    assert finding.line == 13 and "column 16" in finding.message  # the comma


def test_final_newline_optional_and_crlf_is_info(tmp_path: Path) -> None:
    no_final = good_bytes().rstrip(b"\n")
    assert validate_file(lines_file(tmp_path, no_final)).valid
    crlf = good_bytes().replace(b"\n", b"\r\n")
    report = validate_file(lines_file(tmp_path, crlf, "crlf.jsonl"))
    assert report.valid and "crlf_line_endings" in report.codes("info")
    assert report.stats["lines"] == 12


def test_bom_line_is_still_checked(tmp_path: Path) -> None:
    report = validate_file(lines_file(tmp_path, b"\xef\xbb\xbf" + good_bytes()))
    assert report.examples == 12 and at(report, "utf8_bom") == [1]


def test_duplicates_compare_canonical_json(tmp_path: Path) -> None:
    records = chat_records(12)
    same_reordered = {
        "messages": [{"content": m["content"], "role": m["role"]} for m in records[0]["messages"]]
    }
    path = write_jsonl(tmp_path / "d.jsonl", [*records, same_reordered])
    report = validate_file(path)
    assert at(report, "duplicate_example") == [13]
    assert "line 1" in next(f.message for f in report.findings if f.code == "duplicate_example")
    assert report.valid  # a warning only
    assert report.stats["duplicates"] == 1


def test_control_characters_warn(tmp_path: Path) -> None:
    bad = {
        "messages": [
            {"role": "user", "content": "a\u0000b"},
            {"role": "assistant", "content": "x\u001bz"},
        ]
    }
    report = validate_file(write_jsonl(tmp_path / "c.jsonl", [*chat_records(), bad]))
    assert at(report, "control_character") == [13]
    tab_ok = {
        "messages": [{"role": "user", "content": "a\tb\nc"}, {"role": "assistant", "content": "x"}]
    }
    report = validate_file(write_jsonl(tmp_path / "t.jsonl", [*chat_records(), tab_ok]))
    assert not at(report, "control_character")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("my key is sk-proj-abcDEF1234567890abcdef1234567890XYZ", "secret_detected"),
        ("aws AKIAIOSFODNN7EXAMPLE here", "secret_detected"),
        ("token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "secret_detected"),
        ("write to jane.doe@example.com please", "pii_email"),
        ("card 4111 1111 1111 1111 expires", "pii_card_number"),
        ("card 4111-1111-1111-1111", "pii_card_number"),
        ("call me on +44 20 7946 0958.", "pii_phone"),
        ("call 555-123-4567 today", "pii_phone"),
        ("<|endoftext|>", "special_token"),
        ("<|im_start|>user", "special_token"),
        ("<|fim_suffix|>", "special_token"),
        ("<|my_marker|>", "special_token_like"),
    ],
)
def test_content_scans(tmp_path: Path, text: str, code: str) -> None:
    record = {
        "messages": [{"role": "user", "content": text}, {"role": "assistant", "content": "ok"}]
    }
    report = validate_file(write_jsonl(tmp_path / "p.jsonl", [*chat_records(), record]))
    assert at(report, code) == [13], [(f.line, f.code) for f in report.findings]
    finding = next(f for f in report.findings if f.code == code)
    if code == "secret_detected":
        assert text.split()[-1] not in finding.message  # masked


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112",  # fails Luhn
        "order 1234567890123 shipped",  # plain digits, no Luhn match
        "version 1.2.3, 2024-05-06",
        "transfer_not_received_by_recipient_and_more_words",
        "I paid 1,000 euros on 12/03",
    ],
)
def test_content_scans_no_false_positives(tmp_path: Path, text: str) -> None:
    record = {
        "messages": [{"role": "user", "content": text}, {"role": "assistant", "content": "ok"}]
    }
    report = validate_file(write_jsonl(tmp_path / "n.jsonl", [*chat_records(), record]))
    assert not [f for f in report.findings if f.line is not None], report.findings


def test_too_few_examples(tmp_path: Path) -> None:
    report = validate_file(write_jsonl(tmp_path / "few.jsonl", chat_records(9)), "openai-chat")
    assert not report.valid and at(report, "too_few_examples") == [None]
    report = validate_file(write_jsonl(tmp_path / "ten.jsonl", chat_records(10)))
    assert report.valid and "few_examples" in report.codes("warning")


def test_example_too_long_per_model(tmp_path: Path) -> None:
    long_text = "word " * 33_000  # ~33k tokens: over nano's 32,768, under 65,536
    record = {
        "messages": [{"role": "user", "content": long_text}, {"role": "assistant", "content": "ok"}]
    }
    path = write_jsonl(tmp_path / "long.jsonl", [*chat_records(), record])
    nano = validate_file(path, "openai-chat", model="gpt-4.1-nano-2025-04-14")
    assert at(nano, "example_too_long") == [13] and not nano.valid
    assert nano.stats["tokens"]["over_limit"] == 1 and nano.stats["tokens"]["limit"] == 32768
    mini = validate_file(path, "openai-chat", model="gpt-4o-mini")
    assert mini.valid and not at(mini, "example_too_long")
    # billed tokens clip the long example at the model's limit
    assert nano.stats["training"]["billed_tokens"] < mini.stats["training"]["billed_tokens"]


def test_schema_checks_assistant_outputs(tmp_path: Path) -> None:
    schema = {
        "type": "object",
        "required": ["intent"],
        "properties": {"intent": {"type": "string", "enum": ["card_arrival"]}},
        "additionalProperties": False,
    }

    def rec(answer: str, i: int) -> dict[str, Any]:
        return {
            "messages": [
                {"role": "user", "content": f"q{i}"},
                {"role": "assistant", "content": answer},
            ]
        }

    good = [rec('{"intent": "card_arrival"}', i) for i in range(10)]
    bad = [rec("not json", 10), rec('{"intent": "lost_card"}', 11), rec('{"x": 1}', 12)]
    weighted_out = {
        "messages": [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "ignored", "weight": 0},
            {"role": "user", "content": "q2"},
            {"role": "assistant", "content": '{"intent": "card_arrival"}'},
        ]
    }
    report = validate_file(
        write_jsonl(tmp_path / "s.jsonl", [*good, *bad, weighted_out]), "openai-chat", schema=schema
    )
    assert at(report, "output_not_json") == [11]
    assert at(report, "output_schema_violation") == [12, 13]
    msg = next(f.message for f in report.findings if f.line == 12)
    assert "intent" in msg and "card_arrival" in msg


def test_invalid_schema_and_unknown_format_are_user_errors(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "x.jsonl", chat_records())
    with pytest.raises(UserError, match="JSON Schema"):
        validate_file(path, schema={"type": "not-a-type"})
    with pytest.raises(UserError, match="Unknown format"):
        validate_file(path, "openai")
    assert validate_file(path, "OPENAI_CHAT").format == "openai-chat"


def test_missing_file_gets_a_report(tmp_path: Path) -> None:
    report = validate_file(tmp_path / "nope.jsonl")
    assert not report.valid and at(report, "cannot_read") == [None]


def test_findings_are_capped_per_code_but_counted(tmp_path: Path) -> None:
    data = good_bytes() + b"{bad\n" * 50
    report = validate_file(lines_file(tmp_path, data), max_findings_per_code=5)
    assert len(at(report, "invalid_json")) == 5
    assert report.stats["findings_by_code"]["invalid_json"] == 50
    assert "findings_truncated" in report.codes("info")
    assert report.stats["verdicts"]["error"] == 50 and not report.valid


def test_progress_by_bytes_and_cancel(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "big.jsonl", chat_records(5000))
    seen: list[Progress] = []
    validate_file(path, progress=seen.append)
    assert seen[-1].done == seen[-1].total == path.stat().st_size
    assert len(seen) >= 3 and all(a.done <= b.done for a, b in itertools.pairwise(seen))
    token = CancelToken()

    def cancel_soon(p: Progress) -> None:
        if p.done > 0:
            token.cancel()

    with pytest.raises(CancelledError):
        validate_file(path, progress=cancel_soon, cancel=token)


def test_every_format_validates_an_empty_object_without_raising(tmp_path: Path) -> None:
    path = lines_file(tmp_path, b"{}\n" * 3)
    for name in FORMATS:
        report = validate_file(path, name)
        assert not report.valid
        assert report.stats["verdicts"]["error"] == 3, name
