"""The decision table as data: named conditions, and rules evaluated in order.

A rule holds when all its conditions hold; the first rule that holds decides. Each
condition explains itself as :class:`Reason` objects, so the reasons of a decision are
exactly the conditions that produced it plus the rule's named extra explanations.

The rows follow docs/why-this-studio-exists.md: the decision table and "the usual checks
before anyone trains" — (1) facts or behaviour? facts → retrieval; (2) can a prompt hold
the behaviour? prove it on the best model; (3) only if a prompt provably cannot hold it
at the needed volume and cost, scope a fine-tune as distilling a proven behaviour into a
smaller model (with a test set and enough clean data first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from studio.core.decide.answers import FAST_CHANGING_KNOWLEDGE, DecisionAnswers
from studio.core.decide.cost import AMORTISATION_MONTHS, CostModel
from studio.core.decide.evidence import Evidence
from studio.core.decide.options import PlatformOption
from studio.core.decide.platforms import PlatformCatalog
from studio.core.decide.reasons import Reason, ReasonSource
from studio.core.tokens.prices import PriceTable

RECOMMENDATIONS: tuple[str, ...] = (
    "keep_improving_prompt",
    "structured_outputs",
    "retrieval",
    "system_prompt_with_examples",
    "sop_in_prompt",
    "fine_tune_small_model",
    "collect_more_data",
    "agent_design",
)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The numbers the rules compare against, each from the shared docs."""

    #: "Below ~100 examples, or noisy data: don't."
    min_examples: int = 100
    #: "at least 100–500 clean examples"; "500–2,000 … suffice for most domain adaptation".
    good_examples: int = 500
    #: engineering-facts: warn below n = 100 (Wilson half-width > 7.8 pp).
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


# --------------------------------------------------------------------------- formatting


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
        ok = (c.calls_per_day >= c.break_even_calls_per_day
              and c.payback_months <= ctx.thresholds.max_payback_months)
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


# --------------------------------------------------------------------------- explanations


def _r_answer(name: str, value: object, text: str) -> Reason:
    return Reason(text, "answer", name, value)


def _r_ev(name: str, value: object, text: str, ctx: Context) -> Reason:
    return Reason(f"{text} [{ctx.evidence.where(name)}]", "evidence", name, value)


def explain_next_step(ctx: Context) -> list[Reason]:
    out = [_r_answer("must_change", "next_step_decisions",
                     "The model must choose the next step from the last result: that is an "
                     "agent design question (tools, a loop, a stop rule and a check of each "
                     "step), not something training teaches.")]
    if ctx.answers.wants("knowledge_facts"):
        out.append(_r_answer("must_change", "knowledge_facts",
                             "It also needs facts: give the agent a retrieval tool rather "
                             "than training them in."))
    return out


def explain_facts(ctx: Context) -> list[Reason]:
    out = [_r_answer("must_change", "knowledge_facts",
                     "The model must know facts (prices, policies, documents): fine-tuning "
                     "changes form and behaviour, not knowledge; facts belong in retrieval "
                     "or a longer prompt.")]
    fact = ctx.catalog.general_fact("facts_not_taught_by_fine_tuning")
    if fact is not None:
        out.append(Reason(f"{fact.text} ({fact.source})", "platform_fact", fact.id, fact.text))
    kc = ctx.answers.knowledge_changes
    if kc in FAST_CHANGING_KNOWLEDGE:
        out.append(_r_answer("knowledge_changes", kc,
                             f"The facts change {kc}: a fine-tune would be stale within a "
                             f"{'week' if kc == 'weekly' else 'day'} and need retraining each "
                             "time; a retrieval index updates when the documents do."))
    else:
        out.append(_r_answer("knowledge_changes", kc,
                             f"The facts change {kc}; even so, a model trained on them "
                             "answers from memory and cannot cite the source."))
    return out


