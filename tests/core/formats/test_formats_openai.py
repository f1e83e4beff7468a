"""OpenAI SFT chat, DPO and RFT rules (docs/formats.md §2-§4): valid and invalid cases."""

from __future__ import annotations

from typing import Any

import pytest
from fmt_helpers import run_checker

U = {"role": "user", "content": "Where is my card?"}
A = {"role": "assistant", "content": "card_arrival"}
S = {"role": "system", "content": "Classify."}
CALL = {
    "role": "assistant",
    "content": None,
    "tool_calls": [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "lookup_card", "arguments": '{"id": 7}'},
        }
    ],
}
TOOL_REPLY = {"role": "tool", "tool_call_id": "call_1", "content": "shipped"}
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
IMG = {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low"}}


def chat(*messages: Any, **top: Any) -> dict[str, Any]:
    return {"messages": list(messages), **top}


VALID_CHAT = [
    chat(S, U, A),
    chat(U, A),
    chat(U, A, U, A),
    chat(U, {"role": "user", "content": [IMG]}, A),  # two user messages in a row: allowed
    chat(U, CALL, tools=TOOLS),  # ends with a tool call and no reply (schema example)
    chat(U, CALL, TOOL_REPLY, A, tools=TOOLS, parallel_tool_calls=False),
    chat(U, {"role": "assistant", "content": "x", "weight": 0}, U, {**A, "weight": 1}),
    chat({"role": "system", "content": [{"type": "text", "text": "sys"}]}, U, A),
    chat(U, {"role": "assistant", "content": [{"type": "refusal", "refusal": "no"}]}),
    chat(U, {"role": "assistant", "content": [{"type": "text", "text": "a"}]}),
    chat({"role": "user", "content": "hi", "name": "bob"}, A),
    chat(
        U,
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
            ],
        },
        A,
    ),
]


@pytest.mark.parametrize("record", VALID_CHAT)
def test_valid_chat_records_have_no_errors(record: dict[str, Any]) -> None:
    sink, results = run_checker("openai-chat", record)
    assert not sink.codes("error"), sink.items
    assert results[0].tokens and results[0].tokens > 0


