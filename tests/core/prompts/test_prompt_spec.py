"""PromptSpec: canonical JSON, hash, validation of params, schema and tools."""

from __future__ import annotations

import pytest

from studio.core.errors import ValidationError
from studio.core.prompts.spec import Message, PromptSpec


def base(**over: object) -> dict[str, object]:
    data: dict[str, object] = {
        "messages": [
            {"role": "system", "content": "Sort it."},
            {"role": "user", "content": "{{text}}"},
        ],
        "model": "gpt-4o-mini",
        "params": {"temperature": 0.2},
        "response_schema": None,
        "tools": None,
    }
    data.update(over)
    return data


def test_hash_ignores_key_order_and_int_float_spelling() -> None:
    a = PromptSpec.from_json(base(params={"temperature": 1, "seed": 3}))
    b = PromptSpec.from_json(base(params={"seed": 3, "temperature": 1.0}))
    assert a.content_hash() == b.content_hash()
    assert a == b and hash(a) == hash(b)
    assert len(a.content_hash()) == 64


def test_canonical_json_is_sorted_and_compact() -> None:
    s = PromptSpec.from_json(base())
    assert s.canonical().startswith('{"messages":[{"content":"Sort it.","role":"system"}')
    assert " " not in s.canonical().replace("Sort it.", "")


def test_any_content_change_changes_the_hash() -> None:
    a = PromptSpec.from_json(base())
    b = PromptSpec.from_json(base(model="gpt-4.1-mini"))
    c = PromptSpec.from_json(
        base(
            messages=[
                {"role": "system", "content": "Sort it!"},
                {"role": "user", "content": "{{text}}"},
            ]
        )
    )
    assert len({a.content_hash(), b.content_hash(), c.content_hash()}) == 3


def test_spec_keeps_private_copies() -> None:
    params = {"temperature": 0.2, "stop": ["\n"]}
    s = PromptSpec((Message("user", "hi"),), "m", params)
    params["stop"].append("x")  # type: ignore[attr-defined]
    assert s.params["stop"] == ["\n"]
    out = s.to_json()
    out["params"]["stop"].append("y")
    assert s.params["stop"] == ["\n"]


def test_spec_is_frozen() -> None:
    s = PromptSpec.from_json(base())
    with pytest.raises(AttributeError):
        s.model = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"temperature": 2.5}, "params.temperature"),
        ({"temperature": "hot"}, "params.temperature"),
        ({"top_p": -0.1}, "params.top_p"),
        ({"max_tokens": 0}, "params.max_tokens"),
        ({"max_tokens": 1.5}, "params.max_tokens"),
        ({"seed": True}, "params.seed"),
        ({"stop": ""}, "params.stop"),
        ({"stop": ["ok", 3]}, "params.stop"),
        ({"presence_penalty": 3}, "params.presence_penalty"),
        ({"frequency_penalty": float("nan")}, "params.frequency_penalty"),
        ({"reasoning_effort": 3}, "params.reasoning_effort"),
        ({"logprobs": "yes"}, "params.logprobs"),
        ({"tool_choice": "sometimes"}, "params.tool_choice"),
        ({"tool_choice": {"type": "function", "function": {"name": "nope"}}}, "params.tool_choice"),
    ],
)
def test_bad_params_name_the_field(params: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        PromptSpec.from_json(base(params=params))
    assert info.value.where == field
    assert f"`{field}`" in info.value.message


def test_good_params_pass_and_unknown_ones_warn() -> None:
    s = PromptSpec.from_json(
        base(
            params={
                "temperature": 0,
                "top_p": 1,
                "max_tokens": 200,
                "seed": 7,
                "stop": ["\n\n"],
                "reasoning_effort": "low",
                "presence_penalty": -1.5,
                "frequency_penalty": 0.5,
                "my_gateway_flag": True,
            }
        ),
        validate=False,
    )
    warnings = s.validate()
    assert warnings == [
        "`params.my_gateway_flag` is not a parameter Studio knows; it is kept and sent as is."
    ]
    assert s.params["my_gateway_flag"] is True


def test_unknown_reasoning_effort_value_warns() -> None:
    s = PromptSpec.from_json(base(params={"reasoning_effort": "extreme"}), validate=False)
    assert any("reasoning_effort" in w for w in s.validate())


def test_invalid_response_schema_names_the_schema_path() -> None:
    schema = {"type": "object", "properties": {"age": {"type": "integr"}}}
    with pytest.raises(ValidationError) as info:
        PromptSpec.from_json(base(response_schema=schema))
    assert info.value.where == "response_schema/properties/age/type"
    assert "/properties/age/type" in info.value.message


def test_valid_schema_passes_and_non_object_root_warns() -> None:
    ok = PromptSpec.from_json(
        base(
            response_schema={
                "type": "object",
                "properties": {"email": {"type": "string"}},
                "required": ["email"],
            }
        )
    )
    assert ok.validate() == []
    arr = PromptSpec.from_json(base(response_schema={"type": "array"}), validate=False)
    assert any("object" in w for w in arr.validate())


def tool(name: str = "lookup", **fn: object) -> dict[str, object]:
    function: dict[str, object] = {
        "name": name,
        "description": "Look up.",
        "parameters": {"type": "object", "properties": {}},
    }
    function.update(fn)
    return {"type": "function", "function": function}


def test_valid_tools_and_tool_choice_pass() -> None:
    s = PromptSpec.from_json(
        base(
            tools=[tool("a"), tool("b", strict=True)],
            params={"tool_choice": {"type": "function", "function": {"name": "b"}}},
        )
    )
    assert s.validate() == []


@pytest.mark.parametrize(
    ("tools", "field"),
    [
        ([{"type": "retrieval"}], "tools[0]"),
        ([tool("bad name")], "tools[0].function.name"),
        ([tool("a"), tool("a")], "tools[1].function.name"),
        (
            [tool(parameters={"type": "object", "properties": {"x": {"type": "nope"}}})],
            "tools[0].function.parameters/properties/x/type",
        ),
        ([tool(parameters={"type": "string"})], "tools[0].function.parameters"),
        ([tool(strict="yes")], "tools[0].function.strict"),
        ([tool(extra=1)], "tools[0].function.extra"),
    ],
)
def test_bad_tools_name_the_field(tools: list[object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        PromptSpec.from_json(base(tools=tools))
    assert info.value.where == field


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (base(messages=[{"role": "bot", "content": "x"}]), "messages[0].role"),
        (base(messages=[{"role": "user", "content": 5}]), "messages[0].content"),
        (base(messages=[{"role": "user", "content": "x", "name": "n"}]), "messages[0].name"),
        (base(messages="hi"), "messages"),
        (base(messages=[]), "messages"),
        (base(model=""), "model"),
        (base(model=4), "model"),
        (base(params=[1]), "params"),
        (base(response_schema="yes"), "response_schema"),
        (base(tools={}), "tools"),
        ({**base(), "response_format": {}}, "response_format"),
        ({"messages": []}, "model"),
    ],
)
def test_bad_shape_names_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        PromptSpec.from_json(data)
    assert info.value.where == field


def test_variables_property_lists_all_messages() -> None:
    s = PromptSpec.from_json(
        base(
            messages=[
                {"role": "system", "content": "Sort {{kind}}."},
                {"role": "user", "content": "{{text}} ({{kind}})"},
            ]
        )
    )
    assert s.variables == ["kind", "text"]
