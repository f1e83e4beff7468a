"""Markdown reports escape HTML: names come from users and files (ISSUE-10 §7)."""

from __future__ import annotations

import copy

from decide_fixtures import PLATFORMS_RAW, TODAY, good_evidence, make_prices, narrow_answers

from studio.core.decide import decide
from studio.core.decide.platforms import parse_platforms
from studio.core.decide.report import render_markdown

EVIL = '<img src=x onerror="alert(1)">'


def test_markdown_escapes_html_everywhere() -> None:
    raw = copy.deepcopy(PLATFORMS_RAW)
    raw["platforms"]["openai"]["name"] = f"Open{EVIL}AI"
    catalog = parse_platforms(raw, source="test-platforms.json")
    evidence = good_evidence(
        best_prompt=f"triage {EVIL}",
        best_model="big",
        provenance={"best_score": "run #12 <script>x()</script>"},
    )
    d = decide(narrow_answers(calls_per_day=30_000.0), evidence, make_prices(), catalog, TODAY)
    md = render_markdown(d)
    assert d.platform == "openai" and EVIL in d.headline
    assert "<img" not in md and "<script>" not in md
    assert '&lt;img src=x onerror="alert(1)"&gt;' in md
    assert "&lt;script&gt;x()&lt;/script&gt;" in md
    # the headline, a reason, the evidence table and the platform list all went through it
    assert md.count("&lt;img") >= 4
