"""The answers file: round trip and errors that name the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.core.decide.answers import ANSWER_FIELDS, DecisionAnswers, load_answers
from studio.core.errors import UserError

GOOD = {
    "must_change": ["narrow_high_volume", "format_structure"],
    "knowledge_changes": "weekly",
    "calls_per_day": 8000,
    "latency_target_p95_ms": 1500,
    "data_sensitivity": "confidential",
    "residency": "eu",
    "allowed_platforms": ["vertex", "local"],
    "quality_target": 0.9,
    "current_model": "gpt-4.1",
    "candidate_model": "gemini-2.5-flash-lite",
}


def write(tmp_path: Path, data: object) -> Path:
    p = tmp_path / "answers.json"
    p.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return p


def test_load_and_round_trip(tmp_path: Path) -> None:
    a = load_answers(write(tmp_path, GOOD))
    assert a.must_change == frozenset({"narrow_high_volume", "format_structure"})
    assert a.calls_per_day == 8000.0 and a.residency == "eu"
    assert a.allowed_platforms == ("vertex", "local")
    assert a.wants("format_structure") and not a.wants("tone_style")
    assert list(a.to_dict()) == list(ANSWER_FIELDS)
    assert DecisionAnswers.from_json(a.to_json()) == a
    # Order of must_change is the table's order, not the file's.
    assert a.to_dict()["must_change"] == ["format_structure", "narrow_high_volume"]


def test_missing_optional_fields_take_defaults(tmp_path: Path) -> None:
    a = load_answers(write(tmp_path, {"must_change": ["tone_style"]}))
    assert a.residency == "any" and a.data_sensitivity == "internal"
    assert a.calls_per_day is None and a.allowed_platforms == ()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("must_change", ["make_it_better"]),
        ("must_change", "tone_style"),
        ("knowledge_changes", "hourly"),
        ("calls_per_day", -5),
        ("calls_per_day", "many"),
        ("calls_per_day", True),
        ("latency_target_p95_ms", 0),
        ("data_sensitivity", "secret"),
        ("residency", "mars"),
        ("allowed_platforms", ["openai", "azure"]),
        ("quality_target", 1.5),
        ("quality_target", "high"),
        ("current_model", 42),
        ("candidate_model", "  "),
    ],
)
def test_bad_field_is_named(tmp_path: Path, field: str, value: object) -> None:
    with pytest.raises(UserError) as exc:
        load_answers(write(tmp_path, {**GOOD, field: value}))
    assert exc.value.where == field
    assert f"'{field}'" in exc.value.message
    assert str(tmp_path / "answers.json") in exc.value.message


def test_unknown_field_is_named(tmp_path: Path) -> None:
    with pytest.raises(UserError) as exc:
        load_answers(write(tmp_path, {**GOOD, "calls_per_dya": 3}))
    assert exc.value.where == "calls_per_dya"
    assert "unknown field 'calls_per_dya'" in exc.value.message


def test_bad_json_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(UserError) as exc:
        load_answers(write(tmp_path, '{\n  "residency": "eu",\n}'))
    assert "line 3" in exc.value.message


def test_not_an_object_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="must be a JSON object"):
        load_answers(write(tmp_path, [1, 2]))
    with pytest.raises(UserError, match="does not exist"):
        load_answers(tmp_path / "nope.json")
