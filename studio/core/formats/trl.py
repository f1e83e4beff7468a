"""Hugging Face TRL dataset types (docs/formats.md §11): one type per file."""

from __future__ import annotations

import contextlib
import copy
from dataclasses import replace
from typing import Any

import orjson

from studio.core.formats.common import (
    BaseChecker,
    ChatExample,
    FormatSpec,
    LineSink,
    PreferenceExample,
    RecordResult,
    shape_by_keys,
    type_name,
)
from studio.core.formats.message_profiles import TRL_CHAT, MessageProfile
from studio.core.formats.messages import check_messages
from studio.core.formats.openai_chat import apply_weight_last
from studio.core.tokens.counting import count_messages_tokens

_PROMPT_PROFILE = replace(TRL_CHAT, require_assistant=False, last_must_be_assistant=None)
_COMPLETION_PROFILE = replace(TRL_CHAT, last_must_be_assistant=None, check_start=False)

TYPES: list[tuple[str, frozenset[str]]] = [
    ("stepwise_supervision", frozenset({"prompt", "completions", "labels"})),
    ("unpaired_preference", frozenset({"prompt", "completion", "label"})),
    ("preference", frozenset({"chosen", "rejected"})),
    ("prompt_completion", frozenset({"prompt", "completion"})),
    ("language_modeling", frozenset({"messages"})),
    ("language_modeling", frozenset({"text"})),
    ("prompt_only", frozenset({"prompt"})),
]
OPTIONAL = frozenset({"tools", "images", "id"})
#: Columns whose text is what the model learns from: empty is an error, not a row.
REQUIRED_TEXT = frozenset({"completion", "chosen", "rejected", "text"})
KNOWN_COLUMNS = frozenset(k for _, keys in TYPES for k in keys) | OPTIONAL


def trl_type(obj: dict[str, Any]) -> str | None:
    """The TRL dataset type of a record, from its keys."""
    return shape_by_keys(TYPES, obj)


