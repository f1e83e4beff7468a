"""Statistics checked against scipy and reference computations."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from scipy import stats as sps

from studio.core.evals.stats import (
    format_p,
    mcnemar_exact,
    mde_paired,
    newcombe_paired_ci,
    paired_bootstrap_ci,
    percentile,
    required_n_continuous,
    required_n_paired,
    sign_test,
    verdict,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("k", "n"), [(0, 1), (1, 1), (0, 20), (16, 20), (20, 20), (80, 100), (3, 250), (999, 1000)]
)
@pytest.mark.parametrize("conf", [0.9, 0.95, 0.99])
def test_wilson_matches_scipy(k: int, n: int, conf: float) -> None:
    ref = sps.binomtest(k, n).proportion_ci(confidence_level=conf, method="wilson")
    lo, hi = wilson_interval(k, n, conf)
    assert lo == pytest.approx(ref.low, abs=1e-12)
    assert hi == pytest.approx(ref.high, abs=1e-12)


def test_wilson_edge_cases_and_facts_table() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson_interval(5, 3)
    # docs/engineering-facts.md §8: half-width at an 80 % pass rate, n = 100 -> 7.8 points.
    lo, hi = wilson_interval(80, 100)
    assert (hi - lo) / 2 == pytest.approx(0.078, abs=0.001)


@pytest.mark.parametrize(
    ("b", "c"),
    [
        (0, 0),
        (0, 1),
        (1, 0),
        (3, 3),
        (2, 9),
        (9, 2),
        (10, 25),
        (40, 41),
        (0, 30),
        (150, 210),
        (1200, 1300),
        (2600, 2400),
    ],
)
def test_mcnemar_exact_matches_scipy_binomtest(b: int, c: int) -> None:
    expected = 1.0 if b + c == 0 else sps.binomtest(b, b + c, 0.5).pvalue
    assert mcnemar_exact(b, c) == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_paired_bootstrap_agrees_with_scipy_bootstrap() -> None:
    rng = np.random.default_rng(3)
    a = rng.uniform(0, 1, 200)
    b = np.clip(a + rng.normal(0.03, 0.15, 200), 0, 1)
    ours = paired_bootstrap_ci(a.tolist(), b.tolist(), n_boot=10000, seed=1)
    ref = sps.bootstrap(
        (a, b),
        lambda x, y, axis=-1: np.mean(y - x, axis=axis),
        paired=True,
        n_resamples=10000,
        method="percentile",
        random_state=rng,
    )
    assert ours.difference == pytest.approx(float(np.mean(b - a)), abs=1e-12)
    width = ref.confidence_interval.high - ref.confidence_interval.low
    # Monte Carlo noise of the 2.5/97.5 % quantiles at 10 000 resamples is ~1-2 % of the width.
    assert ours.low == pytest.approx(ref.confidence_interval.low, abs=0.06 * width)
    assert ours.high == pytest.approx(ref.confidence_interval.high, abs=0.06 * width)


def test_paired_bootstrap_edge_cases() -> None:
    assert paired_bootstrap_ci([], []).n == 0
    same = paired_bootstrap_ci([1.0, 0.0, 1.0], [1.0, 0.0, 1.0], n_boot=200)
    assert (same.low, same.high, same.difference) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError):
        paired_bootstrap_ci([1.0], [1.0, 2.0])
    assert paired_bootstrap_ci([0.1] * 5, [0.5] * 5, seed=9) == paired_bootstrap_ci(
        [0.1] * 5, [0.5] * 5, seed=9
    )


@pytest.mark.parametrize(
    ("wins", "losses", "ties"), [(0, 0, 5), (7, 3, 10), (30, 12, 0), (1, 19, 2)]
)
def test_sign_test_matches_scipy_and_reports_ties_apart(wins: int, losses: int, ties: int) -> None:
    result = sign_test(wins, losses, ties)
    n = wins + losses
    expected = 1.0 if n == 0 else sps.binomtest(wins, n, 0.5).pvalue
    assert result.p_value == pytest.approx(expected, rel=1e-12)
    assert result.ties == ties
    if n:
        ref = sps.binomtest(wins, n).proportion_ci(method="wilson")
        assert result.win_share == wins / n
        assert result.win_share_ci == pytest.approx((ref.low, ref.high), abs=1e-12)
    else:
        assert result.win_share is None and result.win_share_ci == (0.0, 1.0)


@pytest.mark.parametrize("q", [0, 5, 50, 95, 99, 100])
def test_percentile_matches_numpy(q: float) -> None:
    data = [float(x) for x in np.random.default_rng(q).exponential(200, 137)]
    assert percentile(data, q) == pytest.approx(float(np.percentile(data, q)), rel=1e-12)
    assert percentile([], 50) is None
    assert percentile([4.0], q) == 4.0


def _connor_power(n: int, delta: float, psi: float, alpha: float = 0.05) -> float:
    """Reference: normal-approximation power of McNemar's test (Connor 1987), via scipy."""
    za = sps.norm.ppf(1 - alpha / 2)
    return float(
        sps.norm.cdf((delta * math.sqrt(n) - za * math.sqrt(psi)) / math.sqrt(psi - delta**2))
    )


