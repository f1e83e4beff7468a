"""Every reason template in every branch (ISSUE-10 §9), and the OpenAI access question.

The scenarios below drive each explanation of :mod:`studio.core.decide.explanations` (and the
sentences of :mod:`studio.core.decide.decision` and the OpenAI access check of
:mod:`studio.core.decide.options`) through each of its branches. A line tracer records
which lines ran: a template line no scenario reaches fails the test, so a new branch
cannot ship untested. Every sentence produced is checked for the marks of a broken
template (``None``, ``nan``, braces, doubled spaces, "needs no ...").
"""

from __future__ import annotations

import copy
import dis
import inspect
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

import pytest
from decide_fixtures import (
    AFTER_OPENAI_CUTOFF,
    PLATFORMS_RAW,
    TODAY,
    good_evidence,
    make_catalog,
    make_prices,
    narrow_answers,
)

from studio.core.decide import (
    context,
    cost_reasons,
    decide,
    decision,
    explanations,
    options,
    rules,
    wording,
)
from studio.core.decide.answers import DecisionAnswers
from studio.core.decide.decision import Decision
from studio.core.decide.evidence import Evidence
from studio.core.decide.platforms import PlatformCatalog, parse_platforms
from studio.core.decide.report import render_html, render_markdown
from studio.core.tokens.prices import PriceTable


@dataclass
class Scenario:
    name: str
    answers: DecisionAnswers
    evidence: Evidence = field(default_factory=good_evidence)
    today: date = TODAY
    catalog: Callable[[], PlatformCatalog] = make_catalog
    prices: Callable[[], PriceTable] = make_prices
    rule: str | None = None


def _catalog(**platform_over: dict[str, Any]) -> Callable[[], PlatformCatalog]:
    def make() -> PlatformCatalog:
        raw = copy.deepcopy(PLATFORMS_RAW)
        for pid, over in platform_over.items():
            if over.get("drop"):
                del raw["platforms"][pid]
            else:
                raw["platforms"][pid].update(over)
        return parse_platforms(raw, source="test-platforms.json")

    return make


def _no_general_facts() -> PlatformCatalog:
    raw = copy.deepcopy(PLATFORMS_RAW)
    raw["general_facts"] = []
    return parse_platforms(raw, source="test-platforms.json")


def _no_platforms() -> PlatformCatalog:
    raw = copy.deepcopy(PLATFORMS_RAW)
    raw["platforms"] = {}
    return parse_platforms(raw, source="test-platforms.json")


def _n(**over: Any) -> DecisionAnswers:
    return narrow_answers(**over)


def _only(kind: str, **over: Any) -> DecisionAnswers:
    return narrow_answers(must_change=frozenset({kind}), **over)


ONLY_BEDROCK = {"allowed_platforms": ("bedrock",), "candidate_model": "small-b"}

