"""What a run found: per-variant scores with intervals, the paired comparison, the verdict.

The types of a run's summary (the rows it is computed from, :class:`RunSummary` with its
JSON forms) and its text form (:func:`format_text`). How the figures are computed, and
the rules they follow (errors are not wrong answers, unknown is not zero), is
:mod:`.summary_compute`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


# ----------------------------------------------------------------------------- inputs
# Its timing/token fields repeat evals/calls.CallResult's (duplicates report): this is the
# stored, scored row the summary reads; CallResult is the runner's record. Kept apart.
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


# Dataclass declarations here pair by shape with datasets/file_format.FileFormat and
# tokens/prices.PriceTable (duplicates report): different records.
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

        variants = [VariantSummary(**{**v, "ci95": tup(v.get("ci95"))}) for v in data["variants"]]

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
                    "prompt": (
                        f"{v.prompt_name}@{v.version}"
                        if v.prompt_name is not None and v.version is not None
                        else v.prompt
                    ),
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
            name: {"agree": agree, "scored": scored, "share": agree / scored if scored else None}
            for name, (agree, scored) in v.field_agreement.items()
        }
    if v.label_matches is not None:
        out["label_matches"] = dict(v.label_matches)
    return out


def _fmt_num(value: float | int | None, spec: str = "") -> str:
    return "unknown" if value is None else format(value, spec)


def format_text(summary: RunSummary) -> str:
    """The human-readable table + verdict that ``studio ab`` prints."""
    head = (
        "prompt",
        "model",
        "score",
        "95% CI",
        "n",
        "errors",
        "p50 ms",
        "p95 ms",
        "tokens in",
        "tokens out",
        "cost USD",
        "per 1k",
    )
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
    out = [
        f"Run {summary.run_id}: {summary.dataset} ({summary.split}), n = {summary.n}, "
        f"scorer {summary.scorer}",
        "",
        *lines,
        "",
        "Verdict: " + summary.verdict_text,
    ]
    for v in summary.variants:
        if v.field_agreement:
            out.append(f"Field agreement, {v.prompt}: {v.field_agreement_text()}.")
        if v.label_matches is not None:
            lenient = v.label_matches.get("lenient", 0)
            how = (
                "only leniently (failed here)"
                if summary.scorer == "label-strict"
                else "only by lenient extraction"
            )
            out.append(
                f"Label matches, {v.prompt}: {v.label_matches.get('exact', 0)} exact, "
                f"{lenient} {how}."
            )
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