def explain_narrow(ctx: Context) -> list[Reason]:
    calls = ctx.answers.calls_per_day
    vol = f" at {num(calls)} calls a day" if calls is not None else ""
    return [_r_answer("must_change", "narrow_high_volume",
                      f"One narrow, repetitive task{vol}: the one case where distilling a "
                      "proven prompt into a small fine-tuned model can pay.")]


def explain_small_meets(ctx: Context) -> list[Reason]:
    e, a = ctx.evidence, ctx.answers
    assert e.candidate_score is not None and a.quality_target is not None
    model = e.candidate_model or a.candidate_model or "the candidate model"
    out = [_r_ev("candidate_score", e.candidate_score,
                 f"With the same prompt, {model} already scores "
                 f"{score_text(e.candidate_score, e.candidate_interval(), e.candidate_n)} on "
                 f"the test split", ctx),
           _r_answer("quality_target", a.quality_target,
                     f"The quality target is {a.quality_target:.2f}, so the small model needs "
                     "no training: switch models and keep the prompt.")]
    if e.candidate_p_value is not None and e.best_score is not None:
        verdict = ("a real difference" if e.candidate_p_value < 0.05
                   else "not distinguishable at this test size")
        out.append(_r_ev("candidate_p_value", e.candidate_p_value,
                         "Paired comparison with the best prompt on "
                         f"{e.best_model or 'the current model'} ({e.best_score:.2f}): "
                         f"p {p_text(e.candidate_p_value)}, {verdict}", ctx))
    return out


def explain_motivation(ctx: Context) -> list[Reason]:
    out: list[Reason] = []
    econ = economics(ctx)
    c = ctx.cost
    if c is not None:
        out.extend(cost_reasons(ctx, c))
    elif ctx.answers.calls_per_day is not None and econ == "pays":
        out.append(_r_answer(
            "calls_per_day", ctx.answers.calls_per_day,
            f"{num(ctx.answers.calls_per_day)} calls a day is at or above the "
            f"{num(ctx.thresholds.rule_of_thumb_calls_per_day)} a day where distillation "
            "usually pays (\"tens of thousands of calls a day\"); the exact break-even "
            f"cannot be computed: {ctx.cost_gap_text or NO_PRICES}."))
    if latency_hurts(ctx):
        assert ctx.evidence.latency_p95_ms is not None
        out.append(_r_ev("latency_p95_ms", ctx.evidence.latency_p95_ms,
                         f"Measured p95 latency {num(ctx.evidence.latency_p95_ms)} ms misses the "
                         f"{num(ctx.answers.latency_target_p95_ms or 0)} ms target: a smaller "
                         "model would be faster", ctx))
    if ctx.answers.calls_per_day is not None and (
        ctx.answers.calls_per_day >= ctx.thresholds.huge_calls_per_day
    ):
        out.append(_r_answer(
            "calls_per_day", ctx.answers.calls_per_day,
            f"{num(ctx.answers.calls_per_day)} calls a day is a huge volume: every point of "
            f"error is {num(ctx.answers.calls_per_day / 100)} wrong answers a day, so the "
            "test split must be trusted before anything ships."))
    return out


def explain_motivated(ctx: Context) -> list[Reason]:
    return explain_motivation(ctx)


