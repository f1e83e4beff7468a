"""Route horizons (ISSUE 13 §5): a route whose fine-tuned model stops serving before the
fine-tune has paid for itself is never recommended, and the report says so with both
dates. Figures by hand from decide_fixtures' round prices."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

import pytest
from decide_fixtures import PLATFORMS_RAW, _platform, good_evidence, make_prices, narrow_answers

from studio.core.decide.decision import decide
from studio.core.decide.horizon import route_horizon
from studio.core.decide.options import platform_options
from studio.core.decide.platforms import PlatformCatalog, load_platforms, parse_platforms
from studio.core.decide.report import render_markdown

TODAY = date(2026, 12, 7)
ENDS = date(2027, 10, 14)
# big: $2 in / $8 out; small tuned: $0.80 / $3.20; 1,000 in + 200 out tokens per call
TODAY_PER_CALL = (1000 * 2 + 200 * 8) / 1e6  # 0.0036
TUNED_PER_CALL = (1000 * 0.8 + 200 * 3.2) / 1e6  # 0.00144
HOSTING = 1.70 * 720  # 1,224 a month
# 1,000 examples × 500 tokens × 3 epochs at the route's own $5,000 per 1M (exaggerated
# so the payback is long): $7,500
TRAINING = 1000 * 500 * 3 * 5000 / 1e6


def _catalog() -> PlatformCatalog:
    raw: dict[str, Any] = copy.deepcopy(PLATFORMS_RAW)
    raw["platforms"]["azure"] = _platform(
        "azure",
        base_models=[
            {"id": "small", "match": ["small"], "end_date_key": None, "end_date": ENDS.isoformat()}
        ],
        hosting_fee_per_hour_usd=1.70,
        training_prices=[{"model": "small", "usd_per_1m": 5000, "note": "test", "source": "t"}],
    )
    raw["platforms"]["local"]["weights_owned"] = True
    return parse_platforms(raw, source="test-platforms.json")


def _azure(calls: float) -> Any:
    opts = platform_options(
        narrow_answers(calls_per_day=calls, allowed_platforms=("azure",)),
        good_evidence(),
        make_prices(),
        _catalog(),
        TODAY,
    )
    return opts[0]


def test_payback_after_the_horizon_rules_the_route_out_naming_both_dates() -> None:
    saving = 20_000 * 30 * (TODAY_PER_CALL - TUNED_PER_CALL) - HOSTING
    assert saving == pytest.approx(72.0)
    months = TRAINING / saving  # 104.17
    paid = TODAY + timedelta(days=round(months * 30))  # 3,125 days
    assert paid == date(2035, 6, 28)
    o = _azure(20_000)
    assert o.cost.training_cost_usd == pytest.approx(TRAINING)
    assert o.cost.monthly_saving_usd == pytest.approx(saving)
    assert not o.eligible
    [stop] = [p for p in o.problems if p.field == "azure.horizon"]
    assert (
        "stops serving on 2027-10-14, before the fine-tune has paid for itself on "
        "2035-06-28" in stop.text
    )
    assert "104.2 months" in stop.text
    d = decide(
        narrow_answers(calls_per_day=20_000, allowed_platforms=("azure",)),
        good_evidence(),
        make_prices(),
        _catalog(),
        TODAY,
    )
    assert d.platform != "azure"
    md = render_markdown(d)
    assert "2027-10-14" in md and "2035-06-28" in md


def test_payback_before_the_horizon_keeps_the_route_and_says_when() -> None:
    saving = 100_000 * 30 * (TODAY_PER_CALL - TUNED_PER_CALL) - HOSTING
    assert saving == pytest.approx(5256.0)
    paid = TODAY + timedelta(days=round(TRAINING / saving * 30))  # 43 days
    assert paid == date(2027, 1, 19)
    o = _azure(100_000)
    assert o.eligible
    [pays] = [c for c in o.cautions if c.field == "azure.horizon"]
    assert "pays for itself by 2027-01-19" in pays.text
    assert "before it stops serving on 2027-10-14" in pays.text
    d = decide(
        narrow_answers(calls_per_day=100_000, allowed_platforms=("azure",)),
        good_evidence(),
        make_prices(),
        _catalog(),
        TODAY,
    )
    assert d.recommendation == "fine_tune_small_model" and d.platform == "azure"


def test_a_route_that_never_pays_back_before_its_horizon_is_ruled_out() -> None:
    saving = 10_000 * 30 * (TODAY_PER_CALL - TUNED_PER_CALL) - HOSTING
    assert saving == pytest.approx(-576.0)
    o = _azure(10_000)
    [stop] = [p for p in o.problems if p.field == "azure.horizon"]
    assert "never pays for itself" in stop.text and "$576.00 a month more" in stop.text


def test_owned_weights_and_unknown_dates_have_no_horizon_rule() -> None:
    cat = _catalog()
    local = route_horizon(cat.platforms["local"], "llama-3", {})
    assert (local.owned, local.ends, local.text()) == (True, None, "none (your weights)")
    vertex = route_horizon(cat.platforms["vertex"], "small-g", {})
    assert (vertex.known, vertex.text()) == (False, "unknown")
    opts = platform_options(
        narrow_answers(calls_per_day=20_000, allowed_platforms=("vertex", "local")),
        good_evidence(),
        make_prices(),
        cat,
        TODAY,
    )
    assert all(r.field.endswith(".horizon") is False for o in opts for r in o.problems + o.cautions)


def test_bundled_azure_route_matches_where_to_train() -> None:
    """resources/platforms.json against docs/where-to-train.md §1 and §2."""
    cat = load_platforms()
    az = cat.platforms["azure"]
    ends = {bm.id: bm.end_date for bm in az.base_models}
    assert ends["gpt-4.1"] == ends["gpt-4.1-mini"] == ends["gpt-4.1-nano"] == date(2027, 10, 14)
    assert ends["gpt-4o"] == ends["gpt-4o-mini"] == date(2027, 10, 1)
    assert ends["o4-mini"] == date(2027, 10, 16)
    for open_weight in ("gpt-oss-20b", "Qwen3-32B", "Llama-3.3-70B-Instruct", "Ministral-3B"):
        assert ends[open_weight] is None  # no date in the notes: unknown, not invented
    assert az.hosting_fee_per_hour_usd == 1.70
    assert az.inference_multiplier is not None and az.inference_multiplier.assumed == 1.0
    nano = az.training_price_for("gpt-4.1-nano")
    assert nano is not None and nano.usd_per_1m == 1.50
    for unknown in ("gpt-4.1-mini", "gpt-4.1", "gpt-4o", "gpt-4o-mini", "Qwen3-32B"):
        tp = az.training_price_for(unknown)
        assert tp is not None and tp.usd_per_1m is None, unknown
    assert az.export_targets == ("openai-chat", "openai-dpo")
    assert "65,536 tokens per example" in az.limits and "512 MB" in az.limits
    local = cat.platforms["local"]
    assert local.weights_owned and "local-lora" in local.export_targets
    assert route_horizon(az, "gpt-4.1-mini", {}).ends == date(2027, 10, 14)
    assert route_horizon(local, None, {}).owned


def test_report_lists_each_route_with_its_horizon() -> None:
    d = decide(
        narrow_answers(calls_per_day=100_000, allowed_platforms=("azure", "local")),
        good_evidence(),
        make_prices(),
        _catalog(),
        TODAY,
    )
    horizons = {o["platform"]: o["horizon"] for o in d.options}
    assert horizons == {"azure": "2027-10-14", "local": "none (your weights)"}
    md = render_markdown(d)
    assert "fine-tuned model serves until: 2027-10-14" in md
    assert "fine-tuned model serves until: none (your weights)" in md


def _bundled_azure(calls: float, candidate: str) -> Any:
    from studio.core.paths import resources_dir
    from studio.core.tokens.prices import load_price_table

    prices = load_price_table(resources_dir() / "prices.json")
    answers = narrow_answers(
        calls_per_day=calls,
        current_model="gpt-4.1",
        candidate_model=candidate,
        allowed_platforms=("azure",),
    )
    ev = good_evidence(best_model="gpt-4.1", candidate_model=candidate)
    return platform_options(answers, ev, prices, load_platforms(), TODAY)[0]


def test_bundled_azure_costs_hosting_base_price_inference_and_its_own_training_price() -> None:
    # gpt-4.1 $2 / $8 today; gpt-4.1-nano tuned on Azure at its base price $0.10 / $0.40
    # (resources/prices.json), hosting $1.70 × 720 = $1,224, training at Azure's own
    # $1.50 / 1M: 1,000 examples × 500 tokens × 3 epochs = 1.5M tokens = $2.25
    o = _bundled_azure(20_000, "gpt-4.1-nano")
    c = o.cost
    assert (c.tuned_input_per_1m, c.tuned_output_per_1m) == (0.1, 0.4)
    assert c.hosting_monthly_usd == pytest.approx(1224.0)
    assert c.training_cost_usd == pytest.approx(2.25)
    today = 20_000 * 30 * (1000 * 2 + 200 * 8) / 1e6  # 2,160
    tuned = 20_000 * 30 * (1000 * 0.1 + 200 * 0.4) / 1e6 + 1224  # 108 + 1,224
    assert c.monthly_saving_usd == pytest.approx(today - tuned)  # 828
    assert o.eligible
    [pays] = [r for r in o.cautions if r.field == "azure.horizon"]
    # 2.25 / 828 months = 0.08 days: paid back today, long before 2027-10-14
    assert "pays for itself by 2026-12-07" in pays.text and "2027-10-14" in pays.text


def test_bundled_azure_at_low_volume_never_pays_back_before_it_stops() -> None:
    o = _bundled_azure(3_000, "gpt-4.1-nano")
    # 3,000 × 30 × (0.0036 − 0.00018) − 1,224 = 307.8 − 1,224 = −916.20
    assert o.cost.monthly_saving_usd == pytest.approx(-916.2)
    assert not o.eligible
    [stop] = [r for r in o.problems if r.field == "azure.horizon"]
    assert "stops serving on 2027-10-14 and never pays for itself" in stop.text
    assert "$916.20 a month more" in stop.text


def test_bundled_azure_mini_training_price_is_unknown_not_borrowed() -> None:
    o = _bundled_azure(100_000, "gpt-4.1-mini")
    assert o.cost.training_cost_usd is None and o.cost.training_cost_source == "unknown"
    assert any("€4.40" in n and "left out of the totals" in n for n in o.cost.notes)
    [c] = [r for r in o.cautions if r.field == "azure.horizon"]
    assert "whether it pays for itself before then is unknown" in c.text
