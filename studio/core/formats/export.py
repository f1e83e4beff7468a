"""Export neutral examples to a target format by CLI name."""

from __future__ import annotations

from typing import Any

from studio.core.errors import UserError
from studio.core.formats.common import ChatExample, PreferenceExample
from studio.core.formats.registry import FORMATS


def export_chat(fmt: str, ex: ChatExample) -> dict[str, Any]:
    """One record of ``fmt`` for a chat example; UserError if the target cannot hold it."""
    spec = FORMATS.get(fmt)
    if spec is None:
        raise UserError(f"Unknown format {fmt!r}; use one of: {', '.join(FORMATS)}.")
    if spec.export_chat is None:
        raise UserError(
            f"{spec.title} has no chat (supervised) format; export preference pairs instead."
        )
    return spec.export_chat(ex)


def export_preference(fmt: str, ex: PreferenceExample) -> dict[str, Any]:
    """One preference record of ``fmt``; UserError if the target has no preference format."""
    spec = FORMATS.get(fmt)
    if spec is None:
        raise UserError(f"Unknown format {fmt!r}; use one of: {', '.join(FORMATS)}.")
    if spec.export_preference is None:
        raise UserError(f"{spec.title} has no preference (DPO) format.")
    return spec.export_preference(ex)
