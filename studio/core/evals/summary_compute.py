"""Computing what a run found from its stored rows: scores, intervals, comparisons, verdict.

Pure computation over stored rows (no database access here; :mod:`.run_results` loads
the rows and calls :func:`summarise`; the types it fills are in :mod:`.summary`). Rules:

* **Errors are not wrong answers.** An error (no answer) is counted in ``errors`` and left
  out of the score's denominator: ``score = correct / answered`` with
  ``answered = n - errors - unscored`` (bar 10). A run with errors is never a clean pass:
  ``calls.failed`` says so and the CLI exits 1.
* Pass/fail scorers: score with its 95 % Wilson interval; A vs B by the exact McNemar
  test on the examples both answered, Newcombe's interval for the difference.
  Numeric scores (field accuracy): mean with a bootstrap interval; A vs B by a paired
  bootstrap interval and a sign test. Pairwise preferences (judge, human review): sign
  test with a Wilson interval on the win share. All from :mod:`studio.core.evals.stats`.
* **Unknown is not zero**: tokens and cost are None when any answered call lacked
  ``usage`` (or a price): shown "unknown" in text and ``null`` in JSON.
* Latency p50/p95 over answered calls (a cache hit keeps the original call's latency, so
  a re-run from cache summarises identically).
* Variant A is the first variant (the baseline), B the second; with more variants each
  is compared with A.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from studio.core.evals.json_scorers import per_field_accuracy
from studio.core.evals.scorers import confusion_table
from studio.core.evals.stats import (
    MIN_RELIABLE_N,
    Verdict,
    format_p,
    paired_bootstrap_ci,
    percentile,
    sign_test,
    verdict,
    wilson_interval,
)
from studio.core.evals.summary import (
    Comparison,
    PreferenceRow,
    PreferenceSummary,
    ResultRow,
    RunSummary,
    VariantMeta,
    VariantSummary,
)


# ---------------------------------------------------------------------------- compute
def _field_agreement(scored: Sequence[ResultRow]) -> dict[str, list[int]]:
    return {name: list(counts) for name, counts in per_field_accuracy(scored).items()}


def _sum_or_none(values: Sequence[float | int | None]) -> float | None:
    if any(v is None for v in values):
        return None
    return float(sum(v for v in values if v is not None))


def _variant_summary(
    meta: VariantMeta,
    rows: Sequence[ResultRow],
    n: int,
    pass_fail: bool,
    expected_labels: Mapping[int, str | None] | None,
    scorer: str = "",
) -> VariantSummary:
    errors = [r for r in rows if r.error is not None]
    answers = [r for r in rows if r.error is None]
    scored = [r for r in answers if r.passed is not None or r.score is not None]
    unscored = len(answers) - len(scored)
    correct = sum(1 for r in scored if r.passed)
    score: float | None
    ci: tuple[float, float] | None
    if not scored:
        score, ci = None, None
    elif pass_fail or all(r.passed is not None for r in scored):
        score = correct / len(scored)
        ci = wilson_interval(correct, len(scored))
    else:
        values = [
            float(r.score if r.score is not None else (1.0 if r.passed else 0.0)) for r in scored
        ]
        boot = paired_bootstrap_ci([0.0] * len(values), values, n_boot=2000, seed=0)
        score, ci = boot.difference, (boot.low, boot.high)
    latencies = [r.latency_ms for r in answers if r.latency_ms is not None]
    tokens_in = _sum_or_none([r.tokens_in for r in answers]) if answers else None
    tokens_out = _sum_or_none([r.tokens_out for r in answers]) if answers else None
    cost = _sum_or_none([r.cost_usd for r in answers]) if answers else None
    confusion: dict[str, Any] | None = None
    if expected_labels is not None:
        table = confusion_table(
            (str(expected_labels.get(r.example_id) or "(none)"), r.predicted_label) for r in scored
        )
        confusion = {"labels": table.labels, "counts": table.counts, "total": table.total}
    return VariantSummary(
        variant_id=meta.variant_id,
        position=meta.position,
        prompt=meta.label,
        model=meta.model,
        n=n,
        answered=len(scored),
        correct=correct,
        errors=len(errors),
        unscored=unscored,
        cached=sum(1 for r in rows if r.cached),
        score=score,
        ci95=ci,
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        tokens_in=None if tokens_in is None else int(tokens_in),
        tokens_out=None if tokens_out is None else int(tokens_out),
        cost_usd=cost,
        cost_per_1000=None if cost is None or not answers else cost / len(answers) * 1000.0,
        confusion=confusion,
        field_agreement=_field_agreement(scored) if scorer == "json-equal" else None,
        label_matches=(
            {
                "exact": sum(1 for r in scored if r.label_match == "exact"),
                "lenient": sum(1 for r in scored if r.label_match == "lenient"),
            }
            if scorer in ("label", "label-strict")
            else None
        ),
        prompt_name=meta.prompt_name,
        version=meta.version,
    )


def _value(row: ResultRow | None) -> float | None:
    if row is None or row.error is not None:
        return None
    if row.passed is not None:
        return 1.0 if row.passed else 0.0
    return row.score


def _comparison(
    a: VariantMeta,
    b: VariantMeta,
    by_key: Mapping[tuple[int, int], ResultRow],
    example_ids: Sequence[int],
) -> Comparison:
    xs = [_value(by_key.get((a.variant_id, e))) for e in example_ids]
    ys = [_value(by_key.get((b.variant_id, e))) for e in example_ids]
    v: Verdict = verdict(xs, ys, labels=(a.label, b.label), n_boot=2000)
    # This keyword-argument constructor and PreferenceSummary's below pair by shape with
    # datasets/preview's Preview, evals/runner's CallResult and RunSummary, and decide/cost's
    # CostModel (duplicates report): each names its record's fields once; different records.
    return Comparison(
        a=a.label,
        b=b.label,
        difference=v.difference,
        ci95=v.ci95,
        p_value=v.p_value,
        test=v.test,
        verdict=v.text,
        warning=v.warning,
        n=v.n,
        excluded=v.excluded,
        mde=v.mde,
        required_n=v.required_n,
    )


def preference_summary(
    source: str, a: VariantMeta, b: VariantMeta, prefs: Sequence[PreferenceRow]
) -> PreferenceSummary | None:
    """Sign test of ``source`` preferences between ``a`` and ``b`` (None when there are none)."""
    b_wins = a_wins = ties = 0
    for p in prefs:
        if p.source != source:
            continue
        if (p.variant_a_id, p.variant_b_id) == (a.variant_id, b.variant_id):
            choice = p.choice
        elif (p.variant_a_id, p.variant_b_id) == (b.variant_id, a.variant_id):
            choice = {"a": "b", "b": "a"}.get(p.choice, p.choice)
        else:
            continue
        if choice == "b":
            b_wins += 1
        elif choice == "a":
            a_wins += 1
        else:
            ties += 1
    if b_wins + a_wins + ties == 0:
        return None
    st = sign_test(b_wins, a_wins, ties)
    decided = b_wins + a_wins
    who = "the LLM judge" if source == "judge" else "reviewers"
    if decided == 0:
        text = f"{who.capitalize()} found {a.label} and {b.label} equal in all {ties} pairs."
    else:
        lo, hi = st.win_share_ci
        share = st.win_share or 0.0
        leader, lead_share, lo_s, hi_s = (
            (b.label, share, lo, hi) if b_wins >= a_wins else (a.label, 1 - share, 1 - hi, 1 - lo)
        )
        significant = st.p_value < 0.05
        head = (
            f"{who.capitalize()} preferred {leader}"
            if significant
            else f"{who.capitalize()} did not clearly prefer either; {leader} led"
        )
        text = (
            f"{head} in {max(b_wins, a_wins)} of {decided} decided pairs "
            f"({lead_share * 100:.0f}%, 95% CI {lo_s * 100:.0f} to {hi_s * 100:.0f}%), "
            f"sign test {format_p(st.p_value)}, {ties} tie(s)."
        )
    return PreferenceSummary(
        source=source,
        a=a.label,
        b=b.label,
        b_wins=b_wins,
        a_wins=a_wins,
        ties=ties,
        p_value=st.p_value,
        b_win_share=st.win_share,
        b_win_share_ci95=st.win_share_ci,
        text=text,
    )


def _preference_comparison(p: PreferenceSummary, n: int) -> Comparison:
    decided = p.a_wins + p.b_wins
    diff = (p.b_wins - p.a_wins) / decided if decided else None
    lo, hi = p.b_win_share_ci95
    return Comparison(
        a=p.a,
        b=p.b,
        difference=diff,
        ci95=(2 * lo - 1, 2 * hi - 1) if decided else None,
        p_value=p.p_value,
        test=f"sign test on {p.source} preferences; Wilson CI on the win share",
        verdict=p.text,
        warning=None
        if decided >= MIN_RELIABLE_N
        else (f"Only {decided} decided pairs: treat this as a hint."),
        n=decided,
        excluded=n - decided - p.ties,
    )


def summarise(
    *,
    run_id: int,
    name: str,
    dataset: str,
    split: str,
    scorer: str,
    status: str,
    example_ids: Sequence[int],
    variants: Sequence[VariantMeta],
    rows: Sequence[ResultRow],
    pass_fail: bool,
    expected_labels: Mapping[int, str | None] | None = None,
    preferences: Sequence[PreferenceRow] = (),
    recorded_note: str = "",
    failed_reason: str | None = None,
) -> RunSummary:
    """Compute a :class:`RunSummary` from the run's rows (see the module rules)."""
    ordered = sorted(variants, key=lambda v: v.position)
    n = len(example_ids)
    by_variant: dict[int, list[ResultRow]] = {v.variant_id: [] for v in ordered}
    by_key: dict[tuple[int, int], ResultRow] = {}
    for r in rows:
        if r.variant_id in by_variant:
            by_variant[r.variant_id].append(r)
            by_key[(r.variant_id, r.example_id)] = r
    summaries = [
        _variant_summary(v, by_variant[v.variant_id], n, pass_fail, expected_labels, scorer)
        for v in ordered
    ]
    prefs: list[PreferenceSummary] = []
    comparisons: list[Comparison] = []
    if len(ordered) >= 2:
        a = ordered[0]
        for source in ("judge", "human"):
            ps = preference_summary(source, a, ordered[1], preferences)
            if ps is not None:
                prefs.append(ps)
        if scorer == "judge":
            judge = next((p for p in prefs if p.source == "judge"), None)
            if judge is not None:
                comparisons.append(_preference_comparison(judge, n))
        else:
            comparisons = [_comparison(a, b, by_key, example_ids) for b in ordered[1:]]

    disagreements: list[int] = []
    regressions: list[int] = []
    errored: list[int] = []
    for e in example_ids:
        vals = [_value(by_key.get((v.variant_id, e))) for v in ordered]
        if any((v.variant_id, e) in by_key and by_key[(v.variant_id, e)].error for v in ordered):
            errored.append(e)
        known = [x for x in vals if x is not None]
        if len(known) >= 2 and len(set(known)) > 1:
            disagreements.append(e)
        if len(vals) >= 2 and vals[0] is not None and vals[1] is not None and vals[1] < vals[0]:
            regressions.append(e)

    warnings: list[str] = []
    comparison = comparisons[0] if comparisons else None
    if comparison is not None and comparison.warning:
        warnings.append(comparison.warning)
    for v in summaries:
        if v.errors:
            warnings.append(
                f"{v.prompt}: {v.errors} call(s) failed (no answer); they are counted apart "
                "and left out of the score."
            )
        if v.unscored and scorer != "judge":
            warnings.append(f"{v.prompt}: {v.unscored} answer(s) could not be scored.")
    made = sum(1 for r in rows if not r.cached and r.attempts > 0)
    return RunSummary(
        run_id=run_id,
        name=name,
        dataset=dataset,
        split=split,
        scorer=scorer,
        status=status,
        n=n,
        variants=summaries,
        comparison=comparison,
        comparisons=comparisons,
        preferences=prefs,
        calls={
            "made": made,
            "cached": sum(1 for r in rows if r.cached),
            "failed": sum(1 for r in rows if r.error is not None),
        },
        disagreements=disagreements,
        regressions=regressions,
        errors=errored,
        warnings=warnings,
        recorded_note=recorded_note,
        failed_reason=failed_reason,
    )
