"""Vertex AI Gemini supervised tuning (docs/formats.md §8)."""

from __future__ import annotations

from typing import Any

import orjson

from studio.core.errors import UserError
from studio.core.formats.common import (
    BaseChecker,
    ChatExample,
    FormatSpec,
    LineSink,
    RecordResult,
    type_name,
)
from studio.core.formats.message_content import content_text
from studio.core.formats.openai_chat import check_top_level

TOP_LEVEL_KEYS = frozenset({"contents", "systemInstruction", "tools", "toolConfig"})
PART_KINDS = ("text", "fileData", "inlineData", "functionCall", "functionResponse")
MAX_IMAGES = 30


def _check_parts(
    parts: Any, where: str, out: LineSink, texts: list[str], counter: list[int]
) -> None:
    if not isinstance(parts, list) or not parts:
        out.error("wrong_type", f"{where}: parts must be a non-empty array of Part objects.")
        return
    for j, part in enumerate(parts, 1):
        pwhere = f"{where}, part {j}"
        if not isinstance(part, dict):
            out.error("invalid_content_part", f"{pwhere} is a {type_name(part)}, not a Part.")
            continue
        kinds = [k for k in PART_KINDS if k in part]
        if len(kinds) != 1:
            out.error(
                "invalid_content_part",
                f"{pwhere} must hold exactly one of {', '.join(PART_KINDS)}"
                + (f" (it has {', '.join(kinds)})." if kinds else "."),
            )
            continue
        kind = kinds[0]
        value = part[kind]
        if kind == "text":
            if not isinstance(value, str):
                out.error("wrong_type", f"{pwhere}: text must be a string.")
            else:
                texts.append(value)
        elif kind == "fileData":
            if (
                not isinstance(value, dict)
                or not isinstance(value.get("mimeType"), str)
                or not isinstance(value.get("fileUri"), str)
            ):
                out.error(
                    "invalid_content_part",
                    f"{pwhere}: fileData needs mimeType and fileUri strings.",
                )
                continue
            if not value["fileUri"].startswith("gs://"):
                out.warning(
                    "unsupported_image_format",
                    f"{pwhere}: fileUri should be a gs:// Cloud Storage URI.",
                )
            if value["mimeType"].startswith("image/"):
                counter[0] += 1
        elif kind == "functionCall":
            if not isinstance(value, dict) or not isinstance(value.get("name"), str):
                out.error("tool_call_malformed", f"{pwhere}: functionCall needs a name.")
            elif "args" in value and not isinstance(value["args"], dict):
                out.error("tool_call_malformed", f"{pwhere}: functionCall.args must be an object.")
        elif not isinstance(value, dict):
            out.error("invalid_content_part", f"{pwhere}: {kind} must be an object.")


class VertexGeminiChecker(BaseChecker):
    """Checks ``{"systemInstruction": {...}, "contents": [...], "tools": [...]}``."""

    def check(self, obj: dict[str, Any], out: LineSink) -> RecordResult:
        if "messages" in obj and "contents" not in obj:
            out.error(
                "legacy_format",
                "This is the legacy gemini-1.0 'messages' shape; current Gemini models "
                "need 'contents' with user/model turns and parts.",
            )
            return RecordResult()
        check_top_level(obj, out, TOP_LEVEL_KEYS, "Vertex AI Gemini tuning")
        texts: list[str] = []
        outputs: list[str] = []
        images = [0]
        sys_inst = obj.get("systemInstruction")
        if sys_inst is not None:
            if not isinstance(sys_inst, dict):
                out.error("wrong_type", "systemInstruction must be a Content object.")
            else:
                _check_parts(sys_inst.get("parts"), "systemInstruction", out, texts, images)
        contents = obj.get("contents")
        if contents is None:
            out.error("missing_messages", "Missing required 'contents' field.")
            return RecordResult()
        if not isinstance(contents, list) or not contents:
            out.error(
                "wrong_type" if contents else "missing_messages",
                "'contents' must be a non-empty array of Content objects.",
            )
            return RecordResult()
        roles: list[str] = []
        for i, content in enumerate(contents, 1):
            where = f"content {i}"
            if not isinstance(content, dict):
                out.error("wrong_type", f"{where} is a {type_name(content)}, not an object.")
                roles.append("")
                continue
            role = content.get("role")
            if role is None:
                out.warning(
                    "message_missing_key",
                    f"{where} has no role; give user or model in multi-turn data.",
                )
                role = ""
            elif role not in ("user", "model"):
                hint = " (Gemini calls the assistant 'model')" if role == "assistant" else ""
                hint = " (use systemInstruction)" if role == "system" else hint
                out.error(
                    "unknown_role", f"{where}: role must be user or model, not {role!r}{hint}."
                )
            roles.append(role if isinstance(role, str) else "")
            before = len(texts)
            _check_parts(content.get("parts"), where, out, texts, images)
            if role == "model":
                outputs.append("".join(texts[before:]))
            for k in content:
                if k not in ("role", "parts"):
                    out.error("unrecognized_key", f"{where}: key {k!r} is not part of Content.")
        if "model" not in roles:
            out.error(
                "missing_assistant_message",
                "The example has no model turn, so there is nothing to train on.",
            )
        elif roles[-1] != "model":
            out.error(
                "last_message_not_assistant",
                "The example must end with a model turn carrying the target output.",
            )
        if images[0] > MAX_IMAGES:
            out.error(
                "too_many_images",
                f"The example has {images[0]} images; Gemini tuning allows at most {MAX_IMAGES}.",
            )
        tools = obj.get("tools")
        if tools is not None and not isinstance(tools, list):
            out.error("invalid_tools", "'tools' must be an array of Tool objects.")
        count = self.ctx.count
        tokens = sum(count(t) for t in texts)
        return RecordResult(tokens=tokens, outputs=outputs)


