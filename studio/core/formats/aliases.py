"""Field names other tools use for the same thing, each named with its fix (ISSUE-10 §8).

A row that says ``response`` where the target reads ``output`` trains on nothing, and
the target's own loader only says the field is missing. The validator names the alias
and the rename instead: "'response' is Alpaca's 'output': rename 'response' to 'output'".
The names come from the formats each alias belongs to (docs/formats.md: Alpaca and its
gpteacher/alpaca_chat variant §12, ShareGPT §13, TRL §11, OpenAI DPO §3).
"""

from __future__ import annotations

from typing import Any

from studio.core.formats.common import LineSink

#: format -> {alias: the field the format reads}. An alias is reported only when the
#: record lacks the real field (a record may carry both on purpose).
TOP_LEVEL: dict[str, dict[str, str]] = {
    "alpaca": {
        "instructions": "instruction",
        "prompt": "instruction",
        "question": "instruction",
        "answer": "output",
        "completion": "output",
        "outputs": "output",
    },
    "trl": {
        "response": "completion",
        "answer": "completion",
        "output": "completion",
        "chosen_response": "chosen",
        "rejected_response": "rejected",
        "accepted": "chosen",
    },
    "together": {
        "response": "completion",
        "answer": "completion",
        "output": "completion",
        "message": "messages",
        "conversation": "messages",
    },
    "openai-chat": {
        "message": "messages",
        "conversation": "messages",
        "conversations": "messages",
        "chat": "messages",
    },
    "openai-rft": {"message": "messages"},
    "openai-dpo": {
        "chosen": "preferred_output",
        "rejected": "non_preferred_output",
        "prompt": "input",
    },
    "sharegpt": {"messages": "conversations", "conversation": "conversations"},
    "mistral": {"message": "messages", "conversation": "messages"},
    "bedrock-claude": {"message": "messages"},
}

#: Message keys of ShareGPT-style and other exports, for formats whose messages use
#: ``role`` / ``content`` (named in the checker's unrecognized-key error).
MESSAGE_KEYS: dict[str, str] = {
    "from": "role",
    "value": "content",
    "speaker": "role",
    "message": "content",
}

#: Role names of other formats, for formats whose roles are user / assistant (named in
#: the checker's unknown-role error).
ROLES: dict[str, str] = {
    "human": "user",
    "gpt": "assistant",
    "bot": "assistant",
    "model": "assistant",
    "ai": "assistant",
    "chatbot": "assistant",
    "User": "user",
    "Assistant": "assistant",
}


def role_alias_hint(role: str) -> str | None:
    """``'gpt' is ShareGPT's name for 'assistant': rename it`` or None."""
    real = ROLES.get(role)
    if real is None:
        return None
    return f"{role!r} is another tool's name for {real!r}: use {real!r}"


def message_key_hint(key: str) -> str | None:
    """``rename 'value' to 'content'`` for a known message-key alias, else None."""
    real = MESSAGE_KEYS.get(key)
    return f"rename {key!r} to {real!r}" if real is not None else None


def check_aliases(fmt: str, obj: dict[str, Any], out: LineSink) -> None:
    """Report each known alias in ``obj`` (a record validated as ``fmt``) with its fix."""
    table = TOP_LEVEL.get(fmt)
    if table:
        for key in obj:
            real = table.get(key)
            if real is not None and real not in obj:
                out.warning(
                    "field_alias",
                    f"{key!r} is not a field of this format; it looks like {real!r}: "
                    f"rename {key!r} to {real!r}.",
                )
