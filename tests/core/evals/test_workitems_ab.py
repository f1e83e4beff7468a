"""Rendering examples through prompt versions into runner work items."""

from __future__ import annotations

import pytest

from studio.core.evals.workitems import (
    ExampleInput,
    PreparedVariant,
    build_messages,
    build_work_items,
    input_preview,
    merge_params,
    response_format_for,
    strict_compatible,
)
from studio.core.prompts.spec import Message, PromptSpec

SCHEMA = {
    "type": "object",
    "properties": {"intent": {"type": "string"}, "confidence": {"type": "string"}},
    "required": ["intent", "confidence"],
    "additionalProperties": False,
}


def _spec(*messages: tuple[str, str], **kw: object) -> PromptSpec:
    return PromptSpec(
        messages=tuple(Message(r, c) for r, c in messages),  # type: ignore[arg-type]
        model="m",
        **kw,  # type: ignore[arg-type]
    )


def test_variables_render_into_the_versions_messages() -> None:
    spec = _spec(("system", "Classify."), ("user", "Query: {{text}}"))
    ex = ExampleInput(id=1, inputs={"text": "card lost"})
    assert build_messages(spec, ex) == [
        {"role": "system", "content": "Classify."},
        {"role": "user", "content": "Query: card lost"},
    ]


def test_conversation_keeps_turns_and_replaces_the_system_prompt() -> None:
    spec = _spec(("system", "New system"), ("user", "{{text}}"), ("assistant", "few-shot"))
    turns = [
        {"role": "system", "content": "old inline system"},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "help me"},
    ]
    ex = ExampleInput(id=2, inputs={}, system_prompt="Old system", conversation=turns)
    msgs = build_messages(spec, ex)
    assert msgs[0] == {"role": "system", "content": "New system"}
    assert [m["content"] for m in msgs[1:]] == ["hi", "hello", "help me"]


def test_conversation_keeps_its_own_system_prompt_when_the_version_has_none() -> None:
    spec = _spec(("user", "{{text}}"))
    ex = ExampleInput(
        id=3, inputs={}, system_prompt="Own system", conversation=[{"role": "user", "content": "q"}]
    )
    assert build_messages(spec, ex) == [
        {"role": "system", "content": "Own system"},
        {"role": "user", "content": "q"},
    ]


def test_missing_variable_is_a_render_failure_not_a_request() -> None:
    spec = _spec(("user", "{{text}} {{extra}}"))
    v = PreparedVariant("7", spec, "m", {})
    items, failures = build_work_items(
        [v], [ExampleInput(1, {"text": "a"}), ExampleInput(2, {"text": "b", "extra": "x"})]
    )
    assert [it.example_id for it in items] == [2]
    assert len(failures) == 1 and failures[0].example_id == 1 and "extra" in failures[0].message


def test_items_are_example_major_and_carry_params_schema_and_tools() -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    a = PreparedVariant(
        "1",
        _spec(("user", "{{text}}"), response_schema=SCHEMA),
        "m",
        {"temperature": 0.0, "stream": True},
        name="p@1",
    )
    b = PreparedVariant("2", _spec(("user", "{{text}}"), tools=tools), "m2", {"seed": 3})
    items, failures = build_work_items(
        [a, b], [ExampleInput(1, {"text": "x"}), ExampleInput(2, {"text": "y"})]
    )
    assert not failures
    assert [(i.variant_key, i.example_id) for i in items] == [
        ("1", 1),
        ("2", 1),
        ("1", 2),
        ("2", 2),
    ]
    first = items[0]
    assert first.params == {"temperature": 0.0}  # stream dropped
    assert first.response_format is not None
    assert first.response_format["json_schema"]["strict"] is True
    assert first.response_format["json_schema"]["name"] == "p_1"
    assert items[1].tools == tools and items[1].model == "m2"
    assert items[1].request_body()["seed"] == 3


def test_strict_mode_only_for_closed_schemas() -> None:
    assert strict_compatible(SCHEMA)
    open_schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    assert not strict_compatible(open_schema)
    partly = {**SCHEMA, "required": ["intent"]}
    assert not strict_compatible(partly)
    nested = {
        **SCHEMA,
        "properties": {"x": {"type": "array", "items": open_schema}},
        "required": ["x"],
    }
    assert not strict_compatible(nested)
    spec = _spec(("user", "x"), response_schema=open_schema)
    fmt = response_format_for(spec)
    assert fmt is not None and fmt["json_schema"]["strict"] is False


def test_param_overrides_replace_and_remove() -> None:
    assert merge_params({"temperature": 0.2, "seed": 1}, {"temperature": 0.0, "seed": None}) == {
        "temperature": 0.0
    }


def test_input_preview_is_one_line() -> None:
    assert input_preview(ExampleInput(1, {"text": "a\n b"})) == "a b"
    conv = [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "x"},
        {"role": "user", "content": "last"},
    ]
    assert input_preview(ExampleInput(1, {}, conversation=conv)) == "last"
    assert len(input_preview(ExampleInput(1, {"text": "z" * 500}), limit=50)) == 50


@pytest.mark.parametrize("role", ["system", "developer"])
def test_developer_messages_also_replace_the_system_prompt(role: str) -> None:
    spec = _spec((role, "Rules"), ("user", "{{text}}"))
    ex = ExampleInput(1, {}, system_prompt="old", conversation=[{"role": "user", "content": "q"}])
    assert build_messages(spec, ex)[0] == {"role": role, "content": "Rules"}
