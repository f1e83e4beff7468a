"""OpenAI direct preference optimisation (docs/formats.md §3)."""

from __future__ import annotations

import copy
from typing import Any

from studio.core.formats.common import (
    BaseChecker,
    FormatSpec,
    LineSink,
    PreferenceExample,
    RecordResult,
    type_name,
)
from studio.core.formats.message_content import content_text
from studio.core.formats.message_profiles import OPENAI_DPO_INPUT
from studio.core.formats.messages import check_messages
from studio.core.formats.openai_chat import check_top_level
from studio.core.formats.tool_calls import declared_functions
from studio.core.tokens.counting import count_messages_tokens

TOP_LEVEL_KEYS = frozenset({"input", "preferred_output", "non_preferred_output"})
INPUT_KEYS = frozenset({"messages", "tools", "parallel_tool_calls"})
LEGACY = {
    "preferred_completion": "preferred_output",
    "non_preferred_completion": "non_preferred_output",
}


def check_preference_outputs(obj: dict[str, Any], out: LineSink) -> list[str | None]:
    """Check preferred/non-preferred outputs; returns their texts (None if unusable)."""
    texts: list[str | None] = []
    for key in ("preferred_output", "non_preferred_output"):
        value = obj.get(key)
        if value is None:
            out.error("dpo_missing_output", f"The record has no {key!r} array.")
            texts.append(None)
            continue
        if not isinstance(value, list) or len(value) != 1:
            out.error(
                "dpo_invalid_output",
                f"{key!r} must be an array with exactly one assistant message.",
            )
            texts.append(None)
            continue
        msg = value[0]
        if not isinstance(msg, dict) or msg.get("role") != "assistant":
            out.error("dpo_invalid_output", f"The {key!r} message must have the assistant role.")
            texts.append(None)
            continue
        text = content_text(msg.get("content"))
        if text is None:
            if isinstance(msg.get("content"), list):
                out.error(
                    "dpo_invalid_output",
                    f"The {key!r} message must have text content (DPO is text only).",
                )
            elif "tool_calls" not in msg:
                out.error("dpo_invalid_output", f"The {key!r} message must have content.")
        elif not text.strip() and "tool_calls" not in msg:
            out.error("missing_content", f"The {key!r} message is empty: nothing to prefer.")
        for k in msg:
            if k not in ("role", "content", "tool_calls", "name", "refusal"):
                out.error("unrecognized_key", f"{key!r}: key {k!r} is not allowed.")
        texts.append(text)
    return texts


class OpenAIDPOChecker(BaseChecker):
    """Checks ``{"input": {...}, "preferred_output": [...], "non_preferred_output": [...]}``."""

    def check(self, obj: dict[str, Any], out: LineSink) -> RecordResult:
        for old, new in LEGACY.items():
            if old in obj:
                out.error("legacy_format", f"{old!r} is the old field name; rename it to {new!r}.")
        check_top_level(obj, out, TOP_LEVEL_KEYS | set(LEGACY), "OpenAI DPO")
        inp = obj.get("input")
        tokens = None
        if not isinstance(inp, dict):
            out.error(
                "wrong_type" if inp is not None else "missing_messages",
                f"'input' must be an object with messages, not {type_name(inp)}.",
            )
            messages: Any = None
        else:
            check_top_level(inp, out, INPUT_KEYS, "OpenAI DPO input")
            declared = declared_functions(inp, out)
            messages = inp.get("messages")
            info = check_messages(messages, out, OPENAI_DPO_INPUT, declared, key="input.messages")
            roles = info.roles
            if roles and roles[-1] == "assistant":
                out.error(
                    "dpo_input_ends_with_assistant",
                    "The last message of the input must not be from the assistant.",
                )
            if sum(1 for r in roles if r == "user") > 1 or "assistant" in roles:
                out.warning(
                    "dpo_multi_turn",
                    "The input has several turns; DPO trains only on the final answer.",
                )
        if any(k in obj for k in LEGACY):
            obj = {LEGACY.get(k, k): v for k, v in obj.items()}
        texts = check_preference_outputs(obj, out)
        chosen, rejected = texts[0], texts[1]
        if chosen is not None and chosen == rejected:
            out.warning(
                "dpo_identical_outputs",
                "The preferred and non-preferred outputs are identical: no signal.",
            )
        if isinstance(messages, list):
            tokens = count_messages_tokens(messages, self.ctx.count, self.ctx.role_count)
            tokens += max(self.ctx.count(chosen or ""), self.ctx.count(rejected or ""))
        return RecordResult(tokens=tokens, outputs=[t for t in texts if t is not None])


def export_preference(ex: PreferenceExample) -> dict[str, Any]:
    """OpenAI DPO record."""
    return {
        "input": {"messages": copy.deepcopy(ex.prompt_messages)},
        "preferred_output": [{"role": "assistant", "content": ex.chosen}],
        "non_preferred_output": [{"role": "assistant", "content": ex.rejected}],
    }


# This SPEC, the export function's tail above and the import list pair with the other
# targets' (alpaca, sharegpt, trl, openai_*, vertex_gemini, bedrock_*, mistral) in the
# duplicates report: per-target values, not logic; see the note at common.FormatSpec.
SPEC = FormatSpec(
    name="openai-dpo",
    title="OpenAI direct preference optimisation",
    make_checker=OpenAIDPOChecker,
    export_preference=export_preference,
    min_examples=10,
    default_model="gpt-4.1-mini",
    max_example_tokens=65536,
    exact_tokens=True,
)