def cost_reasons(ctx: Context, c: CostModel) -> list[Reason]:
    """The cost comparison as reasons, each naming its price-table or platform source."""
    asof = c.price_table_as_of.isoformat()
    out = [
        Reason(f"Today: {num(c.calls_per_day)} calls a day × 30 × ({num(c.mean_input_tokens)} in "
               f"× ${c.current_input_per_1m:g} + {num(c.mean_output_tokens)} out × "
               f"${c.current_output_per_1m:g} per 1M tokens on {c.current_model}) = "
               f"{usd(c.today_monthly_usd)} a month (price table as of {asof})",
               "price_table", c.current_model, round(c.today_monthly_usd, 2)),
    ]
    tuned_src = ("fine-tuned prices from the price table" if c.tuned_price_source == "price_table"
                 else f"base price × {c.inference_multiplier:g} (fine-tuned inference is "
                      "1.5–3× the base price)")
    hosting = (f" + hosting {usd(c.hosting_monthly_usd)}"
               if c.hosting_fee_per_hour_usd is not None
               else " (hosting fee unknown — edit me in platforms.json; left out)")
    out.append(Reason(
        f"Fine-tuned {c.candidate_model} on {c.platform}: ${c.tuned_input_per_1m:g} in / "
        f"${c.tuned_output_per_1m:g} out per 1M ({tuned_src}) = "
        f"{usd(c.tuned_inference_monthly_usd)} a month{hosting}",
        _src(c.tuned_price_source),
        f"{c.candidate_model}.ft_input_per_1m" if c.tuned_price_source == "price_table"
        else f"{c.platform}.inference_multiplier", round(c.tuned_monthly_usd, 2)))
    if c.training_cost_usd is not None:
        if c.training_cost_source == "price_table":
            text = (f"Training: {num(c.training_examples)} examples × "
                    f"{num(c.tokens_per_example or 0)} tokens × {c.epochs} epochs = "
                    f"{num(c.billed_training_tokens or 0)} tokens × "
                    f"${c.training_per_1m:g} per 1M = {usd(c.training_cost_usd)} once")
        else:
            text = f"Training: about {usd(c.training_cost_usd)} once (platform estimate)"
        out.append(Reason(text, _src(c.training_cost_source),
                          f"{c.candidate_model}.training_per_1m", round(c.training_cost_usd, 2)))
    if c.break_even_calls_per_day is None:
        out.append(Reason(
            f"A fine-tuned call ({usd(c.tuned_cost_per_call)}) is not cheaper than a call to "
            f"{c.current_model} ({usd(c.today_cost_per_call)}): fine-tuning never pays on cost",
            "price_table", "break_even_calls_per_day", None))
    else:
        lower = "" if c.complete else " at least (unknown fees left out)"
        payback = (f"; training pays back in {months_text(c.payback_months)}"
                   if c.payback_months is not None else "; at this volume it never pays back")
        out.append(Reason(
            f"Break-even: {num(c.break_even_calls_per_day)} calls a day{lower}, training "
            f"spread over {c.amortisation_months} months (you expect {num(c.calls_per_day)}); "
            f"monthly saving {usd(c.monthly_saving_usd)}{payback}",
            "price_table", "break_even_calls_per_day", round(c.break_even_calls_per_day, 1)))
    return out


def _src(kind: str) -> ReasonSource:
    return "price_table" if kind == "price_table" else "platform_fact"


def explain_no_test_set(ctx: Context) -> list[Reason]:
    return [_r_ev("test_set_size", ctx.evidence.test_set_size,
                  "There is no test split: without an evaluation set nobody can tell whether "
                  "tuning helped. Build one first", ctx)]


def explain_tiny_test_set(ctx: Context) -> list[Reason]:
    n = ctx.evidence.test_set_size or 0
    mde = ctx.evidence.effective_mde()
    mde_txt = f"; the smallest difference it can detect is {pp(mde)}" if mde is not None else ""
    return [_r_ev("test_set_size", n,
                  f"The test split has {num(n)} examples{mde_txt} (needs ≥ "
                  f"{ctx.thresholds.min_test_set} and ≤ {pp(ctx.thresholds.max_mde)}): too small "
                  "to tell a tuned model from the prompt", ctx)]


def explain_prompt_unproven(ctx: Context) -> list[Reason]:
    e, a = ctx.evidence, ctx.answers
    if e.best_score is None:
        return [_r_ev("best_score", None,
                      "No prompt has been scored on the test split yet: prove the behaviour "
                      "with a prompt on the best model first; fine-tuning distils a proven "
                      "behaviour, it does not find one", ctx)]
    if a.quality_target is None:
        return [_r_answer("quality_target", None,
                          "No quality target was set, so nobody can say the prompt has proven "
                          "the behaviour; set the score the task needs on the test split.")]
    return [
        _r_ev("best_score", e.best_score,
              f"The best prompt{_label(e)} scores "
              f"{score_text(e.best_score, e.best_interval(), e.best_n)}", ctx),
        _r_answer("quality_target", a.quality_target,
                  f"That is below the target {a.quality_target:.2f}: the behaviour is not "
                  "proven even on the big model, so there is nothing to distil yet; keep "
                  "improving the prompt (examples, instructions, schema)."),
    ]


