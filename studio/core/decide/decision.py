"""``decide()``: answers + evidence + dated prices and platform facts → a recommendation.

The recommendation comes from the first matching row of :data:`rules.RULES`; the reasons
are that row's conditions explained; the "what would change it" sentences are computed
from the same numbers (break-even volume, example counts, quality target, test size).
``today`` is a parameter: every dated fact is compared with it, never with the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from studio.core.decide.answers import FAST_CHANGING_KNOWLEDGE, DecisionAnswers
from studio.core.decide.context import (
    NO_PRICES,
    THRESHOLDS,
    Context,
    Rule,
    Thresholds,
    cheapest_usable,
    economics,
    latency_hurts,
)
from studio.core.decide.cost import CostModel
from studio.core.decide.distil_facts import distil_reasons, distil_warnings
from studio.core.decide.evidence import Evidence, needed_test_size
from studio.core.decide.options import PlatformOption, platform_options, rank
from studio.core.decide.platforms import PlatformCatalog, fact_date
from studio.core.decide.reasons import Reason, jsonable
from studio.core.decide.rules import first_matching, reasons_for
from studio.core.decide.wording import num, pp, usd
from studio.core.tokens.prices import PriceTable


# Its to_json spells its keys out like the other records' (duplicates report pairs it with
# datasets/operations, decide/reasons, decide/decision, evals/run_state, export/fit): see the
# note at formats/common.Finding.
@dataclass(slots=True)
class Decision:
    """The outcome of :func:`decide`, ready for the report and ``studio decide --json``."""

    recommendation: str
    headline: str
    reasons: list[Reason]
    what_would_change: list[str]
    cost: CostModel | None
    evidence: Evidence
    warnings: list[str]
    rule: str = ""
    platform: str | None = None
    tuned_model: str | None = None
    answers: DecisionAnswers | None = None
    today: date | None = None
    price_table_as_of: date | None = None
    platforms_as_of: date | None = None
    options: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; keys ``recommendation``, ``reasons``, ``evidence`` always present."""
        return {
            "recommendation": self.recommendation,
            "headline": self.headline,
            "rule": self.rule,
            "platform": self.platform,
            "tuned_model": self.tuned_model,
            "reasons": [r.to_dict() for r in self.reasons],
            "what_would_change": list(self.what_would_change),
            "warnings": list(self.warnings),
            "cost": self.cost.to_dict() if self.cost is not None else None,
            "evidence": self.evidence.to_dict(),
            "answers": self.answers.to_dict() if self.answers is not None else None,
            "platform_options": jsonable(self.options),
            "cheapest_usable_platform": next(
                (o["platform"] for o in self.options if o.get("cheapest_usable")), None
            ),
            "today": jsonable(self.today),
            "price_table_as_of": jsonable(self.price_table_as_of),
            "platforms_as_of": jsonable(self.platforms_as_of),
        }


def decide(
    answers: DecisionAnswers,
    evidence: Evidence,
    prices: PriceTable,
    platforms: PlatformCatalog,
    today: date,
    *,
    thresholds: Thresholds = THRESHOLDS,
) -> Decision:
    """Recommend what to do, with traced reasons, costs and what would change it.

    Args:
        answers: the guided form's answers.
        evidence: what the project knows (every field may be None).
        prices: the dated price table.
        platforms: the platform catalogue (``resources/platforms.json``).
        today: the date dated facts are compared with (OpenAI's cutoff, model end dates).
        thresholds: the rule thresholds (defaults from the shared docs).
    """
    options = platform_options(answers, evidence, prices, platforms, today)
    ranked = rank(options, answers)
    chosen = ranked[0] if ranked else None
    cost = chosen.cost if chosen is not None else _cheapest_priced(options)
    gap = None
    if cost is None:
        gaps = [o.cost_gap.text for o in ([chosen] if chosen else options) if o.cost_gap]
        gap = (
            gaps[0]
            if gaps
            else ("the platform file lists no platform to price" if not options else NO_PRICES)
        )
    ctx = Context(
        answers=answers,
        evidence=evidence,
        prices=prices,
        catalog=platforms,
        today=today,
        thresholds=thresholds,
        options=options,
        ranked=ranked,
        chosen=chosen,
        cost=cost,
        cost_gap_text=gap,
    )
    rule = first_matching(ctx)
    reasons = reasons_for(ctx, rule)
    is_ft = rule.recommendation == "fine_tune_small_model"
    warnings = warnings_for(ctx, rule)
    if is_ft:  # distilled training data: how good the teacher is, how much it wrote
        reasons += distil_reasons(evidence)
        warnings += distil_warnings(evidence, answers.quality_target)
    return Decision(
        recommendation=rule.recommendation,
        headline=rule.headline(ctx),
        reasons=reasons,
        what_would_change=what_would_change(ctx, rule),
        cost=cost,
        evidence=evidence,
        warnings=warnings,
        rule=rule.id,
        platform=chosen.platform.id if is_ft and chosen else None,
        tuned_model=chosen.model if is_ft and chosen else None,
        answers=answers,
        today=today,
        price_table_as_of=prices.as_of,
        platforms_as_of=platforms.as_of,
        options=[_option_summary(o, chosen, cheapest_usable(options)) for o in options],
    )


