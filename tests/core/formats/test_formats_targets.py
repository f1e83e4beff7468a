"""Vertex Gemini, Bedrock Claude/Nova, Together, TRL, Alpaca, ShareGPT and Mistral rules
(docs/formats.md §8-§13): valid and invalid cases per rule."""

from __future__ import annotations

from typing import Any

import pytest
from fmt_helpers import run_checker

U = {"role": "user", "content": "Where is my card?"}
A = {"role": "assistant", "content": "card_arrival"}
S = {"role": "system", "content": "Classify."}


def gem(*contents: Any, **top: Any) -> dict[str, Any]:
    return {"contents": list(contents), **top}


GU = {"role": "user", "parts": [{"text": "hi"}]}
GM = {"role": "model", "parts": [{"text": "hello"}]}


def nova(*messages: Any, **top: Any) -> dict[str, Any]:
    return {"schemaVersion": "bedrock-conversation-2024", "messages": list(messages), **top}


NU = {"role": "user", "content": [{"text": "hi"}]}
NA = {"role": "assistant", "content": [{"text": "hello"}]}
NIMG = {
    "image": {
        "format": "png",
        "source": {"s3Location": {"uri": "s3://b/k.png", "bucketOwner": "1"}},
    }
}
NVID = {"video": {"format": "mp4", "source": {"s3Location": {"uri": "s3://b/k.mp4"}}}}

VALID: list[tuple[str, dict[str, Any]]] = [
    ("vertex-gemini", gem(GU, GM)),
    (
        "vertex-gemini",
        gem(GU, GM, GU, GM, systemInstruction={"role": "system", "parts": [{"text": "be brief"}]}),
    ),
    (
        "vertex-gemini",
        gem(
            {
                "role": "user",
                "parts": [
                    {"text": "what?"},
                    {"fileData": {"mimeType": "image/jpeg", "fileUri": "gs://b/x.jpg"}},
                ],
            },
            GM,
        ),
    ),
    (
        "vertex-gemini",
        gem(
            GU,
            {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {"a": 1}}}]},
            {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {}}}]},
            GM,
            tools=[{"functionDeclarations": [{"name": "f"}]}],
        ),
    ),
    ("bedrock-claude", {"system": "Be brief.", "messages": [U, A]}),
    ("bedrock-claude", {"messages": [U, A, U, A]}),
    ("bedrock-nova", nova(NU, NA, system=[{"text": "be brief"}])),
    ("bedrock-nova", nova({"role": "user", "content": [{"text": "what?"}, NIMG]}, NA)),
    ("together", {"messages": [S, U, A]}),
    ("together", {"messages": [U, {**A, "weight": 0}, U, A]}),
    ("together", {"prompt": "q", "completion": "a"}),
    ("together", {"text": "plain text"}),
    (
        "together",
        {
            "input": {"messages": [U]},
            "preferred_output": [A],
            "non_preferred_output": [{"role": "assistant", "content": "no"}],
        },
    ),
    ("trl", {"messages": [U, A]}),
    ("trl", {"text": "plain"}),
    ("trl", {"prompt": "q", "completion": "a"}),
    ("trl", {"prompt": [U], "completion": [A]}),
    ("trl", {"prompt": [U], "chosen": [A], "rejected": [{"role": "assistant", "content": "x"}]}),
    ("trl", {"prompt": "q", "chosen": "a", "rejected": "b"}),
    ("trl", {"prompt": "q"}),
    ("trl", {"prompt": "q", "completion": "a", "label": True}),
    (
        "trl",
        {
            "messages": [
                U,
                {
                    "role": "assistant",
                    "tool_calls": [
                        {"type": "function", "function": {"name": "f", "arguments": {"a": 1}}}
                    ],
                },
                {"role": "tool", "name": "f", "content": "1"},
                A,
            ],
            "tools": [{"type": "function"}],
        },
    ),
    ("alpaca", {"instruction": "Classify", "input": "where is my card", "output": "card"}),
    (
        "alpaca",
        {"instruction": "Classify", "output": "card", "system": "s", "history": [["hi", "hello"]]},
    ),
    ("alpaca", {"instruction": "Classify", "input": "", "chosen": "a", "rejected": "b"}),
    (
        "sharegpt",
        {
            "conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}],
            "system": "s",
        },
    ),
    (
        "sharegpt",
        {
            "conversations": [
                {"from": "system", "value": "s"},
                {"from": "human", "value": "hi"},
                {"from": "function_call", "value": "{}"},
                {"from": "observation", "value": "{}"},
                {"from": "gpt", "value": "ok"},
            ],
            "tools": "[]",
        },
    ),
    (
        "sharegpt",
        {
            "conversations": [{"from": "human", "value": "hi"}],
            "chosen": {"from": "gpt", "value": "a"},
            "rejected": {"from": "gpt", "value": "b"},
        },
    ),
    ("mistral", {"messages": [S, U, A]}),
    ("mistral", {"text": "pretraining text"}),
    (
        "mistral",
        {
            "messages": [
                U,
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": "abcdefghi",
                            "type": "function",
                            "function": {"name": "f", "arguments": "{}"},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "abcdefghi", "content": "1"},
                A,
            ],
            "tools": [
                {
                    "type": "function",
                    "function": {"name": "f", "description": "d", "parameters": {}},
                }
            ],
        },
    ),
    ("mistral", {"interactions": [U, {"role": "assistant", "text": "x"}]}),
]


