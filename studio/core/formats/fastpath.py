"""The validator's fast path for the common OpenAI chat line.

Most lines of a real SFT file are ``{"messages": [{"role": ..., "content": "..."}, ...]}``
with system/user/assistant string messages in a sensible order. For such a line the full
rules (:func:`~studio.core.formats.messages.check_messages`, ``_check_order``,
``OpenAIChatChecker.check``) and ``detect_record`` report nothing. ``plain_chat`` (made
by :func:`make_plain_chat`) recognises exactly that case in one walk over the messages,
which also sums the cookbook token count, collects the assistant outputs and builds a
cheap duplicate key. Anything else (an extra key, a tool message, a weight, empty
content, an odd order ...) returns None and the line takes the full path, which then
reports what is wrong.

tests/core/formats/test_fastpath.py checks that the fast and the full path agree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from studio.core.tokens.counting import (
    CACHE_MAX_CHARS,
    REPLY_PRIMER_TOKENS,
    TOKENS_PER_MESSAGE,
)

FAST_FORMATS = frozenset({"openai-chat"})
"""Formats whose checker the fast path stands in for."""

FAST_PRIMARY = "openai-chat"
"""What ``detect_record(obj, deep=False)`` says about every record the fast path takes."""

PlainChat = tuple[int, list[str], int]
"""(cookbook token count, assistant outputs in order, duplicate key)."""

PlainChatFn = Callable[[dict[str, Any]], PlainChat | None]

CACHE_MAX_ENTRIES = 16_384
"""Strings the prompt-count cache keeps at most (and at most CACHE_MAX_CHARS characters).

Measured on the benchmark: 16k entries keep nearly all of the gain on repeated prompts,
while a 50k-entry cache cost ~0.4 us a line when every prompt is unique (a big dict of
retained strings that never hits)."""


def make_plain_chat(
    count: Callable[[str], int],
    role_count: Callable[[str], int],
    *,
    max_entries: int = CACHE_MAX_ENTRIES,
    max_chars: int = CACHE_MAX_CHARS,
) -> PlainChatFn:
    """The fast-path function ``plain_chat(record)`` for one validation run.

    ``count`` must be an exact counter. System and user texts repeat across a file (the
    system prompt on every line, templated or reused prompts), so their counts are kept
    in a cache of at most ``max_entries`` strings and ``max_chars`` characters; assistant
    texts are nearly always unique and are counted directly. Counts are exact either way.
    """
    assistant_cost = TOKENS_PER_MESSAGE + role_count("assistant")
    user_cost = TOKENS_PER_MESSAGE + role_count("user")
    system_cost = TOKENS_PER_MESSAGE + role_count("system")
    prompt_counts: dict[str, int] = {}
    known = prompt_counts.get
    room = [max_entries, max_chars]  # entries and characters left in the cache

    def plain_chat(obj: dict[str, Any]) -> PlainChat | None:
        """The result of a plain, finding-free OpenAI chat record; None for any other.

        Accepted exactly when: the record's only key is ``messages``, a non-empty list
        of dicts with exactly the keys ``role`` and ``content``; every role is system,
        user or assistant; every content is a string that is not empty or whitespace; a
        system message comes only first; the conversation (after the system message)
        does not start with the assistant; and the last message is the assistant's.

        The duplicate key is the hash of the (role, content, ...) sequence, which is all
        the canonical JSON of such a record holds: records with the same canonical JSON
        get the same key. Different records may collide (a 64-bit hash), so the caller
        must confirm a repeated key before reporting a duplicate.
        """
        if len(obj) != 1:
            return None
        # Plain indexing, not .get(): faster, and a missing key means "not plain" anyway.
        try:
            messages = obj["messages"]
            if messages.__class__ is not list or not messages:
                return None
            tokens = REPLY_PRIMER_TOKENS
            outputs: list[str] = []
            flat: list[str] = []
            prev = ""  # role of the previous message
            for msg in messages:
                if msg.__class__ is not dict or len(msg) != 2:
                    return None
                role = msg["role"]
                content = msg["content"]
                if content.__class__ is not str or not content or content.isspace():
                    return None
                # A role that is not one of the three strings (another string, a number, a
                # list ...) compares unequal to all of them and leaves the fast path.
                if role == "assistant":
                    if not prev or prev == "system":  # the conversation starts with it
                        return None
                    outputs.append(content)
                    tokens += assistant_cost + count(content)
                else:
                    if role == "user":
                        cost = user_cost
                    elif role == "system" and not prev:  # a system message only first
                        cost = system_cost
                    else:
                        return None
                    n = known(content)
                    if n is None:
                        n = count(content)
                        if room[0] > 0 and room[1] >= len(content):
                            prompt_counts[content] = n
                            room[0] -= 1
                            room[1] -= len(content)
                    tokens += cost + n
                flat.append(role)
                flat.append(content)
                prev = role
        except KeyError:
            return None
        if prev != "assistant":
            return None
        return tokens, outputs, hash(tuple(flat))

    return plain_chat
