"""Reading a chat completion body the runner posted for (orjson, no SDK models).

The runner posts the raw body and parses the JSON itself (see :mod:`.runner`): these
helpers pull the answer text, the tool calls and the finish reason out of it, and raise
:class:`BadResponse` for a body that is not a chat completion (retried like a 5xx).
"""

from __future__ import annotations

from typing import Any

import orjson


def _normalise_tool_calls(raw: object) -> list[dict[str, Any]] | None:
    if not isinstance(raw, list) or not raw:
        return None
    calls: list[dict[str, Any]] = []
    for call in raw:
        if not isinstance(call, dict):
            continue
        call = dict(call)
        fn = call.get("function")
        if isinstance(fn, dict) and not isinstance(fn.get("arguments"), str):
            # Ollama sometimes sends arguments as an object; the API says string.
            fn = dict(fn)
            fn["arguments"] = orjson.dumps(fn.get("arguments")).decode()
            call["function"] = fn
        calls.append(call)
    return calls or None


def _text(content: object) -> str | None:
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content)


def int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class BadResponse(Exception):
    pass


def parse_completion(data: object) -> tuple[str | None, list[dict[str, Any]] | None, str | None]:
    if not isinstance(data, dict):
        raise BadResponse("not a JSON object")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise BadResponse("no choices")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise BadResponse("no message")
    finish = choices[0].get("finish_reason")
    return (
        _text(message.get("content")),
        _normalise_tool_calls(message.get("tool_calls")),
        finish if isinstance(finish, str) else None,
    )
