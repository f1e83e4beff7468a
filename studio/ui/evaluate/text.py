"""Number formatting and word-level diff highlighting for the Evaluate view (no widgets)."""

from __future__ import annotations

import difflib
import html
import re

_TOKEN_RE = re.compile(r"\s+|\w+|[^\w\s]")


def pct(value: float | None, digits: int = 1) -> str:
    """``0.8125`` -> ``"81.3%"``; None -> ``"–"``."""
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def ci_text(ci: tuple[float, float] | None) -> str:
    """A 95% interval of rates as ``"72.1–88.0%"``."""
    return "–" if ci is None else f"{ci[0] * 100:.1f}–{ci[1] * 100:.1f}%"


def ms(value: float | None) -> str:
    """Milliseconds, or "unknown"."""
    return "unknown" if value is None else f"{value:,.0f} ms"


def tokens(value: int | None) -> str:
    """A token count with thousands separators, or "unknown" (never 0 for missing usage)."""
    return "unknown" if value is None else f"{value:,}"


def usd(value: float | None, digits: int = 4) -> str:
    """Dollars, or "unknown"."""
    if value is None:
        return "unknown"
    if value == 0:
        return "$0"
    return f"${value:,.{digits}f}"


def duration(seconds: float | None) -> str:
    """``75`` -> ``"1 min 15 s"``; None -> ``"–"``."""
    if seconds is None:
        return "–"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def _tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(text)


def diff_html(left: str, right: str) -> tuple[str, str]:
    """Two HTML fragments with the words that differ highlighted (removed / added).

    Word-level, so a changed label or number stands out inside a long answer.
    """
    a, b = _tokens(left), _tokens(right)
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    out_a: list[str] = []
    out_b: list[str] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        chunk_a = html.escape("".join(a[i1:i2]))
        chunk_b = html.escape("".join(b[j1:j2]))
        if op == "equal":
            out_a.append(chunk_a)
            out_b.append(chunk_b)
            continue
        if chunk_a:
            out_a.append(f'<span style="background:#f9d0cd;">{chunk_a}</span>')
        if chunk_b:
            out_b.append(f'<span style="background:#c9ecd0;">{chunk_b}</span>')

    def wrap(parts: list[str]) -> str:
        body = "".join(parts).replace("\n", "<br>")
        return f'<div style="white-space: pre-wrap;">{body}</div>'

    return wrap(out_a), wrap(out_b)
