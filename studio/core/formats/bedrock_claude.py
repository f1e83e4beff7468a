"""Amazon Bedrock fine-tuning of Claude 3 Haiku (docs/formats.md §9.1).

"The system field is optional. There must be at least two messages. The first message
must be from the 'user'. The last message must be from the 'assistant'. User and
assistant messages must alternate. No extraneous keys are allowed." All are errors.
"""

from __future__ import annotations

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
from studio.core.formats.message_content import content_text, split_text_turns
from studio.core.formats.openai_chat import check_top_level


def check_alternating(roles: list[str], out: LineSink, target: str) -> None:
    """First user, last assistant, strict user/assistant alternation (errors)."""
    if len(roles) < 2:
        out.error("too_few_messages", f"{target} needs at least two messages.")
    for i, role in enumerate(roles):
        # Same loop as formats/messages.py's strict_alternation check (duplicates report): that
        # one skips system roles first and words its error its own way; the texts differ.
        expected = "user" if i % 2 == 0 else "assistant"
        if role != expected:
            out.error(
                "conversation_order",
                f"message {i + 1} is {role or '?'} where {expected} was expected: "
                f"{target} needs user/assistant turns that alternate, starting with user.",
            )
            break
    if roles and roles[-1] != "assistant":
        out.error(
            "last_message_not_assistant", f"The last message must be from the assistant ({target})."
        )


def bedrock_messages(obj: dict[str, Any], out: LineSink) -> list[Any] | None:
    """The record's non-empty ``messages`` array, or None once the reason is reported."""
    messages = obj.get("messages")
    if not isinstance(messages, list) or not messages:
        out.error(
            "missing_messages" if not messages else "wrong_type",
            "'messages' must be a non-empty array of messages.",
        )
        return None
    return messages


def check_bedrock_message(
    msg: Any, where: str, out: LineSink, roles: list[str], *, system_hint: bool
) -> bool:
    """Shape, role and keys of one Bedrock message (user or assistant, role and content).

    Appends the role (``""`` when unusable) to ``roles``; False when ``msg`` is not an
    object, so the caller skips its content. ``system_hint`` adds where a system turn goes.
    """
    if not isinstance(msg, dict):
        out.error("wrong_type", f"{where} is a {type_name(msg)}, not an object.")
        roles.append("")
        return False
    role = msg.get("role")
    if role not in ("user", "assistant"):
        hint = " (put it in the top-level system field)" if system_hint and role == "system" else ""
        out.error("unknown_role", f"{where}: role must be user or assistant, not {role!r}{hint}.")
    roles.append(role if isinstance(role, str) else "")
    for k in msg:
        if k not in ("role", "content"):
            out.error("unrecognized_key", f"{where}: key {k!r} is not allowed.")
    return True


class BedrockClaudeChecker(BaseChecker):
    """Checks ``{"system": "...", "messages": [{"role", "content"}, ...]}``."""

    def check(self, obj: dict[str, Any], out: LineSink) -> RecordResult:
        check_top_level(
            obj, out, frozenset({"system", "messages"}), "Bedrock Claude", severity="error"
        )
        count = self.ctx.count
        tokens = 0
        system = obj.get("system")
        if system is not None:
            if not isinstance(system, str):
                out.error("wrong_type", f"system must be a string, not {type_name(system)}.")
            else:
                tokens += count(system)
        messages = bedrock_messages(obj, out)
        if messages is None:
            return RecordResult()
        roles: list[str] = []
        outputs: list[str] = []
        for i, msg in enumerate(messages, 1):
            where = f"message {i}"
            if not check_bedrock_message(msg, where, out, roles, system_hint=True):
                continue
            role = msg.get("role")
            content = msg.get("content")
            if isinstance(content, str):
                if not content.strip():
                    out.error("missing_content", f"{where} has empty content.")
                tokens += count(content) + 3
                if role == "assistant":
                    outputs.append(content)
            elif isinstance(content, list):
                out.warning(
                    "wrong_type",
                    f"{where}: list content is undocumented for Bedrock fine-tuning; use a string.",
                )
                text = content_text(content)
                tokens += count(text or "")
            else:
                out.error(
                    "message_missing_key" if content is None else "wrong_type",
                    f"{where} needs string content.",
                )
        check_alternating(roles, out, "Bedrock Claude")
        return RecordResult(tokens=tokens, outputs=outputs)


def plain_turns(ex: ChatExample, target: str) -> tuple[list[str], list[dict[str, str]]]:
    """System texts and user/assistant string turns, or UserError for what cannot map."""
    if ex.tools:
        raise UserError(
            f"{target} fine-tuning data cannot carry tool definitions; "
            "export without tools or choose OpenAI, Mistral or TRL."
        )
    if any(m.get("tool_calls") or m.get("role") in ("tool", "function") for m in ex.messages):
        raise UserError(f"{target} cannot express tool calls; this example has one.")
    system, pairs = split_text_turns(ex.messages, target)
    roles = [role for role, _ in pairs]
    if (
        not roles
        or roles[0] != "user"
        or roles[-1] != "assistant"
        or any(roles[i] == roles[i + 1] for i in range(len(roles) - 1))
    ):
        raise UserError(
            f"{target} needs user/assistant turns that alternate, starting with "
            "user and ending with assistant; this example does not."
        )
    return system, [{"role": role, "content": text} for role, text in pairs]


def export_chat(ex: ChatExample) -> dict[str, Any]:
    """``{"system": "...", "messages": [...]}``."""
    system, turns = plain_turns(ex, "Bedrock Claude")
    record: dict[str, Any] = {}
    if system:
        record["system"] = "\n\n".join(system)
    record["messages"] = turns
    return record


# This SPEC, the export function's tail above and the import list pair with the other
# targets' (alpaca, sharegpt, trl, openai_*, vertex_gemini, bedrock_*, mistral) in the
# duplicates report: per-target values, not logic; see the note at common.FormatSpec.
SPEC = FormatSpec(
    name="bedrock-claude",
    title="Amazon Bedrock: Claude 3 Haiku fine-tuning",
    make_checker=BedrockClaudeChecker,
    export_chat=export_chat,
    default_model="anthropic.claude-3-haiku-20240307-v1:0:200k",
    max_example_tokens=32000,
    notes="Token counts are o200k estimates; the 32,000-token record limit is unverified.",
)
