"""What scorers mean, in the app.

Each scorer's sentence with an answer that passes and one that fails, for the A/B setup's
tooltips (from :data:`studio.core.evals.run_scoring.SCORER_HELP`, the same text as
``studio ab --help``); and the scorer-specific figures of a run (per-field agreement,
exact/lenient label matches) as the summary and cases views show them.
"""

from __future__ import annotations

import html

from studio.core.evals.run_scoring import SCORER_HELP
from studio.core.evals.summary import RunSummary


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


def agreement_lines(summary: RunSummary) -> list[str]:
    """One line per variant with per-field agreement (json-equal) or exact/lenient label
    matches (label scorers); empty for other scorers."""
    lines = []
    for i, v in enumerate(summary.variants):
        who = f"{chr(ord('A') + i) if i < 26 else i + 1}: {v.prompt}"
        if v.field_agreement:
            lines.append(f"Field agreement, {who}: {v.field_agreement_text()}")
        if v.label_matches is not None:
            how = (
                "only leniently (failed here)"
                if summary.scorer == "label-strict"
                else "only by lenient extraction"
            )
            lines.append(
                f"Label matches, {who}: {v.label_matches.get('exact', 0)} exact, "
                f"{v.label_matches.get('lenient', 0)} {how}"
            )
    return lines
