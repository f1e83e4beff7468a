"""The Validate view: check a JSONL file (or a dataset's export) for a fine-tuning target."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from studio.ui.validate.view import ValidateView

__all__ = ["ValidateView"]


def __getattr__(name: str) -> Any:
    # The view (and with it the whole package) loads when it is asked for, not whenever
    # one submodule is imported: the app imports the submodules one at a time while it
    # is idle (studio/ui/warm_imports.py), and this import made each of them the lot.
    if name == "ValidateView":
        from studio.ui.validate.view import ValidateView

        return ValidateView
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
