"""The Decide view: the guided form, the recommendation with its reasons, charts, export."""

from __future__ import annotations

from studio.ui.decide.view import DecideView

__all__ = ["DecideView"]