@pytest.mark.parametrize(("delta", "psi"), [(0.05, 0.15), (0.1, 0.2), (0.03, 0.1), (0.2, 0.3)])
def test_required_n_is_the_smallest_n_with_80_percent_power(delta: float, psi: float) -> None:
    n = required_n_paired(delta, psi)
    assert _connor_power(n, delta, psi) >= 0.8
    assert _connor_power(n - 1, delta, psi) < 0.8


def test_mde_matches_the_facts_table_and_inverts_required_n() -> None:
    # docs/engineering-facts.md §8: paired, 10-20 % discordant -> ~6-9 points at 200, ~4-6 at 500.
    assert 0.06 <= mde_paired(200, 0.10) <= 0.065  # type: ignore[operator]
    assert 0.085 <= mde_paired(200, 0.20) <= 0.09  # type: ignore[operator]
    assert 0.038 <= mde_paired(500, 0.10) <= 0.042  # type: ignore[operator]
    assert 0.054 <= mde_paired(500, 0.20) <= 0.058  # type: ignore[operator]
    for n in (120, 400, 1000):
        mde = mde_paired(n, 0.15)
        assert mde is not None
        assert abs(required_n_paired(mde, 0.15) - n) <= 1
    assert mde_paired(10, 0.15) is None  # too few to detect anything
    assert mde_paired(0) is None
    # Discordance below the difference is raised to it (the difference cannot exceed it).
    assert required_n_paired(0.05, 0.0) == required_n_paired(0.05, 0.05)


def test_required_n_continuous_matches_the_normal_formula() -> None:
    z = sps.norm.ppf(0.975) + sps.norm.ppf(0.8)
    assert required_n_continuous(0.05, 0.2) == math.ceil((z * 0.2 / 0.05) ** 2)


def test_newcombe_ci_covers_the_true_difference_about_95_percent() -> None:
    # Reference by simulation: correlated pass/fail pairs, true difference +0.05.
    rng = np.random.default_rng(11)
    probs = np.array([0.62, 0.08, 0.13, 0.17])  # both, A only, B only, neither
    true_diff = probs[2] - probs[1]
    n, reps, covered = 150, 2000, 0
    for counts in rng.multinomial(n, probs, size=reps):
        lo, hi = newcombe_paired_ci(*map(int, counts))
        covered += lo <= true_diff <= hi
    assert 0.93 <= covered / reps <= 0.975


