"""What the decision table looks at: the thresholds, the per-decision context, the
condition and rule types, and the facts derived from the context that conditions test.

The thresholds come from docs/decision-facts.md and docs/engineering-facts.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from studio.core.decide.answers import DecisionAnswers
from studio.core.decide.cost import AMORTISATION_MONTHS, CostModel
from studio.core.decide.evidence import Evidence
from studio.core.decide.options import PlatformOption
from studio.core.decide.platforms import PlatformCatalog
from studio.core.decide.reasons import Reason
from studio.core.tokens.prices import PriceTable


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The numbers the rules compare against (docs/decision-facts.md, docs/engineering-facts.md)."""

    #: "Below ~100 examples, or noisy data: don't."
    min_examples: int = 100
    #: "at least 100–500 clean examples"; "500–2,000 … suffice for most domain adaptation".
    good_examples: int = 500
    #: docs/engineering-facts.md bar 11: warn below n = 100 (Wilson half-width > 7.8 pp).
    min_test_set: int = 100
    #: A test set whose minimum detectable difference exceeds this cannot tell a tuned
    #: model from the prompt (≈ the unpaired MDE at n = 100, base 80 %).
    max_mde: float = 0.16
    #: The MDE the "what would change" sentence sizes the test set for.
    target_mde: float = 0.10
    #: "Distillation pays off at tens of thousands of calls a day": used only when the
    #: price table cannot price the comparison.
    rule_of_thumb_calls_per_day: float = 20_000
    #: Calls a day above which volume itself becomes a risk worth flagging.
    huge_calls_per_day: float = 100_000
    #: A fine-tune must pay back its training within this many months.
    max_payback_months: float = float(AMORTISATION_MONTHS)
    #: Duplicate share above which the data counts as noisy (warning).
    max_duplicate_share: float = 0.05
    #: Smallest label share below which a class is too rare to learn reliably (warning).
    min_class_share: float = 0.02
    #: Days after which the price table is called stale (warning).
    stale_price_days: int = 180


THRESHOLDS = Thresholds()


# Its field list, and Rule's below, pair by shape with platforms.Platform's (duplicates report):
# different records.
@dataclass(slots=True)
class Context:
    """Everything a condition may look at, computed once per decision."""

    answers: DecisionAnswers
    evidence: Evidence
    prices: PriceTable
    catalog: PlatformCatalog
    today: date
    thresholds: Thresholds
    options: list[PlatformOption]
    ranked: list[PlatformOption]
    #: The chosen platform option (best usable), or None.
    chosen: PlatformOption | None
    #: The cost model the economics rest on: the chosen platform's, else the cheapest
    #: priced option even if ruled out (to say "it would pay, but ...").
    cost: CostModel | None
    cost_gap_text: str | None = None
    notes: list[str] = field(default_factory=list)


Test = Callable[[Context], bool]
Explain = Callable[[Context], list[Reason]]


@dataclass(frozen=True, slots=True)
class Condition:
    """A named test with its explanation."""

    test: Test
    explain: Explain


@dataclass(frozen=True, slots=True)
class Rule:
    """A row of the decision table."""

    id: str
    recommendation: str
    when: tuple[str, ...]
    headline: Callable[[Context], str]
    extra: tuple[str, ...] = ()


# --------------------------------------------------------------------------- derived facts

#: Said when no cost could be computed and no platform said why.
NO_PRICES = "no platform could be priced"


def monthly_total(c: CostModel) -> float:
    """A platform's fine-tuned cost a month at the expected volume, training amortised."""
    return c.monthly_at(c.calls_per_day)[1]


def cheapest_usable(options: list[PlatformOption]) -> PlatformOption | None:
    """The usable, priced platform with the lowest monthly cost (None if there is none)."""
    priced = [o for o in options if o.eligible and o.cost is not None]
    return min(priced, key=lambda o: monthly_total(o.cost)) if priced else None  # type: ignore[arg-type]


def economics(ctx: Context) -> str:
    """'pays' | 'does_not_pay' | 'unknown' for the fine-tune at the expected volume."""
    calls = ctx.answers.calls_per_day
    c = ctx.cost
    if c is not None:
        if c.break_even_calls_per_day is None or c.payback_months is None:
            return "does_not_pay"
        ok = (
            c.calls_per_day >= c.break_even_calls_per_day
            and c.payback_months <= ctx.thresholds.max_payback_months
        )
        return "pays" if ok else "does_not_pay"
    if calls is None:
        return "unknown"
    return "pays" if calls >= ctx.thresholds.rule_of_thumb_calls_per_day else "does_not_pay"


def latency_hurts(ctx: Context) -> bool:
    """True when the measured p95 latency misses the target."""
    target = ctx.answers.latency_target_p95_ms
    measured = ctx.evidence.latency_p95_ms
    return target is not None and measured is not None and measured > target


def no_test_set(ctx: Context) -> bool:
    return not ctx.evidence.test_set_size


def tiny_test_set(ctx: Context) -> bool:
    n = ctx.evidence.test_set_size
    if not n:
        return False
    mde = ctx.evidence.effective_mde()
    return n < ctx.thresholds.min_test_set or (mde is not None and mde > ctx.thresholds.max_mde)


def prompt_meets_target(ctx: Context) -> bool:
    s, t = ctx.evidence.best_score, ctx.answers.quality_target
    return s is not None and t is not None and s >= t


def small_meets_target(ctx: Context) -> bool:
    s, t = ctx.evidence.candidate_score, ctx.answers.quality_target
    return s is not None and t is not None and s >= t


def data_not_ready(ctx: Context) -> bool:
    e = ctx.evidence
    return (
        e.approved_examples is None
        or e.approved_examples < ctx.thresholds.min_examples
        or bool(e.leaks)
        or bool(e.validation_errors)
    )
