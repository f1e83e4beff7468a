"""Route horizons: when a route's fine-tuned model stops serving, and whether the fine-tune
has paid for itself by then (ISSUE 13 §5).

The *horizon* of a route (a platform tuning one model) is the date its fine-tuned models
stop serving: the tuned base model's end date in ``platforms.json`` (or the price
table's date of the same key), none for weights the user owns (``weights_owned``), and
unknown when neither file has a date (``docs/where-to-train.md``).

The *payback date* is today plus the cost model's payback time (training cost divided by
the monthly saving, the saving already net of hosting:
:func:`studio.core.decide.cost.build_cost_model`), counted in 30-day months as the cost
model counts them. A route whose model stops serving before its payback date — or that
never pays back at all — is ruled out, and the sentence says both dates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from studio.core.decide.cost import DAYS_PER_MONTH, CostModel
from studio.core.decide.platforms import Platform, base_model_end
from studio.core.decide.reasons import Reason
from studio.core.decide.wording import usd

#: Payback beyond this many months is treated as "not within any horizon" (no date overflow).
MAX_PAYBACK_MONTHS = 1200.0


@dataclass(frozen=True, slots=True)
class Horizon:
    """When a route's fine-tuned model stops serving."""

    ends: date | None  # None: owned weights, or unknown (see ``owned``/``known``)
    owned: bool
    known: bool

    def text(self) -> str:
        """ "2027-10-14", "none (your weights)" or "unknown"."""
        if self.owned:
            return "none (your weights)"
        return self.ends.isoformat() if self.ends is not None else "unknown"


def route_horizon(
    platform: Platform, model: str | None, price_dates: Mapping[str, date]
) -> Horizon:
    """The horizon of tuning ``model`` on ``platform``."""
    if platform.weights_owned:
        return Horizon(None, owned=True, known=True)
    bm = platform.base_model_for(model) if model else None
    end = base_model_end(bm, price_dates) if bm is not None else None
    return Horizon(end, owned=False, known=end is not None)


def payback_date(cost: CostModel, today: date) -> date | None:
    """The day the fine-tune has paid for itself, or None (never, or training unknown)."""
    if cost.training_cost_usd is None or cost.monthly_saving_usd <= 0:
        return None
    months = cost.payback_months if cost.payback_months is not None else 0.0
    if months > MAX_PAYBACK_MONTHS:
        return date.max
    return today + timedelta(days=round(months * DAYS_PER_MONTH))


def horizon_reasons(
    platform: Platform,
    model: str | None,
    cost: CostModel | None,
    price_dates: Mapping[str, date],
    today: date,
) -> tuple[Reason | None, Reason | None]:
    """(problem, caution) of a route's horizon against its payback.

    The problem rules the route out: its model stops serving before the fine-tune has
    paid for itself, or it never pays for itself. The caution, for a route that stays
    usable, says when it pays back and when it stops serving.
    """
    horizon = route_horizon(platform, model, price_dates)
    if horizon.ends is None or cost is None or horizon.ends <= today:
        return None, None  # no horizon, not priced, or already ended (ruled out elsewhere)
    ends = horizon.ends.isoformat()
    what = f"The fine-tuned {model} on {platform.name}"
    field = f"{platform.id}.horizon"
    if cost.monthly_saving_usd <= 0:
        return (
            Reason(
                f"{what} stops serving on {ends} and never pays for itself: it costs "
                f"{usd(-cost.monthly_saving_usd)} a month more than today's model, hosting "
                f"included, so it has not paid back by {ends}",
                "platform_fact",
                field,
                horizon.ends,
            ),
            None,
        )
    paid = payback_date(cost, today)
    if paid is None:  # training cost unknown
        return None, Reason(
            f"{what} stops serving on {ends}; whether it pays for itself before then is "
            "unknown: its training cost is unknown",
            "platform_fact",
            field,
            horizon.ends,
        )
    months = cost.payback_months or 0.0
    paid_txt = "never within 100 years" if paid == date.max else paid.isoformat()
    detail = (
        f"training {usd(cost.training_cost_usd or 0.0)} recovered at "
        f"{usd(cost.monthly_saving_usd)} a month saved after hosting: {months:.1f} months"
    )
    if paid > horizon.ends:
        return (
            Reason(
                f"{what} stops serving on {ends}, before the fine-tune has paid for itself "
                f"on {paid_txt} ({detail}): not recommended",
                "platform_fact",
                field,
                horizon.ends,
            ),
            None,
        )
    return None, Reason(
        f"{what} pays for itself by {paid_txt} ({detail}), before it stops serving on {ends}",
        "platform_fact",
        field,
        horizon.ends,
    )
