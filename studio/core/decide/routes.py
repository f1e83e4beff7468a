"""Where to train: the routes for an export target, with formats, limits, prices and horizons.

The export dialog shows, for the chosen export format, every route (platform) in
``resources/platforms.json`` that takes it (``export_targets``): its accepted formats,
its limits, its training and hosting prices (``unknown`` where the file has no figure,
never an invented one) and its *horizon* — when its fine-tuned models stop serving, per
tuned base model (:mod:`studio.core.decide.horizon`), "none" for weights the user owns.
Facts from ``docs/where-to-train.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from studio.core.decide.platforms import Platform, PlatformCatalog, base_model_end
from studio.core.decide.wording import usd


@dataclass(frozen=True, slots=True)
class Route:
    """One place to train a model from an export."""

    platform: str
    name: str
    formats: tuple[str, ...]
    limits: str
    training: str
    hosting: str
    horizon: str

    def lines(self) -> list[str]:
        """The route as a heading line and indented detail lines."""
        return [
            f"{self.name}",
            f"  formats: {', '.join(self.formats) or 'unknown'}",
            f"  limits: {self.limits or 'unknown'}",
            f"  training: {self.training or 'unknown'}",
            f"  hosting: {self.hosting}",
            f"  horizon (fine-tuned models stop serving): {self.horizon}",
        ]


def horizon_text(platform: Platform, price_dates: Mapping[str, date]) -> str:
    """Serving end dates grouped by date.

    E.g. "2027-10-14: gpt-4.1, gpt-4.1-mini; unknown: Qwen3-32B".
    """
    if platform.weights_owned:
        return "none: you own the weights"
    by_date: dict[str, list[str]] = {}
    for bm in platform.base_models:
        end = base_model_end(bm, price_dates)
        by_date.setdefault(end.isoformat() if end else "unknown", []).append(bm.id)
    if not by_date:
        return "unknown"
    keys = sorted(k for k in by_date if k != "unknown") + (
        ["unknown"] if "unknown" in by_date else []
    )
    return "; ".join(f"{k}: {', '.join(by_date[k])}" for k in keys)


def hosting_text(platform: Platform, hours_per_month: float) -> str:
    """ "$1.70 an hour (about $1,224.00 a month)" or the file's note (unknown — edit me)."""
    fee = platform.hosting_fee_per_hour_usd
    if fee is None:
        return platform.hosting_note or "unknown"
    if fee == 0:
        return "no hourly fee" + (f" ({platform.hosting_note})" if platform.hosting_note else "")
    return f"{usd(fee)} an hour (about {usd(fee * hours_per_month)} a month), deployed or not"


def routes_for_target(
    target: str, catalog: PlatformCatalog, price_dates: Mapping[str, date] | None = None
) -> list[Route]:
    """The routes whose ``export_targets`` include ``target``, in the file's order."""
    dates = price_dates or {}
    return [
        Route(
            platform=p.id,
            name=p.name,
            formats=p.formats,
            limits=p.limits,
            training=p.training_price_note,
            hosting=hosting_text(p, catalog.hours_per_month),
            horizon=horizon_text(p, dates),
        )
        for p in catalog.platforms.values()
        if target in p.export_targets
    ]


def routes_text(target: str, catalog: PlatformCatalog) -> str:
    """Every route of ``target`` as text (the export dialog), or why there is none."""
    routes = routes_for_target(target, catalog)
    if not routes:
        return f"No route in {catalog.path} takes {target} files."
    return "\n".join(line for r in routes for line in r.lines())
