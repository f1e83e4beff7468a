"""All target formats by CLI name."""

from __future__ import annotations

from studio.core.formats import (
    alpaca,
    bedrock_claude,
    bedrock_nova,
    mistral,
    openai_chat,
    openai_dpo,
    openai_rft,
    sharegpt,
    together,
    trl,
    vertex_gemini,
)
from studio.core.formats.common import FormatSpec

FORMATS: dict[str, FormatSpec] = {
    spec.name: spec
    for spec in (
        openai_chat.SPEC,
        openai_dpo.SPEC,
        openai_rft.SPEC,
        vertex_gemini.SPEC,
        bedrock_claude.SPEC,
        bedrock_nova.SPEC,
        together.SPEC,
        trl.SPEC,
        alpaca.SPEC,
        sharegpt.SPEC,
        mistral.SPEC,
    )
}
"""CLI name -> format (openai-chat, openai-dpo, ..., mistral)."""

PRIORITY: tuple[str, ...] = tuple(FORMATS)