def _cheapest_priced(options: list[PlatformOption]) -> CostModel | None:
    priced = [o.cost for o in options if o.cost is not None]
    if not priced:
        return None
    return min(priced, key=lambda c: c.monthly_at(c.calls_per_day)[1])


def _option_summary(
    o: PlatformOption, chosen: PlatformOption | None, cheapest: PlatformOption | None
) -> dict[str, Any]:
    return {
        "platform": o.platform.id,
        "name": o.platform.name,
        "model": o.model,
        "offers_candidate": o.offers_candidate,
        "eligible": o.eligible,
        "chosen": o is chosen,
        "cheapest_usable": o is cheapest,
        "problems": [r.to_dict() for r in o.problems],
        "cautions": [r.to_dict() for r in o.cautions],
        "monthly_tuned_usd": round(o.cost.tuned_monthly_usd, 2) if o.cost else None,
        "training_usd": (
            round(o.cost.training_cost_usd, 2)
            if o.cost and o.cost.training_cost_usd is not None
            else None
        ),
        "monthly_total_usd": (
            round(o.cost.monthly_at(o.cost.calls_per_day)[1], 2) if o.cost else None
        ),
        "cost_complete": o.cost.complete if o.cost else None,
        "break_even_calls_per_day": (
            round(o.cost.break_even_calls_per_day, 1)
            if o.cost and o.cost.break_even_calls_per_day is not None
            else None
        ),
        "cost_gap": o.cost_gap.text if o.cost_gap else None,
        "horizon": o.horizon,
    }


# --------------------------------------------------------------------------- what would change


