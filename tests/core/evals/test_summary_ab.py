"""The run summary: numbers checked against scipy, unknowns, errors, verdict, case lists."""

from __future__ import annotations

import json
import random

import pytest
from scipy.stats import binomtest

from studio.core.evals.summary import PreferenceRow, ResultRow, RunSummary, VariantMeta, format_text
from studio.core.evals.summary_compute import summarise

A, B = VariantMeta(1, 0, "p@1", "m"), VariantMeta(2, 1, "p@2", "m")


def _row(
    v: int,
    e: int,
    passed: bool | None,
    *,
    error: str | None = None,
    tokens: bool = True,
    latency: float = 100.0,
    label: str | None = None,
) -> ResultRow:
    return ResultRow(
        variant_id=v,
        example_id=e,
        output=None if error else "x",
        error=error,
        passed=None if error else passed,
        score=None if error or passed is None else float(passed),
        latency_ms=latency,
        tokens_in=10 if tokens else None,
        tokens_out=2 if tokens else None,
        cost_usd=0.001 if tokens else None,
        cached=False,
        attempts=1,
        predicted_label=label,
    )


def _summary(rows: list[ResultRow], n: int, **kw: object) -> RunSummary:
    return summarise(
        run_id=1,
        name="r",
        dataset="d",
        split="test",
        scorer="label",
        status="completed",
        example_ids=list(range(n)),
        variants=[A, B],
        rows=rows,
        pass_fail=True,
        **kw,
    )  # type: ignore[arg-type]


def test_scores_cis_and_mcnemar_match_scipy() -> None:
    rng = random.Random(5)
    n = 150
    a = [rng.random() < 0.7 for _ in range(n)]
    b = [rng.random() < 0.8 for _ in range(n)]
    rows = [_row(1, e, a[e]) for e in range(n)] + [_row(2, e, b[e]) for e in range(n)]
    s = _summary(rows, n)
    for v, passes in zip(s.variants, (a, b), strict=True):
        k = sum(passes)
        ci = binomtest(k, n).proportion_ci(method="wilson")
        assert v.score == pytest.approx(k / n)
        assert v.ci95 == pytest.approx((ci.low, ci.high), abs=1e-9)
    a_only = sum(1 for x, y in zip(a, b, strict=True) if x and not y)
    b_only = sum(1 for x, y in zip(a, b, strict=True) if y and not x)
    expected_p = binomtest(a_only, a_only + b_only, 0.5).pvalue
    assert s.comparison is not None
    assert s.comparison.p_value == pytest.approx(expected_p, rel=1e-9)
    assert s.comparison.difference == pytest.approx((sum(b) - sum(a)) / n)
    assert "McNemar" in s.comparison.test
    assert sorted(s.disagreements) == [e for e in range(n) if a[e] != b[e]]
    assert s.regressions == [e for e in range(n) if a[e] and not b[e]]
    cli = s.to_cli_json()
    assert set(cli) == {"run_id", "n", "variants", "comparison", "calls"}
    assert set(cli["variants"][0]) == {
        "prompt",
        "version",
        "model",
        "label",
        "score",
        "ci95",
        "errors",
        "latency_ms",
        "tokens",
        "cost_usd",
        "label_matches",
    }
    assert set(cli["comparison"]) == {"difference", "ci95", "p_value", "test", "verdict"}
    assert cli["comparison"]["verdict"].startswith(("p@", "p@1 and"))
    json.dumps(s.to_json())  # JSON-able
    assert RunSummary.from_json(json.loads(json.dumps(s.to_json()))) == s


def test_errors_are_counted_apart_from_wrong_answers() -> None:
    rows = [_row(1, e, e % 2 == 0) for e in range(10)]
    rows += [_row(2, e, True) for e in range(7)]
    rows += [_row(2, e, None, error="Server error 500") for e in range(7, 10)]
    s = _summary(rows, 10)
    b = s.variants[1]
    assert (b.errors, b.answered, b.correct) == (3, 7, 7)
    assert b.score == 1.0  # 7 correct of 7 answered: errors are not wrong answers
    assert s.variants[0].score == 0.5
    assert s.comparison is not None and s.comparison.n == 7 and s.comparison.excluded == 3
    assert s.errors == [7, 8, 9] and s.calls["failed"] == 3
    assert any("3 call(s) failed" in w for w in s.warnings)


def test_missing_usage_means_unknown_never_zero() -> None:
    rows = [_row(1, e, True) for e in range(4)]
    rows += [_row(2, e, True, tokens=e != 2) for e in range(4)]
    s = _summary(rows, 4)
    a, b = s.variants
    assert (a.tokens_in, a.tokens_out) == (40, 8) and a.cost_usd == pytest.approx(0.004)
    assert a.cost_per_1000 == pytest.approx(1.0)
    assert b.tokens_in is None and b.tokens_out is None and b.cost_usd is None
    assert b.cost_per_1000 is None
    cli = s.to_cli_json()["variants"][1]
    assert cli["tokens"] == {"input": None, "output": None} and cli["cost_usd"] is None
    line = next(x for x in format_text(s).splitlines() if x.startswith("p@2"))
    assert "unknown" in line and " 0 " not in line.replace(" 0  ", "")


def test_latency_percentiles_and_confusion_table() -> None:
    rows = [
        _row(1, e, e < 3, latency=float(10 * (e + 1)), label="a" if e < 3 else "b")
        for e in range(4)
    ]
    rows += [_row(2, e, True, label="a") for e in range(4)]
    s = _summary(rows, 4, expected_labels={e: "a" for e in range(4)})
    a = s.variants[0]
    assert a.latency_p50_ms == pytest.approx(25.0) and a.latency_p95_ms == pytest.approx(38.5)
    assert a.confusion is not None and a.confusion["counts"] == {"a": {"a": 3, "b": 1}}


def test_preferences_feed_a_sign_test() -> None:
    rows = [_row(1, e, True) for e in range(20)] + [_row(2, e, True) for e in range(20)]
    prefs = [
        PreferenceRow(e, 1, 2, "b" if e < 15 else ("a" if e < 18 else "tie"), "human")
        for e in range(20)
    ]
    prefs.append(PreferenceRow(0, 2, 1, "a", "judge"))  # stored the other way round
    s = _summary(rows, 20, preferences=prefs)
    human = next(p for p in s.preferences if p.source == "human")
    assert (human.b_wins, human.a_wins, human.ties) == (15, 3, 2)
    assert human.p_value == pytest.approx(binomtest(15, 18, 0.5).pvalue)
    assert human.text.startswith("Reviewers preferred p@2")
    judge = next(p for p in s.preferences if p.source == "judge")
    assert judge.b_wins == 1


def test_judge_scorer_verdict_is_the_sign_test() -> None:
    rows = [_row(1, e, None) for e in range(12)] + [_row(2, e, None) for e in range(12)]
    prefs = [PreferenceRow(e, 1, 2, "b" if e < 10 else "a", "judge") for e in range(12)]
    s = summarise(
        run_id=1,
        name="r",
        dataset="d",
        split="test",
        scorer="judge",
        status="completed",
        example_ids=list(range(12)),
        variants=[A, B],
        rows=rows,
        pass_fail=False,
        preferences=prefs,
    )
    assert s.comparison is not None and "sign test" in s.comparison.test
    assert s.comparison.p_value == pytest.approx(binomtest(10, 12, 0.5).pvalue)
    assert s.comparison.difference == pytest.approx(8 / 12)
