"""The rendering rule: prompt version + example -> neutral chat example."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from studio.core.datasets import add_example, create_dataset, update_example
from studio.core.datasets.queries import ExampleDetail
from studio.core.db.project import Project
from studio.core.export import (
    ExampleSkipped,
    example_to_chat,
    example_to_preference,
    export_dataset,
)
from studio.core.formats import validate_file
from studio.core.prompts.service import save_version
from studio.core.prompts.spec import Message, PromptSpec

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup_fee",
            "description": "Fee for a transfer.",
            "parameters": {"type": "object", "properties": {"country": {"type": "string"}}},
        },
    }
]


def _example(**kw: Any) -> ExampleDetail:
    base: dict[str, Any] = dict(
        id=7,
        dataset_id=1,
        inputs={"text": "Where is my card?"},
        system_prompt=None,
        conversation=None,
        tools=None,
        output_kind="text",
        ideal_output="On its way.",
        label=None,
        status="approved",
        split="train",
        split_locked=False,
        rating=None,
        tags=(),
        notes="",
        source="manual",
        source_line=None,
        created_at="t",
        updated_at="t",
    )
    base.update(kw)
    return ExampleDetail(**base)


def _spec(*messages: tuple[str, str], tools: list[dict[str, Any]] | None = None) -> PromptSpec:
    return PromptSpec(
        messages=tuple(Message(r, c) for r, c in messages), model="gpt-4o-mini", tools=tools
    )


SPEC = _spec(("system", "Be brief."), ("user", "Q: {{text}}"))


def test_variables_are_rendered_and_the_ideal_output_is_the_last_turn() -> None:
    ex = example_to_chat(SPEC, _example())
    assert ex.messages == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Q: Where is my card?"},
        {"role": "assistant", "content": "On its way."},
    ]
    assert ex.example_id == 7 and ex.tools is None


def test_few_shot_turns_keep_their_order_and_developer_becomes_system() -> None:
    spec = _spec(
        ("developer", "Rules."),
        ("user", "Example?"),
        ("assistant", "Example."),
        ("user", "{{text}}"),
    )
    roles = [m["role"] for m in example_to_chat(spec, _example()).messages]
    assert roles == ["system", "user", "assistant", "user", "assistant"]


def test_json_output_is_the_json_text() -> None:
    out = '{"intent": "card_arrival"}'
    ex = example_to_chat(SPEC, _example(output_kind="json", ideal_output=out))
    assert ex.messages[-1] == {"role": "assistant", "content": out}


def test_tool_call_output_becomes_tool_calls_with_string_arguments() -> None:
    stored = json.dumps(
        {
            "content": None,
            "tool_calls": [{"function": {"name": "lookup_fee", "arguments": {"country": "ES"}}}],
        }
    )
    ex = example_to_chat(
        _spec(("user", "{{text}}"), tools=TOOLS),
        _example(output_kind="tool_calls", ideal_output=stored),
    )
    last = ex.messages[-1]
    assert last["role"] == "assistant" and "content" not in last
    call = last["tool_calls"][0]
    assert call["type"] == "function" and call["id"] == "call_7_1"
    assert json.loads(call["function"]["arguments"]) == {"country": "ES"}
    assert ex.tools == TOOLS


def test_imported_conversation_keeps_turns_and_takes_the_version_system_prompt() -> None:
    conv = [
        {"role": "system", "content": "Old system."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Card?"},
    ]
    ex = example_to_chat(
        SPEC,
        _example(inputs={}, conversation=conv, system_prompt="Old system.", ideal_output="Sent."),
    )
    assert ex.messages == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Card?"},
        {"role": "assistant", "content": "Sent."},
    ]
    # a version without system message keeps the example's own
    ex2 = example_to_chat(
        _spec(("user", "unused")), _example(inputs={}, conversation=conv[1:], system_prompt="Own.")
    )
    assert ex2.messages[0] == {"role": "system", "content": "Own."}


def test_classification_label_is_the_answer_when_there_is_no_ideal_output() -> None:
    ex = example_to_chat(SPEC, _example(ideal_output=None, label="card_arrival"))
    assert ex.messages[-1]["content"] == "card_arrival"


@pytest.mark.parametrize(
    ("example", "spec", "reason"),
    [
        (_example(ideal_output=None), SPEC, "no_ideal_output"),
        (_example(inputs={"other": "x"}), SPEC, "render_failed"),
        (
            _example(),
            _spec(("user", "{{text}}"), ("assistant", "prefill")),
            "prompt_ends_with_assistant",
        ),
        (
            _example(output_kind="tool_calls", ideal_output='{"tool_calls": []}'),
            SPEC,
            "bad_tool_calls",
        ),
    ],
)
def test_examples_that_cannot_be_rendered_are_skipped_with_a_reason(
    example: ExampleDetail, spec: PromptSpec, reason: str
) -> None:
    with pytest.raises(ExampleSkipped) as info:
        example_to_chat(spec, example)
    assert info.value.reason == reason and "xample 7" in info.value.message


def test_preference_prompt_has_no_answer() -> None:
    pref = example_to_preference(SPEC, _example(), "Good.", "Bad.")
    assert [m["role"] for m in pref.prompt_messages] == ["system", "user"]
    assert (pref.chosen, pref.rejected) == ("Good.", "Bad.")


def test_tool_call_examples_export_where_the_target_holds_them(tmp_path: Path) -> None:
    from studio.core.db.project import new_project

    project: Project = new_project(tmp_path / "tools.studio")
    try:
        ds = create_dataset(project, "fees", input_fields=("text",)).id
        stored = json.dumps(
            {
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "lookup_fee", "arguments": '{"country": "ES"}'},
                    }
                ],
            }
        )
        for i in range(10):
            add_example(
                project,
                ds,
                {"text": f"Fee to Spain {i}?"},
                ideal_output=f"1 EUR ({i}).",
                status="approved",
            )
        tool_ex = add_example(
            project,
            ds,
            {"text": "Fee to Spain?"},
            ideal_output=stored,
            output_kind="tool_calls",
            status="approved",
        )
        update_example(project, tool_ex.example_ids[0], tools=TOOLS)
        save_version(project, "fees", _spec(("user", "{{text}}")), "v1", author="t")
        ok = export_dataset(project, "fees", "openai-chat", "fees@1", tmp_path / "oa")
        assert ok.ok and ok.manifest["counts"]["train"] == 11
        last = orjson.loads((tmp_path / "oa" / "train.jsonl").read_bytes().splitlines()[-1])
        assert last["tools"] == TOOLS and last["messages"][-1]["tool_calls"][0]["id"] == "call_1"
        assert validate_file(tmp_path / "oa" / "train.jsonl", "openai-chat").valid
        # Together's conversational format has no tools: the example is skipped, and said so
        tg = export_dataset(project, "fees", "together", "fees@1", tmp_path / "tg")
        assert tg.ok and tg.manifest["counts"]["train"] == 10
        assert tg.manifest["skipped"]["by_reason"] == {"target_cannot_hold": 1}
        assert tg.skipped[0]["example_id"] == tool_ex.example_ids[0]
    finally:
        project.close()
