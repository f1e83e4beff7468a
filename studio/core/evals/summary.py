"""What a run found: per-variant scores with intervals, the paired comparison, the verdict.

Pure computation over stored rows (no database access here; the service loads rows and
calls :func:`summarise`). Rules:

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
from dataclasses import asdict, dataclass, field
from typing import Any

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


# ----------------------------------------------------------------------------- inputs
@dataclass(frozen=True, slots=True)
class ResultRow:
    """One stored result, as the summary needs it."""

    variant_id: int
    example_id: int
    output: str | None
    error: str | None
    passed: bool | None
    score: float | None
    latency_ms: float | None
    tokens_in: int | None
    tokens_out: int | None
    cost_usd: float | None
    cached: bool
    attempts: int
    predicted_label: str | None = None
    fields: dict[str, bool] | None = None  # json-equal: per-field agreement
    label_match: str | None = None  # label scorers: "exact" / "lenient" / None


@dataclass(frozen=True, slots=True)
class VariantMeta:
    """A variant of the run."""

    variant_id: int
    position: int
    label: str
    model: str
    prompt_name: str | None = None  # None when the prompt version was deleted
    version: int | None = None


@dataclass(frozen=True, slots=True)
class PreferenceRow:
    """One stored preference between two variants on an example."""

    example_id: int
    variant_a_id: int
    variant_b_id: int
    choice: str  # "a", "b", "tie"
    source: str  # "human", "judge"


# ---------------------------------------------------------------------------- outputs
@dataclass(frozen=True)
class VariantSummary:
    """One variant's numbers.

    ``score`` is correct / answered (pass/fail) or the mean score (numeric); None when
    nothing was answered. ``tokens_*``/``cost_usd``/``cost_per_1000`` are None when
    unknown. ``confusion`` (label scorer) is ``{"labels": [...], "counts": {exp: {pred:
    n}}}``. ``field_agreement`` (json-equal) is ``{field: [agreeing, scored]}`` over the
    scored answers whose ideal is an object, in the ideals' key order.
    ``label_matches`` (label scorers) is ``{"exact": n, "lenient": n}``: answers that
    were the label character for character, and those matched only by lenient
    extraction (for ``label-strict`` these failed).
    """

    variant_id: int
    position: int
    prompt: str
    model: str
    n: int
    answered: int
    correct: int
    errors: int
    unscored: int
    cached: int
    score: float | None
    ci95: tuple[float, float] | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    tokens_in: int | None
    tokens_out: int | None
    cost_usd: float | None
    cost_per_1000: float | None
    confusion: dict[str, Any] | None = None
    prompt_name: str | None = None  # the prompt's name (``prompt`` is the unique label)
    version: int | None = None
    field_agreement: dict[str, list[int]] | None = None
    label_matches: dict[str, int] | None = None

    def field_agreement_text(self) -> str:
        """``intents 7/10 (70%), urgency 9/10 (90%)`` (empty without field figures)."""
        parts = []
        for name, (agree, scored) in (self.field_agreement or {}).items():
            share = f" ({agree / scored * 100:.0f}%)" if scored else ""
            parts.append(f"{name} {agree}/{scored}{share}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Comparison:
    """A vs B on the same examples. ``difference`` is B - A (fraction for rates)."""

    a: str
    b: str
    difference: float | None
    ci95: tuple[float, float] | None
    p_value: float | None
    test: str
    verdict: str
    warning: str | None
    n: int
    excluded: int
    mde: float | None = None
    required_n: int | None = None


@dataclass(frozen=True)
class PreferenceSummary:
    """Pairwise preferences of one source (human or judge) between A and B."""

    source: str
    a: str
    b: str
    b_wins: int
    a_wins: int
    ties: int
    p_value: float
    b_win_share: float | None
    b_win_share_ci95: tuple[float, float]
    text: str


@dataclass(frozen=True)
class RunSummary:
    """Everything the summary view and ``studio ab`` show (JSON-able via :meth:`to_json`).

    Attributes:
        n: examples in the run. variants: per-variant numbers in run order.
        comparison: first vs second variant (None with fewer than two).
        comparisons: every other variant vs the first.
        preferences: sign tests of human / judge preferences between the first two.
        calls: ``{"made", "cached", "failed"}`` over the stored results.
        disagreements / regressions / errors: example ids for the case table
            (regressions: A right and B wrong).
        warnings: sentences the reader must see (small n, errors, unscored answers).
    """

    run_id: int
    name: str
    dataset: str
    split: str
    scorer: str
    status: str
    n: int
    variants: list[VariantSummary]
    comparison: Comparison | None
    comparisons: list[Comparison] = field(default_factory=list)
    preferences: list[PreferenceSummary] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    disagreements: list[int] = field(default_factory=list)
    regressions: list[int] = field(default_factory=list)
    errors: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    recorded_note: str = ""
    failed_reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Everything as plain JSON types."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunSummary:
        """Inverse of :meth:`to_json`."""
        def tup(v: Any) -> tuple[float, float] | None:
            return None if v is None else (float(v[0]), float(v[1]))

        variants = [
            VariantSummary(**{**v, "ci95": tup(v.get("ci95"))}) for v in data["variants"]
        ]
        def comp(c: Mapping[str, Any] | None) -> Comparison | None:
            return None if c is None else Comparison(**{**c, "ci95": tup(c.get("ci95"))})

        prefs = [
            PreferenceSummary(**{**p, "b_win_share_ci95": tup(p["b_win_share_ci95"])})
            for p in data.get("preferences", [])
        ]
        comparisons = [c for c in (comp(x) for x in data.get("comparisons", [])) if c]
        return cls(
            **{
                **{k: v for k, v in data.items() if k in cls.__dataclass_fields__},
                "variants": variants,
                "comparison": comp(data.get("comparison")),
                "comparisons": comparisons,
                "preferences": prefs,
            }
        )

    def to_cli_json(self) -> dict[str, Any]:
        """The ``studio ab --json`` document, exactly (``score`` = correct / answered)."""
        comparison: dict[str, Any] | None = None
        if self.comparison is not None:
            c = self.comparison
            comparison = {
                "difference": c.difference,
                "ci95": list(c.ci95) if c.ci95 is not None else None,
                "p_value": c.p_value,
                "test": c.test,
                "verdict": c.verdict,
            }
        return {
            "run_id": self.run_id,
            "n": self.n,
            "variants": [
                {
                    # The prompt version (NAME@VERSION), its version number and the model
                    # it ran on; ``label`` tells apart one version run on two models.
                    "prompt": (f"{v.prompt_name}@{v.version}"
                               if v.prompt_name is not None and v.version is not None
                               else v.prompt),
                    "version": v.version,
                    "model": v.model,
                    "label": v.prompt,
                    "score": v.score,
                    "ci95": list(v.ci95) if v.ci95 is not None else None,
                    "errors": v.errors,
                    "latency_ms": {"p50": v.latency_p50_ms, "p95": v.latency_p95_ms},
                    "tokens": {"input": v.tokens_in, "output": v.tokens_out},
                    "cost_usd": v.cost_usd,
                    **_scorer_extras(v),
                }
                for v in self.variants
            ],
            "comparison": comparison,
            "calls": {
                "made": self.calls.get("made", 0),
                "cached": self.calls.get("cached", 0),
                "failed": self.calls.get("failed", 0),
            },
        }

    @property
    def verdict_text(self) -> str:
        """The verdict sentence (or why there is none)."""
        if self.comparison is not None:
            return self.comparison.verdict
        if self.preferences:
            return self.preferences[0].text
        return "Nothing to compare yet."


def _scorer_extras(v: VariantSummary) -> dict[str, Any]:
    """The scorer-specific keys of a variant in ``studio ab --json`` (absent when n/a)."""
    out: dict[str, Any] = {}
    if v.field_agreement is not None:
        out["field_agreement"] = {
            name: {"agree": agree, "scored": scored,
                   "share": agree / scored if scored else None}
            for name, (agree, scored) in v.field_agreement.items()
        }
    if v.label_matches is not None:
        out["label_matches"] = dict(v.label_matches)
    return out


# ---------------------------------------------------------------------------- compute
def _field_agreement(scored: Sequence[ResultRow]) -> dict[str, list[int]]:
    acc: dict[str, list[int]] = {}
    for r in scored:
        for name, good in (r.fields or {}).items():
            slot = acc.setdefault(name, [0, 0])
            slot[0] += int(good)
            slot[1] += 1
    return acc


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
        values = [float(r.score if r.score is not None else (1.0 if r.passed else 0.0))
                  for r in scored]
        boot = paired_bootstrap_ci([0.0] * len(values), values, n_boot=2000, seed=0)
        score, ci = boot.difference, (boot.low, boot.high)
    latencies = [r.latency_ms for r in answers if r.latency_ms is not None]
    tokens_in = _sum_or_none([r.tokens_in for r in answers]) if answers else None
    tokens_out = _sum_or_none([r.tokens_out for r in answers]) if answers else None
    cost = _sum_or_none([r.cost_usd for r in answers]) if answers else None
    confusion: dict[str, Any] | None = None
    if expected_labels is not None:
        table = confusion_table(
            (str(expected_labels.get(r.example_id) or "(none)"), r.predicted_label)
            for r in scored
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
            {"exact": sum(1 for r in scored if r.label_match == "exact"),
             "lenient": sum(1 for r in scored if r.label_match == "lenient")}
            if scorer in ("label", "label-strict") else None
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
        warning=None if decided >= MIN_RELIABLE_N else (
            f"Only {decided} decided pairs: treat this as a hint."
        ),
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


def _fmt_num(value: float | int | None, spec: str = "") -> str:
    return "unknown" if value is None else format(value, spec)


def format_text(summary: RunSummary) -> str:
    """The human-readable table + verdict that ``studio ab`` prints."""
    head = ("prompt", "model", "score", "95% CI", "n", "errors", "p50 ms", "p95 ms",
            "tokens in", "tokens out", "cost USD", "per 1k")
    rows: list[tuple[str, ...]] = [head]
    for v in summary.variants:
        rows.append(
            (
                v.prompt,
                v.model,
                "-" if v.score is None else f"{v.score * 100:.1f}%",
                "-" if v.ci95 is None else f"{v.ci95[0] * 100:.1f}-{v.ci95[1] * 100:.1f}%",
                str(v.answered),
                str(v.errors),
                _fmt_num(v.latency_p50_ms, ".0f"),
                _fmt_num(v.latency_p95_ms, ".0f"),
                _fmt_num(v.tokens_in),
                _fmt_num(v.tokens_out),
                _fmt_num(v.cost_usd, ".4f"),
                _fmt_num(v.cost_per_1000, ".3f"),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    out = [f"Run {summary.run_id}: {summary.dataset} ({summary.split}), n = {summary.n}, "
           f"scorer {summary.scorer}", "", *lines, "", "Verdict: " + summary.verdict_text]
    for v in summary.variants:
        if v.field_agreement:
            out.append(f"Field agreement, {v.prompt}: {v.field_agreement_text()}.")
        if v.label_matches is not None:
            lenient = v.label_matches.get("lenient", 0)
            how = ("only leniently (failed here)" if summary.scorer == "label-strict"
                   else "only by lenient extraction")
            out.append(f"Label matches, {v.prompt}: {v.label_matches.get('exact', 0)} exact, "
                       f"{lenient} {how}.")
    for p in summary.preferences:
        if summary.comparison is None or p.text != summary.comparison.verdict:
            out.append("Preferences: " + p.text)
    out.extend("Warning: " + w for w in summary.warnings)
    calls = summary.calls
    out.append(
        f"Calls: {calls.get('made', 0)} made, {calls.get('cached', 0)} from cache, "
        f"{calls.get('failed', 0)} failed."
    )
    if summary.recorded_note:
        out.append(f"Note: {summary.recorded_note}.")
    return "\n".join(out) + "\n"
