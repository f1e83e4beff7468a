"""Cost model: the prompt on today's model vs a fine-tuned small model, per month.

    today     = calls/day × 30 × (in × price_in(current) + out × price_out(current)) / 1M
    tuned     = calls/day × 30 × (in × tuned_in + out × tuned_out) / 1M + hosting/h × 720
    training  = examples × min(tokens/example, model limit) × epochs × training price / 1M
    break-even calls/day = (hosting/month + training / amortisation months)
                           / (30 × (today per call − tuned per call))
    payback months = training / (today − tuned)  when the tuned model saves money

Tuned inference prices come from the price table's fine-tuned prices when it has them,
else from the base price × the platform's inference multiplier (1.5–3×, the assumed
value from ``platforms.json``). Unknown hosting fees are left out and said so; the
break-even is then a lower bound. The cost of curating the data is never included.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from studio.core.decide.answers import DecisionAnswers
from studio.core.decide.evidence import Evidence
from studio.core.decide.platforms import Platform, PlatformCatalog
from studio.core.decide.reasons import jsonable
from studio.core.tokens.prices import ModelPrice, PriceTable, default_epochs

DAYS_PER_MONTH = 30
#: Training is spread over this many months when computing the break-even volume.
AMORTISATION_MONTHS = 12
#: Examples assumed for the training estimate when the project has none approved yet.
ASSUMED_EXAMPLES = 500


@dataclass(frozen=True, slots=True)
class CostModel:
    """Monthly cost today vs a fine-tuned small model on one platform (USD)."""

    platform: str
    current_model: str
    candidate_model: str
    calls_per_day: float
    mean_input_tokens: float
    mean_output_tokens: float
    current_input_per_1m: float
    current_output_per_1m: float
    today_cost_per_call: float
    today_monthly_usd: float
    tuned_input_per_1m: float
    tuned_output_per_1m: float
    tuned_price_source: str  # "price_table" (fine-tuned prices) | "platform_fact" (multiplier)
    inference_multiplier: float | None
    tuned_cost_per_call: float
    tuned_inference_monthly_usd: float
    hosting_fee_per_hour_usd: float | None  # None = unknown, left out of the totals
    hosting_monthly_usd: float
    hours_per_month: float
    training_examples: int
    training_examples_assumed: bool
    tokens_per_example: float | None
    epochs: int
    billed_training_tokens: int | None
    training_per_1m: float | None
    training_cost_usd: float | None  # None = unknown, left out of the totals
    training_cost_source: str  # "price_table" | "platform_fact" | "unknown"
    amortisation_months: int
    tuned_monthly_usd: float  # inference + hosting, training excluded (one-off)
    monthly_saving_usd: float  # today − tuned (negative: fine-tuning costs more)
    break_even_calls_per_day: float | None  # None: a tuned call is not cheaper at any volume
    payback_months: float | None  # None: never pays back
    price_table_as_of: date
    notes: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """False when the hosting fee or the training cost is unknown (totals understate)."""
        return self.hosting_fee_per_hour_usd is not None and self.training_cost_usd is not None

    def monthly_at(self, calls_per_day: float) -> tuple[float, float]:
        """(today, fine-tuned) monthly cost at ``calls_per_day``, training amortised."""
        today = calls_per_day * DAYS_PER_MONTH * self.today_cost_per_call
        tuned = (
            calls_per_day * DAYS_PER_MONTH * self.tuned_cost_per_call
            + self.hosting_monthly_usd
            + (self.training_cost_usd or 0.0) / self.amortisation_months
        )
        return today, tuned

    def to_dict(self) -> dict[str, Any]:
        """All fields as JSON-ready values plus ``complete``."""
        out: dict[str, Any] = {f.name: jsonable(getattr(self, f.name)) for f in fields(self)}
        out["complete"] = self.complete
        return out


@dataclass(frozen=True, slots=True)
class CostGap:
    """Why no cost model could be built (a sentence and the field it names)."""

    text: str
    source: str
    field: str


def tuned_model_for(platform: Platform, candidate: str | None) -> tuple[str | None, bool]:
    """The model to tune on ``platform``: the candidate if offered, else its default.

    Returns:
        (model, is_the_candidate)
    """
    if candidate and platform.base_model_for(candidate) is not None:
        return candidate, True
    return platform.default_small_model, False


def build_cost_model(
    answers: DecisionAnswers,
    evidence: Evidence,
    prices: PriceTable,
    platform: Platform,
    catalog: PlatformCatalog,
    *,
    amortisation_months: int = AMORTISATION_MONTHS,
) -> CostModel | CostGap:
    """Compute the monthly cost comparison for tuning on ``platform``.

    Returns a :class:`CostGap` naming the first missing input when the comparison
    cannot be made (no volume, no measured tokens, a model missing from the price table).
    """
    if answers.calls_per_day is None:
        return CostGap("the expected calls per day are not known", "answer", "calls_per_day")
    if not answers.current_model:
        return CostGap("the current model is not named", "answer", "current_model")
    if evidence.mean_input_tokens is None or evidence.mean_output_tokens is None:
        return CostGap(
            "no measured mean input/output tokens per call (run the prompt on the test split)",
            "evidence",
            "mean_input_tokens",
        )
    current = prices.get(answers.current_model)
    if current is None or current.input_per_1m is None or current.output_per_1m is None:
        return CostGap(
            f"the price table (as of {prices.as_of.isoformat()}) has no inference price for "
            f"{answers.current_model}",
            "price_table",
            answers.current_model,
        )
    tuned_name, _ = tuned_model_for(platform, answers.candidate_model)
    if tuned_name is None:
        return CostGap(
            f"{platform.name} does not offer {answers.candidate_model or 'a named candidate'} "
            "and has no default small model",
            "platform_fact",
            f"{platform.id}.base_models",
        )
    tuned = prices.get(tuned_name)
    tuned_prices = _tuned_prices(tuned, platform)
    if tuned is None or tuned_prices is None:
        return CostGap(
            f"the price table (as of {prices.as_of.isoformat()}) has no inference price for "
            f"{tuned_name}",
            "price_table",
            tuned_name,
        )
    tuned_in, tuned_out, tuned_source, multiplier = tuned_prices
    notes: list[str] = []

    calls = answers.calls_per_day
    tin, tout = evidence.mean_input_tokens, evidence.mean_output_tokens
    today_pc = (tin * current.input_per_1m + tout * current.output_per_1m) / 1_000_000
    tuned_pc = (tin * tuned_in + tout * tuned_out) / 1_000_000
    today_monthly = calls * DAYS_PER_MONTH * today_pc
    tuned_inference_monthly = calls * DAYS_PER_MONTH * tuned_pc

    hosting = platform.hosting_fee_per_hour_usd
    hosting_monthly = (hosting or 0.0) * catalog.hours_per_month
    if hosting is None:
        notes.append(
            f"{platform.name}: hosting fee {platform.hosting_note.rstrip('.')}; left out of "
            "the totals, so the fine-tuned cost is understated."
        )

    # Training estimate.
    n = evidence.approved_examples
    assumed_n = n is None or n <= 0
    n_examples = ASSUMED_EXAMPLES if assumed_n or n is None else n
    if assumed_n:
        notes.append(f"No approved examples yet: training cost assumes {ASSUMED_EXAMPLES}.")
    tpe = evidence.tokens_mean_per_example
    if tpe is None:
        tpe = tin + tout
        notes.append("Tokens per training example taken as one call's input + output tokens.")
    if tuned.max_example_tokens is not None:
        tpe = min(tpe, float(tuned.max_example_tokens))
    epochs = default_epochs(n_examples)
    billed = round(n_examples * tpe * epochs)
    training_cost: float | None
    training_per_1m = tuned.training_per_1m
    own = platform.training_price_for(tuned_name)  # the platform's own price wins
    if own is not None:
        training_per_1m = own.usd_per_1m
        if own.usd_per_1m is not None:
            training_cost = billed * own.usd_per_1m / 1_000_000
            training_source = "platform_fact"
        else:
            training_cost = None
            training_source = "unknown"
            notes.append(
                f"Training {tuned_name} on {platform.name}: {own.note} — unknown in USD; "
                "left out of the totals."
            )
    elif platform.training_price == "price_table" and tuned.training_per_1m is not None:
        training_cost = billed * tuned.training_per_1m / 1_000_000
        training_source = "price_table"
    elif platform.training_estimate_usd is not None:
        training_cost = platform.training_estimate_usd.high
        training_source = "platform_fact"
        notes.append(
            f"Training priced at the top of the range ${platform.training_estimate_usd.low:g}–"
            f"${platform.training_estimate_usd.high:g} ({platform.training_estimate_usd.source})."
        )
    else:
        training_cost = None
        training_source = "unknown"
        notes.append(f"Training cost on {platform.name} unknown — edit me; left out of the totals.")

    tuned_monthly = tuned_inference_monthly + hosting_monthly
    saving = today_monthly - tuned_monthly
    per_call_saving = today_pc - tuned_pc
    fixed_monthly = hosting_monthly + (training_cost or 0.0) / amortisation_months
    break_even = fixed_monthly / (DAYS_PER_MONTH * per_call_saving) if per_call_saving > 0 else None
    payback = (training_cost or 0.0) / saving if saving > 0 else None
    # Duplicates report pairs this keyword-argument constructor with others (evals runner's
    # CallResult, evals summary's PreferenceSummary) and with its own tail: same shape, different
    # records.
    return CostModel(
        platform=platform.id,
        current_model=answers.current_model,
        candidate_model=tuned_name,
        calls_per_day=calls,
        mean_input_tokens=tin,
        mean_output_tokens=tout,
        current_input_per_1m=current.input_per_1m,
        current_output_per_1m=current.output_per_1m,
        today_cost_per_call=today_pc,
        today_monthly_usd=today_monthly,
        tuned_input_per_1m=tuned_in,
        tuned_output_per_1m=tuned_out,
        tuned_price_source=tuned_source,
        inference_multiplier=multiplier,
        tuned_cost_per_call=tuned_pc,
        tuned_inference_monthly_usd=tuned_inference_monthly,
        hosting_fee_per_hour_usd=hosting,
        hosting_monthly_usd=hosting_monthly,
        hours_per_month=catalog.hours_per_month,
        training_examples=n_examples,
        training_examples_assumed=assumed_n,
        tokens_per_example=tpe,
        epochs=epochs,
        billed_training_tokens=billed,
        training_per_1m=training_per_1m,
        training_cost_usd=training_cost,
        training_cost_source=training_source,
        amortisation_months=amortisation_months,
        tuned_monthly_usd=tuned_monthly,
        monthly_saving_usd=saving,
        break_even_calls_per_day=break_even,
        payback_months=payback,
        price_table_as_of=prices.as_of,
        notes=tuple(notes),
    )


def _tuned_prices(
    tuned: ModelPrice | None, platform: Platform
) -> tuple[float, float, str, float | None] | None:
    """(input, output, source, multiplier) per 1M tokens for the fine-tuned model."""
    if tuned is None:
        return None
    if platform.inference_at_base_price:
        if tuned.input_per_1m is None or tuned.output_per_1m is None:
            return None
        return tuned.input_per_1m, tuned.output_per_1m, "platform_fact", 1.0
    if tuned.ft_input_per_1m is not None and tuned.ft_output_per_1m is not None:
        return tuned.ft_input_per_1m, tuned.ft_output_per_1m, "price_table", None
    mult = platform.inference_multiplier
    if mult is None or tuned.input_per_1m is None or tuned.output_per_1m is None:
        return None
    return (
        tuned.input_per_1m * mult.assumed,
        tuned.output_per_1m * mult.assumed,
        "platform_fact",
        mult.assumed,
    )
