"""Prompt files for git: exact round trip in JSON and YAML; bad files named with field/line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.core.errors import UserError, ValidationError
from studio.core.prompts.files import (
    export_prompt_file,
    load_prompt_file,
    parse_prompt_text,
    write_prompt_file,
)
from studio.core.prompts.spec import Message, PromptSpec

SPEC = PromptSpec.from_json(
    {
        "messages": [
            {"role": "system", "content": "You extract ticket fields.\nUse only the e-mail.\n"},
            {"role": "user", "content": "Subject: {{subject}}\n\n{{body}}"},
        ],
        "model": "gpt-4o-mini",
        "params": {"temperature": 0.0, "seed": 42, "stop": ["\n\n"], "max_tokens": 300},
        "response_schema": {
            "type": "object",
            "properties": {"summary": {"type": "string"}, "email": {"type": ["string", "null"]}},
            "required": ["summary"],
        },
        "tools": [
            {
                "type": "function",
                "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}},
            }
        ],
    }
)


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_export_import_export_is_exact(fmt: str, tmp_path: Path) -> None:
    text = export_prompt_file("ticket-extract", "Fields from e-mail", SPEC, fmt)  # type: ignore[arg-type]
    path = tmp_path / f"p.{'yml' if fmt == 'yaml' else fmt}"
    path.write_text(text, encoding="utf-8")
    name, description, spec = load_prompt_file(path)
    assert (name, description) == ("ticket-extract", "Fields from e-mail")
    assert spec.content_hash() == SPEC.content_hash()
    assert export_prompt_file(name, description, spec, fmt) == text  # type: ignore[arg-type]


def test_json_file_has_the_documented_shape() -> None:
    doc = json.loads(export_prompt_file("n", "d", SPEC, "json"))
    assert list(doc) == [
        "name",
        "description",
        "messages",
        "model",
        "params",
        "response_schema",
        "tools",
    ]
    assert doc["messages"][0] == {
        "role": "system",
        "content": "You extract ticket fields.\nUse only the e-mail.\n",
    }
    assert doc["params"]["seed"] == 42


def test_yaml_is_block_style_with_literal_multiline_text() -> None:
    text = export_prompt_file("n", "d", SPEC, "yaml")
    assert "content: |\n      You extract ticket fields.\n      Use only the e-mail.\n" in text
    assert "{" not in text.split("response_schema")[1].split("tools")[0]  # no flow style
    no_schema = PromptSpec((Message("user", "hi"),), "m")
    assert "response_schema: null\ntools: null\n" in export_prompt_file("n", "", no_schema, "yaml")


def test_write_prompt_file_picks_format_from_suffix(tmp_path: Path) -> None:
    write_prompt_file(tmp_path / "a.yaml", "n", "d", SPEC)
    write_prompt_file(tmp_path / "a.json", "n", "d", SPEC)
    assert (tmp_path / "a.yaml").read_text(encoding="utf-8").startswith("name: n\n")
    assert (tmp_path / "a.json").read_text(encoding="utf-8").startswith("{\n")
    assert not list(tmp_path.glob("*.part"))


text_st = st.text(st.characters(exclude_categories=["Cs"]), max_size=200)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    contents=st.lists(text_st, min_size=1, max_size=4),
    name=st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=30).filter(
        lambda s: s.strip() != ""
    ),
    description=text_st,
    stop=st.lists(
        st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=5), max_size=3
    ),
)
def test_round_trip_any_text(
    contents: list[str], name: str, description: str, stop: list[str]
) -> None:
    # escape braces so arbitrary text is a valid template; the round trip is the point here
    safe = [c.replace("\\", "").replace("{", "").replace("}", "") for c in contents]
    spec = PromptSpec(
        tuple(Message("user", c) for c in safe), "gpt-4o-mini", {"stop": stop} if stop else {}
    )
    for fmt in ("json", "yaml"):
        text = export_prompt_file(name, description, spec, fmt)  # type: ignore[arg-type]
        n2, d2, s2 = parse_prompt_text(text, fmt)  # type: ignore[arg-type]
        assert (n2, d2) == (name, description)
        assert s2.content_hash() == spec.content_hash()
        assert export_prompt_file(n2, d2, s2, fmt) == text  # type: ignore[arg-type]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_json_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.json", '{\n  "name": "x",\n  "messages": [\n}\n')
    with pytest.raises(ValidationError) as info:
        load_prompt_file(path)
    assert str(path) in info.value.message and "line 4" in info.value.message


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "name: x\nmessages:\n  - role: user\n   content: [\n")
    with pytest.raises(ValidationError) as info:
        load_prompt_file(path)
    assert str(path) in info.value.message and "line " in info.value.message


def good_doc(**over: Any) -> dict[str, Any]:
    doc = json.loads(export_prompt_file("n", "d", SPEC, "json"))
    doc.update(over)
    return doc


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
        ({"name": ""}, "name"),
        ({"description": 3}, "description"),
        ({"model": None}, "model"),
        ({"params": {"temperature": 9}}, "params.temperature"),
        ({"response_schema": {"type": "objekt"}}, "response_schema"),
        ({"response_format": {}}, "response_format"),
        ({"messages": [{"role": "user", "content": "{{oops"}]}, "messages[0] (user), line 1"),
    ],
)
def test_bad_field_names_file_and_field(tmp_path: Path, over: dict[str, Any], field: str) -> None:
    path = write(tmp_path, "p.json", json.dumps(good_doc(**over)))
    with pytest.raises(ValidationError) as info:
        load_prompt_file(path)
    assert info.value.message.startswith(f"{path}: ")
    assert field in info.value.message


def test_missing_file_wrong_suffix_and_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        load_prompt_file(tmp_path / "nope.json")
    with pytest.raises(UserError, match=r"must end in \.json, \.yaml or \.yml"):
        load_prompt_file(write(tmp_path, "p.txt", "{}"))
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(UserError, match="not UTF-8"):
        load_prompt_file(latin)
    with pytest.raises(ValidationError, match="must hold an object"):
        load_prompt_file(write(tmp_path, "list.yaml", "- a\n- b\n"))


def test_file_with_bom_and_minimal_fields_loads(tmp_path: Path) -> None:
    path = tmp_path / "min.json"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + json.dumps(
            {"name": "m", "messages": [{"role": "user", "content": "hi"}], "model": "x"}
        ).encode()
    )
    name, description, spec = load_prompt_file(path)
    assert (name, description, spec.params, spec.tools) == ("m", "", {}, None)
