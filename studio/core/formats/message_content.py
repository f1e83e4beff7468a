"""The content of one message: its text, and the rules for content parts and images
(docs/formats.md §2.2, §2.5)."""

from __future__ import annotations

import re
from typing import Any

from studio.core.errors import UserError
from studio.core.formats.common import LineSink, type_name
from studio.core.formats.message_profiles import MessageProfile, MessagesInfo

DATA_IMAGE_RE = re.compile(r"^data:image/(jpeg|jpg|png|webp);base64,", re.IGNORECASE)
MAX_IMAGES_PER_EXAMPLE = 10
MAX_IMAGE_BYTES = 10 * 1024 * 1024


def content_text(content: Any) -> str | None:
    """The text of a string or of a list of text parts, else None."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [p.get("text") for p in content if isinstance(p, dict)]
        strs = [t for t in texts if isinstance(t, str)]
        return "".join(strs) if strs else None
    return None


def text_only(content: Any, target: str) -> str:
    """The text of a message's content for a text-only target (``""`` when it has none).

    Raises:
        UserError: the content has a non-text part (an image).
    """
    if isinstance(content, list) and any(
        isinstance(p, dict) and p.get("type") != "text" for p in content
    ):
        raise UserError(f"{target} export supports text only; this example has an image.")
    return content_text(content) or ""


def split_text_turns(
    messages: list[dict[str, Any]], target: str
) -> tuple[list[str], list[tuple[str, str]]]:
    """System texts and (role, text) user/assistant turns of text-only messages.

    Tool calls are the caller's concern (targets word that error differently); this
    handles what every text-only exporter shares.

    Raises:
        UserError: an image part, or a role other than system, user or assistant.
    """
    system: list[str] = []
    turns: list[tuple[str, str]] = []
    for m in messages:
        text = text_only(m.get("content"), target)
        role = m.get("role")
        if role == "system":
            system.append(text)
        elif role in ("user", "assistant"):
            turns.append((role, text))
        else:
            raise UserError(f"Role {role!r} cannot be exported to {target}.")
    return system, turns


def check_parts(
    content: list[Any],
    role: str,
    where: str,
    profile: MessageProfile,
    out: LineSink,
    info: MessagesInfo,
) -> None:
    if not content:
        out.error("wrong_type", f"{where}: content is an empty array; give text or parts.")
        info.ok = False
        return
    refusals = 0
    for j, part in enumerate(content, 1):
        pwhere = f"{where}, part {j}"
        if not isinstance(part, dict):
            out.error(
                "invalid_content_part",
                f"{pwhere} is a {type_name(part)}, not an object with a type.",
            )
            info.ok = False
            continue
        ptype = part.get("type")
        if ptype == "text":
            if not isinstance(part.get("text"), str):
                out.error("invalid_content_part", f"{pwhere}: a text part needs a string text.")
                info.ok = False
        elif ptype == "image_url":
            _check_image_part(part, role, pwhere, profile, out, info)
        elif ptype == "refusal":
            refusals += 1
            if role != "assistant":
                out.error(
                    "invalid_content_part",
                    f"{pwhere}: refusal parts are only allowed in assistant messages.",
                )
                info.ok = False
            elif not isinstance(part.get("refusal"), str):
                out.error("invalid_content_part", f"{pwhere}: a refusal part needs a string.")
                info.ok = False
        elif ptype in ("input_audio", "file"):
            out.error(
                "unsupported_content_part",
                f"{pwhere}: {ptype} parts are not supported for fine-tuning "
                f"({profile.target} accepts text and images only).",
            )
            info.ok = False
        else:
            out.error(
                "invalid_content_part",
                f"{pwhere}: unknown part type {ptype!r} (expected text or image_url).",
            )
            info.ok = False
    if refusals and (refusals != 1 or len(content) != 1):
        out.error(
            "invalid_content_part",
            f"{where}: an assistant refusal must be the only part of its content.",
        )
        info.ok = False


# The error branches here and in check_parts have the same shape (duplicates report):
# each reports a different rule (part types there, image URLs here).
def _check_image_part(
    part: dict[str, Any],
    role: str,
    where: str,
    profile: MessageProfile,
    out: LineSink,
    info: MessagesInfo,
) -> None:
    info.images += 1
    if profile.images == "none":
        out.error(
            "unsupported_content_part",
            f"{where}: {profile.target} supports text only; remove the image.",
        )
        info.ok = False
        return
    if role != "user":
        out.error(
            "invalid_content_part",
            f"{where}: images are only allowed in user messages, not {role}.",
        )
        info.ok = False
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, dict) else None
    if not isinstance(url, str) or not url:
        out.error("invalid_content_part", f"{where}: image_url needs an object with a url.")
        info.ok = False
        return
    detail = image.get("detail") if isinstance(image, dict) else None
    if detail is not None and detail not in ("auto", "low", "high"):
        out.error(
            "invalid_content_part",
            f"{where}: image detail must be auto, low or high, not {detail!r}.",
        )
        info.ok = False
    if url.startswith("data:"):
        if not DATA_IMAGE_RE.match(url):
            out.error(
                "unsupported_image_format",
                f"{where}: images must be base64 JPEG, PNG or WEBP data URLs.",
            )
            info.ok = False
        elif (len(url) - url.index(",") - 1) * 3 // 4 > MAX_IMAGE_BYTES:
            out.error("image_too_large", f"{where}: the image is larger than 10 MB.")
            info.ok = False
    elif url.startswith(("http://", "https://")):
        if profile.images == "data":
            out.error(
                "unsupported_image_format",
                f"{where}: {profile.target} accepts only base64 data URLs, not http URLs.",
            )
            info.ok = False
    else:
        out.error(
            "unsupported_image_format",
            f"{where}: the image url must be http(s) or a data:image/...;base64, URL.",
        )
        info.ok = False