SCENARIOS: list[Scenario] = [
    # agent and facts rows
    Scenario("agent", _only("next_step_decisions"), rule="agent"),
    Scenario(
        "agent_with_facts",
        _n(must_change=frozenset({"next_step_decisions", "knowledge_facts"})),
        rule="agent",
    ),
    Scenario("facts_weekly", _only("knowledge_facts", knowledge_changes="weekly"), rule="facts"),
    Scenario(
        "facts_daily_no_general_fact",
        _only("knowledge_facts", knowledge_changes="daily"),
        catalog=_no_general_facts,
        rule="facts",
    ),
    Scenario("facts_rarely", _only("knowledge_facts"), rule="facts"),
    # the small model already meets the target
    Scenario("small_meets", _n(quality_target=0.8), rule="small_model_prompt_enough"),
    Scenario(
        "small_meets_p_high",
        _n(quality_target=0.8),
        good_evidence(candidate_p_value=0.2),
        rule="small_model_prompt_enough",
    ),
    Scenario(
        "small_meets_no_p",
        _n(quality_target=0.8, candidate_model=None),
        good_evidence(candidate_p_value=None, candidate_model=None),
        rule="small_model_prompt_enough",
    ),
    Scenario(
        "small_meets_named_by_answer",
        _n(quality_target=0.8),
        good_evidence(candidate_model=None, best_model=None),
        rule="small_model_prompt_enough",
    ),
    # test set and data readiness
    Scenario(
        "no_test_set",
        _n(calls_per_day=30_000.0),
        good_evidence(test_set_size=None),
        rule="ft_no_test_set",
    ),
    Scenario(
        "tiny_test_set",
        _n(calls_per_day=30_000.0),
        good_evidence(test_set_size=40),
        rule="ft_tiny_test_set",
    ),
    Scenario(
        "unproven_no_score",
        _n(calls_per_day=30_000.0),
        good_evidence(best_score=None, candidate_score=None),
        rule="ft_prompt_unproven",
    ),
    Scenario(
        "unproven_no_target",
        _n(calls_per_day=30_000.0, quality_target=None),
        rule="ft_prompt_unproven",
    ),
    Scenario(
        "unproven_below", _n(calls_per_day=30_000.0, quality_target=0.95), rule="ft_prompt_unproven"
    ),
    Scenario(
        "unproven_below_unlabelled",
        _n(calls_per_day=30_000.0, quality_target=0.95),
        good_evidence(best_prompt=None, best_model=None),
        rule="ft_prompt_unproven",
    ),
    Scenario(
        "data_few_one_leak_errors",
        _n(calls_per_day=30_000.0),
        good_evidence(approved_examples=40, leaks=1, validation_errors=3),
        rule="ft_data_not_ready",
    ),
    Scenario(
        "data_unknown_many_leaks",
        _n(calls_per_day=30_000.0),
        good_evidence(approved_examples=None, leaks=5),
        rule="ft_data_not_ready",
    ),
    # platforms
    Scenario(
        "no_platform_residency",
        _n(calls_per_day=30_000.0, residency="on_prem", allowed_platforms=("openai", "vertex")),
        rule="ft_no_platform",
    ),
    Scenario(
        "no_platform_none_named",
        _n(
            calls_per_day=30_000.0,
            allowed_platforms=(),
            data_sensitivity="regulated",
            residency="eu",
        ),
        catalog=_catalog(local={"drop": True}),
        rule="ft_no_platform",
    ),
    Scenario(
        "no_platform_in_file",
        _n(calls_per_day=30_000.0, allowed_platforms=()),
        catalog=_no_platforms,
        rule="ft_no_platform",
    ),
    Scenario(
        "openai_unknown_only",
        _n(
            calls_per_day=30_000.0,
            allowed_platforms=("openai",),
            openai_fine_tuning_access="unknown",
        ),
        rule="ft_no_platform",
    ),
    Scenario(
        "openai_no_only",
        _n(calls_per_day=30_000.0, allowed_platforms=("openai",), openai_fine_tuning_access="no"),
        rule="ft_no_platform",
    ),
    Scenario(
        "openai_after_cutoff",
        _n(calls_per_day=30_000.0, allowed_platforms=("openai",)),
        today=AFTER_OPENAI_CUTOFF,
        rule="ft_no_platform",
    ),
    # fine-tune, with each kind of cost and platform choice
    Scenario("fine_tune_openai", _n(calls_per_day=30_000.0), rule="fine_tune"),
    Scenario(
        "fine_tune_all_weighed", _n(calls_per_day=30_000.0, allowed_platforms=()), rule="fine_tune"
    ),
    Scenario(
        "fine_tune_no_lock_fact",
        _n(calls_per_day=30_000.0),
        catalog=_no_general_facts,
        rule="fine_tune",
    ),
    Scenario(
        "fine_tune_bedrock_hosting", _n(calls_per_day=100_000.0, **ONLY_BEDROCK), rule="fine_tune"
    ),
    Scenario(
        # cheaper per call, but Bedrock's $10/h hosting (720 h: $7,200 a month) outweighs the
        # saving at 3,000 calls a day: a break-even exists, yet training never pays back
        "bedrock_hosting_never_pays_back",
        _n(calls_per_day=3_000.0, **ONLY_BEDROCK),
        rule="narrow_low_volume",
    ),
    Scenario(
        "fine_tune_estimate_training",
        _n(calls_per_day=100_000.0, **ONLY_BEDROCK),
        catalog=_catalog(
            bedrock={
                "training_price": "estimate",
                "training_estimate_usd": {"low": 10, "high": 40, "source": "docs"},
            }
        ),
        rule="fine_tune",
    ),
    Scenario(
        "fine_tune_vertex_hosting_unknown",
        _n(calls_per_day=30_000.0, allowed_platforms=("vertex",), candidate_model="small-g"),
        rule="fine_tune",
    ),
    Scenario(
        "fine_tune_few_examples",
        _n(calls_per_day=30_000.0),
        good_evidence(approved_examples=300),
        rule="fine_tune",
    ),
    Scenario(
        "fine_tune_by_latency",
        _n(calls_per_day=500.0, latency_target_p95_ms=800.0),
        rule="fine_tune",
    ),
    Scenario("fine_tune_huge", _n(calls_per_day=200_000.0), rule="fine_tune"),
    Scenario(
        "fine_tune_cheaper_winds_down",
        _n(
            calls_per_day=100_000.0,
            allowed_platforms=("bedrock", "openai"),
            candidate_model="small",
        ),
        catalog=_catalog(
            bedrock={
                "base_models": [{"id": "small", "match": ["small"], "end_date_key": None}],
                "hosting_fee_per_hour_usd": 1,
            }
        ),
        rule="fine_tune",
    ),
    # rule-of-thumb economics (no price for the current model)
    Scenario(
        "rule_of_thumb_pays", _n(calls_per_day=30_000.0, current_model="unpriced"), rule="fine_tune"
    ),
    Scenario(
        "rule_of_thumb_low",
        _n(calls_per_day=5_000.0, current_model="unpriced", latency_target_p95_ms=None),
        rule="narrow_low_volume",
    ),
    # narrow at low volume
    Scenario("low_volume", _n(calls_per_day=1.0), rule="narrow_low_volume"),
    Scenario(
        "low_volume_no_break_even",
        _n(calls_per_day=10_000.0, current_model="small"),
        rule="narrow_low_volume",
    ),
    Scenario("low_volume_unknown_calls", _n(calls_per_day=None), rule="narrow_low_volume"),
    Scenario(
        "low_volume_latency_ok",
        _n(calls_per_day=1.0, latency_target_p95_ms=5000.0),
        rule="narrow_low_volume",
    ),
    # prompt-side rows
    Scenario("procedure", _only("long_procedure"), rule="procedure"),
    Scenario("structure_meets", _only("format_structure", quality_target=0.9), rule="structure"),
    Scenario("tone_no_target", _only("tone_style", quality_target=None), rule="tone"),
    Scenario("tone_below", _only("tone_style", quality_target=0.95), rule="tone"),
    Scenario("default", _n(must_change=frozenset()), rule="default"),
    Scenario("default_no_score", _n(must_change=frozenset()), Evidence(), rule="default"),
]

