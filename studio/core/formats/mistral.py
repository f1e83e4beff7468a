"""Mistral fine-tuning (mistral-finetune, docs/formats.md §13)."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from studio.core.errors import UserError
from studio.core.formats.common import (
    BaseChecker,
    ChatExample,
    FormatSpec,
    LineSink,
    RecordResult,
    type_name,
)
from studio.core.formats.message_profiles import MISTRAL
from studio.core.formats.messages import check_messages
from studio.core.formats.openai_chat import apply_weight_last
from studio.core.formats.tool_calls import declared_functions
from studio.core.tokens.counting import count_messages_tokens

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


class MistralChecker(BaseChecker):
    """Checks instruct (``messages``/``interactions``) and pretrain (``text``) records."""

    def check(self, obj: dict[str, Any], out: LineSink) -> RecordResult:
        if "text" in obj and "messages" not in obj and "interactions" not in obj:
            text = obj["text"]
            if not isinstance(text, str):
                out.error("wrong_type", f"text must be a string, not {type_name(text)}.")
                return RecordResult(kind="pretrain")
            return RecordResult(tokens=self.ctx.count(text), kind="pretrain")
        if "messages" in obj and "interactions" in obj:
            out.error("unrecognized_key", "The record has both 'messages' and 'interactions'.")
        key = "interactions" if "interactions" in obj and "messages" not in obj else "messages"
        if "tools" in obj and "available_tools" in obj:
            out.error("invalid_tools", "The record has both 'tools' and 'available_tools'.")
        tools_key = "available_tools" if "available_tools" in obj else "tools"
        declared = declared_functions(obj, out, key=tools_key, require_description=True)
        for k in obj:
            if k not in ("messages", "interactions", "tools", "available_tools"):
                out.warning("unrecognized_key", f"Top-level key {k!r} is ignored by Mistral.")
        messages = obj.get(key)
        if messages is None:
            out.error(
                "missing_messages",
                "The conversation does not contain one of 'messages, interactions' key.",
            )
            return RecordResult()
        info = check_messages(messages, out, MISTRAL, declared, key=key)
        tokens = (
            count_messages_tokens(messages, self.ctx.count, self.ctx.role_count)
            if isinstance(messages, list)
            else None
        )
        return RecordResult(tokens=tokens, outputs=info.outputs, kind="instruct")


def _nine_char_id(original: str) -> str:
    digest = hashlib.sha256(original.encode()).digest()
    return "".join(_ALNUM[b % len(_ALNUM)] for b in digest[:9])


def export_chat(ex: ChatExample) -> dict[str, Any]:
    """Mistral instruct record; tool-call ids are mapped to 9-character ids."""
    messages = copy.deepcopy(ex.messages)
    systems = [m for m in messages if m.get("role") == "system"]
    if len(systems) > 1:
        raise UserError("Mistral allows only one system message; this example has several.")
    for m in messages:
        if isinstance(m.get("content"), list):
            raise UserError("Mistral export supports text content only.")
        if m.get("role") not in ("system", "user", "assistant", "tool"):
            raise UserError(f"Role {m.get('role')!r} cannot be exported to Mistral.")
        for call in m.get("tool_calls") or []:
            if isinstance(call.get("id"), str) and len(call["id"]) != 9:
                call["id"] = _nine_char_id(call["id"])
            call.setdefault("type", "function")
        if (
            m.get("role") == "tool"
            and isinstance(m.get("tool_call_id"), str)
            and len(m["tool_call_id"]) != 9
        ):
            m["tool_call_id"] = _nine_char_id(m["tool_call_id"])
        if m.get("role") == "assistant" and m.get("content") is None:
            m.pop("content", None)
    apply_weight_last(messages, ex.weight_last)
    record: dict[str, Any] = {"messages": messages}
    if ex.tools:
        tools = copy.deepcopy(ex.tools)
        for t in tools:
            fn = t.get("function", {})
            fn.setdefault("description", "")
            fn.setdefault("parameters", {})
        record["tools"] = tools
    return record


# This SPEC, the export function's tail above and the import list pair with the other
# targets' (alpaca, sharegpt, trl, openai_*, vertex_gemini, bedrock_*, mistral) in the
# duplicates report: per-target values, not logic; see the note at common.FormatSpec.
SPEC = FormatSpec(
    name="mistral",
    title="Mistral fine-tuning (mistral-finetune)",
    make_checker=MistralChecker,
    export_chat=export_chat,
    notes="Token counts are o200k estimates; Mistral models use their own tokenizer.",
)