INVALID_CHAT: list[tuple[dict[str, Any], str, str]] = [
    ({"prompt": "x"}, "missing_messages", "error"),
    (chat(), "missing_messages", "error"),
    ({"messages": {"role": "user"}}, "wrong_type", "error"),
    (chat("hello", A), "wrong_type", "error"),
    (chat({"content": "x"}, A), "message_missing_key", "error"),
    (chat({"role": 1, "content": "x"}, A), "wrong_type", "error"),
    (chat({"role": "developer", "content": "x"}, U, A), "unknown_role", "error"),
    (chat({"role": "model", "content": "x"}, U), "unknown_role", "error"),
    (chat({"role": "user", "content": "x", "extra": 1}, A), "unrecognized_key", "error"),
    (chat(U, A, metadata={"id": 1}), "unrecognized_key", "warning"),
    (chat({"role": "user"}, A), "message_missing_key", "error"),
    (chat(U, {"role": "assistant"}), "assistant_missing_content", "error"),
    (chat(U, {"role": "assistant", "content": ""}), "assistant_missing_content", "error"),
    (chat(U, {"role": "assistant", "content": 5}), "wrong_type", "error"),
    (chat(U), "missing_assistant_message", "error"),
    (chat(U, {**A, "weight": 2}), "invalid_weight", "error"),
    (chat(U, {**A, "weight": "1"}), "invalid_weight", "error"),
    (chat(U, {**A, "weight": 0.5}), "invalid_weight", "error"),
    (chat(U, {**A, "weight": True}), "invalid_weight", "error"),
    (chat({**U, "weight": 1}, A), "weight_on_non_assistant", "warning"),
    (chat(U, {**A, "weight": 0}), "no_trainable_assistant_message", "warning"),
    (
        chat(U, CALL, {"role": "tool", "content": "x"}, A, tools=TOOLS),
        "tool_message_missing_tool_call_id",
        "error",
    ),
    (
        chat(U, CALL, {"role": "tool", "tool_call_id": "other", "content": "x"}, A, tools=TOOLS),
        "tool_call_id_mismatch",
        "error",
    ),
    (
        chat(U, {"role": "tool", "tool_call_id": "call_1", "content": "x"}, A),
        "tool_call_id_mismatch",
        "error",
    ),
    (
        chat(
            U,
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "c",
                        "type": "function",
                        "function": {"name": "f", "arguments": {"a": 1}},
                    }
                ],
            },
        ),
        "tool_call_malformed",
        "error",
    ),
    (
        chat(
            U,
            {
                "role": "assistant",
                "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": "{}"}}],
            },
        ),
        "tool_call_malformed",
        "error",
    ),
    (
        chat(
            U,
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "c",
                        "type": "function",
                        "function": {"name": "bad name!", "arguments": "{}"},
                    }
                ],
            },
        ),
        "tool_call_malformed",
        "error",
    ),
    (
        chat(
            U,
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "c",
                        "type": "function",
                        "function": {"name": "lookup_card", "arguments": "{not json"},
                    }
                ],
            },
            tools=TOOLS,
        ),
        "tool_arguments_not_json",
        "warning",
    ),
    (
        chat(
            U,
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "c",
                        "type": "function",
                        "function": {"name": "undeclared", "arguments": "{}"},
                    }
                ],
            },
            tools=TOOLS,
        ),
        "unknown_tool_function",
        "warning",
    ),
    (chat(U, A, tools=[{"type": "retrieval"}]), "invalid_tools", "error"),
    (chat(U, A, tools="x"), "invalid_tools", "error"),
    (chat(U, A, parallel_tool_calls="yes"), "wrong_type", "error"),
    (
        chat(
            U,
            {
                "role": "assistant",
                "content": None,
                "function_call": {"name": "f", "arguments": "{}"},
            },
            functions=[{"name": "f", "parameters": {}}],
        ),
        "legacy_format",
        "info",
    ),
    (chat(U, A, S), "conversation_order", "warning"),
    (chat(A, U, A), "conversation_order", "warning"),
    (chat(U, A, U), "last_message_not_assistant", "warning"),
    (chat({"role": "user", "content": "  "}, A), "empty_content", "warning"),
    (chat({"role": "user", "content": []}, A), "wrong_type", "error"),
    (
        chat({"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}, A),
        "unsupported_content_part",
        "error",
    ),
    (chat({"role": "user", "content": [{"type": "video"}]}, A), "invalid_content_part", "error"),
    (chat({"role": "user", "content": ["text"]}, A), "invalid_content_part", "error"),
    (
        chat({"role": "user", "content": [{"type": "text", "text": 3}]}, A),
        "invalid_content_part",
        "error",
    ),
    (chat(U, {"role": "assistant", "content": [IMG]}), "invalid_content_part", "error"),
    (chat({"role": "system", "content": [IMG]}, U, A), "invalid_content_part", "error"),
    (
        chat(
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": "data:image/bmp;base64,AAAA"}}
                ],
            },
            A,
        ),
        "unsupported_image_format",
        "error",
    ),
    (
        chat(
            {
                "role": "user",
                "content": [{"type": "image_url", "image_url": {"url": "ftp://x/y.png"}}],
            },
            A,
        ),
        "unsupported_image_format",
        "error",
    ),
    (
        chat(
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": "https://x/y.png", "detail": "max"}}
                ],
            },
            A,
        ),
        "invalid_content_part",
        "error",
    ),
    (chat({"role": "user", "content": [IMG] * 11}, A), "too_many_images", "error"),
    (
        chat(
            U,
            {
                "role": "assistant",
                "content": [{"type": "refusal", "refusal": "no"}, {"type": "text", "text": "x"}],
            },
        ),
        "invalid_content_part",
        "error",
    ),
    (
        chat({"role": "user", "content": [{"type": "refusal", "refusal": "no"}]}, A),
        "invalid_content_part",
        "error",
    ),
    (chat(U, {"role": "function", "content": "x"}, A), "message_missing_key", "error"),
]


@pytest.mark.parametrize(("record", "code", "severity"), INVALID_CHAT)
def test_invalid_chat_records(record: dict[str, Any], code: str, severity: str) -> None:
    sink, _ = run_checker("openai-chat", record)
    assert code in sink.codes(severity), sink.items