def what_would_change(ctx: Context, rule: Rule) -> list[str]:
    """Sentences naming the smallest change in an input that would change the outcome."""
    a, e, t, c = ctx.answers, ctx.evidence, ctx.thresholds, ctx.cost
    out: list[str] = []
    narrow = a.wants("narrow_high_volume")
    rid = rule.id

    if rid == "agent":
        out.append(
            "If the next step were fixed rather than chosen from the last result, this "
            "would be a procedure for the prompt (an SOP plus a checking step), not an "
            "agent."
        )
    if rid == "facts":
        if a.knowledge_changes in FAST_CHANGING_KNOWLEDGE:
            out.append(
                f"Even if the facts changed rarely instead of {a.knowledge_changes}, "
                "retrieval would stay the tool: fine-tuning does not teach facts "
                "reliably, it only makes them stale more slowly."
            )
        out.append(
            "If what must change were the form of the answers (format, tone, a narrow "
            "task's instincts) rather than facts, the other rows of the table would "
            "apply; retrieval can be combined with them."
        )

    # Volume: the break-even sentence ("at 20,000 calls a day this becomes fine-tuning").
    if narrow and rid in ("narrow_low_volume",):
        out.extend(_volume_sentences(ctx))
    if rid == "fine_tune" and c is not None and c.break_even_calls_per_day is not None:
        out.append(
            f"Below {num(c.break_even_calls_per_day)} calls a day (you expect "
            f"{num(c.calls_per_day)}) the prompt on {c.current_model} would be cheaper "
            "again."
        )
    if rid == "fine_tune" and ctx.chosen is not None:
        for x in ctx.ranked[1:2]:
            out.append(
                f"If {ctx.chosen.platform.name} were not allowed, the next choice would "
                f"be {x.platform.name}."
            )

    # Quality target.
    if (
        narrow
        and rid in ("ft_prompt_unproven",)
        and e.best_score is not None
        and a.quality_target is not None
    ):
        out.append(
            f"If the quality target were {e.best_score:.2f} (the best prompt's score) "
            f"instead of {a.quality_target:.2f}, the prompt would already meet it and "
            "the fine-tune could be scoped as distillation."
        )
    if (
        narrow
        and rid in ("ft_prompt_unproven", "narrow_low_volume", "fine_tune")
        and e.candidate_score is not None
        and a.quality_target is not None
        and e.candidate_score < a.quality_target
    ):
        model = e.candidate_model or a.candidate_model or "the small model"
        out.append(
            f"If the quality target were {e.candidate_score:.2f} instead of "
            f"{a.quality_target:.2f}, {model} would already meet it with the prompt: "
            "switch models, no training."
        )
    if rid == "small_model_prompt_enough" and e.candidate_score is not None:
        out.append(
            f"If the quality target rose above {e.candidate_score:.2f}, the small model "
            "with the prompt would no longer meet it and fine-tuning would come back "
            "into question."
        )
    if (
        rid in ("procedure", "structure", "tone", "default")
        and e.best_score is not None
        and a.quality_target is not None
        and e.best_score < a.quality_target
    ):
        out.append(
            f"If the quality target were {e.best_score:.2f}, the current prompt would "
            "already meet it."
        )

    # Data.
    n = e.approved_examples or 0
    if rid in ("ft_data_not_ready", "fine_tune", "ft_no_test_set", "ft_tiny_test_set"):
        if n < t.min_examples:
            out.append(
                f"With {num(t.min_examples - n)} more approved examples ({t.min_examples} "
                f"in all) the data would meet the minimum; with {num(t.good_examples - n)}"
                f" more, the usual {t.good_examples}."
            )
        elif n < t.good_examples:
            out.append(
                f"With {num(t.good_examples - n)} more approved examples "
                f"({t.good_examples} in all) the data would meet the usual bar instead "
                "of the minimum."
            )
        if e.leaks:
            leaked = (
                "the leaked test example"
                if e.leaks == 1
                else (f"the {num(e.leaks)} leaked test examples")
            )
            out.append(
                f"Removing {leaked} from the training data makes the test score trustworthy."
            )
        if e.validation_errors:
            out.append(
                f"Fixing the {num(e.validation_errors)} validation errors makes the "
                "training file usable."
            )

    # Test set.
    if rid in ("ft_no_test_set", "ft_tiny_test_set") or (narrow and not e.test_set_size):
        base = e.best_score if e.best_score is not None else 0.8
        need = needed_test_size(t.target_mde, base)
        have = e.test_set_size or 0
        out.append(
            f"With a test split of {num(max(need, t.min_test_set))} examples ({num(have)} "
            f"today) the smallest detectable difference would be about "
            f"{pp(t.target_mde)}, enough to tell whether tuning helped."
        )

    # Latency.
    if narrow and a.latency_target_p95_ms is not None and e.latency_p95_ms is not None:
        if latency_hurts(ctx):
            out.append(
                f"If a p95 of {num(e.latency_p95_ms)} ms were acceptable (target "
                f"{num(a.latency_target_p95_ms)} ms), latency would no longer argue "
                "for a smaller tuned model."
            )
        elif rid == "narrow_low_volume":
            out.append(
                f"If the p95 latency target fell below the measured "
                f"{num(e.latency_p95_ms)} ms, a smaller tuned model would be worth it "
                "for speed."
            )

    # Platforms.
    if rid == "ft_no_platform":
        out.extend(_platform_sentences(ctx))
    return out


def _volume_sentences(ctx: Context) -> list[str]:
    a, c, t = ctx.answers, ctx.cost, ctx.thresholds
    if c is not None:
        if c.break_even_calls_per_day is None:
            return [
                f"At no volume: a fine-tuned {c.candidate_model} call "
                f"({usd(c.tuned_cost_per_call)}) costs more than a {c.current_model} call "
                f"({usd(c.today_cost_per_call)}); only a latency need or cheaper prices "
                "would change this."
            ]
        floor = " (at least: unknown fees left out)" if not c.complete else ""
        target = c.break_even_calls_per_day
        if c.payback_months is not None and c.payback_months > t.max_payback_months:
            target = max(target, c.calls_per_day * c.payback_months / t.max_payback_months)
        return [
            f"At {num(target)} calls a day{floor} (you expect {num(c.calls_per_day)}) "
            f"this becomes fine-tuning {c.candidate_model} on {c.platform}, provided the "
            "prompt is proven and the data is ready."
        ]
    if a.calls_per_day is not None:
        return [
            f"At {num(t.rule_of_thumb_calls_per_day)} calls a day or more (you expect "
            f'{num(a.calls_per_day)}) fine-tuning could pay ("tens of thousands of calls '
            f'a day"); the exact break-even cannot be computed: '
            f"{ctx.cost_gap_text or NO_PRICES}."
        ]
    return [
        "With the expected calls per day answered, the studio can compute the volume at "
        "which fine-tuning pays."
    ]


