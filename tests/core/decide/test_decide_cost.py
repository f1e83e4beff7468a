"""Cost model arithmetic, checked against numbers computed by hand."""

from __future__ import annotations

import pytest
from decide_fixtures import good_evidence, make_catalog, make_prices, narrow_answers

from studio.core.decide.cost import CostGap, CostModel, build_cost_model
from studio.core.decide.platforms import PlatformCatalog
from studio.core.tokens.prices import PriceTable


def cost_for(
    platform: str, catalog: PlatformCatalog, prices: PriceTable, **over: object
) -> CostModel:
    answers = narrow_answers(**{k: v for k, v in over.items() if k != "evidence"})
    evidence = over.get("evidence", good_evidence())
    p = catalog.get(platform)
    assert p is not None
    built = build_cost_model(answers, evidence, prices, p, catalog)  # type: ignore[arg-type]
    assert isinstance(built, CostModel), built
    return built


def test_openai_like_platform_with_fine_tuned_prices_from_the_table(
    prices: PriceTable, catalog: PlatformCatalog
) -> None:
    c = cost_for("openai", catalog, prices)
    # Today: (1000 × 2 + 200 × 8) / 1e6 = $0.0036 a call; × 10,000 × 30 = $1,080.
    assert c.today_cost_per_call == pytest.approx(0.0036)
    assert c.today_monthly_usd == pytest.approx(1080.0)
    # Tuned: (1000 × 0.8 + 200 × 3.2) / 1e6 = $0.00144; × 300,000 = $432.
    assert c.tuned_price_source == "price_table" and c.inference_multiplier is None
    assert c.tuned_cost_per_call == pytest.approx(0.00144)
    assert c.tuned_monthly_usd == pytest.approx(432.0)
    # Training: 1,000 examples × 500 tokens × 3 epochs = 1.5M tokens × $5 = $7.50.
    assert (c.epochs, c.billed_training_tokens) == (3, 1_500_000)
    assert c.training_cost_usd == pytest.approx(7.5)
    assert c.monthly_saving_usd == pytest.approx(648.0)
    assert c.payback_months == pytest.approx(7.5 / 648.0)
    # Break-even: ($7.50 / 12) / (30 × $0.00216) = 9.645 calls a day.
    assert c.break_even_calls_per_day == pytest.approx(0.625 / 0.0648)
    assert c.complete
    today, tuned = c.monthly_at(c.break_even_calls_per_day or 0)
    assert today == pytest.approx(tuned)


def test_hosted_platform_with_multiplier_and_hourly_fee(
    prices: PriceTable, catalog: PlatformCatalog
) -> None:
    c = cost_for("bedrock", catalog, prices, candidate_model="small-b")
    # Tuned prices: base $0.20 / $0.80 × 2 = $0.40 / $1.60 → (400 + 320) / 1e6 = $0.00072.
    assert c.tuned_price_source == "platform_fact" and c.inference_multiplier == 2.0
    assert c.tuned_cost_per_call == pytest.approx(0.00072)
    # Hosting: $10 × 720 h = $7,200 a month; inference 300,000 × 0.00072 = $216.
    assert c.hosting_monthly_usd == pytest.approx(7200.0)
    assert c.tuned_monthly_usd == pytest.approx(7416.0)
    # Training: 1.5M tokens × $4 = $6.
    assert c.training_cost_usd == pytest.approx(6.0)
    # Fine-tuning costs more at 10,000 a day: no payback.
    assert c.monthly_saving_usd == pytest.approx(1080.0 - 7416.0)
    assert c.payback_months is None
    # Break-even: (7,200 + 6/12) / (30 × 0.00288) = 83,339.1 calls a day.
    assert c.break_even_calls_per_day == pytest.approx(7200.5 / 0.0864)


def test_unknown_hosting_fee_is_left_out_and_said(
    prices: PriceTable, catalog: PlatformCatalog
) -> None:
    c = cost_for("vertex", catalog, prices)
    assert c.candidate_model == "small-g"  # the platform's default: it lacks "small"
    assert c.hosting_fee_per_hour_usd is None and c.hosting_monthly_usd == 0.0
    assert not c.complete
    assert any("unknown — edit me" in n for n in c.notes)
    # Training 1.5M × $2 = $3.
    assert c.training_cost_usd == pytest.approx(3.0)


def test_small_datasets_get_more_epochs_and_token_limits_apply(
    prices: PriceTable, catalog: PlatformCatalog
) -> None:
    # 20 examples → 100 // 20 = 5 epochs; 100,000 tokens each clipped to 65,536.
    ev = good_evidence(approved_examples=20, tokens_mean_per_example=100_000.0)
    c = cost_for("openai", catalog, prices, evidence=ev)
    assert c.epochs == 5
    assert c.billed_training_tokens == 20 * 65_536 * 5
    assert c.training_cost_usd == pytest.approx(20 * 65_536 * 5 * 5.0 / 1e6)


def test_missing_examples_assume_500_and_say_so(
    prices: PriceTable, catalog: PlatformCatalog
) -> None:
    c = cost_for("openai", catalog, prices, evidence=good_evidence(approved_examples=None))
    assert c.training_examples == 500 and c.training_examples_assumed
    assert c.training_cost_usd == pytest.approx(500 * 500 * 3 * 5.0 / 1e6)
    assert any("assumes 500" in n for n in c.notes)


def test_a_tuned_model_dearer_per_call_never_breaks_even(catalog: PlatformCatalog) -> None:
    prices = make_prices()
    c = cost_for("openai", catalog, prices, current_model="small")
    # Current "small" base $0.4/$1.6 is cheaper than its fine-tuned $0.8/$3.2.
    assert c.break_even_calls_per_day is None and c.payback_months is None


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"calls_per_day": None}, "calls_per_day"),
        ({"current_model": None}, "current_model"),
        ({"current_model": "not-in-table"}, "not-in-table"),
        ({"evidence": good_evidence(mean_input_tokens=None)}, "mean_input_tokens"),
    ],
)
def test_missing_inputs_give_a_gap_naming_the_field(over: dict[str, object], field: str) -> None:
    catalog = make_catalog()
    p = catalog.get("openai")
    assert p is not None
    evidence = over.pop("evidence", good_evidence())
    built = build_cost_model(
        narrow_answers(**over),
        evidence,
        make_prices(),
        p,  # type: ignore[arg-type]
        catalog,
    )
    assert isinstance(built, CostGap)
    assert built.field == field


def test_cost_model_serialises(prices: PriceTable, catalog: PlatformCatalog) -> None:
    d = cost_for("openai", catalog, prices).to_dict()
    assert d["today_monthly_usd"] == pytest.approx(1080.0)
    assert d["price_table_as_of"] == "2026-08-01"
    assert d["complete"] is True