def _label(e: Evidence) -> str:
    bits = [x for x in (e.best_prompt, e.best_model) if x]
    return f" ({' on '.join(bits)})" if bits else ""


def explain_data_not_ready(ctx: Context) -> list[Reason]:
    e, t = ctx.evidence, ctx.thresholds
    out: list[Reason] = []
    if e.approved_examples is None or e.approved_examples < t.min_examples:
        n = e.approved_examples or 0
        out.append(_r_ev("approved_examples", e.approved_examples,
                         f"{num(n)} approved training examples: below the {t.min_examples} "
                         f"minimum (below ~100 examples, don't; {t.good_examples}+ is the "
                         "usual bar)", ctx))
    if e.leaks:
        out.append(_r_ev("leaks", e.leaks,
                         f"{num(e.leaks)} test example"
                         f"{' also appears' if e.leaks == 1 else 's also appear'}"
                         " in the training data: the "
                         "test score would be inflated", ctx))
    if e.validation_errors:
        out.append(_r_ev("validation_errors", e.validation_errors,
                         f"The training file has {num(e.validation_errors)} validation errors: "
                         "noisy data, fix before training", ctx))
    return out


def explain_no_platform(ctx: Context) -> list[Reason]:
    out: list[Reason] = []
    if not ctx.options:
        out.append(Reason(f"The platform file ({ctx.catalog.path}) lists no fine-tuning "
                          "platform, so a fine-tune cannot be trained anywhere.",
                          "platform_fact", "platforms", []))
    elif not ctx.answers.allowed_platforms:
        ids = [o.platform.id for o in ctx.options]
        out.append(_r_answer(
            "allowed_platforms", [],
            f"No platform was ruled out in advance, so all {len(ids)} platforms in the "
            f"platform file were weighed ({', '.join(ids)}); none of them fits residency "
            f"'{ctx.answers.residency}' and data '{ctx.answers.data_sensitivity}' today:"))
        for o in ctx.options:
            out.extend(o.problems)
    else:
        out.append(_r_answer(
            "allowed_platforms", list(ctx.answers.allowed_platforms),
            f"None of the allowed platforms ({', '.join(ctx.answers.allowed_platforms)}) fits "
            f"residency '{ctx.answers.residency}' and data '{ctx.answers.data_sensitivity}' "
            "today:"))
        for o in ctx.options:
            out.extend(o.problems)
    return out


def explain_platform_choice(ctx: Context) -> list[Reason]:
    o = ctx.chosen
    if o is None:
        return []  # guard: the rules call this only with a chosen platform
    p = o.platform
    out = [Reason(
        f"Platform: {p.name} — allowed, data stays in "
        f"{', '.join(p.residency)} (residency '{ctx.answers.residency}'), takes "
        f"{', '.join(p.formats)}, tunes {o.model}",
        "platform_fact", f"{p.id}.formats", list(p.formats))]
    out.extend(o.cautions)
    if not ctx.answers.allowed_platforms:
        out.append(_r_answer(
            "allowed_platforms", [],
            f"No platform was ruled out in advance, so all {len(ctx.options)} platforms in "
            "the platform file were weighed and priced."))
    cheap = cheapest_usable(ctx.options)
    if cheap is not None and cheap is not o and cheap.cost is not None:
        # rank() puts a usable platform that offers the candidate and is not winding
        # down first by cost, so a cheaper one lost on one of those two counts
        why = ("does not offer the candidate model" if not cheap.offers_candidate
               else "stops taking new jobs soon")
        out.append(Reason(
            f"The cheapest usable platform is {cheap.platform.name} "
            f"({usd(monthly_total(cheap.cost))} a month with training spread over "
            f"{cheap.cost.amortisation_months} months), but it {why}",
            "price_table", f"{cheap.platform.id}.monthly", round(monthly_total(cheap.cost), 2)))
    others = [x for x in ctx.options if x is not o]
    for x in others:
        notes = x.problems or x.cautions
        why = "; ".join(r.text for r in notes) if notes else "ranked lower (costs more)"
        out.append(Reason(f"Not {x.platform.name}: {why}", "platform_fact",
                          f"{x.platform.id}", x.platform.id))
    lock = ctx.catalog.general_fact("fine_tune_dies_with_base_model")
    if lock is not None:
        out.append(Reason(f"{lock.text} ({lock.source})", "platform_fact", lock.id, lock.text))
    return out


