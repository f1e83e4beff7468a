"""Per-record format detection and the file-level choice in ``auto`` mode.

Each record gets a *primary* format (the most specific one its keys point to) and the
set of formats it is compatible with: ``{"messages": [user, assistant]}`` is valid
OpenAI chat, Together, TRL, Mistral, Bedrock Claude and RFT data; a record with a
top-level ``system`` string is Bedrock Claude only. A file whose records have no format
in common mixes formats (G9).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from studio.core.formats.registry import PRIORITY

_CHAT_ALL = frozenset({"openai-chat", "together", "trl", "mistral", "bedrock-claude", "openai-rft"})
_SFT_TOP = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})
_DPO_KEYS = (
    "preferred_output",
    "non_preferred_output",
    "preferred_completion",
    "non_preferred_completion",
)


def _is_nova(obj: dict[str, Any], messages: Any) -> bool:
    if "schemaVersion" in obj or isinstance(obj.get("system"), list):
        return True
    if isinstance(messages, list):
        for m in messages[:2]:
            content = m.get("content") if isinstance(m, dict) else None
            if (
                isinstance(content, list)
                and content
                and isinstance(content[0], dict)
                and "type" not in content[0]
                and ("text" in content[0] or "image" in content[0] or "video" in content[0])
            ):
                return True
    return False


def _has_object_arguments(messages: Any) -> bool:
    """Tool-call arguments as objects: the HF/TRL convention, invalid for OpenAI."""
    if not isinstance(messages, list):
        return False
    for m in messages:
        calls = m.get("tool_calls") if isinstance(m, dict) else None
        if isinstance(calls, list):
            for call in calls:
                fn = call.get("function") if isinstance(call, dict) else None
                if isinstance(fn, dict) and isinstance(fn.get("arguments"), dict):
                    return True
    return False


def detect_record(obj: Any, *, deep: bool = True) -> tuple[str | None, frozenset[str]]:
    """(primary format, compatible formats) of one parsed record; (None, {}) if unknown.

    ``deep=False`` (the validator's per-line call) looks at keys only and skips the role
    scan; a developer role in chat data is then reported by the format's own checker.
    """
    if not isinstance(obj, dict):
        return None, frozenset()
    if not deep and len(obj) == 1 and "messages" in obj:
        # The common OpenAI-chat record: only Nova's content blocks can hide here.
        messages = obj["messages"]
        if (
            isinstance(messages, list)
            and messages
            and isinstance(messages[0], dict)
            and messages[0].get("content").__class__ is str
        ):
            return "openai-chat", _CHAT_ALL
        if _is_nova(obj, messages):
            return "bedrock-nova", frozenset({"bedrock-nova"})
        return "openai-chat", _CHAT_ALL
    if "contents" in obj:
        return "vertex-gemini", frozenset({"vertex-gemini"})
    if "input" in obj and any(k in obj for k in _DPO_KEYS):
        return "openai-dpo", frozenset({"openai-dpo", "together"})
    if "conversations" in obj:
        return "sharegpt", frozenset({"sharegpt"})
    if "instruction" in obj:
        return "alpaca", frozenset({"alpaca"})
    if "chosen" in obj and "rejected" in obj:
        return "trl", frozenset({"trl"})
    if "interactions" in obj:
        return "mistral", frozenset({"mistral"})
    if "messages" in obj:
        messages = obj["messages"]
        if _is_nova(obj, messages):
            return "bedrock-nova", frozenset({"bedrock-nova"})
        if isinstance(obj.get("system"), str):
            return "bedrock-claude", frozenset({"bedrock-claude"})
        roles = (
            {m.get("role") for m in messages if isinstance(m, dict)}
            if deep and isinstance(messages, list)
            else set()
        )
        if "developer" in roles:
            return "openai-rft", frozenset({"openai-rft", "trl"})
        if deep and _has_object_arguments(messages):
            return "trl", frozenset({"trl"})
        if "available_tools" in obj:
            return "mistral", frozenset({"mistral"})
        if not _SFT_TOP.issuperset(obj):
            return "openai-rft", frozenset({"openai-rft", "openai-chat", "trl"})
        if (
            deep
            and isinstance(messages, list)
            and len(messages) == 1
            and isinstance(messages[0], dict)
            and messages[0].get("role") in ("user", "developer")
        ):
            # A prompt without an answer: an RFT prompt, not SFT data.
            return "openai-rft", frozenset(
                {"openai-rft", "openai-chat", "trl", "together", "mistral", "bedrock-claude"}
            )
        return "openai-chat", _CHAT_ALL
    if "prompt" in obj:
        if (
            "completion" in obj
            and isinstance(obj["prompt"], str)
            and isinstance(obj["completion"], str)
            and len(obj) == 2
        ):
            return "together", frozenset({"together", "trl"})
        return "trl", frozenset({"trl"})
    if "text" in obj:
        return "together", frozenset({"together", "trl", "mistral"})
    return None, frozenset()


# Conventions of OpenAI's legacy completions fine-tuning (babbage-002, davinci-002;
# docs/formats.md §5, after openai-python's prepare_data validators): every prompt ends
# with the same separator, every completion starts with a space and ends with a stop
# sequence. TRL and Together prompt-completion data has no such markers.
LEGACY_SEPARATORS = ("\n\n###\n\n", "###", "->", "\n\n===\n\n", "\n\n")
LEGACY_STOPS = ("\n", "###", "END", "<|endoftext|>")


def prompt_completion_style(obj: Any) -> str | None:
    """How a prompt/completion record is written, or None for any other record.

    ``openai-legacy``: strings with the legacy OpenAI separator / leading-space / stop
    conventions; ``conversational``: TRL message lists; ``standard``: plain strings as
    TRL and Together read them.
    """
    if not isinstance(obj, dict) or "prompt" not in obj or "completion" not in obj:
        return None
    prompt, completion = obj["prompt"], obj["completion"]
    if isinstance(prompt, list) or isinstance(completion, list):
        return "conversational"
    if not isinstance(prompt, str) or not isinstance(completion, str):
        return None
    separated = prompt.endswith(LEGACY_SEPARATORS) or prompt.rstrip(" ").endswith(
        LEGACY_SEPARATORS[:4]
    )
    spaced = completion[:1] == " " and completion.rstrip(" ").endswith(LEGACY_STOPS)
    return "openai-legacy" if separated or spaced else "standard"


def describe_style(style: str | None) -> str | None:
    """Words for :func:`prompt_completion_style` in a sentence."""
    return {
        "openai-legacy": "OpenAI's legacy prompt/completion format (babbage-002, davinci-002)",
        "conversational": "TRL conversational prompt-completion (message lists)",
        "standard": "TRL/Together prompt-completion (plain strings)",
    }.get(style or "")


def choose_format(records: Iterable[Any]) -> str | None:
    """The format most sampled records are compatible with (ties: most often primary,
    then registry order); None when no record has a known format."""
    compat: Counter[str] = Counter()
    primary: Counter[str] = Counter()
    for obj in records:
        first, fits = detect_record(obj)
        if first is None:
            continue
        primary[first] += 1
        compat.update(fits)
    if not compat:
        return None
    return max(compat, key=lambda f: (compat[f], primary[f], -PRIORITY.index(f)))
