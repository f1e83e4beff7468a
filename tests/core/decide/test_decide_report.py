"""The Markdown and self-contained HTML reports: well-formed, with the numbers."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from decide_fixtures import TODAY, good_evidence, make_catalog, make_prices, narrow_answers

from studio.core.decide import Decision, decide, render_html, render_markdown
from studio.core.decide.evidence import Evidence

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}


class TagChecker(HTMLParser):
    """Checks that every non-void element is closed in order; collects tags and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> TagChecker:
    checker = TagChecker()
    checker.feed(html)
    checker.close()
    assert not checker.errors, checker.errors[:5]
    assert not checker.stack, f"unclosed: {checker.stack}"
    return checker


def fine_tune_decision() -> Decision:
    return decide(narrow_answers(), good_evidence(), make_prices(), make_catalog(), TODAY)


def test_html_is_well_formed_self_contained_and_has_the_numbers() -> None:
    d = fine_tune_decision()
    html = render_html(d)
    checker = parse(html)
    text = " ".join(checker.text)
    # Three inline charts: scores, cost over volume, label balance.
    assert checker.tags.count("svg") == 3
    assert "script" not in checker.tags and "link" not in checker.tags
    assert "img" not in checker.tags
    # No external assets: no src attributes and no href to anything.
    assert not [a for a in checker.attrs if a[0] in ("src", "href")]
    # The numbers and where they came from.
    for needle in (
        "$1,080.00",
        "$432.00",
        "$7.50",
        "9.6 calls/day",
        "0.93",
        "n = 300",
        "price table as of 2026-08-01",
        "run #12 on the test split",
        "target 0.90",
        "break-even",
        "Fine-tune a small model",
    ):
        assert needle in text, needle
    # Every reason appears with its source label.
    for r in d.reasons:
        assert r.text in text
    assert "your answer" in text and "measured in the project" in text
    assert "platform facts" in text


def test_html_escapes_user_text() -> None:
    ev = good_evidence(best_prompt="<b>v7</b> & co", label_counts={"<x>": 3, "y": 1})
    html = render_html(decide(narrow_answers(), ev, make_prices(), make_catalog(), TODAY))
    parse(html)
    assert "<b>v7</b>" not in html and "&lt;b&gt;v7&lt;/b&gt; &amp; co" in html


def test_html_with_nothing_known_still_renders() -> None:
    d = decide(narrow_answers(calls_per_day=None), Evidence(), make_prices(), make_catalog(), TODAY)
    checker = parse(render_html(d))
    text = " ".join(checker.text)
    assert "No scores on the test split yet." in text
    assert "Not computed" in text
    assert checker.tags.count("svg") == 0


def test_score_chart_marks_the_target_and_the_interval() -> None:
    html = render_html(fine_tune_decision())
    svg = re.search(r"<svg[^>]*Scores.*?</svg>", html, re.S)
    assert svg is not None
    # The dashed target line sits at x = 190 + 420 × 0.9 = 568.0.
    assert 'x1="568.0"' in svg.group(0) and "stroke-dasharray" in svg.group(0)
    assert "0.93 [0.90–0.95]" in svg.group(0)


def test_markdown_has_the_sections_and_numbers() -> None:
    md = render_markdown(fine_tune_decision())
    for needle in (
        "# Fine-tune decision report",
        "## Why",
        "## What would change it",
        "## Cost per month (USD)",
        "## Evidence",
        "## Warnings",
        "`fine_tune_small_model`",
        "$1,080.00",
        "price table: `big`",
        "| Break-even volume | 9.6 calls/day |",
    ):
        assert needle in md, needle