def explain_data_ready(ctx: Context) -> list[Reason]:
    e, t = ctx.evidence, ctx.thresholds
    out: list[Reason] = []
    if e.approved_examples is not None:
        note = ("meets the usual 500+" if e.approved_examples >= t.good_examples
                else f"meets the {t.min_examples} minimum, below the usual {t.good_examples}")
        out.append(_r_ev("approved_examples", e.approved_examples,
                         f"{num(e.approved_examples)} approved training examples ({note})", ctx))
    if e.test_set_size:
        mde = e.effective_mde()
        mde_txt = f", smallest detectable difference {pp(mde)}" if mde is not None else ""
        out.append(_r_ev("test_set_size", e.test_set_size,
                         f"Test split of {num(e.test_set_size)} examples{mde_txt}", ctx))
    if e.tokens_mean_per_example is not None:
        p95 = (f", p95 {num(e.tokens_p95_per_example)}"
               if e.tokens_p95_per_example is not None else "")
        out.append(_r_ev("tokens_mean_per_example", e.tokens_mean_per_example,
                         f"{num(e.tokens_mean_per_example)} tokens per example on average{p95}",
                         ctx))
    return out


def explain_prompt_proven(ctx: Context) -> list[Reason]:
    e, a = ctx.evidence, ctx.answers
    if e.best_score is None or a.quality_target is None:
        return []  # guard: the rules call this only once the prompt met the target
    return [_r_ev("best_score", e.best_score,
                  f"The best prompt{_label(e)} meets the target {a.quality_target:.2f} with "
                  f"{score_text(e.best_score, e.best_interval(), e.best_n)}: the behaviour is "
                  "proven, so a fine-tune distils it", ctx)]


def explain_prompt_status(ctx: Context) -> list[Reason]:
    """For the prompt-side rows: say whether the current prompt already meets the target."""
    e, a = ctx.evidence, ctx.answers
    if e.best_score is None:
        return []
    if a.quality_target is not None and e.best_score >= a.quality_target:
        return [_r_ev("best_score", e.best_score,
                      f"The best prompt{_label(e)} already meets the target "
                      f"{a.quality_target:.2f} with "
                      f"{score_text(e.best_score, e.best_interval(), e.best_n)}: keep it", ctx)]
    target = f" (target {a.quality_target:.2f})" if a.quality_target is not None else ""
    return [_r_ev("best_score", e.best_score,
                  f"The best prompt{_label(e)} scores "
                  f"{score_text(e.best_score, e.best_interval(), e.best_n)}{target}", ctx)]


def explain_procedure(ctx: Context) -> list[Reason]:
    return [_r_answer("must_change", "long_procedure",
                      "A long multi-rule procedure: put the SOP in the prompt, numbered, and add "
                      "a checking step that verifies each rule was applied; the SOP can change "
                      "the same day, a fine-tune cannot.")]


def explain_structure(ctx: Context) -> list[Reason]:
    return [_r_answer("must_change", "format_structure",
                      "The same fixed structure every time: use structured outputs (a JSON "
                      "Schema the API enforces) or a schema-constrained prompt; no training "
                      "needed for shape.")]


