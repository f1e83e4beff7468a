"""Exact, offline token counts for OpenAI encodings (cl100k_base, o200k_base).

The counts come from ``quicktok`` (the ``quicktok-v1`` package), which ships the BPE rank
tables inside the wheel, so nothing is downloaded. ``tiktoken`` would fetch its rank files
from the internet on first use. The test suite proves that quicktok's bundled rank tables are
byte-identical to OpenAI's published files (their SHA-256 equals the hash pinned in
``tiktoken_ext.openai_public``) and that the token ids agree with tiktoken id for id.

Special-token strings such as ``<|endoftext|>`` inside user data are counted as ordinary
text (tiktoken's ``encode_ordinary``): that is how the fine-tuning services see them. The
validator flags them separately.

Chat counting follows the OpenAI cookbook formula (docs/formats.md §6.2): 3 tokens per message,
the tokens of every string value (role, content, name), 1 extra for ``name``, and 3 for
the reply primer. Tool definitions and tool calls are an approximation, documented on
:func:`count_chat_tokens`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache, lru_cache
from typing import Any

import orjson
import quicktok

from studio.core.errors import UserError

ENCODINGS: tuple[str, ...] = ("o200k_base", "cl100k_base")
"""Encodings this module can count exactly."""

TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMER_TOKENS = 3
# Tool approximations (see count_chat_tokens): overheads per tool call, per function
# definition and per request that carries tool definitions.
TOKENS_PER_TOOL_CALL = 3
TOKENS_PER_FUNCTION_DEF = 7
TOKENS_PER_TOOLS_BLOCK = 12
# A low-detail image costs a fixed 85 tokens (docs/formats.md §2.5). Higher detail depends on
# the pixel size, which a JSONL line does not carry, so 85 is a lower bound.
TOKENS_PER_IMAGE = 85

_O200K_PREFIXES = (
    "gpt-4o",
    "chatgpt-4o",
    "gpt-4.1",
    "gpt-4.5",
    "gpt-5",
    "gpt-oss",
    "o1",
    "o3",
    "o4",
)
_CL100K_PREFIXES = (
    "gpt-4",
    "gpt-3.5",
    "gpt-35",
    "text-embedding-3",
    "text-embedding-ada-002",
    "davinci-002",
    "babbage-002",
)


def _base_model_name(model: str) -> str:
    """``ft:gpt-4o-mini:org::id`` -> ``gpt-4o-mini``; ``openai/gpt-4.1`` -> ``gpt-4.1``."""
    name = model.strip().lower()
    if name.startswith("ft:"):
        name = name[3:].split(":", 1)[0]
    return name.rsplit("/", 1)[-1]


def encoding_for_model(model: str) -> str:
    """Name of the tokenizer encoding a model uses.

    ``o200k_base`` for the gpt-4o, gpt-4.1, gpt-4.5, gpt-5 and o-series families,
    ``cl100k_base`` for gpt-4, gpt-3.5 and the older base models. Unknown names get
    ``o200k_base``, the encoding of every model that can still be fine-tuned.
    """
    name = _base_model_name(model)
    # o200k first: "gpt-4o"/"gpt-4.1" also start with "gpt-4".
    if name.startswith(_O200K_PREFIXES):
        return "o200k_base"
    if name.startswith(_CL100K_PREFIXES):
        return "cl100k_base"
    return "o200k_base"


@cache
def _tokenizer(encoding: str) -> Any:
    if encoding not in ENCODINGS:
        raise UserError(
            f"Unknown token encoding {encoding!r}; use one of: {', '.join(ENCODINGS)}.",
            where="encoding",
        )
    return quicktok.get_encoding(encoding)


@cache
def counter(encoding: str) -> Callable[[str], int]:
    """The bound ``count(text) -> int`` function of an encoding (cached; for hot loops)."""
    fn: Callable[[str], int] = _tokenizer(encoding).count
    return fn


CACHE_MAX_CHARS = 16_000_000
"""Characters a :func:`caching_counter` keeps at most (the strings it holds on to)."""


def caching_counter(
    encoding: str, *, min_length: int = 48, max_entries: int = 50_000
) -> Callable[[str], int]:
    """A counter that remembers the counts of long strings (system prompts repeat).

    The cache keeps the first ``max_entries`` distinct strings of at least ``min_length``
    characters, up to :data:`CACHE_MAX_CHARS` characters in all, and then stops growing,
    so memory stays bounded on big files (also when every line is a long document).
    Counts are exact either way; the cache only skips repeated BPE work. One per
    validation run.
    """
    count = counter(encoding)
    cache: dict[str, int] = {}
    get = cache.get
    chars_left = CACHE_MAX_CHARS

    def cached_count(text: str) -> int:
        nonlocal chars_left
        if len(text) < min_length:
            return count(text)
        n = get(text)
        if n is None:
            n = count(text)
            if len(cache) < max_entries and len(text) <= chars_left:
                cache[text] = n
                chars_left -= len(text)
        return n

    return cached_count


def encode(text: str, encoding: str) -> list[int]:
    """Token ids of ``text``; special-token strings are encoded as plain text."""
    ids: list[int] = _tokenizer(encoding).encode_ordinary(text)
    return ids


def count_tokens(text: str, encoding: str = "o200k_base") -> int:
    """Number of tokens of ``text`` (same as ``len(encode(text, encoding))``)."""
    return counter(encoding)(text)


def _content_tokens(content: Any, count: Callable[[str], int]) -> int:
    if isinstance(content, str):
        return count(content)
    total = 0
    if isinstance(content, list):
        for part in content:
            if not isinstance(part, Mapping):
                continue
            text = part.get("text")
            if isinstance(text, str):
                total += count(text)
            refusal = part.get("refusal")
            if isinstance(refusal, str):
                total += count(refusal)
            if part.get("type") == "image_url" or "image_url" in part:
                total += TOKENS_PER_IMAGE
    return total


def _json_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return str(value)


def _tool_call_tokens(calls: Any, count: Callable[[str], int]) -> int:
    total = 0
    if not isinstance(calls, list):
        return 0
    for call in calls:
        if not isinstance(call, Mapping):
            continue
        fn = call.get("function")
        total += TOKENS_PER_TOOL_CALL
        if isinstance(fn, Mapping):
            name = fn.get("name")
            if isinstance(name, str):
                total += count(name)
            if "arguments" in fn:
                total += count(_json_text(fn.get("arguments")))
    return total


def count_tool_definitions(tools: Sequence[Any], encoding: str) -> int:
    """Approximate tokens of tool (function) definitions sent with a request.

    OpenAI renders tool definitions into hidden prompt text whose exact form is not
    published, so no offline count can be exact. We count, per function, the name, the
    description and the compact JSON of its parameters plus 7 tokens, and 12 tokens per
    request: the fixed overheads the OpenAI cookbook measured for gpt-4o. Expect an error
    of a few tokens per function.
    """
    count = counter(encoding)
    total = 0
    for tool in tools:
        if not isinstance(tool, Mapping):
            continue
        fn = tool.get("function", tool)  # legacy "functions" entries have no wrapper
        if not isinstance(fn, Mapping):
            continue
        total += TOKENS_PER_FUNCTION_DEF
        name = fn.get("name")
        desc = fn.get("description")
        total += count(
            f"{name if isinstance(name, str) else ''}:{desc if isinstance(desc, str) else ''}"
        )
        params = fn.get("parameters")
        if params is not None:
            total += count(_json_text(params))
    if total:
        total += TOKENS_PER_TOOLS_BLOCK
    return total


def _extra_key_tokens(msg: Mapping[str, Any], count: Callable[[str], int]) -> int:
    total = 0
    for key, value in msg.items():
        if key == "name":
            if isinstance(value, str):
                total += count(value) + TOKENS_PER_NAME
        elif key == "tool_calls":
            total += _tool_call_tokens(value, count)
        elif key == "function_call":
            total += _tool_call_tokens([{"function": value}], count)
        elif key in ("tool_call_id", "refusal") and isinstance(value, str):
            total += count(value)
        # role and content are counted by the caller; weight, audio and unknown keys are
        # not sent as text.
    return total


def count_messages_tokens(
    messages: Sequence[Any], count: Callable[[str], int], role_count: Callable[[str], int]
) -> int:
    """Cookbook message formula with a given counter (hot path of the validator)."""
    total = REPLY_PRIMER_TOKENS
    for msg in messages:
        total += TOKENS_PER_MESSAGE
        if msg.__class__ is not dict and not isinstance(msg, Mapping):
            continue
        content = msg.get("content")
        if content.__class__ is str:
            total += count(content)
        elif content is not None:
            total += _content_tokens(content, count)
        role = msg.get("role")
        if role.__class__ is str:
            total += role_count(role)
        n_keys = len(msg)
        if n_keys > 2 or (n_keys == 2 and (content is None or role is None)):
            total += _extra_key_tokens(msg, count)
    return total


@lru_cache(maxsize=4)
def role_counter(encoding: str) -> Callable[[str], int]:
    """A memoised counter for short repeated strings such as role names."""
    count = counter(encoding)
    cache: dict[str, int] = {}

    def role_count(role: str) -> int:
        n = cache.get(role)
        if n is None:
            n = count(role)
            if len(cache) < 1024:
                cache[role] = n
        return n

    return role_count


def count_chat_tokens(
    messages: list[dict[str, Any]],
    model: str,
    tools: list[dict[str, Any]] | None = None,
) -> int:
    """Tokens of a chat example as the OpenAI cookbook counts them.

    Exact part (cookbook formula, docs/formats.md §6.2): 3 per message, the tokens of ``role``,
    ``content`` (strings and text parts), ``name`` (+1), and 3 for the reply primer.

    Approximate part: each tool call adds 3 plus the tokens of its function name and of
    its ``arguments`` string (JSON-serialised when it is not a string); ``function_call``
    the same; ``tool_call_id`` and ``refusal`` strings count as text; every image part
    adds 85 tokens (the low-detail price, a lower bound); tool definitions are counted by
    :func:`count_tool_definitions`. Non-text values the cookbook would crash on
    (``weight``, ``audio``) are ignored.
    """
    encoding = encoding_for_model(model)
    total = count_messages_tokens(messages, counter(encoding), role_counter(encoding))
    if tools:
        total += count_tool_definitions(tools, encoding)
    return total


_SNAPSHOT_RE = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{4})$")


def strip_snapshot(model: str) -> str:
    """``gpt-4o-mini-2024-07-18`` -> ``gpt-4o-mini``; ``ft:...`` -> its base model."""
    return _SNAPSHOT_RE.sub("", _base_model_name(model))