@pytest.mark.parametrize(("fmt", "record"), VALID)
def test_valid_records(fmt: str, record: dict[str, Any]) -> None:
    sink, results = run_checker(fmt, record)
    assert not sink.codes("error"), sink.items
    assert results[0].tokens is not None and results[0].tokens > 0


INVALID: list[tuple[str, dict[str, Any], str, str]] = [
    # Vertex Gemini
    (
        "vertex-gemini",
        {"systemInstruction": {"parts": [{"text": "x"}]}},
        "missing_messages",
        "error",
    ),
    ("vertex-gemini", {"messages": [U, A]}, "legacy_format", "error"),
    (
        "vertex-gemini",
        gem({"role": "assistant", "parts": [{"text": "x"}]}),
        "unknown_role",
        "error",
    ),
    (
        "vertex-gemini",
        gem({"role": "system", "parts": [{"text": "x"}]}, GU, GM),
        "unknown_role",
        "error",
    ),
    ("vertex-gemini", gem({"parts": [{"text": "x"}]}, GM), "message_missing_key", "warning"),
    ("vertex-gemini", gem(GU), "missing_assistant_message", "error"),
    ("vertex-gemini", gem(GU, GM, GU), "last_message_not_assistant", "error"),
    ("vertex-gemini", gem({"role": "user", "parts": []}, GM), "wrong_type", "error"),
    (
        "vertex-gemini",
        gem({"role": "user", "parts": [{"text": "a", "fileData": {}}]}, GM),
        "invalid_content_part",
        "error",
    ),
    (
        "vertex-gemini",
        gem({"role": "user", "parts": [{"fileData": {"mimeType": "image/png"}}]}, GM),
        "invalid_content_part",
        "error",
    ),
    (
        "vertex-gemini",
        gem(
            {
                "role": "user",
                "parts": [{"fileData": {"mimeType": "image/png", "fileUri": "https://x/y.png"}}],
            },
            GM,
        ),
        "unsupported_image_format",
        "warning",
    ),
    (
        "vertex-gemini",
        gem(
            {
                "role": "user",
                "parts": [{"fileData": {"mimeType": "image/png", "fileUri": "gs://b/y.png"}}] * 31,
            },
            GM,
        ),
        "too_many_images",
        "error",
    ),
    ("vertex-gemini", gem(GU, GM, extra=1), "unrecognized_key", "warning"),
    (
        "vertex-gemini",
        gem(GU, {"role": "model", "parts": [{"text": "x"}], "x": 1}),
        "unrecognized_key",
        "error",
    ),
    # Bedrock Claude
    ("bedrock-claude", {"messages": [U]}, "too_few_messages", "error"),
    ("bedrock-claude", {"messages": [A, U]}, "conversation_order", "error"),
    ("bedrock-claude", {"messages": [U, U, A]}, "conversation_order", "error"),
    ("bedrock-claude", {"messages": [U, A, U]}, "last_message_not_assistant", "error"),
    ("bedrock-claude", {"messages": [S, U, A]}, "unknown_role", "error"),
    ("bedrock-claude", {"system": "s", "messages": [U, A], "id": 3}, "unrecognized_key", "error"),
    ("bedrock-claude", {"messages": [{**U, "name": "x"}, A]}, "unrecognized_key", "error"),
    ("bedrock-claude", {"system": ["s"], "messages": [U, A]}, "wrong_type", "error"),
    (
        "bedrock-claude",
        {"messages": [U, {"role": "assistant", "content": ""}]},
        "missing_content",
        "error",
    ),
    # Bedrock Nova
    ("bedrock-nova", {"messages": [NU, NA]}, "missing_schema_version", "warning"),
    ("bedrock-nova", nova(NU), "last_message_not_assistant", "error"),
    ("bedrock-nova", nova(NA, NU), "conversation_order", "error"),
    ("bedrock-nova", nova(U, A), "wrong_type", "error"),
    (
        "bedrock-nova",
        nova({"role": "system", "content": [{"text": "x"}]}, NU, NA),
        "unknown_role",
        "error",
    ),
    ("bedrock-nova", nova(NU, NA, system="s"), "wrong_type", "error"),
    (
        "bedrock-nova",
        nova({"role": "user", "content": [{"text": "x", "image": {}}]}, NA),
        "invalid_content_part",
        "error",
    ),
    (
        "bedrock-nova",
        nova(
            {
                "role": "user",
                "content": [
                    {"image": {"format": "bmp", "source": {"s3Location": {"uri": "s3://b/k"}}}}
                ],
            },
            NA,
        ),
        "unsupported_image_format",
        "error",
    ),
    (
        "bedrock-nova",
        nova(
            {
                "role": "user",
                "content": [{"image": {"format": "png", "source": {"bytes": "AAAA"}}}],
            },
            NA,
        ),
        "invalid_content_part",
        "error",
    ),
    (
        "bedrock-nova",
        nova(NU, {"role": "assistant", "content": [NIMG]}),
        "invalid_content_part",
        "error",
    ),
    (
        "bedrock-nova",
        nova({"role": "user", "content": [NVID, NVID]}, NA),
        "too_many_videos",
        "error",
    ),
    # Together
    ("together", {"messages": [U, A], "id": 1}, "unrecognized_key", "error"),
    ("together", {"foo": 1}, "unknown_format", "error"),
    ("together", {"messages": [U, U, A]}, "conversation_order", "error"),
    ("together", {"messages": [A, U]}, "conversation_order", "error"),
    (
        "together",
        {"messages": [U, {"role": "tool", "content": "x", "tool_call_id": "1"}]},
        "unknown_role",
        "error",
    ),
    ("together", {"messages": [U, {**A, "weight": True}]}, "invalid_weight", "error"),
    ("together", {"messages": [U]}, "missing_assistant_message", "error"),
    (
        "together",
        {"messages": [S, {"role": "user", "content": [{"type": "text", "text": "x"}]}, A]},
        "mixed_content_types",
        "error",
    ),
    (
        "together",
        {
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}],
                },
                A,
            ]
        },
        "unsupported_image_format",
        "error",
    ),
    (
        "together",
        {
            "messages": [
                {
                    "role": "user",
                    "weight": 1,
                    "content": [
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
                    ],
                },
                {"role": "assistant", "content": [{"type": "text", "text": "x"}]},
            ]
        },
        "invalid_weight",
        "error",
    ),
    ("together", {"prompt": [U], "completion": [A]}, "wrong_type", "error"),
    ("together", {"prompt": "q", "completion": " "}, "missing_content", "error"),
    ("together", {"text": 5}, "wrong_type", "error"),
    (
        "together",
        {"input": [U], "preferred_output": [A], "non_preferred_output": [A]},
        "wrong_type",
        "error",
    ),
    (
        "together",
        {
            "input": {"messages": [U, A]},
            "preferred_output": [A],
            "non_preferred_output": [{"role": "assistant", "content": "y"}],
        },
        "dpo_input_ends_with_assistant",
        "error",
    ),
    # TRL
    ("trl", {"foo": "bar"}, "unknown_format", "error"),
    ("trl", {"prompt": "q", "completion": [A]}, "mixed_formats", "error"),
    ("trl", {"prompt": 3, "completion": "a"}, "wrong_type", "error"),
    ("trl", {"prompt": "q", "completion": "a", "label": "yes"}, "wrong_type", "error"),
    ("trl", {"chosen": "a", "rejected": "a"}, "dpo_identical_outputs", "warning"),
    ("trl", {"chosen": "a", "rejected": "b"}, "implicit_prompt", "info"),
    (
        "trl",
        {
            "messages": [
                U,
                {
                    "role": "assistant",
                    "tool_calls": [
                        {"type": "function", "function": {"name": "f", "arguments": "{}"}}
                    ],
                },
            ]
        },
        "tool_arguments_string",
        "warning",
    ),
    ("trl", {"prompt": "q", "completions": ["a"], "labels": [1]}, "wrong_type", "error"),
    ("trl", {"text": "t", "meta": 1}, "unrecognized_key", "warning"),
    # Alpaca
    ("alpaca", {"instruction": "", "output": "x"}, "missing_content", "error"),
    ("alpaca", {"instruction": "x"}, "missing_content", "error"),
    ("alpaca", {"instruction": "x", "output": " "}, "missing_content", "error"),
    ("alpaca", {"instruction": "x", "output": ["a"]}, "wrong_type", "error"),
    ("alpaca", {"instruction": "x", "input": 3, "output": "a"}, "wrong_type", "error"),
    (
        "alpaca",
        {"instruction": "x", "output": "a", "history": [["only one"]]},
        "wrong_type",
        "error",
    ),
    ("alpaca", {"instruction": "x", "response": "a"}, "field_alias", "warning"),
    ("alpaca", {"instruction": "x", "output": "a", "tools": []}, "unrecognized_key", "warning"),
    ("alpaca", {"instruction": "x", "chosen": "a"}, "missing_content", "error"),
    # ShareGPT
    ("sharegpt", {"conversations": []}, "missing_messages", "error"),
    (
        "sharegpt",
        {"conversations": [{"from": "user", "value": "hi"}, {"from": "gpt", "value": "x"}]},
        "unknown_role",
        "error",
    ),
    (
        "sharegpt",
        {"conversations": [{"from": "gpt", "value": "x"}, {"from": "human", "value": "hi"}]},
        "conversation_order",
        "error",
    ),
    (
        "sharegpt",
        {"conversations": [{"from": "human", "value": "hi"}]},
        "last_message_not_assistant",
        "error",
    ),
    (
        "sharegpt",
        {"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": 3}]},
        "wrong_type",
        "error",
    ),
    (
        "sharegpt",
        {
            "conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "x"}],
            "tools": [{"a": 1}],
        },
        "invalid_tools",
        "error",
    ),
    (
        "sharegpt",
        {
            "conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "x"}],
            "tools": "{bad",
        },
        "invalid_tools",
        "error",
    ),
    (
        "sharegpt",
        {
            "conversations": [
                {"from": "human", "value": "hi"},
                {"from": "system", "value": "s"},
                {"from": "gpt", "value": "x"},
            ]
        },
        "conversation_order",
        "error",
    ),
    (
        "sharegpt",
        {
            "conversations": [{"from": "human", "value": "hi"}],
            "chosen": "a",
            "rejected": {"from": "gpt", "value": "b"},
        },
        "dpo_invalid_output",
        "error",
    ),
    # Mistral
    ("mistral", {"prompt": "x"}, "missing_messages", "error"),
    ("mistral", {"messages": [U, A], "interactions": [U, A]}, "unrecognized_key", "error"),
    ("mistral", {"messages": [U, A, U]}, "last_message_not_assistant", "error"),
    ("mistral", {"messages": [S, S, U, A]}, "conversation_order", "error"),
    (
        "mistral",
        {"messages": [{"role": "user", "content": "x", "text": "y"}, A]},
        "unrecognized_key",
        "error",
    ),
    ("mistral", {"messages": [{"content": "x"}, A]}, "message_missing_key", "error"),
    ("mistral", {"messages": [{"role": "critic", "content": "x"}, A]}, "unknown_role", "error"),
    (
        "mistral",
        {
            "messages": [
                U,
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": "short",
                            "type": "function",
                            "function": {"name": "f", "arguments": "{}"},
                        }
                    ],
                },
            ]
        },
        "tool_call_malformed",
        "error",
    ),
    (
        "mistral",
        {
            "messages": [
                U,
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": "abcdefghi",
                            "type": "function",
                            "function": {"name": "f", "arguments": {}},
                        }
                    ],
                },
            ]
        },
        "tool_call_malformed",
        "error",
    ),
    (
        "mistral",
        {
            "messages": [
                U,
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": "abcdefghi",
                            "type": "function",
                            "function": {"name": "f", "arguments": "{}"},
                        }
                    ],
                },
                {"role": "tool", "content": "1"},
                A,
            ]
        },
        "tool_message_missing_tool_call_id",
        "error",
    ),
    (
        "mistral",
        {"messages": [U, A], "tools": [{"type": "function", "function": {"name": "f"}}]},
        "invalid_tools",
        "error",
    ),
    ("mistral", {"messages": [U, A], "tools": [], "available_tools": []}, "invalid_tools", "error"),
    (
        "mistral",
        {"messages": [{"role": "user", "content": [{"type": "text", "text": "x"}]}, A]},
        "wrong_type",
        "error",
    ),
]


