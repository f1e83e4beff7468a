"""Template variables: finding, brace checks with positions, rendering, speed."""

from __future__ import annotations

import pytest

from studio.core.prompts.render import MissingVariableError, render
from studio.core.prompts.spec import Message, PromptSpec
from studio.core.prompts.template import TemplateError, find_variables, parse_template


def spec(*contents: str) -> PromptSpec:
    roles = ["system", "user", "assistant", "user"]
    return PromptSpec(
        tuple(Message(roles[i % 4], c) for i, c in enumerate(contents)),  # type: ignore[arg-type]
        "gpt-4o-mini",
    )


def test_find_variables_in_first_use_order_without_repeats() -> None:
    text = "Hi {{name}}, about {{ order.id }} and {{name}} again: {{  topic_2 }}"
    assert find_variables(text) == ["name", "order.id", "topic_2"]


def test_text_without_variables_has_none() -> None:
    assert find_variables("plain text with {single} braces") == []


def test_json_examples_need_no_escaping() -> None:
    text = 'Answer like {"a": {"b": [1, {"c": 2}]}} for {{ text }}'
    assert find_variables(text) == ["text"]
    out = render(spec(text), {"text": "x"}).messages[0]["content"]
    assert out == 'Answer like {"a": {"b": [1, {"c": 2}]}} for x'


def test_escaped_braces_are_literal() -> None:
    text = r"Write \{{name}} literally, and \{{ x \}} too; fill {{ y }}"
    assert find_variables(text) == ["y"]
    out = render(spec(text), {"y": "Y"}).messages[0]["content"]
    assert out == "Write {{name}} literally, and {{ x }} too; fill Y"


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("Hello {{name", 1, 7, "never closed"),
        ("Hello name}}", 1, 11, "closes no"),
        ("x\n  {{}}", 2, 3, "empty variable"),
        ("a {{ 9lives }}", 1, 3, "not a valid variable name"),
        ("{{a {{b}}", 1, 1, "never closed"),
        ("{name}}", 1, 6, "closes no"),
    ],
)
def test_unbalanced_braces_name_message_line_and_column(
    text: str, line: int, column: int, words: str
) -> None:
    s = spec("System text", text)
    with pytest.raises(TemplateError) as info:
        s.validate()
    err = info.value
    assert err.message_index == 1
    assert (err.line, err.column) == (line, column)
    assert words in err.message
    assert err.message.startswith(f"messages[1] (user), line {line}, column {column}:")


def test_bare_template_error_has_position() -> None:
    with pytest.raises(TemplateError) as info:
        parse_template("ok\nthen {{oops")
    assert info.value.position == 8
    assert "Line 2, column 6" in info.value.message


def test_render_fills_every_message_and_keeps_roles() -> None:
    s = spec("You sort {{kind}} tickets.", "Ticket: {{ text }}")
    result = render(s, {"kind": "bank", "text": "My card is lost"})
    assert result.messages == [
        {"role": "system", "content": "You sort bank tickets."},
        {"role": "user", "content": "Ticket: My card is lost"},
    ]
    assert result.warnings == []


def test_missing_variable_names_it_and_its_message() -> None:
    s = spec("You sort {{kind}} tickets.", "Ticket: {{ text }}")
    with pytest.raises(MissingVariableError) as info:
        render(s, {"kind": "bank"})
    assert info.value.missing == ("text",)
    assert "`text`" in info.value.message and "messages[1] (user)" in info.value.message


def test_several_missing_variables_are_all_listed() -> None:
    with pytest.raises(MissingVariableError) as info:
        render(spec("{{a}} {{b}}"), {})
    assert info.value.missing == ("a", "b")
    assert "variables" in info.value.message


def test_unused_variable_is_a_warning_not_an_error() -> None:
    result = render(spec("Hi {{name}}"), {"name": "Ann", "extra": 1})
    assert result.messages[0]["content"] == "Hi Ann"
    assert result.warnings == ["Variable `extra` was given but no message uses it."]


def test_dotted_names_read_nested_or_flat_values() -> None:
    s = spec("{{customer.name}} / {{customer.tier}}")
    nested = render(s, {"customer": {"name": "Ann", "tier": "gold"}})
    assert nested.messages[0]["content"] == "Ann / gold"
    assert nested.warnings == []
    flat = render(s, {"customer.name": "Bo", "customer.tier": "basic"})
    assert flat.messages[0]["content"] == "Bo / basic"


def test_non_text_values_are_written_as_json() -> None:
    out = render(
        spec("{{a}}|{{b}}|{{c}}|{{d}}|{{e}}"),
        {"a": 3, "b": 0.5, "c": True, "d": None, "e": {"k": [1, "é"]}},
    )
    assert out.messages[0]["content"] == '3|0.5|true|null|{"k": [1, "é"]}'


def test_value_with_braces_is_not_rendered_again() -> None:
    out = render(spec("{{a}}"), {"a": "{{b}} stays"})
    assert out.messages[0]["content"] == "{{b}} stays"
