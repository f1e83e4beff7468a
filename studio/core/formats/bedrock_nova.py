"""Amazon Nova supervised fine-tuning, ``bedrock-conversation-2024`` (docs/formats.md §9.2)."""

from __future__ import annotations

from typing import Any

from studio.core.formats.bedrock_claude import (
    bedrock_messages,
    check_alternating,
    check_bedrock_message,
    plain_turns,
)
from studio.core.formats.common import (
    BaseChecker,
    ChatExample,
    FormatSpec,
    LineSink,
    RecordResult,
)
from studio.core.formats.openai_chat import check_top_level

BLOCK_KINDS = ("text", "image", "video", "reasoningContent", "toolUse", "toolResult", "document")
IMAGE_FORMATS = ("png", "jpeg", "gif")
VIDEO_FORMATS = ("mov", "mkv", "mp4")


class BedrockNovaChecker(BaseChecker):
    """Checks Converse-shaped records; the file must not mix images and videos."""

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.image_lines = 0
        self.video_lines = 0

    def _media(self, block: dict[str, Any], kind: str, where: str, out: LineSink) -> None:
        value = block[kind]
        allowed = IMAGE_FORMATS if kind == "image" else VIDEO_FORMATS
        if not isinstance(value, dict):
            out.error("invalid_content_part", f"{where}: {kind} must be an object.")
            return
        if value.get("format") not in allowed:
            out.error(
                "unsupported_image_format",
                f"{where}: {kind} format must be one of {', '.join(allowed)}, not "
                f"{value.get('format')!r}.",
            )
        source = value.get("source")
        loc = source.get("s3Location") if isinstance(source, dict) else None
        uri = loc.get("uri") if isinstance(loc, dict) else None
        if not isinstance(uri, str) or not uri.startswith("s3://"):
            out.error(
                "invalid_content_part",
                f"{where}: {kind}.source.s3Location.uri must be an s3:// URI.",
            )

    def check(self, obj: dict[str, Any], out: LineSink) -> RecordResult:
        check_top_level(
            obj, out, frozenset({"schemaVersion", "system", "messages"}), "Bedrock Nova"
        )
        count = self.ctx.count
        tokens = 0
        version = obj.get("schemaVersion")
        if version is None:
            out.warning(
                "missing_schema_version",
                'schemaVersion is missing; the documented value is "bedrock-conversation-2024".',
            )
        elif not isinstance(version, str):
            out.error("wrong_type", "schemaVersion must be a string.")
        system = obj.get("system")
        if system is not None:
            if not isinstance(system, list) or not all(
                isinstance(b, dict) and isinstance(b.get("text"), str) for b in system
            ):
                out.error("wrong_type", 'system must be an array of {"text": ...} blocks.')
            else:
                tokens += sum(count(b["text"]) for b in system)
        messages = bedrock_messages(obj, out)
        if messages is None:
            return RecordResult()
        roles: list[str] = []
        outputs: list[str] = []
        images = videos = 0
        # The loop head matches Bedrock Claude's (duplicates report); the message shape is shared
        # (check_bedrock_message), the content rules differ: text blocks and media here, a string
        # there.
        for i, msg in enumerate(messages, 1):
            where = f"message {i}"
            if not check_bedrock_message(msg, where, out, roles, system_hint=False):
                continue
            role = msg.get("role")
            content = msg.get("content")
            if not isinstance(content, list) or not content:
                out.error(
                    "wrong_type",
                    f"{where}: content must be a non-empty array of "
                    'blocks such as {"text": ...}.',
                )
                continue
            texts: list[str] = []
            for j, block in enumerate(content, 1):
                bwhere = f"{where}, block {j}"
                kinds = [k for k in BLOCK_KINDS if k in block] if isinstance(block, dict) else []
                if len(kinds) != 1:
                    out.error(
                        "invalid_content_part",
                        f"{bwhere} must hold exactly one of text, image, video, ...",
                    )
                    continue
                kind = kinds[0]
                if kind == "text":
                    if not isinstance(block["text"], str):
                        out.error("wrong_type", f"{bwhere}: text must be a string.")
                    else:
                        texts.append(block["text"])
                elif kind in ("image", "video"):
                    if role == "assistant":
                        out.error(
                            "invalid_content_part", f"{bwhere}: assistant content must be text."
                        )
                    self._media(block, kind, bwhere, out)
                    if kind == "image":
                        images += 1
                    else:
                        videos += 1
                elif kind in ("toolUse", "toolResult"):
                    out.warning(
                        "unsupported_content_part",
                        f"{bwhere}: tool blocks might make a Nova SFT job fail.",
                    )
            tokens += sum(count(t) for t in texts) + 3
            if role == "assistant":
                outputs.append("".join(texts))
        if videos > 1:
            out.error("too_many_videos", "A sample may hold only one video.")
        if images:
            self.image_lines += 1
        if videos:
            self.video_lines += 1
        check_alternating(roles, out, "Bedrock Nova")
        return RecordResult(tokens=tokens, outputs=outputs)

    def finish(self, out: LineSink) -> None:
        if self.image_lines and self.video_lines:
            out.error(
                "mixed_media",
                f"The dataset mixes images ({self.image_lines} samples) and videos "
                f"({self.video_lines} samples); Nova does not allow both in one dataset.",
            )


def export_chat(ex: ChatExample) -> dict[str, Any]:
    """``bedrock-conversation-2024`` record with text blocks."""
    system, turns = plain_turns(ex, "Bedrock Nova")
    record: dict[str, Any] = {"schemaVersion": "bedrock-conversation-2024"}
    if system:
        record["system"] = [{"text": "\n\n".join(system)}]
    record["messages"] = [{"role": t["role"], "content": [{"text": t["content"]}]} for t in turns]
    return record


# This SPEC, the export function's tail above and the import list pair with the other
# targets' (alpaca, sharegpt, trl, openai_*, vertex_gemini, bedrock_*, mistral) in the
# duplicates report: per-target values, not logic; see the note at common.FormatSpec.
SPEC = FormatSpec(
    name="bedrock-nova",
    title="Amazon Bedrock: Nova supervised fine-tuning",
    make_checker=BedrockNovaChecker,
    export_chat=export_chat,
    recommended_examples=100,
    default_model="amazon.nova-lite-v1:0",
)
