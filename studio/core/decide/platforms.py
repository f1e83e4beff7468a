"""Fine-tuning platforms as data: what each accepts, what it charges, where it runs.

Read from ``resources/platforms.json`` (user-editable). ``None`` means "unknown — edit
me": the cost model then says what it left out rather than inventing a number. Dated
facts (OpenAI's wind-down, base-model end dates) are looked up in the price table's
``dates`` first, so one edit of ``prices.json`` moves every date.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from studio.core.errors import UserError
from studio.core.paths import resources_dir

PLATFORMS_FILE = "platforms.json"
#: The fact (and price-table date) since which only some organisations can start OpenAI
#: fine-tuning jobs; the date below is used when neither file has it
#: (docs/decision-facts.md §1: closed to new organisations since 2026-05-07).
OPENAI_CLOSED_TO_NEW_ORGS = "openai_finetuning_closed_to_new_orgs"
OPENAI_CLOSED_TO_NEW_ORGS_DATE = date(2026, 5, 7)
_SENSITIVITY_ORDER = ("public", "internal", "confidential", "regulated")


@dataclass(frozen=True, slots=True)
class PlatformFact:
    """A (possibly dated) fact about a platform, e.g. "no new jobs from 2027-01-06"."""

    id: str
    date: date | None
    effect: str  # "no_new_jobs" | "restricted" | "lock_in" | "info"
    text: str
    source: str


@dataclass(frozen=True, slots=True)
class BaseModel:
    """A base model a platform can fine-tune."""

    id: str
    match: tuple[str, ...]
    end_date: date | None
    end_date_key: str | None

    def matches(self, model: str) -> bool:
        """True when ``model`` names this base model (case-insensitive substring match)."""
        m = model.lower()
        return m == self.id.lower() or any(pat.lower() in m for pat in self.match)


@dataclass(frozen=True, slots=True)
class Range:
    """A low/high range with the value the cost model assumes and the source."""

    low: float
    high: float
    assumed: float
    source: str


@dataclass(frozen=True, slots=True)
class TrainingPrice:
    """A platform's own training price for a model (USD per 1M trained tokens).

    ``usd_per_1m`` None: the platform trains the model but no USD figure is known (the
    cost model says "unknown" instead of borrowing another vendor's price).
    """

    model: str
    usd_per_1m: float | None
    note: str
    source: str


@dataclass(frozen=True, slots=True)
class Platform:
    """One fine-tuning platform.

    The *horizon* of a route is the date its fine-tuned models stop serving: the end date
    of the tuned base model (:func:`base_model_end`), none for weights the user owns
    (``weights_owned``), unknown when the file has no date.
    """

    id: str
    name: str
    formats: tuple[str, ...]
    base_models: tuple[BaseModel, ...]
    default_small_model: str | None
    training_price: str
    training_estimate_usd: Range | None
    hosting_fee_per_hour_usd: float | None
    hosting_note: str
    inference_multiplier: Range | None
    residency: tuple[str, ...]
    residency_note: str
    max_sensitivity: str
    sensitivity_note: str
    facts: tuple[PlatformFact, ...]
    # Where-to-train facts (docs/where-to-train.md): the studio export targets
    # whose files the platform takes, its limits, prices as text, own training prices
    export_targets: tuple[str, ...] = ()
    weights_owned: bool = False
    limits: str = ""
    training_price_note: str = ""
    training_prices: tuple[TrainingPrice, ...] = ()
    horizon_note: str = ""
    # Fine-tuned inference at the base model's per-token price (Azure), whatever the
    # price table says of the vendor's own fine-tuned prices
    inference_at_base_price: bool = False

    def training_price_for(self, model: str) -> TrainingPrice | None:
        """The platform's own training price entry for ``model`` (longest name match)."""
        m = model.lower()
        hits = [tp for tp in self.training_prices if tp.model.lower() in m]
        return max(hits, key=lambda tp: len(tp.model)) if hits else None

    def base_model_for(self, model: str | None) -> BaseModel | None:
        """The base model entry matching ``model`` (None when the platform lacks it)."""
        if not model:
            return None
        # Longest match first so "gpt-4.1-mini" is not taken for "gpt-4.1".
        best: BaseModel | None = None
        best_len = -1
        for bm in self.base_models:
            if bm.matches(model):
                length = max((len(p) for p in bm.match if p.lower() in model.lower()), default=0)
                if model.lower() == bm.id.lower():
                    length = 10_000
                if length > best_len:
                    best, best_len = bm, length
        return best

    def allows_residency(self, residency: str) -> bool:
        """True when data may stay in ``residency`` ("any" always fits)."""
        return residency == "any" or residency in self.residency

    def allows_sensitivity(self, sensitivity: str) -> bool:
        """True when data of ``sensitivity`` may go to this platform per its policy entry."""
        try:
            return _SENSITIVITY_ORDER.index(sensitivity) <= _SENSITIVITY_ORDER.index(
                self.max_sensitivity
            )
        except ValueError:
            return False


@dataclass(frozen=True, slots=True)
class PlatformCatalog:
    """All platforms plus general facts, as loaded from ``platforms.json``."""

    as_of: date
    hours_per_month: float
    platforms: dict[str, Platform]
    general_facts: tuple[PlatformFact, ...]
    path: str

    def get(self, platform_id: str) -> Platform | None:
        """The platform called ``platform_id`` or None."""
        return self.platforms.get(platform_id)

    def general_fact(self, fact_id: str) -> PlatformFact | None:
        """A general fact by id."""
        return next((f for f in self.general_facts if f.id == fact_id), None)


def fact_date(fact: PlatformFact, price_dates: Mapping[str, date]) -> date | None:
    """The date of ``fact``: the price table's date of the same id wins over the file's."""
    return price_dates.get(fact.id, fact.date)


def access_restricted_since(
    platform: Platform, price_dates: Mapping[str, date]
) -> tuple[date, str] | None:
    """(date, source) since which only some organisations may start jobs on ``platform``.

    Only OpenAI has such a rule today; other platforms return None.
    """
    if platform.id != "openai":
        return None
    fact = next((f for f in platform.facts if f.id == OPENAI_CLOSED_TO_NEW_ORGS), None)
    when = (
        fact_date(fact, price_dates)
        if fact is not None
        else price_dates.get(OPENAI_CLOSED_TO_NEW_ORGS)
    )
    source = fact.source if fact is not None and fact.source else "docs/decision-facts.md §1"
    return (when or OPENAI_CLOSED_TO_NEW_ORGS_DATE), source


def no_new_jobs_date(platform: Platform, price_dates: Mapping[str, date]) -> date | None:
    """The date from which ``platform`` takes no new fine-tuning jobs at all, if any."""
    dates = [
        d
        for f in platform.facts
        if f.effect == "no_new_jobs" and (d := fact_date(f, price_dates)) is not None
    ]
    return min(dates) if dates else None


def base_model_end(model: BaseModel, price_dates: Mapping[str, date]) -> date | None:
    """End date of a base model (price table's ``end_date_key`` wins)."""
    if model.end_date_key and model.end_date_key in price_dates:
        return price_dates[model.end_date_key]
    return model.end_date


def load_platforms(path: str | Path | None = None) -> PlatformCatalog:
    """Load the platform catalogue (default: ``resources/platforms.json``).

    Raises:
        UserError: the file is missing, not JSON, or a field is malformed (named).
    """
    p = Path(path) if path is not None else resources_dir() / PLATFORMS_FILE
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UserError(f"The platform file {p} does not exist.", where=str(p)) from exc
    except json.JSONDecodeError as exc:
        raise UserError(
            f"The platform file {p} is not valid JSON: {exc.msg} at line {exc.lineno}.",
            where=f"{p}:{exc.lineno}",
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"The platform file {p} cannot be read: {exc}.", where=str(p)) from exc
    return parse_platforms(raw, source=str(p))


def parse_platforms(raw: Any, *, source: str = "platforms.json") -> PlatformCatalog:
    """Build a :class:`PlatformCatalog` from parsed JSON (see :func:`load_platforms`)."""
    r = _Reader(source)
    top = r.obj(raw, "")
    platforms_raw = r.obj(top.get("platforms"), "platforms")
    platforms: dict[str, Platform] = {}
    for pid, praw in platforms_raw.items():
        where = f"platforms.{pid}"
        pobj = r.obj(praw, where)
        platforms[str(pid)] = Platform(
            id=str(pid),
            name=r.text(pobj.get("name"), f"{where}.name"),
            formats=tuple(
                r.text(x, f"{where}.formats")
                for x in r.lst(pobj.get("formats"), f"{where}.formats")
            ),
            base_models=tuple(
                _base_model(r, bm, f"{where}.base_models[{i}]")
                for i, bm in enumerate(r.lst(pobj.get("base_models"), f"{where}.base_models"))
            ),
            default_small_model=r.opt_text(
                pobj.get("default_small_model"), f"{where}.default_small_model"
            ),
            training_price=r.text(
                pobj.get("training_price", "price_table"), f"{where}.training_price"
            ),
            training_estimate_usd=_range(
                r, pobj.get("training_estimate_usd"), f"{where}.training_estimate_usd"
            ),
            hosting_fee_per_hour_usd=r.opt_num(
                pobj.get("hosting_fee_per_hour_usd"), f"{where}.hosting_fee_per_hour_usd"
            ),
            hosting_note=r.text(pobj.get("hosting_note", ""), f"{where}.hosting_note"),
            inference_multiplier=_range(
                r, pobj.get("inference_multiplier"), f"{where}.inference_multiplier"
            ),
            residency=tuple(
                r.text(x, f"{where}.residency")
                for x in r.lst(pobj.get("residency"), f"{where}.residency")
            ),
            residency_note=r.text(pobj.get("residency_note", ""), f"{where}.residency_note"),
            max_sensitivity=r.text(
                pobj.get("max_sensitivity", "internal"), f"{where}.max_sensitivity"
            ),
            sensitivity_note=r.text(pobj.get("sensitivity_note", ""), f"{where}.sensitivity_note"),
            facts=tuple(
                _fact(r, f, f"{where}.facts[{i}]")
                for i, f in enumerate(r.lst(pobj.get("facts", []), f"{where}.facts"))
            ),
            export_targets=tuple(
                r.text(x, f"{where}.export_targets")
                for x in r.lst(pobj.get("export_targets", []), f"{where}.export_targets")
            ),
            weights_owned=r.flag(pobj.get("weights_owned", False), f"{where}.weights_owned"),
            limits=r.text(pobj.get("limits", ""), f"{where}.limits"),
            training_price_note=r.text(
                pobj.get("training_price_note", ""), f"{where}.training_price_note"
            ),
            training_prices=tuple(
                _training_price(r, tp, f"{where}.training_prices[{i}]")
                for i, tp in enumerate(
                    r.lst(pobj.get("training_prices", []), f"{where}.training_prices")
                )
            ),
            horizon_note=r.text(pobj.get("horizon_note", ""), f"{where}.horizon_note"),
            inference_at_base_price=r.flag(
                pobj.get("inference_at_base_price", False), f"{where}.inference_at_base_price"
            ),
        )
    general = tuple(
        _fact(r, f, f"general_facts[{i}]")
        for i, f in enumerate(r.lst(top.get("general_facts", []), "general_facts"))
    )
    as_of = r.date(top.get("as_of"), "as_of")
    if as_of is None:
        raise r.error("as_of", "a date (YYYY-MM-DD)")
    hours = r.opt_num(top.get("hours_per_month", 720), "hours_per_month") or 720.0
    return PlatformCatalog(
        as_of=as_of, hours_per_month=hours, platforms=platforms, general_facts=general, path=source
    )


def _base_model(r: _Reader, raw: Any, where: str) -> BaseModel:
    obj = r.obj(raw, where)
    return BaseModel(
        id=r.text(obj.get("id"), f"{where}.id"),
        match=tuple(
            r.text(x, f"{where}.match") for x in r.lst(obj.get("match", []), f"{where}.match")
        ),
        end_date=r.date(obj.get("end_date"), f"{where}.end_date"),
        end_date_key=r.opt_text(obj.get("end_date_key"), f"{where}.end_date_key"),
    )


def _training_price(r: _Reader, raw: Any, where: str) -> TrainingPrice:
    obj = r.obj(raw, where)
    return TrainingPrice(
        model=r.text(obj.get("model"), f"{where}.model"),
        usd_per_1m=r.opt_num(obj.get("usd_per_1m"), f"{where}.usd_per_1m"),
        note=r.text(obj.get("note", ""), f"{where}.note"),
        source=r.text(obj.get("source", ""), f"{where}.source"),
    )


def _fact(r: _Reader, raw: Any, where: str) -> PlatformFact:
    obj = r.obj(raw, where)
    return PlatformFact(
        id=r.text(obj.get("id"), f"{where}.id"),
        date=r.date(obj.get("date"), f"{where}.date"),
        effect=r.text(obj.get("effect", "info"), f"{where}.effect"),
        text=r.text(obj.get("text"), f"{where}.text"),
        source=r.text(obj.get("source", ""), f"{where}.source"),
    )


def _range(r: _Reader, raw: Any, where: str) -> Range | None:
    if raw is None:
        return None
    obj = r.obj(raw, where)
    low = r.opt_num(obj.get("low"), f"{where}.low")
    high = r.opt_num(obj.get("high"), f"{where}.high")
    if low is None or high is None:
        raise r.error(where, "an object with numbers 'low' and 'high'")
    assumed = r.opt_num(obj.get("assumed"), f"{where}.assumed")
    return Range(
        low=low,
        high=high,
        assumed=assumed if assumed is not None else high,
        source=r.text(obj.get("source", ""), f"{where}.source"),
    )


class _Reader:
    """Small typed accessors that raise a UserError naming the JSON path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, where: str, expected: str) -> UserError:
        return UserError(
            f"The platform file {self.source}: '{where or 'top level'}' must be {expected}.",
            where=where,
        )

    def obj(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(where, "an object")
        return value

    def lst(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.error(where, "a list")
        return value

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise self.error(where, "text")
        return value

    def flag(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.error(where, "true or false")
        return value

    def opt_text(self, value: Any, where: str) -> str | None:
        return None if value is None else self.text(value, where)

    def opt_num(self, value: Any, where: str) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self.error(where, "a number ≥ 0 or null")
        return float(value)

    def date(self, value: Any, where: str) -> date | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.error(where, "a date (YYYY-MM-DD) or null")
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise self.error(where, "a date (YYYY-MM-DD) or null") from exc