def explain_tone(ctx: Context) -> list[Reason]:
    return [_r_answer("must_change", "tone_style",
                      "Sound like the brand: a system prompt plus a few good examples of the "
                      "team's writing usually holds a style; 200–500 examples would be needed "
                      "to train one.")]


def explain_not_motivated(ctx: Context) -> list[Reason]:
    out = explain_motivation(ctx)
    calls = ctx.answers.calls_per_day
    if calls is None:
        out.append(_r_answer("calls_per_day", None,
                             "The expected calls per day are unknown, so fine-tuning cannot be "
                             "shown to pay; at a few thousand jobs a month a small model with a "
                             "good prompt is usually cheaper all-in."))
    else:
        out.append(_r_answer(
            "calls_per_day", calls,
            f"At {num(calls)} calls a day a fine-tune does not pay for itself"
            + ("" if ctx.answers.latency_target_p95_ms is None
               else " and latency is within target")
            + ": keep the prompt and try it on a cheaper model."))
    return out


def explain_default(ctx: Context) -> list[Reason]:
    return [_r_answer("must_change", sorted(ctx.answers.must_change),
                      "Nothing ticked calls for anything but a better prompt: iterate on the "
                      "prompt against the test split.")]


def _always(ctx: Context) -> list[Reason]:
    return []


CONDITIONS: dict[str, Condition] = {
    "wants_next_step": Condition(lambda c: c.answers.wants("next_step_decisions"),
                                 explain_next_step),
    "wants_facts": Condition(lambda c: c.answers.wants("knowledge_facts"), explain_facts),
    "wants_narrow": Condition(lambda c: c.answers.wants("narrow_high_volume"), explain_narrow),
    "wants_procedure": Condition(lambda c: c.answers.wants("long_procedure"), explain_procedure),
    "wants_structure": Condition(lambda c: c.answers.wants("format_structure"),
                                 explain_structure),
    "wants_tone": Condition(lambda c: c.answers.wants("tone_style"), explain_tone),
    "small_meets_target": Condition(small_meets_target, explain_small_meets),
    "ft_motivated": Condition(lambda c: economics(c) == "pays" or latency_hurts(c),
                              explain_motivated),
    "no_test_set": Condition(no_test_set, explain_no_test_set),
    "tiny_test_set": Condition(tiny_test_set, explain_tiny_test_set),
    "prompt_unproven": Condition(lambda c: not prompt_meets_target(c), explain_prompt_unproven),
    "data_not_ready": Condition(data_not_ready, explain_data_not_ready),
    "no_platform": Condition(lambda c: c.chosen is None, explain_no_platform),
    "platform_chosen": Condition(lambda c: c.chosen is not None, _always),
}

#: Extra explanations a rule may name (not conditions: they never decide).
EXPLAINERS: dict[str, Explain] = {
    "platform_choice": explain_platform_choice,
    "data_ready": explain_data_ready,
    "prompt_proven": explain_prompt_proven,
    "prompt_status": explain_prompt_status,
    "not_motivated": explain_not_motivated,
    "default": explain_default,
}


def _chosen_name(ctx: Context) -> str:
    return ctx.chosen.platform.name if ctx.chosen else "?"


def _tuned_name(ctx: Context) -> str:
    return (ctx.chosen.model if ctx.chosen and ctx.chosen.model else
            ctx.answers.candidate_model or "a small model")


def _small_name(ctx: Context) -> str:
    return ctx.evidence.candidate_model or ctx.answers.candidate_model or "the small model"


