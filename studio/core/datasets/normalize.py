"""Text normalisation shared by import, search and duplicate detection.

Two examples are *exact duplicates* when their normalised input text is equal:
Unicode NFKC (full-width letters, ligatures and compatibility forms fold to one
spelling), ``casefold`` (stronger than ``lower``: "Straße" == "STRASSE") and all runs
of whitespace collapsed to one space, trimmed.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

# The table shows one line per example; the search text keeps the whole input so
# substring search finds words anywhere.
_ROLE_PREFIX = {"system": "system", "user": "user", "assistant": "assistant", "tool": "tool"}


def normalize_text(text: str) -> str:
    """NFKC, casefold and collapse whitespace: the key of exact-duplicate detection."""
    if text.isascii():
        # ASCII is NFKC-invariant and casefolds like lower(): the common, fast case
        return " ".join(text.lower().split())
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def text_hash(normalised: str) -> str:
    """sha256 hex digest of already-normalised text (stored as ``norm_hash``)."""
    return hashlib.sha256(normalised.encode("utf-8", "surrogatepass")).hexdigest()


def norm_hash(text: str) -> str:
    """``text_hash(normalize_text(text))`` in one call (the import's per-row hot path)."""
    if text.isascii():
        return _sha256(" ".join(text.lower().split()).encode()).hexdigest()
    return text_hash(normalize_text(text))


_sha256 = hashlib.sha256


def message_text(content: Any) -> str:
    """Plain text of a chat message ``content`` (string, list of parts or null)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts: list[str] = []
        for part in content:
            if isinstance(part, Mapping):
                if isinstance(part.get("text"), str):
                    parts.append(part["text"])
                elif isinstance(part.get("refusal"), str):
                    parts.append(part["refusal"])
                elif part.get("type") == "image_url":
                    parts.append("[image]")
            elif isinstance(part, str):
                parts.append(part)
        return " ".join(parts)
    return str(content)


def input_text(
    inputs: Mapping[str, Any],
    system_prompt: str | None = None,
    conversation: Sequence[Mapping[str, Any]] | None = None,
) -> str:
    """The text of an example's input: what search, sort and duplicate checks look at.

    Variable inputs: the values in order, one per line (a single ``text`` variable is
    just its value). Conversations: the turns' text (the system prompt is left out:
    it is usually the same for every example and would make them all look alike).
    """
    if conversation is not None:
        lines = []
        for msg in conversation:
            text = message_text(msg.get("content"))
            if msg.get("tool_calls"):
                text = (text + " " + _tool_calls_text(msg["tool_calls"])).strip()
            if text:
                lines.append(text)
        return "\n".join(lines)
    values = []
    for value in inputs.values():
        if value is None:
            continue
        values.append(value if isinstance(value, str) else _compact_json(value))
    return "\n".join(values)


def _tool_calls_text(calls: Any) -> str:
    out = []
    if isinstance(calls, list):
        for call in calls:
            fn = call.get("function") if isinstance(call, Mapping) else None
            if isinstance(fn, Mapping):
                out.append(f"{fn.get('name', '')}({fn.get('arguments', '')})")
    return " ".join(out)


def _compact_json(value: Any) -> str:
    import orjson

    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:
        return str(value)


def tags_to_db(tags: Sequence[str]) -> str:
    """Store tags as ``|a|b|`` (sorted, unique, stripped; ``|`` is not allowed in a tag)."""
    clean = sorted({t.strip() for t in tags if t and t.strip()})
    for tag in clean:
        if "|" in tag:
            from studio.core.errors import ValidationError

            raise ValidationError(f'The tag "{tag}" contains "|", which tags cannot contain.')
    return "|" + "|".join(clean) + "|" if clean else ""


def tags_from_db(value: str | None) -> tuple[str, ...]:
    """Inverse of :func:`tags_to_db`."""
    if not value:
        return ()
    return tuple(t for t in value.split("|") if t)


def split_tag_list(value: str) -> list[str]:
    """Parse a tags cell from a file: comma, semicolon or pipe separated."""
    return [t.strip() for t in re.split(r"[,;|]", value) if t.strip()]