def _platform_sentences(ctx: Context) -> list[str]:
    a = ctx.answers
    out: list[str] = []
    for pid, platform in ctx.catalog.platforms.items():
        if pid in a.allowed_platforms:
            continue
        if platform.allows_residency(a.residency) and platform.allows_sensitivity(
            a.data_sensitivity
        ):
            out.append(
                f"Allowing {pid} ({platform.name}; data in "
                f"{', '.join(platform.residency)}) would make a fine-tune possible."
            )
    if a.residency != "any":
        only_residency = [
            o.platform.id
            for o in ctx.options
            if o.problems and all(r.field.endswith(".residency") for r in o.problems)
        ]
        if only_residency:
            out.append(
                f"With residency 'any' instead of '{a.residency}', "
                f"{', '.join(only_residency)} would fit."
            )
    return out


# --------------------------------------------------------------------------- warnings


def warnings_for(ctx: Context, rule: Rule) -> list[str]:
    """Things the reader must know whatever the recommendation."""
    a, e, t = ctx.answers, ctx.evidence, ctx.thresholds
    out: list[str] = []
    if not e.test_set_size:
        out.append(
            "No test split: no claim about quality can be checked. An evaluation set "
            "is a precondition for any change, prompt or fine-tune."
        )
    elif e.test_set_size < t.min_test_set or (
        (mde := e.effective_mde()) is not None and mde > t.max_mde
    ):
        mde2 = e.effective_mde()
        txt = f" (smallest detectable difference {pp(mde2)})" if mde2 is not None else ""
        out.append(
            f"The test split has only {num(e.test_set_size)} examples{txt}: scores "
            f"differ by chance; aim for at least {t.min_test_set}."
        )
    if e.leaks:
        appear = "example also appears" if e.leaks == 1 else "examples also appear"
        out.append(f"{num(e.leaks)} test {appear} in the training data.")
    if e.validation_errors:
        out.append(f"The training file has {num(e.validation_errors)} validation errors.")
    if e.validation_warnings:
        out.append(f"The training file has {num(e.validation_warnings)} validation warnings.")
    if e.duplicates and e.approved_examples:
        share = e.duplicates / e.approved_examples
        if share > t.max_duplicate_share:
            out.append(
                f"{num(e.duplicates)} duplicates among {num(e.approved_examples)} "
                f"approved examples ({share:.0%}): noisy data."
            )
    shares = e.class_shares()
    if shares is not None and shares[0] < t.min_class_share:
        out.append(
            f"The rarest label is {shares[0]:.1%} of the data (largest {shares[1]:.1%}):"
            " too rare to learn or to measure reliably."
        )
    if a.knowledge_changes in FAST_CHANGING_KNOWLEDGE and not a.wants("knowledge_facts"):
        out.append(
            f"The facts change {a.knowledge_changes}: keep them out of any training "
            "data and give them to the model at run time."
        )
    if a.calls_per_day is not None and a.calls_per_day >= t.huge_calls_per_day:
        out.append(
            f"{num(a.calls_per_day)} calls a day: check rate limits or provisioned "
            "capacity, and consider a batch tier for work that can wait."
        )
    if a.data_sensitivity == "regulated":
        out.append(
            "Regulated data: only platforms cleared for it in platforms.json are "
            "considered; check your contract before any upload."
        )
    for o in ctx.options:
        if o.platform.id == "openai":
            for fact in o.platform.facts:
                when = fact_date(fact, ctx.prices.dates)
                if fact.effect == "no_new_jobs" and when is not None and when <= ctx.today:
                    out.append(
                        f"OpenAI takes no new fine-tuning jobs since {when.isoformat()} "
                        f"(today is {ctx.today.isoformat()})."
                    )
    if rule.recommendation == "fine_tune_small_model":
        out.append(
            "The cost shown excludes curating and labelling the data and maintaining it "
            "as the task drifts, usually the largest cost."
        )
        out.append(
            "Mix general examples into the training data and evaluate on domain and "
            "general tasks: fine-tuning can make a model forget."
        )
    if ctx.cost is not None:
        out.extend(ctx.cost.notes)
    age = (ctx.today - ctx.prices.as_of).days
    if age > t.stale_price_days:
        out.append(
            f"The price table is dated {ctx.prices.as_of.isoformat()}, {age} days ago: "
            "check the prices."
        )
    if economics(ctx) == "unknown" and a.wants("narrow_high_volume"):
        out.append("Fine-tuning economics unknown: answer the expected calls per day.")
    return out
