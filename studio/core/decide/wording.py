"""How Decide writes numbers in its sentences: money, counts, percentage points, p-values,
months and scores with their interval."""

from __future__ import annotations


def usd(x: float) -> str:
    """$1,234.56 (or $0.0012 for tiny per-call amounts)."""
    if abs(x) < 1 and x != 0:
        return f"${x:,.4f}"
    return f"${x:,.2f}"


def num(x: float) -> str:
    """A count with thousands separators (no decimals when whole)."""
    return f"{x:,.0f}" if float(x).is_integer() or abs(x) >= 100 else f"{x:,.1f}"


def pp(x: float) -> str:
    """A 0–1 share as percentage points, e.g. 11.2 pp."""
    return f"{x * 100:.1f} pp"


def p_text(p: float) -> str:
    """'= 0.034' or '< 0.001'."""
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def months_text(months: float) -> str:
    """'4.2 months', or '6 days' / 'under a day' below a month."""
    if months >= 1:
        return f"{months:.1f} months"
    days = months * 30
    return "under a day" if days < 1 else f"{days:.0f} days"


def score_text(score: float, interval: tuple[float, float] | None, n: int | None) -> str:
    """0.93 (95 % CI 0.89–0.96, n = 200)."""
    parts = [f"{score:.2f}"]
    extra = []
    if interval is not None:
        extra.append(f"95 % CI {interval[0]:.2f}–{interval[1]:.2f}")
    if n:
        extra.append(f"n = {n:,}")
    if extra:
        parts.append(f"({', '.join(extra)})")
    return " ".join(parts)
