"""The Decide view: the guided form, the recommendation with its reasons, charts, export."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from studio.ui.decide.view import DecideView

__all__ = ["DecideView"]


def __getattr__(name: str) -> Any:
    # The view (and with it the whole package) loads when it is asked for, not whenever
    # one submodule is imported: the app imports the submodules one at a time while it
    # is idle (studio/ui/warm_imports.py), and this import made each of them the lot.
    if name == "DecideView":
        from studio.ui.decide.view import DecideView

        return DecideView
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
