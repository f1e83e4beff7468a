"""ShareGPT conversations (LLaMA-Factory, Axolotl; docs/formats.md §12)."""

from __future__ import annotations

import contextlib
from typing import Any

import orjson

from studio.core.errors import UserError
from studio.core.formats.common import (
    BaseChecker,
    ChatExample,
    FormatSpec,
    LineSink,
    PreferenceExample,
    RecordResult,
    type_name,
)
from studio.core.formats.message_content import text_only

HUMAN_SIDE = ("human", "observation")
GPT_SIDE = ("gpt", "function_call")
TAGS = ("human", "gpt", "observation", "function_call", "system")
KEYS = frozenset(
    {"conversations", "system", "tools", "chosen", "rejected", "images", "videos", "kto_tag"}
)


class ShareGPTChecker(BaseChecker):
    """Checks ``{"conversations": [{"from", "value"}], "system"?, "tools"?}``."""

    def check(self, obj: dict[str, Any], out: LineSink) -> RecordResult:
        count = self.ctx.count
        convo = obj.get("conversations")
        if not isinstance(convo, list) or not convo:
            out.error(
                "missing_messages" if not convo else "wrong_type",
                "'conversations' must be a non-empty array of {from, value} turns.",
            )
            return RecordResult()
        texts: list[str] = []
        outputs: list[str] = []
        tags: list[str] = []
        # Same shape as vertex_gemini's contents loop (duplicates report): each walks its own
        # turn schema ({from, value} here, {role, parts} there) with its own codes and wording.
        for i, turn in enumerate(convo, 1):
            where = f"turn {i}"
            if not isinstance(turn, dict):
                out.error("wrong_type", f"{where} is a {type_name(turn)}, not an object.")
                tags.append("")
                continue
            tag = turn.get("from")
            value = turn.get("value")
            if tag not in TAGS:
                out.error(
                    "unknown_role", f"{where}: from must be one of {', '.join(TAGS)}, not {tag!r}."
                )
            if not isinstance(value, str):
                out.error(
                    "message_missing_key" if value is None else "wrong_type",
                    f"{where} needs a string value.",
                )
            else:
                texts.append(value)
                if tag == "gpt":
                    outputs.append(value)
            for k in turn:
                if k not in ("from", "value"):
                    out.warning("unrecognized_key", f"{where}: key {k!r} is ignored.")
            tags.append(tag if isinstance(tag, str) else "")
        if tags and tags[0] == "system":
            tags = tags[1:]
        if "system" in tags:
            out.error("conversation_order", "A system turn may only come first.")
        preference = "chosen" in obj or "rejected" in obj
        for i, tag in enumerate(tags):
            side = HUMAN_SIDE if i % 2 == 0 else GPT_SIDE
            if tag not in side:
                out.error(
                    "conversation_order",
                    f"Invalid role tag: turn {i + 1} is {tag or '?'}; human/observation "
                    "must be in odd positions and gpt/function_call in even ones.",
                )
                break
        if preference:
            if len(tags) % 2 != 1:
                out.error(
                    "conversation_order",
                    "Invalid message count: a preference row's "
                    "conversation must end with a human turn.",
                )
            for key in ("chosen", "rejected"):
                turn = obj.get(key)
                if (
                    not isinstance(turn, dict)
                    or turn.get("from") not in GPT_SIDE
                    or not isinstance(turn.get("value"), str)
                ):
                    out.error(
                        "dpo_invalid_output",
                        f'{key} must be a {{"from": "gpt", "value": ...}} turn.',
                    )
                else:
                    texts.append(turn["value"])
        elif len(tags) % 2 != 0:
            out.error(
                "last_message_not_assistant",
                "Invalid message count: the conversation must end with a gpt turn "
                "(LLaMA-Factory silently skips such rows).",
            )
        system = obj.get("system")
        if system is not None and not isinstance(system, str):
            out.error("wrong_type", "system must be a string.")
        elif isinstance(system, str):
            texts.append(system)
        tools = obj.get("tools")
        if tools is not None:
            if not isinstance(tools, str):
                out.error("invalid_tools", "tools must be a JSON string (LLaMA-Factory).")
            else:
                try:
                    orjson.loads(tools)
                except orjson.JSONDecodeError:
                    out.error("invalid_tools", "tools is not a valid JSON string.")
                texts.append(tools)
        for k in obj:
            if k not in KEYS:
                out.warning("unrecognized_key", f"Key {k!r} is not a ShareGPT field.")
        return RecordResult(tokens=sum(count(t) for t in texts), outputs=outputs)


def _turns(messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, str]]]:
    system: list[str] = []
    turns: list[dict[str, str]] = []
    for m in messages:
        role = m.get("role")
        text = text_only(m.get("content"), "ShareGPT")
        if role == "system":
            system.append(text)
        elif role == "user":
            turns.append({"from": "human", "value": text})
        elif role == "assistant":
            calls = m.get("tool_calls") or []
            if calls:
                for call in calls:
                    fn = call.get("function", {})
                    args = fn.get("arguments")
                    if isinstance(args, str):
                        with contextlib.suppress(orjson.JSONDecodeError):
                            args = orjson.loads(args)
                    turns.append(
                        {
                            "from": "function_call",
                            "value": orjson.dumps(
                                {"name": fn.get("name"), "arguments": args}
                            ).decode(),
                        }
                    )
            else:
                turns.append({"from": "gpt", "value": text})
        elif role == "tool":
            turns.append({"from": "observation", "value": text})
        else:
            raise UserError(f"Role {role!r} cannot be exported to ShareGPT.")
    return "\n\n".join(system), turns


def export_chat(ex: ChatExample) -> dict[str, Any]:
    """LLaMA-Factory ShareGPT row; tools become a JSON string."""
    system, turns = _turns(ex.messages)
    tags = [t["from"] for t in turns]
    for i, tag in enumerate(tags):
        if tag not in (HUMAN_SIDE if i % 2 == 0 else GPT_SIDE):
            raise UserError(
                "ShareGPT needs human/observation and gpt/function_call turns to "
                "alternate; this example has parallel tool calls or repeated "
                "turns."
            )
    if not tags or len(tags) % 2:
        raise UserError("ShareGPT rows must end with a gpt turn.")
    record: dict[str, Any] = {"conversations": turns}
    if system:
        record["system"] = system
    if ex.tools:
        record["tools"] = orjson.dumps([t.get("function", t) for t in ex.tools]).decode()
    return record


def export_preference(ex: PreferenceExample) -> dict[str, Any]:
    """LLaMA-Factory ShareGPT preference row."""
    system, turns = _turns(ex.prompt_messages)
    if not turns or len(turns) % 2 != 1:
        raise UserError("A ShareGPT preference prompt must end with a human turn.")
    record: dict[str, Any] = {
        "conversations": turns,
        "chosen": {"from": "gpt", "value": ex.chosen},
        "rejected": {"from": "gpt", "value": ex.rejected},
    }
    if system:
        record["system"] = system
    return record


# This SPEC, the export function's tail above and the import list pair with the other
# targets' (alpaca, sharegpt, trl, openai_*, vertex_gemini, bedrock_*, mistral) in the
# duplicates report: per-target values, not logic; see the note at common.FormatSpec.
SPEC = FormatSpec(
    name="sharegpt",
    title="ShareGPT (LLaMA-Factory / Axolotl)",
    make_checker=ShareGPTChecker,
    export_chat=export_chat,
    export_preference=export_preference,
)