def test_newcombe_ci_properties() -> None:
    lo, hi = newcombe_paired_ci(50, 5, 15, 30)
    assert lo < 10 / 100 < hi and lo >= -1 and hi <= 1
    assert newcombe_paired_ci(0, 0, 0, 0) == (-1.0, 1.0)
    # Identical pass/fail on every example: a symmetric interval around 0.
    lo, hi = newcombe_paired_ci(60, 0, 0, 60)
    assert lo == pytest.approx(-hi) and lo < 0 < hi
    # Swapping A and B mirrors the interval.
    lo2, hi2 = newcombe_paired_ci(50, 15, 5, 30)
    lo1, hi1 = newcombe_paired_ci(50, 5, 15, 30)
    assert (lo2, hi2) == pytest.approx((-hi1, -lo1))


def test_verdict_significant_sentence() -> None:
    a = [True] * 60 + [False] * 60
    b = [True] * 60 + [True] * 9 + [False] * 51
    v = verdict(a, b)
    assert re.fullmatch(
        r"B beats A by 7\.5 points, 95% CI \d+\.\d to \d+\.\d, p = 0\.004, n = 120\.", v.text
    ), v.text
    assert v.difference == pytest.approx(0.075)
    assert v.p_value == pytest.approx(sps.binomtest(0, 9, 0.5).pvalue)
    assert v.ci95 is not None and v.ci95[0] > 0
    assert v.test.startswith("exact McNemar")
    assert v.warning is None
    flipped = verdict(b, a, labels=("old", "new"))
    assert flipped.text.startswith("old beats new by 7.5 points")


def test_verdict_not_distinguishable_gives_the_needed_n() -> None:
    a = [True, False] * 100
    b = [True, False] * 95 + [False, True] * 5
    v = verdict(a, b)
    assert v.text.startswith("A and B are not distinguishable at n = 200")
    match = re.search(r"about (\d+) examples would detect a 5-point difference", v.text)
    assert match and int(match.group(1)) == v.required_n
    assert v.p_value == 1.0 and v.difference == 0.0


def test_verdict_warns_below_100_and_below_the_mde() -> None:
    a = [False] * 10 + [True] * 30
    b = [True] * 10 + [True] * 30
    v = verdict(a, b)
    assert (
        "B beats A" in v.text and v.warning is not None and "Only 40 paired examples" in v.warning
    )
    # Significant but smaller than the MDE at this n: many, nearly balanced discordant pairs.
    a2 = [True] * 300 + [False] * 360 + [True] * 1000
    b2 = [False] * 300 + [True] * 360 + [True] * 1000
    big = verdict(a2, b2)
    assert big.p_value is not None and big.p_value < 0.05
    assert big.mde is not None and abs(big.difference or 0) < big.mde
    assert big.warning is not None and "minimum detectable difference" in big.warning


def test_verdict_edge_cases() -> None:
    empty = verdict([], [])
    assert empty.difference is None and "nothing to compare" in empty.text
    all_errors = verdict([None, None], [True, None])
    assert all_errors.excluded == 2 and all_errors.n == 0
    ties = verdict([True] * 150, [True] * 150)
    assert ties.p_value == 1.0 and ties.difference == 0.0 and "not distinguishable" in ties.text
    with pytest.raises(ValueError):
        verdict([True], [True, False])
    excluded = verdict([True, None, False] * 50, [True, True, True] * 50)
    assert excluded.n == 100 and excluded.excluded == 50
    assert "50 pair(s) excluded because of errors" in excluded.text


def test_verdict_on_continuous_scores_uses_bootstrap_and_sign_test() -> None:
    rng = np.random.default_rng(5)
    a = rng.uniform(0.3, 0.8, 150)
    b = np.clip(a + rng.normal(0.06, 0.05, 150), 0, 1)
    v = verdict(a.tolist(), b.tolist(), n_boot=2000)
    assert v.test == "paired bootstrap CI; sign test"
    assert v.text.startswith("B beats A by") and "points" in v.text
    wins, losses = int(np.sum(b > a)), int(np.sum(b < a))
    assert v.p_value == pytest.approx(sps.binomtest(wins, wins + losses, 0.5).pvalue)


def test_format_p() -> None:
    assert format_p(0.0001) == "p < 0.001"
    assert format_p(0.0042) == "p = 0.004"
    assert format_p(0.61) == "p = 0.61"