#: The decision table, evaluated top to bottom; the first rule whose conditions all hold wins.
RULES: tuple[Rule, ...] = (
    Rule("agent", "agent_design", ("wants_next_step",),
         lambda c: "Design an agent: choosing the next step from the last result is not a "
                   "training problem."),
    Rule("facts", "retrieval", ("wants_facts",),
         lambda c: "Use retrieval: the model must know facts"
                   + (f" that change {c.answers.knowledge_changes}"
                      if c.answers.knowledge_changes in FAST_CHANGING_KNOWLEDGE else "")
                   + ", and fine-tuning does not teach facts."),
    Rule("small_model_prompt_enough", "keep_improving_prompt",
         ("wants_narrow", "small_meets_target"),
         lambda c: f"No training needed: {_small_name(c)} already meets the target with the "
                   "prompt; switch models.",
         ("prompt_status",)),
    Rule("ft_no_test_set", "collect_more_data", ("wants_narrow", "ft_motivated", "no_test_set"),
         lambda c: "Build a test set first: fine-tuning could pay here, but without an "
                   "evaluation set nobody can tell whether it helped."),
    Rule("ft_tiny_test_set", "collect_more_data",
         ("wants_narrow", "ft_motivated", "tiny_test_set"),
         lambda c: "Grow the test set first: it is too small to tell a tuned model from the "
                   "prompt."),
    Rule("ft_prompt_unproven", "keep_improving_prompt",
         ("wants_narrow", "ft_motivated", "prompt_unproven"),
         lambda c: "Keep improving the prompt: prove the behaviour on the best model before "
                   "distilling it."),
    Rule("ft_data_not_ready", "collect_more_data",
         ("wants_narrow", "ft_motivated", "data_not_ready"),
         lambda c: "Collect and clean more training data: the prompt is proven and volume "
                   "justifies a fine-tune, but the data is not ready."),
    Rule("ft_no_platform", "keep_improving_prompt",
         ("wants_narrow", "ft_motivated", "no_platform"),
         lambda c: "Keep the prompt: a fine-tune would pay, but no allowed platform can take "
                   "it today.",
         ("prompt_status",)),
    Rule("fine_tune", "fine_tune_small_model",
         ("wants_narrow", "ft_motivated", "platform_chosen"),
         lambda c: f"Fine-tune {_tuned_name(c)} on {_chosen_name(c)}: a proven prompt, enough "
                   "clean data and a volume where the big model's cost or latency hurts.",
         ("prompt_proven", "data_ready", "platform_choice")),
    Rule("procedure", "sop_in_prompt", ("wants_procedure",),
         lambda c: "Put the SOP in the prompt and add a checking step.", ("prompt_status",)),
    Rule("structure", "structured_outputs", ("wants_structure",),
         lambda c: "Use structured outputs (a schema-constrained response), not training.",
         ("prompt_status",)),
    Rule("tone", "system_prompt_with_examples", ("wants_tone",),
         lambda c: "Use a system prompt with a few good examples of the house style.",
         ("prompt_status",)),
    Rule("narrow_low_volume", "keep_improving_prompt", ("wants_narrow",),
         lambda c: "Keep improving the prompt: at this volume a fine-tune does not pay.",
         ("not_motivated", "prompt_status")),
    Rule("default", "keep_improving_prompt", (),
         lambda c: "Keep improving the prompt against the test split.",
         ("default", "prompt_status")),
)


def first_matching(ctx: Context, rules: tuple[Rule, ...] = RULES) -> Rule:
    """The first rule whose conditions all hold (the last rule has none, so always one)."""
    for rule in rules:
        if all(CONDITIONS[name].test(ctx) for name in rule.when):
            return rule
    raise AssertionError("the decision table must end with an unconditional rule")


def reasons_for(ctx: Context, rule: Rule) -> list[Reason]:
    """The conditions' explanations, then the rule's extras, without repeats."""
    out: list[Reason] = []
    for name in rule.when:
        out.extend(CONDITIONS[name].explain(ctx))
    for name in rule.extra:
        out.extend(EXPLAINERS[name](ctx))
    seen: set[tuple[str, str]] = set()
    unique: list[Reason] = []
    for r in out:
        if (r.text, r.field) not in seen:
            seen.add((r.text, r.field))
            unique.append(r)
    return unique