class TRLChecker(BaseChecker):
    """Checks one record; all records must share the first record's type and style."""

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.first: tuple[str, str] | None = None

    def _column(
        self,
        value: Any,
        key: str,
        out: LineSink,
        profile: MessageProfile,
        outputs: list[str],
        texts: list[str],
    ) -> str:
        """Check one column: a string (standard) or a message list (conversational)."""
        if isinstance(value, str):
            if key in REQUIRED_TEXT and not value.strip():
                out.error("missing_content", f"{key} is empty: nothing to train on.")
            texts.append(value)
            if key in ("completion", "chosen", "text"):
                outputs.append(value)
            return "standard"
        if isinstance(value, list):
            info = check_messages(value, out, profile, None, key=key)
            if key in ("completion", "chosen", "messages"):
                outputs.extend(info.outputs)
            for m in value:
                if isinstance(m, dict) and isinstance(m.get("content"), str):
                    texts.append(m["content"])
                calls = m.get("tool_calls") if isinstance(m, dict) else None
                # check_messages reports a tool_calls that is not a list; skip it here
                for call in calls if isinstance(calls, list) else []:
                    args = (
                        call.get("function", {}).get("arguments")
                        if isinstance(call, dict) and isinstance(call.get("function"), dict)
                        else None
                    )
                    if isinstance(args, str):
                        out.warning(
                            "tool_arguments_string",
                            f"{key}: TRL/HF chat templates expect tool-call arguments "
                            "as an object, not a JSON string.",
                        )
            return "conversational"
        out.error(
            "wrong_type", f"{key} must be a string or an array of messages, not {type_name(value)}."
        )
        return "?"

    def check(self, obj: dict[str, Any], out: LineSink) -> RecordResult:
        kind = trl_type(obj)
        if kind is None:
            out.error("unknown_format", f"No TRL dataset type has the keys {sorted(obj)}.")
            return RecordResult()
        outputs: list[str] = []
        texts: list[str] = []
        styles: set[str] = set()
        tokens: int | None = None
        if kind == "language_modeling" and "messages" in obj:
            styles.add(self._column(obj["messages"], "messages", out, TRL_CHAT, outputs, texts))
            if isinstance(obj["messages"], list):
                tokens = count_messages_tokens(obj["messages"], self.ctx.count, self.ctx.role_count)
        elif kind == "stepwise_supervision":
            comps, labels = obj.get("completions"), obj.get("labels")
            if (
                not isinstance(comps, list)
                or not isinstance(labels, list)
                or len(comps) != len(labels)
                or not all(type(x) is bool for x in labels)
            ):
                out.error(
                    "wrong_type",
                    "completions and labels must be arrays of equal length; labels are booleans.",
                )
            styles.add(self._column(obj["prompt"], "prompt", out, _PROMPT_PROFILE, outputs, texts))
        else:
            for key in ("prompt", "completion", "chosen", "rejected", "text"):
                if key in obj:
                    profile = _PROMPT_PROFILE if key == "prompt" else _COMPLETION_PROFILE
                    styles.add(self._column(obj[key], key, out, profile, outputs, texts))
            if kind == "unpaired_preference" and type(obj.get("label")) is not bool:
                out.error("wrong_type", "label must be true or false.")
            if kind == "preference" and obj.get("chosen") == obj.get("rejected"):
                out.warning("dpo_identical_outputs", "chosen and rejected are identical.")
            if kind == "preference" and "prompt" not in obj:
                out.info(
                    "implicit_prompt",
                    "No explicit prompt: DPO-style trainers work best "
                    "with an explicit prompt column.",
                )
        styles.discard("?")
        if len(styles) > 1:
            out.error(
                "mixed_formats",
                "All columns of a row must share one style: all strings or all message lists.",
            )
        style = next(iter(styles), "?")
        if self.first is None:
            self.first = (kind, style)
        elif self.first != (kind, style):
            out.error(
                "mixed_formats",
                f"This row is {kind} ({style}) but the first row is {self.first[0]} "
                f"({self.first[1]}); a TRL dataset has one type.",
            )
        for k in obj:
            if k not in KNOWN_COLUMNS:
                out.warning("unrecognized_key", f"Column {k!r} is not a TRL column.")
        if tokens is None:
            tokens = sum(self.ctx.count(t) for t in texts)
        return RecordResult(tokens=tokens, outputs=outputs, kind=kind)


def _trl_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    result = copy.deepcopy(messages)
    for m in result:
        calls = m.get("tool_calls")
        for call in calls if isinstance(calls, list) else []:
            fn = call.get("function") if isinstance(call, dict) else None
            if isinstance(fn, dict) and isinstance(fn.get("arguments"), str):
                with contextlib.suppress(orjson.JSONDecodeError):
                    fn["arguments"] = orjson.loads(fn["arguments"])
    return result


def export_chat(ex: ChatExample) -> dict[str, Any]:
    """Conversational language-modeling row; tool-call arguments become objects."""
    messages = _trl_messages(ex.messages)
    apply_weight_last(messages, ex.weight_last)
    record: dict[str, Any] = {"messages": messages}
    if ex.tools:
        record["tools"] = copy.deepcopy(ex.tools)
    return record


def export_preference(ex: PreferenceExample) -> dict[str, Any]:
    """Conversational preference row with an explicit prompt."""
    return {
        "prompt": _trl_messages(ex.prompt_messages),
        "chosen": [{"role": "assistant", "content": ex.chosen}],
        "rejected": [{"role": "assistant", "content": ex.rejected}],
    }


# This SPEC, the export function's tail above and the import list pair with the other
# targets' (alpaca, sharegpt, trl, openai_*, vertex_gemini, bedrock_*, mistral) in the
# duplicates report: per-target values, not logic; see the note at common.FormatSpec.
SPEC = FormatSpec(
    name="trl",
    title="Hugging Face TRL (messages, prompt/completion, preference)",
    make_checker=TRLChecker,
    export_chat=export_chat,
    export_preference=export_preference,
)
