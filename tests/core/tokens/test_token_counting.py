"""Exact token counts: quicktok's bundled ranks are OpenAI's, and ids match tiktoken's."""

from __future__ import annotations

import csv
import hashlib
import inspect
from typing import Any

import pytest
from helpers import BANKING77
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.core.errors import UserError
from studio.core.tokens import counting
from studio.core.tokens.counting import (
    caching_counter,
    count_chat_tokens,
    count_tokens,
    encode,
    encoding_for_model,
)
from studio.core.tokens.tiktoken_bridge import (
    PINNED_SHA256,
    offline_tiktoken,
    rank_file_bytes,
)

ENCODINGS = ("cl100k_base", "o200k_base")


@pytest.fixture(scope="module")
def tiktoken_encodings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Real tiktoken encodings, loaded offline from rank files rebuilt from quicktok.

    tiktoken itself checks the file against its pinned SHA-256 before using it.
    """
    cache = tmp_path_factory.mktemp("tiktoken-cache")
    return {name: offline_tiktoken(name, cache) for name in ENCODINGS}


def banking77_texts(limit: int = 3000) -> list[str]:
    with (BANKING77 / "train.csv").open(encoding="utf-8") as fh:
        return [row["text"] for _, row in zip(range(limit), csv.DictReader(fh), strict=False)]


@pytest.mark.parametrize("name", ENCODINGS)
def test_bundled_ranks_are_byte_identical_to_openais_published_file(name: str) -> None:
    data = rank_file_bytes(name)
    assert hashlib.sha256(data).hexdigest() == PINNED_SHA256[name]
    # ... and that hash is the one tiktoken pins in its own source, not one we made up.
    import tiktoken_ext.openai_public as public

    assert PINNED_SHA256[name] in inspect.getsource(public)


HAND_MADE = [
    "",
    "hello world",
    "I am still waiting on my card?",
    "Ünïcödé — naïve café, 東京タワー, Привет, مرحبا, हिन्दी",
    "emoji 😀👍🏽 family 👨‍👩‍👧‍👦 flags 🇩🇪🇯🇵",
    "def f(x):\n\treturn {'a': [1, 2, 3]}  # code\r\n",
    "    \n\n\n    \t\t  trailing spaces   ",
    " " * 1000,
    "\n" * 300 + "x",
    "<|endoftext|> <|fim_suffix|> <|im_start|>user",
    "12345678901234567890 3.14159 1e-10",
    "don't won't it's I'LL WE'VE",
    "a" * 5000,
    "🙂" * 700,
]


@pytest.mark.parametrize("name", ENCODINGS)
def test_ids_match_tiktoken_on_handmade_and_banking77(
    name: str, tiktoken_encodings: dict[str, Any]
) -> None:
    ref = tiktoken_encodings[name]
    for text in HAND_MADE:
        assert encode(text, name) == ref.encode(text, disallowed_special=()), text[:60]
        assert count_tokens(text, name) == len(ref.encode(text, disallowed_special=()))
    for text in banking77_texts():
        assert encode(text, name) == ref.encode(text, disallowed_special=()), text[:60]
        assert count_tokens(text, name) == len(ref.encode(text, disallowed_special=()))


@pytest.mark.parametrize("name", ENCODINGS)
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=400))
def test_ids_match_tiktoken_on_generated_strings(
    name: str, text: str, tiktoken_encodings: dict[str, Any]
) -> None:
    ref = tiktoken_encodings[name]
    try:
        expected = ref.encode(text, disallowed_special=())
    except UnicodeEncodeError:
        # Lone surrogates: tiktoken cannot encode them; our counter must not crash.
        count_tokens(text, name)
        return
    assert encode(text, name) == expected


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4o", "o200k_base"),
        ("gpt-4o-mini-2024-07-18", "o200k_base"),
        ("gpt-4.1-nano-2025-04-14", "o200k_base"),
        ("gpt-5-mini", "o200k_base"),
        ("o4-mini", "o200k_base"),
        ("o1-preview", "o200k_base"),
        ("ft:gpt-4o-mini-2024-07-18:acme::abc123", "o200k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-4-0613", "cl100k_base"),
        ("gpt-4-turbo", "cl100k_base"),
        ("gpt-3.5-turbo-0125", "cl100k_base"),
        ("ft:gpt-3.5-turbo:org::x", "cl100k_base"),
        ("davinci-002", "cl100k_base"),
        ("some-unknown-model", "o200k_base"),
    ],
)
def test_encoding_for_model(model: str, encoding: str) -> None:
    assert encoding_for_model(model) == encoding


def test_unknown_encoding_is_a_user_error() -> None:
    with pytest.raises(UserError, match="Unknown token encoding"):
        count_tokens("x", "p50k_base")


def cookbook_count(messages: list[dict[str, str]], enc: Any) -> int:
    """The OpenAI cookbook's num_tokens_from_messages (3 per message, 1 per name, 3)."""
    total = 0
    for message in messages:
        total += 3
        for key, value in message.items():
            total += len(enc.encode(value))
            if key == "name":
                total += 1
    return total + 3


@pytest.mark.parametrize("model", ["gpt-4o-mini", "gpt-3.5-turbo"])
def test_chat_count_equals_cookbook_formula(model: str, tiktoken_encodings: dict[str, Any]) -> None:
    messages = [
        {"role": "system", "content": "You are a helpful bank assistant."},
        {"role": "user", "content": "I am still waiting on my card?", "name": "alice"},
        {"role": "assistant", "content": "Intent: card_arrival 😀"},
    ]
    enc = tiktoken_encodings[encoding_for_model(model)]
    assert count_chat_tokens(messages, model) == cookbook_count(messages, enc)


def test_chat_count_handles_tools_parts_and_non_text_values() -> None:
    base = [{"role": "user", "content": "weather?"}]
    call = {
        "role": "assistant",
        "content": None,
        "weight": 1,
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
            }
        ],
    }
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather of a city.",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        }
    ]
    plain = count_chat_tokens(base, "gpt-4o")
    with_call = count_chat_tokens([*base, call], "gpt-4o")
    assert with_call > plain + counting.TOKENS_PER_MESSAGE
    assert count_chat_tokens([*base, call], "gpt-4o", tools) > with_call
    parts = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
            ],
        }
    ]
    assert count_chat_tokens(parts, "gpt-4o") == (
        3 + 1 + count_tokens("what is this?") + counting.TOKENS_PER_IMAGE + 3
    )
    # garbage values never crash the counter
    assert count_chat_tokens([{"role": 5, "content": {"x": 1}}, "junk"], "gpt-4o") >= 6


def test_caching_counter_is_exact_and_bounded() -> None:
    cached = caching_counter("o200k_base", min_length=4, max_entries=3)
    texts = [f"text number {i} " * 3 for i in range(10)] * 2
    assert [cached(t) for t in texts] == [count_tokens(t) for t in texts]
