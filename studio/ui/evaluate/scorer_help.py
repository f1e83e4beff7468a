"""Scorer descriptions for the A/B setup: each scorer's sentence with an answer that
passes and one that fails (from :data:`studio.core.evals.run_scoring.SCORER_HELP`, the
same text as ``studio ab --help``)."""

from __future__ import annotations

import html

from studio.core.evals.run_scoring import SCORER_HELP


def scorer_tooltip(name: str) -> str:
    """Rich-text tooltip for scorer ``name`` (empty for an unknown name)."""
    h = SCORER_HELP.get(name)
    if h is None:
        return ""

    def code(text: str) -> str:
        return f"<code>{html.escape(repr(text))}</code>"

    lines = [f"<b>{html.escape(h.name)}</b>: {html.escape(h.summary)}"]
    if h.ideal:
        lines.append(f"Ideal: {code(h.ideal)}")
    lines.append(f"✓ passes: {code(h.passing)}")
    lines.append(f"✗ fails: {code(h.failing)}")
    return "<p>" + "<br>".join(lines) + "</p>"
