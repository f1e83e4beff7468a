"""Diffs between versions: message text, model/params, JSON Schema wording, tools."""

from __future__ import annotations

from typing import Any

from studio.core.prompts.diff import diff_versions
from studio.core.prompts.spec import PromptSpec


def make(messages: list[tuple[str, str]] | None = None, **over: Any) -> PromptSpec:
    data: dict[str, Any] = {
        "messages": [
            {"role": r, "content": c}
            for r, c in (
                messages or [("system", "You sort support tickets."), ("user", "{{text}}")]
            )
        ],
        "model": "gpt-4o-mini",
        "params": {"temperature": 0.2, "stop": ["\n\n"]},
        "response_schema": None,
        "tools": None,
    }
    data.update(over)
    return PromptSpec.from_json(data)


def test_identical_versions_have_an_empty_diff() -> None:
    d = diff_versions(make(), make())
    assert d.is_empty
    assert d.to_text() == "No differences."
    assert [m.status for m in d.messages] == ["unchanged", "unchanged"]


def test_model_and_params_are_worded_key_by_key() -> None:
    a = make()
    b = make(model="gpt-4.1-mini", params={"temperature": 0.7, "seed": 7})
    d = diff_versions(a, b)
    texts = [c.text for c in d.changes]
    assert "model gpt-4o-mini → gpt-4.1-mini" in texts
    assert "temperature 0.2 → 0.7" in texts
    assert "seed added: 7" in texts
    assert 'stop removed (was ["\\n\\n"])' in texts
    temp = next(c for c in d.changes if c.key == "temperature")
    assert (temp.kind, temp.old, temp.new) == ("changed", 0.2, 0.7)


def test_message_word_diff_gives_char_offsets_for_both_sides() -> None:
    a = make([("system", "You sort support tickets by topic."), ("user", "{{text}}")])
    b = make([("system", "You sort bank support tickets by intent."), ("user", "{{text}}")])
    m = diff_versions(a, b).messages[0]
    assert m.status == "changed" and not m.role_changed
    # the opcodes tile both texts completely, so a GUI can colour every character
    assert m.ops[0].a_start == 0 and m.ops[-1].a_end == len(m.text_a)
    assert m.ops[-1].b_end == len(m.text_b)
    changed_b = {m.text_b[o.b_start : o.b_end] for o in m.ops if o.tag != "equal"}
    changed_a = {m.text_a[o.a_start : o.a_end] for o in m.ops if o.tag != "equal"}
    assert {t.strip() for t in changed_b} == {"bank", "intent"}
    assert {t.strip() for t in changed_a} == {"", "topic"}
    assert m.word_diff() == "You sort{+ bank+} support tickets by [-topic-]{+intent+}."
    assert "-You sort support tickets by topic." in m.unified
    assert "+You sort bank support tickets by intent." in m.unified


def test_added_removed_and_role_changed_messages() -> None:
    a = make([("system", "Sort."), ("user", "{{text}}")])
    b = make(
        [
            ("system", "Sort."),
            ("user", "My card is late."),
            ("assistant", "card_arrival"),
            ("user", "{{text}}"),
        ]
    )
    d = diff_versions(a, b)
    assert [(m.status, m.index_a, m.index_b) for m in d.messages] == [
        ("unchanged", 0, 0),
        ("added", None, 1),
        ("added", None, 2),
        ("unchanged", 1, 3),
    ]
    back = diff_versions(b, a)
    assert [m.status for m in back.messages].count("removed") == 2

    c = make([("developer", "Sort."), ("user", "{{text}}")])
    m = diff_versions(a, c).messages[0]
    assert m.role_changed and (m.role_a, m.role_b) == ("system", "developer")
    assert "role system → developer" in diff_versions(a, c).to_text()


SCHEMA_A = {
    "type": "object",
    "properties": {
        "email": {"type": "string"},
        "age": {"type": "integer", "minimum": 0},
        "status": {"type": "string", "enum": ["open", "closed"]},
        "address": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["email", "age"],
}
SCHEMA_B = {
    "type": "object",
    "properties": {
        "email": {"type": "string"},
        "age": {"type": "string", "minimum": 1},
        "status": {"type": "string", "enum": ["open", "pending"]},
        "address": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
            "required": ["city", "zip"],
        },
        "tags": {"type": "array", "items": {"type": "integer"}},
        "phone": {"type": "string"},
    },
    "required": ["age", "phone"],
}


def test_schema_changes_are_worded() -> None:
    d = diff_versions(make(response_schema=SCHEMA_A), make(response_schema=SCHEMA_B))
    texts = [c.text for c in d.changes_in("response_schema")]
    for expected in [
        "required field `email` removed",
        "required field `phone` added",
        "property `age` type integer → string",
        "property `age` minimum 0 → 1",
        "property `phone` added (string)",
        "property `status` value closed removed",
        "property `status` value pending added",
        "property `address.zip` added (string)",
        "required field `address.zip` added",
        "property `tags[]` type string → integer",
    ]:
        assert expected in texts, (expected, texts)
    assert "email" not in " ".join(t for t in texts if "property `email`" in t)
    assert "Response schema:" in d.to_text()


def test_schema_added_and_removed() -> None:
    with_schema = make(response_schema=SCHEMA_A)
    assert [c.text for c in diff_versions(make(), with_schema).changes] == ["response schema added"]
    assert [c.text for c in diff_versions(with_schema, make()).changes] == [
        "response schema removed"
    ]


def tool(
    name: str, props: dict[str, Any], desc: str = "Find.", strict: bool = False
) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": desc,
            "strict": strict,
            "parameters": {"type": "object", "properties": props, "required": list(props)},
        },
    }


def test_tools_diff_by_name() -> None:
    a = make(tools=[tool("lookup", {"id": {"type": "string"}}), tool("old", {})])
    b = make(
        tools=[
            tool(
                "lookup",
                {"id": {"type": "string"}, "cur": {"type": "string"}},
                desc="Find fast.",
                strict=True,
            ),
            tool("new", {}),
        ]
    )
    texts = [c.text for c in diff_versions(a, b).changes_in("tools")]
    assert "tool `old` removed" in texts
    assert "tool `new` added" in texts
    assert "tool `lookup` description changed" in texts
    assert "tool `lookup` strict false → true" in texts
    assert "tool `lookup`: parameter `cur` added (string)" in texts
    assert "tool `lookup`: required field `cur` added" in texts


def test_to_text_lists_every_area() -> None:
    a = make()
    b = make(
        [("system", "You sort bank tickets."), ("user", "{{text}}")],
        params={"temperature": 0.7, "stop": ["\n\n"]},
        response_schema=SCHEMA_A,
        tools=[tool("lookup", {})],
    )
    text = diff_versions(a, b).to_text()
    assert text.splitlines()[:2] == ["Parameters:", "  temperature 0.2 → 0.7"]
    for part in (
        "Response schema:",
        "Tools:",
        "  tool `lookup` added",
        "Messages:",
        "  messages[0] (system) changed:",
        "    You sort [-support-]{+bank+} tickets.",
    ):
        assert part in text.splitlines(), part
