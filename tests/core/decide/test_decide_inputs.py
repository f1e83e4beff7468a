"""Evidence statistics and serialisation; the bundled platform file and its errors."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from decide_fixtures import good_evidence, narrow_answers

from studio.core.decide import decide
from studio.core.decide.evidence import (
    Evidence,
    minimum_detectable_difference,
    needed_test_size,
    wilson_interval,
)
from studio.core.decide.platforms import load_platforms
from studio.core.errors import UserError
from studio.core.paths import resources_dir
from studio.core.tokens.prices import load_price_table


def test_wilson_and_mde_match_the_reference_figures() -> None:
    # docs/engineering-facts.md §8: Wilson half-width at 80 %: 16.8 pp at n = 20, 7.8 pp at n = 100.
    lo, hi = wilson_interval(16, 20)
    assert (hi - lo) / 2 == pytest.approx(0.168, abs=0.002)
    lo, hi = wilson_interval(80, 100)
    assert (hi - lo) / 2 == pytest.approx(0.078, abs=0.001)
    # MDE at base 80 %: 11.2 pp at 200 per arm, 7.1 pp at 500.
    assert minimum_detectable_difference(200) == pytest.approx(0.112, abs=0.001)
    assert minimum_detectable_difference(500) == pytest.approx(0.071, abs=0.001)
    assert needed_test_size(0.112) in (200, 201)


def test_scipy_agrees_on_the_wilson_interval() -> None:
    stats = pytest.importorskip("scipy.stats")
    ref = stats.binomtest(279, 300).proportion_ci(confidence_level=0.95, method="wilson")
    lo, hi = wilson_interval(279, 300)
    assert (lo, hi) == pytest.approx((ref.low, ref.high), abs=1e-9)


def test_evidence_derives_what_it_can_and_round_trips() -> None:
    e = good_evidence()
    assert e.best_interval() == pytest.approx(wilson_interval(0.93 * 300, 300))
    assert e.class_shares() == pytest.approx((0.25, 0.40))
    assert e.effective_mde() == pytest.approx(minimum_detectable_difference(300, 0.93))
    assert e.where("best_score") == "run #12 on the test split"
    d = e.to_dict()
    assert d["effective_mde"] == pytest.approx(e.effective_mde())
    assert Evidence.from_dict(json.loads(json.dumps(d))) == e
    empty = Evidence()
    assert empty.best_interval() is None and empty.effective_mde() is None
    assert empty.class_shares() is None


def test_evidence_from_dict_names_bad_fields() -> None:
    with pytest.raises(UserError) as exc:
        Evidence.from_dict({"approved_examples": "lots"})
    assert exc.value.where == "approved_examples"
    with pytest.raises(UserError, match="unknown field 'score'"):
        Evidence.from_dict({"score": 1})


def test_bundled_platform_file_loads_with_honest_unknowns() -> None:
    cat = load_platforms()
    assert set(cat.platforms) == {"openai", "azure", "vertex", "bedrock", "together", "local"}
    for pid in ("vertex", "bedrock", "together", "local"):
        p = cat.platforms[pid]
        assert p.hosting_fee_per_hour_usd is None
        assert "unknown — edit me" in p.hosting_note
    openai = cat.platforms["openai"]
    cutoff = next(f for f in openai.facts if f.effect == "no_new_jobs")
    assert cutoff.date == date(2027, 1, 6)
    assert openai.inference_multiplier is not None
    assert (openai.inference_multiplier.low, openai.inference_multiplier.high) == (1.5, 3.0)
    assert openai.base_model_for("gpt-4.1-mini") is not None
    assert openai.base_model_for("gpt-4.1-mini").id == "gpt-4.1-mini-2025-04-14"  # type: ignore[union-attr]
    assert cat.platforms["bedrock"].base_model_for("claude-3-haiku") is not None
    assert cat.platforms["local"].allows_residency("on_prem")
    assert not openai.allows_residency("on_prem")
    assert cat.general_fact("fine_tune_dies_with_base_model") is not None


def test_bundled_files_after_the_cutoff_and_a_retired_base_model() -> None:
    prices = load_price_table(resources_dir() / "prices.json")
    cat = load_platforms()
    a = narrow_answers(
        current_model="gpt-4.1", candidate_model="gpt-4.1-mini", allowed_platforms=("openai",)
    )
    ev = good_evidence(best_model="gpt-4.1", candidate_model="gpt-4.1-mini")
    before = decide(a, ev, prices, cat, date(2026, 8, 22))
    assert before.recommendation == "fine_tune_small_model" and before.platform == "openai"
    after = decide(a, ev, prices, cat, date(2027, 1, 6))
    assert after.rule == "ft_no_platform"
    assert any(
        r.field == "openai_finetuning_new_jobs_end" and r.source == "price_table"
        for r in after.reasons
    )
    # Bedrock's Claude 3 Haiku ends 2026-09-10 (price table date): a caution before, a block
    # after.
    b = narrow_answers(
        current_model="gpt-4.1",
        candidate_model="claude-3-haiku",
        allowed_platforms=("bedrock",),
        calls_per_day=50_000.0,
    )
    early = decide(b, ev, prices, cat, date(2026, 8, 22))
    assert any("ends on 2026-09-10" in r.text for o in [early] for r in o.reasons) or any(
        "2026-09-10" in c["text"] for o in early.options for c in o["cautions"]
    )
    late = decide(b, ev, prices, cat, date(2026, 9, 11))
    assert late.options[0]["eligible"] is False
    assert any("ended on 2026-09-10" in p["text"] for p in late.options[0]["problems"])


def test_platform_file_errors_name_the_path(tmp_path: Path) -> None:
    p = tmp_path / "platforms.json"
    raw = json.loads((resources_dir() / "platforms.json").read_text(encoding="utf-8"))
    raw["platforms"]["vertex"]["hosting_fee_per_hour_usd"] = "cheap"
    p.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(UserError) as exc:
        load_platforms(p)
    assert exc.value.where == "platforms.vertex.hosting_fee_per_hour_usd"
    p.write_text("{", encoding="utf-8")
    with pytest.raises(UserError, match="not valid JSON"):
        load_platforms(p)
    with pytest.raises(UserError, match="does not exist"):
        load_platforms(tmp_path / "missing.json")