def _args_dict(arguments: Any) -> dict[str, Any]:
    if isinstance(arguments, dict):
        return arguments
    try:
        value = orjson.loads(arguments) if isinstance(arguments, str) else None
    except orjson.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise UserError(
            "A tool call's arguments are not a JSON object; Gemini functionCall "
            "args must be an object."
        )
    return value


def export_chat(ex: ChatExample) -> dict[str, Any]:
    """Gemini ``contents`` with user/model turns; tool calls become functionCall parts."""
    record: dict[str, Any] = {}
    system: list[str] = []
    contents: list[dict[str, Any]] = []
    call_names: dict[str, str] = {}
    for m in ex.messages:
        role = m.get("role")
        text = content_text(m.get("content"))
        if isinstance(m.get("content"), list) and any(
            isinstance(p, dict) and p.get("type") != "text" for p in m["content"]
        ):
            raise UserError(
                "Images given as URLs cannot be exported to Vertex AI Gemini: it "
                "needs gs:// fileData URIs."
            )
        if role == "system":
            system.append(text or "")
            continue
        if role == "user":
            contents.append({"role": "user", "parts": [{"text": text or ""}]})
        elif role == "assistant":
            parts: list[dict[str, Any]] = []
            if text:
                parts.append({"text": text})
            for call in m.get("tool_calls") or []:
                fn = call.get("function", {})
                call_names[call.get("id", "")] = fn.get("name", "")
                parts.append(
                    {
                        "functionCall": {
                            "name": fn.get("name"),
                            "args": _args_dict(fn.get("arguments")),
                        }
                    }
                )
            if not parts:
                parts.append({"text": ""})
            contents.append({"role": "model", "parts": parts})
        elif role == "tool":
            name = call_names.get(m.get("tool_call_id", ""), "tool")
            contents.append(
                {
                    "role": "user",
                    "parts": [
                        {"functionResponse": {"name": name, "response": {"content": text or ""}}}
                    ],
                }
            )
        else:
            raise UserError(f"Role {role!r} cannot be exported to Vertex AI Gemini.")
    if system:
        record["systemInstruction"] = {"role": "system", "parts": [{"text": "\n\n".join(system)}]}
    record["contents"] = contents
    if ex.tools:
        decls = [t["function"] for t in ex.tools if isinstance(t, dict) and "function" in t]
        record["tools"] = [{"functionDeclarations": decls}]
    return record


# This SPEC, the export function's tail above and the import list pair with the other
# targets' (alpaca, sharegpt, trl, openai_*, vertex_gemini, bedrock_*, mistral) in the
# duplicates report: per-target values, not logic; see the note at common.FormatSpec.
SPEC = FormatSpec(
    name="vertex-gemini",
    title="Vertex AI Gemini supervised tuning",
    make_checker=VertexGeminiChecker,
    export_chat=export_chat,
    recommended_examples=100,
    default_model="gemini-2.5-flash",
    max_example_tokens=131072,
    notes="Token counts are o200k estimates; Gemini's tokenizer is not available offline.",
)
