"""OpenAI supervised fine-tuning, chat format (docs/formats.md §2)."""

from __future__ import annotations

import copy
from typing import Any

from studio.core.formats.common import (
    BaseChecker,
    ChatExample,
    FormatSpec,
    LineSink,
    RecordResult,
    type_name,
)
from studio.core.formats.message_profiles import OPENAI_SFT
from studio.core.formats.messages import check_messages
from studio.core.formats.tool_calls import declared_functions
from studio.core.tokens.counting import count_tool_definitions

TOP_LEVEL_KEYS = frozenset({"messages", "tools", "parallel_tool_calls", "functions"})


def check_top_level(
    obj: dict[str, Any],
    out: LineSink,
    allowed: frozenset[str],
    target: str,
    severity: str = "warning",
) -> None:
    """Report top-level keys the target's schema does not define."""
    for key in obj:
        if key not in allowed:
            getattr(out, severity)(
                "unrecognized_key",
                f"Top-level key {key!r} is not part of the {target} format"
                + (" and will be rejected." if severity == "error" else "."),
            )


class OpenAIChatChecker(BaseChecker):
    """Checks one ``{"messages": [...], "tools": [...]}`` record."""

    def check(self, obj: dict[str, Any], out: LineSink) -> RecordResult:
        declared = None
        if len(obj) > 1:  # the common record has only "messages"
            check_top_level(obj, out, TOP_LEVEL_KEYS, "OpenAI chat fine-tuning")
            declared = declared_functions(obj, out)
            ptc = obj.get("parallel_tool_calls")
            if ptc is not None and not isinstance(ptc, bool):
                out.error(
                    "wrong_type",
                    f"parallel_tool_calls must be true or false, not a {type_name(ptc)}.",
                )
        messages = obj.get("messages")
        ctx = self.ctx
        info = check_messages(
            messages, out, OPENAI_SFT, declared, count=ctx.count, role_count=ctx.role_count
        )
        if info.images > 10:
            out.error(
                "too_many_images", f"The example has {info.images} images; at most 10 are allowed."
            )
        tokens = None
        if isinstance(messages, list):
            tokens = info.tokens
            if declared is not None:
                tools = obj.get("tools") or obj.get("functions")
                if isinstance(tools, list) and tools:
                    tokens += count_tool_definitions(tools, self.ctx.encoding)
        return RecordResult(tokens=tokens, outputs=info.outputs)


def apply_weight_last(messages: list[dict[str, Any]], weight_last: int | None) -> None:
    """Earlier assistant turns weight 0, the last one ``weight_last`` (in place)."""
    if weight_last is None:
        return
    idx = [i for i, m in enumerate(messages) if m.get("role") == "assistant"]
    for i in idx:
        messages[i]["weight"] = 0
    if idx:
        messages[idx[-1]]["weight"] = int(weight_last)


def export_chat(ex: ChatExample) -> dict[str, Any]:
    """``{"messages": [...], "tools": [...]}`` (tools only when present)."""
    messages = copy.deepcopy(ex.messages)
    apply_weight_last(messages, ex.weight_last)
    record: dict[str, Any] = {"messages": messages}
    if ex.tools:
        record["tools"] = copy.deepcopy(ex.tools)
    return record


# This SPEC, the export function's tail above and the import list pair with the other
# targets' (alpaca, sharegpt, trl, openai_*, vertex_gemini, bedrock_*, mistral) in the
# duplicates report: per-target values, not logic; see the note at common.FormatSpec.
SPEC = FormatSpec(
    name="openai-chat",
    title="OpenAI supervised fine-tuning (chat)",
    make_checker=OpenAIChatChecker,
    export_chat=export_chat,
    min_examples=10,
    recommended_examples=50,
    default_model="gpt-4o-mini",
    max_example_tokens=65536,
    exact_tokens=True,
)
