"""Together AI fine-tuning: conversational, instruction, preference, text (docs/formats.md §10).

One sub-format per file, detected by its keys; extra keys are rejected ("Found extra
column"). Together's own checker stops at the first bad line; we report every line.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from studio.core.errors import UserError
from studio.core.formats.common import (
    BaseChecker,
    ChatExample,
    FormatSpec,
    LineSink,
    RecordResult,
    shape_by_keys,
    type_name,
)
from studio.core.formats.message_profiles import TOGETHER_CHAT
from studio.core.formats.messages import check_messages
from studio.core.formats.openai_chat import apply_weight_last
from studio.core.formats.openai_dpo import check_preference_outputs, export_preference
from studio.core.tokens.counting import count_messages_tokens

SUBFORMATS: dict[str, frozenset[str]] = {
    "conversational": frozenset({"messages"}),
    "instruction": frozenset({"prompt", "completion"}),
    "preference": frozenset({"input", "preferred_output", "non_preferred_output"}),
    "text": frozenset({"text"}),
}
_PREF_INPUT = replace(
    TOGETHER_CHAT, require_assistant=False, last_must_be_assistant=None, strict_alternation=False
)


def together_subformat(obj: dict[str, Any]) -> str | None:
    """The Together sub-format whose required keys the record has."""
    return shape_by_keys(SUBFORMATS.items(), obj)


class TogetherChecker(BaseChecker):
    """Checks one record and that every record uses the first record's sub-format."""

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.first: str | None = None

    def check(self, obj: dict[str, Any], out: LineSink) -> RecordResult:
        sub = together_subformat(obj)
        if sub is None:
            out.error(
                "unknown_format",
                f"Could not detect a Together format for the keys {sorted(obj)}; use "
                "messages, prompt+completion, input+preferred_output+"
                "non_preferred_output, or text.",
            )
            return RecordResult()
        for key in obj:
            if key not in SUBFORMATS[sub]:
                out.error(
                    "unrecognized_key",
                    f"Found extra column {key!r}; Together rejects keys outside the format.",
                )
        if self.first is None:
            self.first = sub
        elif sub != self.first:
            out.error(
                "mixed_formats",
                f"This line is in the {sub} format but the first line "
                f"is {self.first}; all samples must share one format.",
            )
        count = self.ctx.count
        if sub == "text":
            text = obj["text"]
            if not isinstance(text, str):
                out.error("wrong_type", f"text must be a string, not {type_name(text)}.")
                return RecordResult(kind=sub)
            return RecordResult(tokens=count(text), kind=sub)
        if sub == "instruction":
            tokens = 0
            outputs: list[str] = []
            for key in ("prompt", "completion"):
                value = obj[key]
                if isinstance(value, str):
                    tokens += count(value)
                    if key == "completion":
                        outputs.append(value)
                elif isinstance(value, list) and all(
                    isinstance(p, dict) and "type" in p for p in value
                ):
                    tokens += sum(count(p["text"]) for p in value if isinstance(p.get("text"), str))
                else:
                    out.error(
                        "wrong_type",
                        f"{key} must be a string or a list of parts with a type field, "
                        f"not {type_name(value)}.",
                    )
            if isinstance(obj["completion"], str) and not obj["completion"].strip():
                out.error("missing_content", "completion is empty.")
            return RecordResult(tokens=tokens, outputs=outputs, kind=sub)
        if sub == "preference":
            inp = obj["input"]
            pref_tokens: int | None = None
            if not isinstance(inp, dict):
                out.error("wrong_type", "the `input` field must be a dictionary.")
            else:
                info = check_messages(
                    inp.get("messages"), out, _PREF_INPUT, None, key="input.messages"
                )
                if info.roles and info.roles[-1] == "assistant":
                    out.error(
                        "dpo_input_ends_with_assistant",
                        "The last message in the input conversation must not be from "
                        "the assistant.",
                    )
                if isinstance(inp.get("messages"), list):
                    pref_tokens = count_messages_tokens(inp["messages"], count, self.ctx.role_count)
            texts = check_preference_outputs(obj, out)
            if texts[0] is not None and texts[0] == texts[1]:
                out.warning(
                    "dpo_identical_outputs",
                    "The preferred and non-preferred outputs are identical.",
                )
            if pref_tokens is not None:
                pref_tokens += max(count(t or "") for t in texts)
            return RecordResult(tokens=pref_tokens, outputs=[t for t in texts if t], kind=sub)
        messages = obj["messages"]
        info = check_messages(messages, out, TOGETHER_CHAT, None)
        if isinstance(messages, list):
            kinds = {isinstance(m.get("content"), list) for m in messages if isinstance(m, dict)}
            if len(kinds) > 1:
                out.error(
                    "mixed_content_types",
                    "Messages in the conversation must be either all in multimodal or "
                    "all in text-only format.",
                )
            for i, m in enumerate(messages, 1):
                if (
                    isinstance(m, dict)
                    and isinstance(m.get("content"), list)
                    and any(
                        isinstance(p, dict) and p.get("type") == "image_url" for p in m["content"]
                    )
                    and m.get("weight", 0) != 0
                ):
                    out.error(
                        "invalid_weight",
                        f"message {i}: messages with images cannot have non-zero weights.",
                    )
        tokens2 = (
            count_messages_tokens(messages, count, self.ctx.role_count)
            if isinstance(messages, list)
            else None
        )
        return RecordResult(tokens=tokens2, outputs=info.outputs, kind=sub)


def export_chat(ex: ChatExample) -> dict[str, Any]:
    """Together conversational record (system/user/assistant only, alternating)."""
    if ex.tools or any(
        m.get("role") in ("tool", "function") or m.get("tool_calls") for m in ex.messages
    ):
        raise UserError(
            "Together conversational data has no tool role or tool calls; this example uses tools."
        )
    messages = copy.deepcopy(ex.messages)
    roles = [m.get("role") for m in messages if m.get("role") != "system"]
    if (
        any(roles[i] == roles[i + 1] for i in range(len(roles) - 1))
        or not roles
        or roles[0] != "user"
    ):
        raise UserError(
            "Together needs user/assistant turns that alternate after the "
            "optional system message; this example does not."
        )
    for m in messages:
        if isinstance(m.get("content"), list):
            raise UserError(
                "Together export of content parts (images) is not supported; "
                "Together accepts only base64 data-URL images."
            )
    apply_weight_last(messages, ex.weight_last)
    return {"messages": messages}


SPEC = FormatSpec(
    name="together",
    title="Together AI (conversational, instruction, preference, text)",
    make_checker=TogetherChecker,
    export_chat=export_chat,
    export_preference=export_preference,  # Together preference rows are OpenAI DPO rows
    notes="Token counts are o200k estimates; open models have their own tokenizers.",
)
