"""OpenAI reinforcement fine-tuning (docs/formats.md §4)."""

from __future__ import annotations

import copy
from typing import Any

from studio.core.errors import UserError
from studio.core.formats.common import (
    BaseChecker,
    ChatExample,
    FormatSpec,
    LineSink,
    RecordResult,
)
from studio.core.formats.message_profiles import OPENAI_RFT
from studio.core.formats.messages import check_messages
from studio.core.formats.tool_calls import declared_functions
from studio.core.tokens.counting import count_messages_tokens


class OpenAIRFTChecker(BaseChecker):
    """Checks ``{"messages": [...], "tools": [...], <grader fields>}``.

    Any key besides messages and tools is grader data (``{{ item.XXX }}``), so extra
    keys are expected here, unlike SFT.
    """

    def check(self, obj: dict[str, Any], out: LineSink) -> RecordResult:
        declared = declared_functions(obj, out)
        messages = obj.get("messages")
        info = check_messages(messages, out, OPENAI_RFT, declared)
        if "system" in info.roles:
            out.warning(
                "conversation_order", "RFT uses the developer role; system is not in its schema."
            )
        if info.roles and info.roles[-1] not in ("user", "developer", "tool", ""):
            out.warning(
                "last_message_not_user",
                "The prompt should end with a user or developer message: the model "
                "generates the answer that the grader scores.",
            )
        if len(obj) <= 1 + ("tools" in obj):
            out.info(
                "no_grader_fields",
                "The record has no extra fields (such as reference_answer) for the grader to use.",
            )
        tokens = None
        if isinstance(messages, list):
            tokens = count_messages_tokens(messages, self.ctx.count, self.ctx.role_count)
        return RecordResult(tokens=tokens)


def export_chat(ex: ChatExample) -> dict[str, Any]:
    """The prompt (system -> developer) plus the final answer as ``reference_answer``."""
    messages = copy.deepcopy(ex.messages)
    if not messages or messages[-1].get("role") != "assistant":
        raise UserError(
            "An RFT export needs an example ending with an assistant answer, "
            "which becomes the reference_answer."
        )
    answer = messages.pop()
    if answer.get("tool_calls") or not isinstance(answer.get("content"), str):
        raise UserError("An RFT reference answer must be plain text, not a tool call.")
    for m in messages:
        m.pop("weight", None)
        if m.get("role") == "system":
            m["role"] = "developer"
    record: dict[str, Any] = {"messages": messages, "reference_answer": answer["content"]}
    if ex.tools:
        record["tools"] = copy.deepcopy(ex.tools)
    return record


# This SPEC, the export function's tail above and the import list pair with the other
# targets' (alpaca, sharegpt, trl, openai_*, vertex_gemini, bedrock_*, mistral) in the
# duplicates report: per-target values, not logic; see the note at common.FormatSpec.
SPEC = FormatSpec(
    name="openai-rft",
    title="OpenAI reinforcement fine-tuning",
    make_checker=OpenAIRFTChecker,
    export_chat=export_chat,
    recommended_examples=10,
    default_model="o4-mini",
    max_example_tokens=65536,
    exact_tokens=True,
    notes="Max 50,000 training examples [DOC-2]; billed per training hour.",
)