# What a broken template leaves behind
BROKEN = re.compile(
    r"(?<!^)\bNone\b|\bnan\b|\binf\b|[{}]|  |\s[.,;:]\s|\(\s*\)"
    r"|needs no (?:allowed|platform|prices)|no allowed platform to price"
    r"|\?\?|\bthe the\b"
)


def _decide(s: Scenario) -> Decision:
    return decide(s.answers, s.evidence, s.prices(), s.catalog(), s.today)


def _sentences(d: Decision) -> Iterator[str]:
    yield d.headline
    yield from (r.text for r in d.reasons)
    yield from d.what_would_change
    yield from d.warnings
    for o in d.options:
        yield from (p["text"] for p in o["problems"])
        yield from (c["text"] for c in o["cautions"])


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario_hits_its_rule_with_whole_sentences(scenario: Scenario) -> None:
    d = _decide(scenario)
    assert d.rule == scenario.rule
    for text in _sentences(d):
        assert text.strip() == text and text, repr(text)
        assert not BROKEN.search(text), f"broken sentence: {text!r}"
    render_markdown(d)
    render_html(d)


def test_every_rule_is_reached() -> None:
    assert {s.rule for s in SCENARIOS} == {r.id for r in rules.RULES}


# -- line coverage of the templates -----------------------------------------------------

TEMPLATE_FUNCTIONS: list[Callable[..., Any]] = [
    *(f for name, f in vars(explanations).items() if name.startswith("explain_")),
    cost_reasons.cost_reasons,
    context.economics,
    explanations._label,
    wording.months_text,
    wording.score_text,
    decision._volume_sentences,
    decision._platform_sentences,
    options._access_problem,
]


def _code_lines(code: CodeType) -> set[int]:
    lines = {line for _, line in dis.findlinestarts(code) if line is not None}
    lines.discard(code.co_firstlineno)  # the def line
    # defensive returns the decision table never reaches, marked in the source
    source = Path(code.co_filename).read_text(encoding="utf-8").splitlines()
    lines = {n for n in lines if "# guard:" not in source[n - 1]}
    for const in code.co_consts:
        if isinstance(const, CodeType):
            lines |= _code_lines(const)
    return lines


