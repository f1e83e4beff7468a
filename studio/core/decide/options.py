"""Which fine-tuning platforms could take this job, and what each would cost.

For every platform the user allows, list the problems that rule it out (residency,
sensitivity, a closed platform or a retired base model, dated against ``today``) and
the cautions that do not (a wind-down date ahead, a base model with an end date, a
different base model than the candidate). Then rank the usable ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from studio.core.decide.answers import OPENAI_ACCESS_QUESTION, DecisionAnswers
from studio.core.decide.cost import CostGap, CostModel, build_cost_model, tuned_model_for
from studio.core.decide.evidence import Evidence
from studio.core.decide.horizon import horizon_reasons, route_horizon
from studio.core.decide.platforms import (
    Platform,
    PlatformCatalog,
    access_restricted_since,
    base_model_end,
    fact_date,
    no_new_jobs_date,
)
from studio.core.decide.reasons import Reason, ReasonSource
from studio.core.tokens.prices import PriceTable


@dataclass(frozen=True, slots=True)
class PlatformOption:
    """One allowed platform, why it can or cannot be used, and its cost model."""

    platform: Platform
    model: str | None
    offers_candidate: bool
    problems: tuple[Reason, ...]
    cautions: tuple[Reason, ...]
    cost: CostModel | None
    cost_gap: CostGap | None
    winding_down: bool
    # When the route's fine-tuned model stops serving: a date, "none (your weights)",
    # or "unknown" (studio.core.decide.horizon)
    horizon: str = "unknown"

    @property
    def eligible(self) -> bool:
        """True when nothing rules the platform out."""
        return not self.problems


def platform_options(
    answers: DecisionAnswers,
    evidence: Evidence,
    prices: PriceTable,
    catalog: PlatformCatalog,
    today: date,
) -> list[PlatformOption]:
    """Evaluate every allowed platform (in the user's order of preference).

    No platform allowed in particular means no restriction: every platform of the
    catalogue is evaluated, in the catalogue's order.
    """
    out: list[PlatformOption] = []
    for pid in answers.platforms_considered(tuple(catalog.platforms)):
        platform = catalog.get(pid)
        if platform is None:
            continue
        out.append(_option(answers, evidence, prices, catalog, platform, today))
    return out


def rank(options: list[PlatformOption], answers: DecisionAnswers) -> list[PlatformOption]:
    """Usable platforms, best first.

    Order: offers the candidate model, not winding down (a tune must be retrainable as
    the task drifts), cost known, lowest monthly cost with training amortised, then the
    user's own order (the catalogue's when the user named none).
    """
    order = {o.platform.id: i for i, o in enumerate(options)}

    def key(o: PlatformOption) -> tuple[bool, bool, bool, float, int]:
        monthly = o.cost.monthly_at(o.cost.calls_per_day)[1] if o.cost else float("inf")
        return (
            not o.offers_candidate,
            o.winding_down,
            o.cost is None,
            monthly,
            order.get(o.platform.id, len(order)),
        )

    return sorted((o for o in options if o.eligible), key=key)


def _option(
    answers: DecisionAnswers,
    evidence: Evidence,
    prices: PriceTable,
    catalog: PlatformCatalog,
    platform: Platform,
    today: date,
) -> PlatformOption:
    problems: list[Reason] = []
    cautions: list[Reason] = []
    pid = platform.id
    if not platform.allows_residency(answers.residency):
        problems.append(
            Reason(
                f"{platform.name} keeps data in "
                f"{', '.join(platform.residency) or 'no listed region'}"
                f", not {answers.residency} ({platform.residency_note})",
                "platform_fact",
                f"{pid}.residency",
                list(platform.residency),
            )
        )
    if not platform.allows_sensitivity(answers.data_sensitivity):
        problems.append(
            Reason(
                f"{platform.name} is cleared for data up to '{platform.max_sensitivity}', "
                f"the data is '{answers.data_sensitivity}' ({platform.sensitivity_note})",
                "platform_fact",
                f"{pid}.max_sensitivity",
                platform.max_sensitivity,
            )
        )

    access = _access_problem(answers, platform, prices, today)
    if access is not None:
        problems.append(access)

    winding_down = False
    for fact in platform.facts:
        when = fact_date(fact, prices.dates)
        src: ReasonSource = "price_table" if fact.id in prices.dates else "platform_fact"
        if fact.effect == "no_new_jobs" and when is not None:
            if when <= today:
                problems.append(
                    Reason(
                        f"{platform.name}: {fact.text} (since {when.isoformat()}; today is "
                        f"{today.isoformat()}; {fact.source})",
                        src,
                        fact.id,
                        when,
                    )
                )
            else:
                winding_down = True
                days = (when - today).days
                cautions.append(
                    Reason(
                        f"{platform.name} takes no new fine-tuning jobs from {when.isoformat()} "
                        f"({days} days from today): a tune made now cannot be retrained there "
                        f"when the task drifts ({fact.source})",
                        src,
                        fact.id,
                        when,
                    )
                )
        elif fact.effect == "restricted" and when is not None and when <= today:
            cautions.append(
                Reason(
                    f"{platform.name}: since {when.isoformat()}, {fact.text[0].lower()}"
                    f"{fact.text[1:]} ({fact.source})",
                    src,
                    fact.id,
                    when,
                )
            )

    model, offers = tuned_model_for(platform, answers.candidate_model)
    if model is None:
        problems.append(
            Reason(
                f"{platform.name} does not fine-tune {answers.candidate_model or 'the candidate'}"
                f" (it offers {', '.join(b.id for b in platform.base_models)})",
                "platform_fact",
                f"{pid}.base_models",
                answers.candidate_model,
            )
        )
    else:
        if not offers and answers.candidate_model:
            cautions.append(
                Reason(
                    f"{platform.name} does not offer {answers.candidate_model}; it would tune "
                    f"{model} instead, which needs its own A/B run with the prompt first",
                    "platform_fact",
                    f"{pid}.default_small_model",
                    model,
                )
            )
        bm = platform.base_model_for(model)
        end = base_model_end(bm, prices.dates) if bm is not None else None
        if bm is not None and end is not None:
            key = bm.end_date_key if bm.end_date_key in prices.dates else f"{pid}.base_models"
            src2: ReasonSource = (
                "price_table" if bm.end_date_key in prices.dates else "platform_fact"
            )
            if end <= today:
                problems.append(
                    Reason(
                        f"The base model {bm.id} on {platform.name} ended on {end.isoformat()}, "
                        "and a fine-tune dies with its base model",
                        src2,
                        key or bm.id,
                        end,
                    )
                )
            else:
                cautions.append(
                    Reason(
                        f"The base model {bm.id} ends on {end.isoformat()} "
                        f"({(end - today).days} days from today); the fine-tune dies with it",
                        src2,
                        key or bm.id,
                        end,
                    )
                )
        entry = prices.get(model)
        if entry is not None and not entry.fine_tunable:
            problems.append(
                Reason(
                    f"The price table marks {model} as not fine-tunable",
                    "price_table",
                    f"{model}.fine_tunable",
                    False,
                )
            )

    built = build_cost_model(answers, evidence, prices, platform, catalog)
    cost = built if isinstance(built, CostModel) else None
    gap = built if isinstance(built, CostGap) else None
    # Never a route whose model stops serving before the fine-tune has paid for itself
    stop, pays = horizon_reasons(platform, model, cost, prices.dates, today)
    problems += [stop] if stop is not None else []
    cautions += [pays] if pays is not None else []
    return PlatformOption(
        platform,
        model,
        offers,
        tuple(problems),
        tuple(cautions),
        cost,
        gap,
        winding_down,
        route_horizon(platform, model, prices.dates).text(),
    )


def _access_problem(
    answers: DecisionAnswers, platform: Platform, prices: PriceTable, today: date
) -> Reason | None:
    """OpenAI for an organisation that cannot (or may not) start jobs there: a problem.

    Since the platform closed to new organisations only those that had already
    fine-tuned can start jobs; an organisation that says it cannot, or does not know,
    is never advised to fine-tune there (ISSUE-10 §9).
    """
    restricted = access_restricted_since(platform, prices.dates)
    if restricted is None:
        return None
    since, source = restricted
    access = answers.openai_fine_tuning_access
    end = no_new_jobs_date(platform, prices.dates)
    end_txt = f"; from {end.isoformat()} it takes no new jobs at all" if end else ""
    if access == "no":
        return Reason(
            f"{platform.name}: you answered that your organisation cannot start OpenAI "
            f"fine-tuning jobs (closed to new organisations since {since.isoformat()}"
            f"{end_txt}; {source})",
            "answer",
            "openai_fine_tuning_access",
            access,
        )
    if access == "unknown" and since <= today:
        return Reason(
            f"{platform.name}: since {since.isoformat()} only organisations that had already "
            f"fine-tuned there can start jobs, and it is not known whether yours can"
            f'{end_txt}; answer "{OPENAI_ACCESS_QUESTION}" once you have checked '
            f"({source})",
            "answer",
            "openai_fine_tuning_access",
            access,
        )
    return None