@pytest.mark.parametrize(("fmt", "record", "code", "severity"), INVALID)
def test_invalid_records(fmt: str, record: dict[str, Any], code: str, severity: str) -> None:
    sink, _ = run_checker(fmt, record)
    assert code in sink.codes(severity), sink.items


def test_together_and_trl_require_one_subformat_per_file() -> None:
    sink, _ = run_checker("together", {"messages": [U, A]}, {"prompt": "q", "completion": "a"})
    assert "mixed_formats" in sink.codes("error")
    sink, _ = run_checker("trl", {"messages": [U, A]}, {"prompt": "q", "completion": "a"})
    assert "mixed_formats" in sink.codes("error")
    sink, _ = run_checker(
        "trl", {"prompt": "q", "completion": "a"}, {"prompt": [U], "completion": [A]}
    )
    assert "mixed_formats" in sink.codes("error")


def test_nova_dataset_must_not_mix_images_and_videos() -> None:
    sink, _ = run_checker(
        "bedrock-nova",
        nova({"role": "user", "content": [NIMG]}, NA),
        nova({"role": "user", "content": [NVID]}, NA),
    )
    assert "mixed_media" in sink.codes("error")
    sink, _ = run_checker(
        "bedrock-nova",
        nova({"role": "user", "content": [NIMG]}, NA),
        nova({"role": "user", "content": [NIMG]}, NA),
    )
    assert "mixed_media" not in sink.codes()