def test_every_template_line_runs_in_some_scenario() -> None:
    wanted: dict[str, set[int]] = {}
    files = {inspect.getsourcefile(f) for f in TEMPLATE_FUNCTIONS}
    for f in TEMPLATE_FUNCTIONS:
        code = f.__code__
        wanted.setdefault(code.co_filename, set()).update(_code_lines(code))
    ran: dict[str, set[int]] = {name: set() for name in wanted}

    def tracer(frame: FrameType, event: str, _arg: Any) -> Any:
        if frame.f_code.co_filename not in files:
            return None
        if event == "line":
            ran[frame.f_code.co_filename].add(frame.f_lineno)
        return tracer

    old = sys.gettrace()
    sys.settrace(tracer)
    try:
        for s in SCENARIOS:
            _decide(s)
        for m in (0.5, 0.01):
            wording.months_text(m)
    finally:
        sys.settrace(old)
    missing = {
        Path(name).name: sorted(lines - ran[name])
        for name, lines in wanted.items()
        if lines - ran[name]
    }
    assert not missing, f"template lines no scenario reaches: {missing}"


# -- the OpenAI access question -----------------------------------------------------------


@pytest.mark.parametrize("access", ["no", "unknown"])
def test_an_org_that_cannot_or_may_not_start_jobs_is_never_sent_to_openai(access: str) -> None:
    for allowed in (("openai",), ("openai", "bedrock"), ()):
        d = decide(
            _n(
                calls_per_day=100_000.0, allowed_platforms=allowed, openai_fine_tuning_access=access
            ),
            good_evidence(),
            make_prices(),
            make_catalog(),
            TODAY,
        )
        assert d.platform != "openai"
        openai = next(o for o in d.options if o["platform"] == "openai")
        assert not openai["eligible"] and not openai["chosen"]
        why = [p for p in openai["problems"] if p["field"] == "openai_fine_tuning_access"]
        assert len(why) == 1 and why[0]["value"] == access and why[0]["source"] == "answer"
        assert "2026-05-07" in why[0]["text"] and "2027-01-06" in why[0]["text"]
        md = render_markdown(d)
        assert "OpenAI fine-tuning" in why[0]["text"] or "openai tuning" in why[0]["text"]
        assert why[0]["text"].replace("|", "\\|").replace('"', '"') in md.replace("&quot;", '"')


def test_a_yes_keeps_openai_and_unknown_before_the_closure_is_fine() -> None:
    d = decide(
        _n(calls_per_day=30_000.0, allowed_platforms=("openai",), openai_fine_tuning_access="yes"),
        good_evidence(),
        make_prices(),
        make_catalog(),
        TODAY,
    )
    assert d.platform == "openai"
    before = date(2026, 5, 6)
    d = decide(
        _n(
            calls_per_day=30_000.0,
            allowed_platforms=("openai",),
            openai_fine_tuning_access="unknown",
        ),
        good_evidence(),
        make_prices(),
        make_catalog(),
        before,
    )
    assert d.platform == "openai"
    # a "no" counts whatever the date
    d = decide(
        _n(calls_per_day=30_000.0, allowed_platforms=("openai",), openai_fine_tuning_access="no"),
        good_evidence(),
        make_prices(),
        make_catalog(),
        before,
    )
    assert d.platform is None and d.rule == "ft_no_platform"


def test_the_closure_date_follows_the_price_table() -> None:
    prices = make_prices(openai_finetuning_closed_to_new_orgs="2026-09-01")
    d = decide(
        _n(
            calls_per_day=30_000.0,
            allowed_platforms=("openai",),
            openai_fine_tuning_access="unknown",
        ),
        good_evidence(),
        prices,
        make_catalog(),
        TODAY,
    )  # TODAY is 2026-08-22
    assert d.platform == "openai"
    d = decide(
        _n(
            calls_per_day=30_000.0,
            allowed_platforms=("openai",),
            openai_fine_tuning_access="unknown",
        ),
        good_evidence(),
        prices,
        make_catalog(),
        date(2026, 9, 1),
    )
    assert d.platform is None


