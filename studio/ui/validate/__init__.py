"""The Validate view: check a JSONL file (or a dataset's export) for a fine-tuning target."""

from __future__ import annotations

from studio.ui.validate.view import ValidateView

__all__ = ["ValidateView"]
