"""Alpaca instruction format (Axolotl, LLaMA-Factory; docs/formats.md §12)."""

from __future__ import annotations

from typing import Any

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
from studio.core.formats.message_content import split_text_turns

KEYS = frozenset(
    {
        "instruction",
        "input",
        "output",
        "system",
        "history",
        "response",
        "chosen",
        "rejected",
        "kto_tag",
        "images",
    }
)


class AlpacaChecker(BaseChecker):
    """Checks ``{"instruction", "input"?, "output", "system"?, "history"?}``."""

    def check(self, obj: dict[str, Any], out: LineSink) -> RecordResult:
        count = self.ctx.count
        texts: list[str] = []
        outputs: list[str] = []
        inst = obj.get("instruction")
        if not isinstance(inst, str) or not inst.strip():
            out.error(
                "missing_content" if inst is None or isinstance(inst, str) else "wrong_type",
                "instruction must be a non-empty string.",
            )
        else:
            texts.append(inst)
        for key in ("input", "system"):
            value = obj.get(key)
            if value is not None and not isinstance(value, str):
                out.error("wrong_type", f"{key} must be a string, not {type_name(value)}.")
            elif isinstance(value, str):
                texts.append(value)
        preference = "chosen" in obj or "rejected" in obj
        if preference:
            for key in ("chosen", "rejected"):
                value = obj.get(key)
                if not isinstance(value, str):
                    out.error(
                        "wrong_type" if value is not None else "missing_content",
                        f"{key} must be a string in an Alpaca preference row.",
                    )
                elif not value.strip():
                    out.error("missing_content", f"{key} is empty: nothing to prefer.")
                    texts.append(value)
                else:
                    texts.append(value)
            if obj.get("chosen") == obj.get("rejected"):
                out.warning("dpo_identical_outputs", "chosen and rejected are identical.")
            if isinstance(obj.get("chosen"), str):
                outputs.append(obj["chosen"])
        else:
            key = "output" if "output" in obj or "response" not in obj else "response"
            if key == "response":
                out.warning(
                    "field_alias",
                    "'response' is the gpteacher/alpaca_chat name of "
                    "Alpaca's 'output': rename 'response' to 'output' "
                    "(LLaMA-Factory's alpaca loader reads 'output').",
                )
            output = obj.get(key)
            if not isinstance(output, str):
                out.error(
                    "missing_content" if output is None else "wrong_type",
                    "output must be a string: the answer to train on.",
                )
            elif not output.strip():
                out.error("missing_content", "output is empty: nothing to train on.")
            else:
                outputs.append(output)
                texts.append(output)
        history = obj.get("history")
        if history is not None:
            if not isinstance(history, list) or not all(
                isinstance(p, list) and len(p) == 2 and all(isinstance(s, str) for s in p)
                for p in history
            ):
                out.error(
                    "wrong_type", "history must be an array of [prompt, response] string pairs."
                )
            else:
                texts.extend(s for pair in history for s in pair)
        if "kto_tag" in obj and type(obj["kto_tag"]) is not bool:
            out.error("wrong_type", "kto_tag must be true or false.")
        for k in obj:
            if k not in KEYS:
                out.warning("unrecognized_key", f"Key {k!r} is not an Alpaca field.")
        return RecordResult(tokens=sum(count(t) for t in texts), outputs=outputs)


def _split(
    messages: list[dict[str, Any]], tools: Any, target: str
) -> tuple[str, list[tuple[str, str]]]:
    """Joined system text and (role, text) turns; no tools, no images."""
    if tools or any(m.get("tool_calls") or m.get("role") in ("tool", "function") for m in messages):
        raise UserError(f"{target} cannot express tools or tool calls; this example has them.")
    system, turns = split_text_turns(messages, target)
    return "\n\n".join(system), turns


def _pairs(
    turns: list[tuple[str, str]], target: str, need_final_answer: bool
) -> tuple[list[list[str]], str, str | None]:
    roles = [r for r, _ in turns]
    expected = ["user", "assistant"] * (len(roles) // 2 + 1)
    if (
        roles != expected[: len(roles)]
        or (need_final_answer and roles[-1:] != ["assistant"])
        or (not need_final_answer and roles[-1:] != ["user"])
    ):
        raise UserError(
            f"{target} needs alternating user/assistant turns "
            + (
                "ending with the assistant answer."
                if need_final_answer
                else "ending with the user prompt."
            )
        )
    history = [[turns[i][1], turns[i + 1][1]] for i in range(0, len(turns) - 2, 2)]
    if need_final_answer:
        return history, turns[-2][1], turns[-1][1]
    return history, turns[-1][1], None


def export_chat(ex: ChatExample) -> dict[str, Any]:
    """Last user turn -> instruction, last answer -> output, earlier pairs -> history."""
    system, turns = _split(ex.messages, ex.tools, "Alpaca")
    history, instruction, output = _pairs(turns, "Alpaca", True)
    record: dict[str, Any] = {"instruction": instruction, "input": "", "output": output}
    if system:
        record["system"] = system
    if history:
        record["history"] = history
    return record


def export_preference(ex: PreferenceExample) -> dict[str, Any]:
    """LLaMA-Factory Alpaca preference row (instruction, input, chosen, rejected)."""
    system, turns = _split(ex.prompt_messages, None, "Alpaca")
    history, instruction, _ = _pairs(turns, "Alpaca", False)
    record: dict[str, Any] = {
        "instruction": instruction,
        "input": "",
        "chosen": ex.chosen,
        "rejected": ex.rejected,
    }
    if system:
        record["system"] = system
    if history:
        record["history"] = history
    return record


# This SPEC, the export function's tail above and the import list pair with the other
# targets' (alpaca, sharegpt, trl, openai_*, vertex_gemini, bedrock_*, mistral) in the
# duplicates report: per-target values, not logic; see the note at common.FormatSpec.
SPEC = FormatSpec(
    name="alpaca",
    title="Alpaca (instruction/input/output)",
    make_checker=AlpacaChecker,
    export_chat=export_chat,
    export_preference=export_preference,
)