def test_the_answer_is_read_and_checked() -> None:
    assert DecisionAnswers.from_dict({}).openai_fine_tuning_access == "unknown"
    a = DecisionAnswers.from_dict({"openai_fine_tuning_access": "no"})
    assert a.openai_fine_tuning_access == "no" and a.to_dict()["openai_fine_tuning_access"] == "no"
    from studio.core.errors import UserError

    with pytest.raises(UserError) as info:
        DecisionAnswers.from_dict({"openai_fine_tuning_access": "maybe"})
    assert "'openai_fine_tuning_access' must be one of yes, no, unknown" in info.value.message


# -- empty "allowed platforms": every platform, priced, the cheapest named -----------------


def test_empty_allowed_prices_every_platform_and_names_the_cheapest_usable() -> None:
    d = decide(
        _n(calls_per_day=30_000.0, allowed_platforms=()),
        good_evidence(),
        make_prices(),
        make_catalog(),
        TODAY,
    )
    # Hand count: 30,000 calls × 30 days = 900,000 calls a month, 1,000 in / 200 out
    # tokens per call, 1,000 examples × 500 tokens × 3 epochs = 1.5M training tokens.
    calls = 30_000 * 30
    openai = calls * (1000 * 0.8 + 200 * 3.2) / 1e6 + 1.5 * 5.0 / 12
    vertex = calls * (1000 * 0.1 * 2 + 200 * 0.4 * 2) / 1e6 + 1.5 * 2.0 / 12  # hosting unknown
    bedrock = calls * (1000 * 0.2 * 2 + 200 * 0.8 * 2) / 1e6 + 10 * 720 + 1.5 * 4.0 / 12
    by_id = {o["platform"]: o for o in d.options}
    assert set(by_id) == {"openai", "vertex", "bedrock", "local"}
    assert by_id["openai"]["monthly_total_usd"] == pytest.approx(openai, abs=0.01)
    assert by_id["vertex"]["monthly_total_usd"] == pytest.approx(vertex, abs=0.01)
    assert by_id["bedrock"]["monthly_total_usd"] == pytest.approx(bedrock, abs=0.01)
    assert by_id["local"]["monthly_total_usd"] is None and not by_id["local"]["eligible"]
    assert [o["platform"] for o in d.options if o["cheapest_usable"]] == ["vertex"]
    assert d.to_json()["cheapest_usable_platform"] == "vertex"
    md = render_markdown(d)
    assert (
        f"Cheapest usable platform: vertex tuning (fine-tuned small-g: ${vertex:,.2f} a "
        "month at least (unknown fees left out)"
    ) in md
    assert f"${bedrock:,.2f} a month" in md and f"${openai:,.2f} a month" in md
    assert "Cheapest usable platform: vertex tuning" in render_html(d)
    # the chosen platform differs from the cheapest: the report says why
    assert any(
        "The cheapest usable platform is vertex tuning" in r.text
        and "does not offer the candidate model" in r.text
        for r in d.reasons
    )


def test_the_old_broken_sentence_is_gone() -> None:
    d = decide(
        _n(calls_per_day=5_000.0, allowed_platforms=(), current_model="unpriced"),
        good_evidence(),
        make_prices(),
        make_catalog(),
        TODAY,
    )
    text = "\n".join(_sentences(d))
    assert "needs no allowed platform" not in text
    assert "the exact break-even cannot be computed: the price table" in text


def test_training_tokens_recompute_by_hand_from_the_sentence() -> None:
    # 525 examples of 780.0901 tokens on average: the sentence used to say "× 780 tokens",
    # and 525 × 780 × 3 = 1,228,500 is not the 1,228,642 it printed.
    d = decide(
        _n(calls_per_day=8_000.0),
        good_evidence(approved_examples=525, tokens_mean_per_example=780.0901),
        make_prices(),
        make_catalog(),
        TODAY,
    )
    line = next(r.text for r in d.reasons if r.text.startswith("Training: 525 examples"))
    m = re.search(
        r"525 examples × ([\d,.]+) tokens \(mean\) × (\d+) epochs = ([\d,]+) tokens", line
    )
    assert m is not None, line
    shown_mean, epochs, total = float(m[1]), int(m[2]), int(m[3].replace(",", ""))
    assert shown_mean == 780.09 and total == round(525 * 780.0901 * epochs)
    # by hand from the printed figures, up to the rounding of the mean to two decimals
    assert abs(525 * shown_mean * epochs - total) <= 525 * epochs * 0.005
