"""A JSONL file full of problems, one per kind (used by the GUI tests and the screenshot)."""

from __future__ import annotations

import json
from pathlib import Path


def _chat(user: str, answer: str, system: str = "You answer bank customers briefly.") -> str:
    return json.dumps(
        {
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
                {"role": "assistant", "content": answer},
            ]
        }
    )


# Line numbers (1-based) of each planted problem, for assertions
PROBLEM_LINES = {
    "utf8_bom": 1,
    "empty_line": 3,
    "invalid_json": 4,
    "unknown_role": 5,
    "missing_assistant_message": 6,
    "special_token": 7,
    "tool_call_no_reply": 8,
    "secrets": 9,
    "example_too_long": 10,
    "duplicate_example": 11,
}


def write_problem_file(path: Path, *, long_words: int = 70_000) -> Path:
    """Write the file; ``long_words`` words make line 10 pass the 65,536-token limit."""
    lines = [
        "\ufeff" + _chat("Where is my card?", "It usually arrives within 5 working days."),
        _chat("How do I top up?", "Open Payments, choose Top up and pick a card."),
        "",
        '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", '
        '"content": "Hello"},]}',
        json.dumps(
            {
                "messages": [
                    {"role": "customer", "content": "Why was I charged?"},
                    {"role": "assistant", "content": "That is the card fee."},
                ]
            }
        ),
        json.dumps(
            {
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Can I freeze my card?"},
                ]
            }
        ),
        _chat("What is my PIN?", "I cannot see PINs.<|endoftext|>"),
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": "What does a transfer to Spain cost?"},
                    {
                        "role": "assistant",
                        "tool_calls": [
                            {
                                "id": "call_1",
                                "type": "function",
                                "function": {
                                    "name": "lookup_fee",
                                    "arguments": '{"country": "ES"}',
                                },
                            }
                        ],
                    },
                    # the reply answers call_9, so call_1 has no reply
                    {"role": "tool", "tool_call_id": "call_9", "content": '{"fee": 1}'},
                    {"role": "assistant", "content": "It costs 1 EUR."},
                ]
            }
        ),
        _chat(
            "My e-mail is jane.doe@example.com and my key is "
            "sk-proj-4f9aZq81LmXw0pQr7sTuV2yB3nK5hJ6d, please fix my account",
            "I have passed this to our team.",
        ),
        _chat("Summarise: " + " ".join(["statement"] * long_words), "A long statement."),
        _chat("How do I top up?", "Open Payments, choose Top up and pick a card."),
        _chat("How do I top up?", "Open Payments, choose Top up and pick a card."),
        _chat("Can I change my address?", "Yes: Profile, then Address."),
        _chat("Is there a fee for ATM withdrawals?", "Two free withdrawals a month."),
    ]
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    return path
