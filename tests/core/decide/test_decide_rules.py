"""One scenario per row of the decision table, plus the edge cases the issue lists."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from decide_fixtures import (
    AFTER_OPENAI_CUTOFF,
    TODAY,
    good_evidence,
    make_catalog,
    make_prices,
    narrow_answers,
)

from studio.core.decide import RECOMMENDATIONS, RULES, Decision, decide
from studio.core.decide.answers import DecisionAnswers
from studio.core.decide.evidence import Evidence
from studio.core.decide.platforms import PlatformCatalog
from studio.core.decide.reasons import REASON_SOURCES
from studio.core.decide.rules import CONDITIONS, EXPLAINERS
from studio.core.tokens.prices import PriceTable


def run(
    answers: DecisionAnswers,
    evidence: Evidence | None = None,
    *,
    prices: PriceTable | None = None,
    catalog: PlatformCatalog | None = None,
    today: date = TODAY,
) -> Decision:
    d = decide(
        answers,
        evidence if evidence is not None else good_evidence(),
        prices or make_prices(),
        catalog or make_catalog(),
        today,
    )
    _check_well_formed(d)
    return d


def _check_well_formed(d: Decision) -> None:
    """Every decision: a known recommendation, traced reasons, JSON-serialisable output."""
    assert d.recommendation in RECOMMENDATIONS
    assert d.headline
    assert d.reasons, "a recommendation without reasons"
    for r in d.reasons:
        assert r.source in REASON_SOURCES
        assert r.text and r.field
    out = d.to_json()
    assert {"recommendation", "reasons", "evidence"} <= out.keys()
    json.dumps(out)  # no dates, sets or NaN left


def texts(d: Decision) -> str:
    return "\n".join(r.text for r in d.reasons)


def fields_of(d: Decision) -> set[tuple[str, str]]:
    return {(r.source, r.field) for r in d.reasons}


def only(kind: str, **over: Any) -> DecisionAnswers:
    return narrow_answers(must_change=frozenset({kind}), **over)


# ------------------------------------------------------------------ the six rows of the table


def test_row1_fixed_structure_gets_structured_outputs() -> None:
    d = run(only("format_structure"))
    assert d.recommendation == "structured_outputs"
    assert ("answer", "must_change") in fields_of(d)
    assert "structured outputs" in texts(d)
    # The measured prompt score is reported with its interval and n.
    assert any(r.field == "best_score" and r.value == 0.93 for r in d.reasons)
    assert "n = 300" in texts(d)


def test_row2_current_facts_get_retrieval() -> None:
    d = run(only("knowledge_facts"))
    assert d.recommendation == "retrieval"
    assert "not knowledge" in texts(d)
    assert ("platform_fact", "facts_not_taught_by_fine_tuning") in fields_of(d)


def test_row3_brand_voice_gets_system_prompt_with_examples() -> None:
    d = run(only("tone_style"))
    assert d.recommendation == "system_prompt_with_examples"
    assert "few good examples" in texts(d)


def test_row4_long_procedure_gets_sop_in_prompt_with_checking_step() -> None:
    d = run(only("long_procedure"))
    assert d.recommendation == "sop_in_prompt"
    assert "checking step" in texts(d)


def test_row5_narrow_high_volume_gets_fine_tune_with_platform_and_costs() -> None:
    d = run(narrow_answers())
    assert d.recommendation == "fine_tune_small_model"
    assert d.platform == "openai" and d.tuned_model == "small"
    assert d.cost is not None
    # 10,000 calls/day × 30 × (1000 × $2 + 200 × $8)/1M = $1,080 a month today.
    assert d.cost.today_monthly_usd == pytest.approx(1080.0)
    assert "$1,080.00 a month" in texts(d)
    # Training: 1,000 × 500 tokens × 3 epochs × $5/1M = $7.50.
    assert "$7.50 once" in texts(d)
    # Traced: answers, evidence, price table and platform facts all appear.
    sources = {r.source for r in d.reasons}
    assert sources == {"answer", "evidence", "price_table", "platform_fact"}
    assert ("evidence", "approved_examples") in fields_of(d)
    assert ("platform_fact", "openai.formats") in fields_of(d)
    # The wind-down ahead is a caution read from the price table's dates.
    assert ("price_table", "openai_finetuning_new_jobs_end") in fields_of(d)
    assert any("Below 9.6 calls a day" in w for w in d.what_would_change)
    assert any("curating" in w for w in d.warnings)


def test_row6_next_step_decisions_get_agent_design() -> None:
    d = run(narrow_answers(must_change=frozenset({"next_step_decisions", "narrow_high_volume"})))
    assert d.recommendation == "agent_design"
    assert "agent design question" in texts(d)
    assert any("fixed rather than chosen" in w for w in d.what_would_change)


def test_every_recommendation_is_reachable_and_the_table_is_consistent() -> None:
    for rule in RULES:
        assert rule.recommendation in RECOMMENDATIONS
        assert all(name in CONDITIONS for name in rule.when)
        assert all(name in EXPLAINERS for name in rule.extra)
    assert RULES[-1].when == ()  # the table always ends with a default row
    seen = {
        run(only("format_structure")).recommendation,
        run(only("knowledge_facts")).recommendation,
        run(only("tone_style")).recommendation,
        run(only("long_procedure")).recommendation,
        run(narrow_answers()).recommendation,
        run(only("next_step_decisions")).recommendation,
        run(narrow_answers(), good_evidence(test_set_size=None)).recommendation,
        run(narrow_answers(must_change=frozenset())).recommendation,
    }
    assert seen == set(RECOMMENDATIONS)


# ------------------------------------------------------------------ the usual checks


def test_facts_win_over_fine_tuning_even_at_huge_volume_when_knowledge_changes_weekly() -> None:
    a = narrow_answers(
        must_change=frozenset({"knowledge_facts", "narrow_high_volume"}),
        knowledge_changes="weekly",
        calls_per_day=1_000_000.0,
    )
    d = run(a)
    assert d.recommendation == "retrieval"
    weekly = [r for r in d.reasons if r.field == "knowledge_changes"]
    assert weekly and weekly[0].value == "weekly" and "stale within a week" in weekly[0].text
    assert "that change weekly" in d.headline
    assert any("rarely instead of weekly" in w for w in d.what_would_change)


def test_weekly_knowledge_without_facts_is_a_warning() -> None:
    d = run(only("tone_style", knowledge_changes="weekly"))
    assert d.recommendation == "system_prompt_with_examples"
    assert any("change weekly" in w for w in d.warnings)


def test_prompt_not_meeting_target_keeps_improving_the_prompt() -> None:
    d = run(narrow_answers(), good_evidence(best_score=0.82))
    assert d.recommendation == "keep_improving_prompt"
    assert d.rule == "ft_prompt_unproven"
    assert any(r.field == "quality_target" and r.value == 0.9 for r in d.reasons)
    assert any(
        "If the quality target were 0.82 (the best prompt's score) instead of 0.90" in w
        for w in d.what_would_change
    )


def test_prompt_never_scored_keeps_improving_the_prompt() -> None:
    d = run(narrow_answers(), good_evidence(best_score=None))
    assert d.rule == "ft_prompt_unproven"
    assert "No prompt has been scored" in texts(d)


def test_too_few_examples_collects_more_data_and_says_how_many() -> None:
    d = run(narrow_answers(), good_evidence(approved_examples=60))
    assert d.recommendation == "collect_more_data"
    assert any(r.field == "approved_examples" and r.value == 60 for r in d.reasons)
    assert any(
        "With 40 more approved examples (100 in all)" in w and "with 440 more" in w
        for w in d.what_would_change
    )


def test_minimum_examples_fine_tune_but_say_400_more_would_reach_500() -> None:
    d = run(narrow_answers(), good_evidence(approved_examples=100))
    assert d.recommendation == "fine_tune_small_model"
    assert any("With 400 more approved examples (500 in all)" in w for w in d.what_would_change)


def test_leaked_test_examples_block_the_fine_tune() -> None:
    d = run(narrow_answers(), good_evidence(leaks=12))
    assert d.recommendation == "collect_more_data"
    assert any(r.field == "leaks" and r.value == 12 for r in d.reasons)
    assert any("12 leaked" in w for w in d.what_would_change)


def test_low_volume_narrow_task_keeps_prompt_and_gives_the_break_even_volume(
    prices: PriceTable,
    catalog: PlatformCatalog,
) -> None:
    # Bedrock-like platform with a $10/h hosting fee: break-even is
    # (7,200 + $6 / 12) / (30 × ($0.0036 − $0.00072)) = 83,339 calls a day.
    a = narrow_answers(allowed_platforms=("bedrock",), candidate_model="small-b")
    d = run(a, prices=prices, catalog=catalog)
    assert d.recommendation == "keep_improving_prompt"
    assert d.rule == "narrow_low_volume"
    assert d.cost is not None and d.cost.break_even_calls_per_day == pytest.approx(83_339.1, 0.01)
    assert any(
        "At 83,339 calls a day" in w and "this becomes fine-tuning" in w
        for w in d.what_would_change
    )
    # The same answers at 100,000 calls a day become a fine-tune.
    d2 = run(
        narrow_answers(
            allowed_platforms=("bedrock",), candidate_model="small-b", calls_per_day=100_000.0
        )
    )
    assert d2.recommendation == "fine_tune_small_model" and d2.platform == "bedrock"


def test_latency_alone_can_motivate_distillation() -> None:
    a = narrow_answers(
        allowed_platforms=("bedrock",), candidate_model="small-b", latency_target_p95_ms=800.0
    )
    d = run(a, good_evidence(latency_p95_ms=1400.0))
    assert d.recommendation == "fine_tune_small_model"
    assert any(r.field == "latency_p95_ms" and r.value == 1400.0 for r in d.reasons)
    assert any("If a p95 of 1,400 ms were acceptable" in w for w in d.what_would_change)


def test_unknown_volume_does_not_fine_tune() -> None:
    d = run(narrow_answers(calls_per_day=None))
    assert d.rule == "narrow_low_volume"
    assert any(r.field == "calls_per_day" and r.value is None for r in d.reasons)
    assert d.cost is None


def test_without_prices_the_rule_of_thumb_of_tens_of_thousands_applies() -> None:
    # No measured tokens: no cost model; 30,000 calls a day is above the rule of thumb.
    ev = good_evidence(mean_input_tokens=None, mean_output_tokens=None)
    d = run(narrow_answers(calls_per_day=30_000.0), ev)
    assert d.cost is None
    assert d.recommendation == "fine_tune_small_model"
    assert "tens of thousands of calls a day" in texts(d)
    d2 = run(narrow_answers(calls_per_day=5_000.0), ev)
    assert d2.recommendation == "keep_improving_prompt"
    assert any("At 20,000 calls a day or more" in w for w in d2.what_would_change)


# ------------------------------------------------------------------ edge cases from the issue


def test_no_test_set() -> None:
    d = run(narrow_answers(), good_evidence(test_set_size=None, best_score=None, best_n=None))
    assert d.recommendation == "collect_more_data"
    assert d.rule == "ft_no_test_set"
    assert any(r.field == "test_set_size" and r.value is None for r in d.reasons)
    assert any("No test split" in w for w in d.warnings)
    # 10 pp at a base of 80 %: 2 × 0.16 × 2.8016² / 0.01 = 252 examples.
    assert any("test split of 252 examples (0 today)" in w for w in d.what_would_change)


def test_no_test_set_on_a_prompt_row_still_warns() -> None:
    d = run(only("format_structure"), good_evidence(test_set_size=None))
    assert d.recommendation == "structured_outputs"
    assert any("No test split" in w for w in d.warnings)


def test_tiny_test_set_mde_too_big_to_tell() -> None:
    d = run(narrow_answers(), good_evidence(test_set_size=40, best_n=40))
    assert d.recommendation == "collect_more_data"
    assert d.rule == "ft_tiny_test_set"
    tiny = next(r for r in d.reasons if r.field == "test_set_size")
    # Unpaired MDE at base 0.93, n = 40: 2.8016 × sqrt(2 × 0.93 × 0.07 / 40) = 16.0 pp.
    assert tiny.value == 40 and "16.0 pp" in tiny.text
    assert any("only 40 examples" in w for w in d.warnings)


def test_prompt_already_meets_target_on_the_small_model() -> None:
    d = run(narrow_answers(), good_evidence(candidate_score=0.92))
    assert d.recommendation == "keep_improving_prompt"
    assert d.rule == "small_model_prompt_enough"
    assert "already meets the target" in d.headline
    assert any(r.field == "candidate_score" and r.value == 0.92 for r in d.reasons)
    assert any(r.field == "candidate_p_value" for r in d.reasons)
    assert any("rose above 0.92" in w for w in d.what_would_change)


def test_prompt_already_meets_target_on_a_prompt_row() -> None:
    d = run(only("tone_style"))
    assert any(
        r.field == "best_score" and "already meets the target 0.90" in r.text for r in d.reasons
    )


def test_huge_volume() -> None:
    d = run(narrow_answers(calls_per_day=1_000_000.0))
    assert d.recommendation == "fine_tune_small_model"
    assert d.cost is not None
    # 100× the 10,000-a-day figures.
    assert d.cost.today_monthly_usd == pytest.approx(108_000.0)
    assert d.cost.monthly_saving_usd == pytest.approx(64_800.0)
    assert any(
        "huge volume" in r.text and "10,000 wrong answers a day" in r.text for r in d.reasons
    )
    assert any("rate limits" in w for w in d.warnings)


def test_no_allowed_platform_fits_the_residency() -> None:
    a = narrow_answers(residency="on_prem", allowed_platforms=("openai", "vertex"))
    d = run(a)
    assert d.recommendation == "keep_improving_prompt"
    assert d.rule == "ft_no_platform"
    assert d.platform is None
    residency = [r for r in d.reasons if r.field.endswith(".residency")]
    assert {r.field for r in residency} == {"openai.residency", "vertex.residency"}
    assert any("Allowing local" in w for w in d.what_would_change)
    assert any("Allowing bedrock" in w for w in d.what_would_change) is False


def test_eu_residency_picks_the_platform_that_offers_eu() -> None:
    a = narrow_answers(residency="eu", allowed_platforms=("openai", "vertex"))
    d = run(a)
    # Vertex is usable but its hosting fee is unknown: the break-even is a lower bound.
    assert d.recommendation == "fine_tune_small_model"
    assert d.platform == "vertex" and d.tuned_model == "small-g"
    assert d.cost is not None and d.cost.hosting_fee_per_hour_usd is None
    assert any("unknown — edit me" in w for w in d.warnings)
    assert any("does not offer small" in r.text for r in d.reasons)


def test_regulated_data_only_goes_local() -> None:
    a = narrow_answers(data_sensitivity="regulated", allowed_platforms=("openai",))
    d = run(a)
    assert d.rule == "ft_no_platform"
    assert any(r.field == "openai.max_sensitivity" for r in d.reasons)


def test_after_the_openai_cutoff_date() -> None:
    d = run(narrow_answers(allowed_platforms=("openai",)), today=AFTER_OPENAI_CUTOFF)
    assert d.recommendation == "keep_improving_prompt"
    assert d.rule == "ft_no_platform"
    cutoff = next(r for r in d.reasons if r.field == "openai_finetuning_new_jobs_end")
    assert cutoff.source == "price_table" and cutoff.value == date(2027, 1, 6)
    assert "2027-01-06" in cutoff.text and "2027-02-01" in cutoff.text
    assert any("no new fine-tuning jobs since 2027-01-06" in w for w in d.warnings)
    # Before the cutoff the same answers fine-tune on OpenAI.
    assert run(narrow_answers(allowed_platforms=("openai",))).platform == "openai"
    # With another platform allowed, the job moves there after the cutoff.
    d2 = run(
        narrow_answers(allowed_platforms=("openai", "bedrock"), calls_per_day=100_000.0),
        today=AFTER_OPENAI_CUTOFF,
    )
    assert d2.recommendation == "fine_tune_small_model" and d2.platform == "bedrock"


def test_the_cutoff_date_comes_from_the_price_table_not_the_code() -> None:
    prices = make_prices(openai_finetuning_new_jobs_end="2026-08-01")
    d = run(narrow_answers(allowed_platforms=("openai",)), prices=prices, today=TODAY)
    assert d.rule == "ft_no_platform"
    assert any("2026-08-01" in r.text for r in d.reasons)


def test_winding_down_platform_ranks_after_a_stable_one() -> None:
    # Both offer a priced model; OpenAI's wind-down date is ahead, so Bedrock comes first
    # only if it offers the candidate: here the candidate is on both.
    catalog = make_catalog()
    d = run(
        narrow_answers(
            allowed_platforms=("openai", "bedrock"),
            calls_per_day=100_000.0,
            candidate_model="small-b",
        ),
        catalog=catalog,
    )
    assert d.platform == "bedrock"
    assert d.options[0]["platform"] == "openai" and d.options[0]["cautions"]


def test_no_platform_named_means_every_platform_is_weighed() -> None:
    # ISSUE-10 §9: an empty answer is no restriction, not a ban
    d = run(narrow_answers(allowed_platforms=(), calls_per_day=30_000.0))
    assert d.rule == "fine_tune" and d.platform == "openai"
    assert [o["platform"] for o in d.options] == ["openai", "vertex", "bedrock", "local"]
    assert any(r.field == "allowed_platforms" and r.value == [] for r in d.reasons)


def test_nothing_ticked_is_the_default_row() -> None:
    d = run(narrow_answers(must_change=frozenset()))
    assert d.rule == "default" and d.recommendation == "keep_improving_prompt"


def test_empty_evidence_works_everywhere() -> None:
    for kind in (
        "format_structure",
        "tone_style",
        "knowledge_facts",
        "long_procedure",
        "narrow_high_volume",
        "next_step_decisions",
    ):
        d = run(only(kind), Evidence())
        assert d.evidence == Evidence()
    # Nothing measured: 10,000 calls a day is below the rule of thumb, 30,000 is not, and
    # then the missing test set comes first.
    assert run(narrow_answers(), Evidence()).rule == "narrow_low_volume"
    d = run(narrow_answers(calls_per_day=30_000.0), Evidence())
    assert d.rule == "ft_no_test_set" and d.recommendation == "collect_more_data"
