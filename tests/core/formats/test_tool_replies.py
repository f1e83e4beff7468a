"""A tool call needs its tool reply unless it is the final assistant turn (docs/formats.md §2.3)."""

from __future__ import annotations

from typing import Any

import pytest
from fmt_helpers import run_checker

U = {"role": "user", "content": "Where is my card?"}
A = {"role": "assistant", "content": "It has shipped."}
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


def call(*ids: str) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": i,
                "type": "function",
                "function": {"name": "lookup_card", "arguments": '{"id": 7}'},
            }
            for i in ids
        ],
    }


def reply(call_id: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "content": "shipped"}


def chat(*messages: Any) -> dict[str, Any]:
    return {"messages": list(messages), "tools": TOOLS}


VALID = [
    chat(U, call("c1")),  # the final assistant turn is a tool call: a valid target
    chat(U, call("c1"), reply("c1"), A),
    chat(U, call("c1", "c2"), reply("c2"), reply("c1"), A),  # parallel, any order
    chat(U, call("c1"), reply("c1"), A, U, call("c2")),  # earlier call answered, last open
    chat(U, call("c1"), reply("c1"), U, A),  # the user may speak after the tool result
]


@pytest.mark.parametrize("record", VALID)
def test_answered_or_final_tool_calls_are_valid(record: dict[str, Any]) -> None:
    sink, results = run_checker("openai-chat", record)
    assert "tool_call_without_reply" not in sink.codes(), sink.items
    assert not sink.codes("error"), sink.items
    assert results[0].tokens


def _errors(sink: Any) -> list[str]:
    return [m for s, c, m in sink.items if s == "error" and c == "tool_call_without_reply"]


def test_call_followed_by_user_message_is_an_error() -> None:
    sink, results = run_checker("openai-chat", chat(U, call("c1"), U, A))
    errors = _errors(sink)
    assert len(errors) == 1 and results[0].tokens
    assert errors[0].startswith("message 2:") and "message 3 is user" in errors[0]


def test_call_followed_by_assistant_message_is_an_error() -> None:
    sink, _ = run_checker("openai-chat", chat(U, call("c1"), A))
    errors = _errors(sink)
    assert len(errors) == 1 and "message 3 is assistant" in errors[0]


def test_an_earlier_unanswered_call_is_flagged_even_when_the_last_is_final() -> None:
    sink, _ = run_checker("openai-chat", chat(U, call("c1"), U, call("c2")))
    errors = _errors(sink)
    assert len(errors) == 1 and errors[0].startswith("message 2:")


def test_parallel_call_with_a_missing_reply_is_an_error() -> None:
    sink, _ = run_checker("openai-chat", chat(U, call("c1", "c2"), reply("c1"), A))
    errors = _errors(sink)
    assert len(errors) == 1 and "'c2'" in errors[0] and "'c1'" not in errors[0]


def test_reply_without_id_is_reported_once() -> None:
    # The tool message lacks tool_call_id: that rule reports it; no second error for the call
    sink, _ = run_checker("openai-chat", chat(U, call("c1"), {"role": "tool", "content": "x"}, A))
    assert "tool_message_missing_tool_call_id" in sink.codes("error")
    assert _errors(sink) == []


def test_mistral_applies_the_rule() -> None:
    tools = [
        {
            "type": "function",
            "function": {"name": "lookup_card", "description": "d", "parameters": {}},
        }
    ]
    ok = {"messages": [U, call("abcdefghi"), reply("abcdefghi"), A], "tools": tools}
    bad = {"messages": [U, call("abcdefghi"), U, A], "tools": tools}
    assert _errors(run_checker("mistral", ok)[0]) == []
    assert len(_errors(run_checker("mistral", bad)[0])) == 1


def test_trl_needs_a_tool_message_but_not_ids() -> None:
    trl_call = {
        "role": "assistant",
        "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": {"a": 1}}}],
    }
    ok = {"messages": [U, trl_call, {"role": "tool", "name": "f", "content": "1"}, A]}
    bad = {"messages": [U, trl_call, U, A]}
    assert _errors(run_checker("trl", ok)[0]) == []
    assert len(_errors(run_checker("trl", bad)[0])) == 1