def test_large_data_image_is_rejected() -> None:
    big = "data:image/png;base64," + "A" * (14 * 1024 * 1024)
    sink, _ = run_checker(
        "openai-chat",
        chat({"role": "user", "content": [{"type": "image_url", "image_url": {"url": big}}]}, A),
    )
    assert "image_too_large" in sink.codes("error")


def test_messages_name_the_message_index() -> None:
    sink, _ = run_checker(
        "openai-chat", chat(U, U, {"role": "assistant", "weight": 7, "content": "x"})
    )
    assert any("message 3" in m for _, c, m in sink.items if c == "invalid_weight")


# ---------------------------------------------------------------- DPO


def dpo(messages: list[Any] | None = None, **over: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "input": {"messages": messages if messages is not None else [U]},
        "preferred_output": [{"role": "assistant", "content": "good"}],
        "non_preferred_output": [{"role": "assistant", "content": "bad"}],
    }
    record.update(over)
    return record


def test_valid_dpo() -> None:
    sink, results = run_checker(
        "openai-dpo", dpo(), dpo([S, U]), dpo(input={"messages": [U], "tools": TOOLS})
    )
    assert not sink.codes("error") and not sink.codes("warning"), sink.items
    assert results[0].outputs == ["good", "bad"]


@pytest.mark.parametrize(
    ("record", "code", "severity"),
    [
        (
            {
                "input": {"messages": [U]},
                "preferred_completion": [A],
                "non_preferred_completion": [A],
            },
            "legacy_format",
            "error",
        ),
        (dpo(input=[U]), "wrong_type", "error"),
        (dpo([U, A]), "dpo_input_ends_with_assistant", "error"),
        (dpo([U, A, U]), "dpo_multi_turn", "warning"),
        (dpo(preferred_output=[A, A]), "dpo_invalid_output", "error"),
        (dpo(preferred_output=[]), "dpo_invalid_output", "error"),
        (dpo(preferred_output=[U]), "dpo_invalid_output", "error"),
        (dpo(non_preferred_output=[{"role": "assistant"}]), "dpo_invalid_output", "error"),
        (
            dpo(
                preferred_output=[
                    {
                        "role": "assistant",
                        "content": [{"type": "image_url", "image_url": {"url": "https://x"}}],
                    }
                ]
            ),
            "dpo_invalid_output",
            "error",
        ),
        (
            {k: v for k, v in dpo().items() if k != "non_preferred_output"},
            "dpo_missing_output",
            "error",
        ),
        (
            dpo(non_preferred_output=[{"role": "assistant", "content": "good"}]),
            "dpo_identical_outputs",
            "warning",
        ),
        (dpo([{"role": "user", "content": [IMG]}]), "unsupported_content_part", "error"),
        (dpo(extra=1), "unrecognized_key", "warning"),
    ],
)
def test_invalid_dpo(record: dict[str, Any], code: str, severity: str) -> None:
    sink, _ = run_checker("openai-dpo", record)
    assert code in sink.codes(severity), sink.items


# ---------------------------------------------------------------- RFT


def test_valid_rft_allows_grader_fields_and_developer_role() -> None:
    record = {
        "messages": [{"role": "developer", "content": "Answer with the intent."}, U],
        "reference_answer": "card_arrival",
        "any_other_key": {"x": 1},
    }
    sink, _ = run_checker("openai-rft", record)
    assert not sink.codes("error") and not sink.codes("warning"), sink.items


@pytest.mark.parametrize(
    ("record", "code", "severity"),
    [
        ({"messages": [S, U], "reference_answer": "x"}, "conversation_order", "warning"),
        ({"messages": [U, A], "reference_answer": "x"}, "last_message_not_user", "warning"),
        ({"messages": [U]}, "no_grader_fields", "info"),
        ({"messages": []}, "missing_messages", "error"),
        ({"messages": [{"role": "critic", "content": "x"}], "ref": 1}, "unknown_role", "error"),
    ],
)
def test_invalid_rft(record: dict[str, Any], code: str, severity: str) -> None:
    sink, _ = run_checker("openai-rft", record)
    assert code in sink.codes(severity), sink.items
