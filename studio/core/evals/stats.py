"""Statistics for A/B comparisons of prompt versions on a paired test set.

Pure Python (``math``, ``statistics.NormalDist``, ``random``): no numpy/scipy at run time.
The tests check every function against scipy or a reference computation.

Methods (each chosen because a careful reviewer expects it):

* Pass rate CI: Wilson score interval (no continuity correction), as scipy's
  ``binomtest(...).proportion_ci(method="wilson")``.
* Paired pass/fail difference: exact McNemar test (two-sided binomial test on the
  discordant pairs, p = 0.5), and Newcombe's (1998) hybrid-score CI for a difference of
  paired proportions ("method 10", Wilson limits combined with the phi correlation,
  phi continuity-corrected as in Newcombe's paper).
* Continuous scores (judge scores, field accuracy): percentile paired bootstrap CI of the
  mean difference, and a sign test on per-example differences (ties reported apart).
* Sample size / minimum detectable difference for paired pass/fail: Connor's (1987)
  formula for McNemar's test::

      n = (z_{1-a/2} sqrt(psi) + z_{1-b} sqrt(psi - delta^2))^2 / delta^2

  with psi the share of discordant pairs and delta the difference in pass rates. psi is
  estimated from the run (never below delta, which it must exceed), 0.15 assumed with no
  data (10-20 % is typical, docs/engineering-facts.md §8). For continuous scores the normal
  approximation ``n = ((z_{1-a/2} + z_{1-b}) sd_d / delta)^2`` is used.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

from studio.core.quantiles import percentile as percentile  # the one definition

DEFAULT_DISCORDANCE = 0.15
MIN_RELIABLE_N = 100


def z_value(conf: float = 0.95) -> float:
    """The two-sided normal quantile for confidence ``conf`` (1.96 for 0.95)."""
    if not 0.0 < conf < 1.0:
        raise ValueError(f"Confidence must be between 0 and 1, not {conf}.")
    return NormalDist().inv_cdf(1.0 - (1.0 - conf) / 2.0)


def wilson_interval(k: float, n: int, conf: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for ``k`` successes out of ``n`` (``(0, 1)`` when n = 0).

    The studio's one Wilson interval (runs, Decide's evidence). ``k`` may be fractional
    (a mean score times ``n``), as the Decide evidence of a non-binary scorer has it.
    """
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"Need 0 <= k <= n, got k={k}, n={n}.")
    if n == 0:
        return (0.0, 1.0)
    z = z_value(conf)
    p = k / n
    z2n = z * z / n
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z * math.sqrt(p * (1.0 - p) / n + z2n / (4.0 * n)) / (1.0 + z2n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def _binom_half_cdf(k: int, n: int) -> float:
    """P(X <= k) for X ~ Binomial(n, 1/2), accurate for large n too."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    if n <= 2000:
        # Exact: big-integer sum, one correctly rounded division.
        return sum(math.comb(n, i) for i in range(k + 1)) / (1 << n)
    log_half_n = n * math.log(0.5)
    lg_n1 = math.lgamma(n + 1)
    total = 0.0
    for i in range(k, -1, -1):  # terms shrink going down from k <= n/2
        term = math.exp(lg_n1 - math.lgamma(i + 1) - math.lgamma(n - i + 1) + log_half_n)
        total += term
        if term < total * 1e-17:
            break
    return min(1.0, total)


def binomial_two_sided_half(k: int, n: int) -> float:
    """Exact two-sided p of ``k`` successes in ``n`` trials against p = 1/2."""
    if n == 0:
        return 1.0
    low = min(k, n - k)
    if 2 * low == n:
        return 1.0
    return min(1.0, 2.0 * _binom_half_cdf(low, n))


def mcnemar_exact(b: int, c: int) -> float:
    """Exact two-sided McNemar p-value from the discordant counts.

    Args:
        b: pairs where A passed and B failed.
        c: pairs where A failed and B passed.

    Returns:
        The p-value (1.0 when there are no discordant pairs).
    """
    if b < 0 or c < 0:
        raise ValueError("Counts must be non-negative.")
    return binomial_two_sided_half(b, b + c)


def newcombe_paired_ci(
    both: int, a_only: int, b_only: int, neither: int, conf: float = 0.95
) -> tuple[float, float]:
    """Newcombe's hybrid-score CI for ``rate(B) - rate(A)`` on paired pass/fail data.

    Args:
        both: pairs where A and B passed. a_only: only A passed. b_only: only B passed.
        neither: both failed.
    """
    n = both + a_only + b_only + neither
    if n == 0:
        return (-1.0, 1.0)
    a_pass, b_pass = both + a_only, both + b_only
    p1, p2 = a_pass / n, b_pass / n
    l1, u1 = wilson_interval(a_pass, n, conf)
    l2, u2 = wilson_interval(b_pass, n, conf)
    denom = a_pass * (n - a_pass) * b_pass * (n - b_pass)
    phi = 0.0
    if denom > 0:
        num = both * neither - a_only * b_only
        if num > n / 2.0:
            corrected = num - n / 2.0
        elif num < 0:
            corrected = float(num)
        else:
            corrected = 0.0
        phi = corrected / math.sqrt(denom)
    d = p2 - p1
    lower = d - math.sqrt(
        max(0.0, (p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2)
    )
    upper = d + math.sqrt(
        max(0.0, (u2 - p2) ** 2 - 2 * phi * (u2 - p2) * (p1 - l1) + (p1 - l1) ** 2)
    )
    return (max(-1.0, lower), min(1.0, upper))


@dataclass(frozen=True, slots=True)
class BootstrapCI:
    """Paired bootstrap result: mean of ``b - a`` and its percentile CI."""

    difference: float
    low: float
    high: float
    n: int
    n_boot: int
    conf: float


def paired_bootstrap_ci(
    a: Sequence[float],
    b: Sequence[float],
    n_boot: int = 10000,
    seed: int | None = 0,
    conf: float = 0.95,
) -> BootstrapCI:
    """Percentile bootstrap CI of ``mean(b) - mean(a)`` resampling pairs.

    Pure Python (``random.choices``): about 0.5 s for n = 500 and 10 000 resamples.
    """
    if len(a) != len(b):
        raise ValueError(f"Paired samples differ in length ({len(a)} vs {len(b)}).")
    n = len(a)
    if n == 0:
        return BootstrapCI(0.0, 0.0, 0.0, 0, n_boot, conf)
    diffs = [float(y) - float(x) for x, y in zip(a, b, strict=True)]
    mean = math.fsum(diffs) / n
    rng = random.Random(seed)
    means: list[float] = []
    choices, fsum = rng.choices, math.fsum
    for _ in range(n_boot):
        means.append(fsum(choices(diffs, k=n)) / n)
    alpha = 1.0 - conf
    low = percentile(means, 100.0 * alpha / 2.0)
    high = percentile(means, 100.0 * (1.0 - alpha / 2.0))
    assert low is not None and high is not None
    return BootstrapCI(mean, low, high, n, n_boot, conf)


@dataclass(frozen=True, slots=True)
class SignTest:
    """Sign test on wins/losses (ties reported apart, not used in the test)."""

    wins: int
    losses: int
    ties: int
    p_value: float
    win_share: float | None
    win_share_ci: tuple[float, float]


def sign_test(wins: int, losses: int, ties: int = 0, conf: float = 0.95) -> SignTest:
    """Exact two-sided sign test of ``wins`` vs ``losses``, with a Wilson CI on the win share."""
    decided = wins + losses
    return SignTest(
        wins=wins,
        losses=losses,
        ties=ties,
        p_value=binomial_two_sided_half(wins, decided),
        win_share=wins / decided if decided else None,
        win_share_ci=wilson_interval(wins, decided, conf),
    )


def required_n_paired(
    delta: float,
    discordance: float = DEFAULT_DISCORDANCE,
    alpha: float = 0.05,
    power: float = 0.8,
) -> int:
    """Pairs needed to detect a pass-rate difference ``delta`` (Connor 1987, McNemar).

    Args:
        delta: the difference to detect (0.05 = 5 points).
        discordance: expected share of pairs where A and B disagree (raised to ``delta``
            if lower: the difference cannot exceed the discordance).
        alpha: two-sided significance level. power: 1 - beta.
    """
    delta = abs(delta)
    if not 0.0 < delta <= 1.0:
        raise ValueError(f"The difference to detect must be in (0, 1], not {delta}.")
    psi = min(1.0, max(discordance, delta))
    za = NormalDist().inv_cdf(1.0 - alpha / 2.0)
    zb = NormalDist().inv_cdf(power)
    n = (za * math.sqrt(psi) + zb * math.sqrt(max(0.0, psi - delta * delta))) ** 2 / delta**2
    return max(1, math.ceil(n - 1e-9))


def mde_paired(
    n: int, discordance: float = DEFAULT_DISCORDANCE, alpha: float = 0.05, power: float = 0.8
) -> float | None:
    """Smallest pass-rate difference ``n`` pairs detect (inverse of Connor's formula).

    Returns None when ``n`` is too small to detect even a difference equal to the
    discordance (all disagreements going one way).
    """
    if n <= 0:
        return None
    psi = min(1.0, max(discordance, 1e-6))
    za = NormalDist().inv_cdf(1.0 - alpha / 2.0)
    zb = NormalDist().inv_cdf(power)

    def needed(delta: float) -> float:
        return (za * math.sqrt(psi) + zb * math.sqrt(max(0.0, psi - delta * delta))) ** 2 / delta**2

    if needed(psi) > n:
        return None
    lo, hi = 1e-9, psi  # needed() decreases in delta
    for _ in range(100):
        mid = (lo + hi) / 2.0
        if needed(mid) > n:
            lo = mid
        else:
            hi = mid
    return hi


def required_n_continuous(
    delta: float, sd_diff: float, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Pairs needed to detect a mean difference ``delta`` given the SD of differences."""
    if delta <= 0:
        raise ValueError("The difference to detect must be positive.")
    z = NormalDist().inv_cdf(1.0 - alpha / 2.0) + NormalDist().inv_cdf(power)
    return max(2, math.ceil((z * sd_diff / delta) ** 2 - 1e-9))


# ---------------------------------------------------------------------------- verdict
@dataclass(frozen=True, slots=True)
class Verdict:
    """The A/B verdict in one sentence, with the numbers behind it.

    Attributes:
        text: e.g. "B beats A by 7.5 points, 95% CI 2.1 to 12.9, p = 0.004, n = 120".
        difference: mean(B) - mean(A) as a fraction (pass/fail) or in score units;
            None when nothing could be compared.
        ci95: CI of ``difference`` (at ``conf``), or None.
        p_value: the test's two-sided p, or None.
        test: which test/CI were used.
        warning: why to distrust the result (small n, difference below the MDE), or None.
        n: pairs compared. excluded: pairs dropped because one side had no score (errors).
        mde: minimum detectable difference at this n (80 % power), or None.
        required_n: pairs needed to detect ``target_difference``, or None.
    """

    text: str
    difference: float | None
    ci95: tuple[float, float] | None
    p_value: float | None
    test: str
    warning: str | None
    n: int = 0
    excluded: int = 0
    mde: float | None = None
    required_n: int | None = None


def format_p(p: float) -> str:
    """``p = 0.004`` / ``p < 0.001`` / ``p = 0.61``."""
    if p < 0.001:
        return "p < 0.001"
    if p < 0.01:
        return f"p = {p:.3f}"
    return f"p = {p:.2f}"


def _is_binary(values: Sequence[float]) -> bool:
    return all(v in (0, 1) for v in values)


def verdict(
    a: Sequence[float | bool | None],
    b: Sequence[float | bool | None],
    *,
    labels: tuple[str, str] = ("A", "B"),
    target_difference: float = 0.05,
    conf: float = 0.95,
    min_n: int = MIN_RELIABLE_N,
    n_boot: int = 10000,
    seed: int | None = 0,
) -> Verdict:
    """Compare paired scores of A and B (same examples, same order) in plain words.

    Pairs where either side is None (an error, not a wrong answer) are excluded and
    counted. Pass/fail scores (bools or 0/1) use the exact McNemar test and Newcombe's CI;
    other scores use a paired bootstrap CI and a sign test. Scores in [0, 1] are reported
    in points (x100).

    Args:
        a, b: per-example scores of A and B.
        labels: names used in the sentence.
        target_difference: the difference worth detecting, for the sample-size hint.
        conf: confidence level. min_n: below this many pairs, warn.
        n_boot, seed: bootstrap settings (continuous scores only).
    """
    if len(a) != len(b):
        raise ValueError(f"A has {len(a)} scores and B {len(b)}: they must be paired.")
    name_a, name_b = labels
    pairs = [
        (float(x), float(y)) for x, y in zip(a, b, strict=True) if x is not None and y is not None
    ]
    excluded = len(a) - len(pairs)
    n = len(pairs)
    cl = f"{round(conf * 100):d}%"
    if n == 0:
        return Verdict(
            text=f"No example has a score for both {name_a} and {name_b}: nothing to compare.",
            difference=None,
            ci95=None,
            p_value=None,
            test="none",
            warning=None,
            n=0,
            excluded=excluded,
        )
    xs = [p[0] for p in pairs]
    ys = [p[1] for p in pairs]
    binary = _is_binary(xs) and _is_binary(ys)
    unit_points = binary or all(0.0 <= v <= 1.0 for v in xs + ys)
    scale = 100.0 if unit_points else 1.0
    unit = "points" if unit_points else "units"
    alpha = 1.0 - conf
    needed: int | None

    if binary:
        both = sum(1 for x, y in pairs if x and y)
        a_only = sum(1 for x, y in pairs if x and not y)
        b_only = sum(1 for x, y in pairs if y and not x)
        neither = n - both - a_only - b_only
        diff = (b_only - a_only) / n
        ci = newcombe_paired_ci(both, a_only, b_only, neither, conf)
        p = mcnemar_exact(a_only, b_only)
        test = "exact McNemar test; Newcombe hybrid-score CI"
        discordance = (a_only + b_only) / n
        mde = mde_paired(n, max(discordance, 0.01), alpha)
        needed = required_n_paired(target_difference, discordance or DEFAULT_DISCORDANCE, alpha)
        mean_rate = (2 * both + a_only + b_only) / (2 * n)
    else:
        boot = paired_bootstrap_ci(xs, ys, n_boot=n_boot, seed=seed, conf=conf)
        diff, ci = boot.difference, (boot.low, boot.high)
        wins = sum(1 for x, y in pairs if y > x)
        losses = sum(1 for x, y in pairs if y < x)
        st = sign_test(wins, losses, n - wins - losses, conf)
        p = st.p_value
        test = "paired bootstrap CI; sign test"
        d = [y - x for x, y in pairs]
        sd = math.sqrt(math.fsum((v - diff) ** 2 for v in d) / (n - 1)) if n > 1 else 0.0
        z = NormalDist().inv_cdf(1.0 - alpha / 2.0) + NormalDist().inv_cdf(0.8)
        mde = z * sd / math.sqrt(n) if sd > 0 else None
        needed = required_n_continuous(target_difference, sd, alpha) if sd > 0 else None
        mean_rate = math.fsum(xs + ys) / (2 * n) if unit_points else 0.5

    def f(value: float) -> str:
        return f"{value * scale:.1f}" if unit_points else f"{value:.3g}"

    lo, hi = ci
    significant = p < alpha and (lo > 0 or hi < 0)
    warnings: list[str] = []
    if n < min_n:
        wl, wh = wilson_interval(round(mean_rate * n), n, conf)
        warnings.append(
            f"Only {n} paired examples (fewer than {min_n}): each pass rate's {cl} CI is about "
            f"±{(wh - wl) * 50:.0f} points wide, so treat this as a hint."
        )
    if significant:
        if diff >= 0:
            winner, loser, d_show, lo_s, hi_s = name_b, name_a, diff, lo, hi
        else:
            winner, loser, d_show, lo_s, hi_s = name_a, name_b, -diff, -hi, -lo
        text = (
            f"{winner} beats {loser} by {f(d_show)} {unit}, {cl} CI "
            f"{f(lo_s)} to {f(hi_s)}, {format_p(p)}, n = {n}"
        )
        if mde is None:
            warnings.append(
                f"At n = {n} not even the largest possible difference is reliably "
                "detectable; confirm on more examples."
            )
        elif abs(diff) < mde:
            warnings.append(
                f"The difference ({f(abs(diff))} {unit}) is smaller than the "
                f"{f(mde)}-{unit[:-1]} minimum detectable difference at n = {n}: "
                "a result this small is often luck or an overestimate; confirm on more "
                "examples."
            )
    else:
        text = (
            f"{name_a} and {name_b} are not distinguishable at n = {n} (difference "
            f"{'+' if diff >= 0 else ''}{f(diff)} {unit}, {cl} CI {f(lo)} to {f(hi)}, "
            f"{format_p(p)})"
        )
        if needed is not None:
            text += (
                f"; about {needed} examples would detect a "
                f"{target_difference * scale:g}-{unit[:-1]} difference"
            )
    if excluded:
        text += f" ({excluded} pair(s) excluded because of errors)"
    return Verdict(
        text=text + ".",
        difference=diff,
        ci95=ci,
        p_value=p,
        test=test,
        warning=" ".join(warnings) or None,
        n=n,
        excluded=excluded,
        mde=mde,
        required_n=needed,
    )
