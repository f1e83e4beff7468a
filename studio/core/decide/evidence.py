"""What the studio already knows about the task, gathered from the project.

Every field is optional: ``None`` means "unknown", never zero, so the decision can say
"no test set yet" instead of pretending. The lead fills :class:`Evidence` from the
project database (best prompt version's run on the test split, the A/B across models,
dataset readiness, validation, measured tokens/latency); tests build it directly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from statistics import NormalDist
from typing import Any

from studio.core.decide.reasons import jsonable
from studio.core.errors import UserError
from studio.core.evals.stats import wilson_interval as wilson_interval  # the one Wilson

#: Base pass rate used for the minimum detectable difference when no score is known
#: (docs/engineering-facts.md §8: "MDE (α 0.05, power 0.8, base 80 %)").
DEFAULT_BASE_RATE = 0.8


@dataclass(slots=True)
class Evidence:
    """Measured facts about the task; every field may be None (unknown).

    Scores are on the test split, 0–1. ``*_ci_low``/``*_ci_high`` are the Wilson 95 %
    interval; when missing they are computed from the score and ``n``.

    Attributes:
        best_prompt: name/label of the best prompt version (e.g. ``"triage v7"``).
        best_model: model the best prompt was measured on (usually the current model).
        best_score: its score on the test split.
        best_ci_low: lower end of the Wilson 95 % interval.
        best_ci_high: upper end of the Wilson 95 % interval.
        best_n: number of scored test items.
        candidate_model: the cheaper model run with the same prompt (A/B across models).
        candidate_score: its score on the same test items.
        candidate_ci_low: lower end of its Wilson 95 % interval.
        candidate_ci_high: upper end of its Wilson 95 % interval.
        candidate_n: number of scored test items.
        candidate_p_value: paired comparison (exact McNemar) p-value, best vs candidate.
        approved_examples: approved training examples (vs the 100 / 500 thresholds).
        test_set_size: examples in the test split.
        mde: minimum detectable difference the test set gives (0–1); computed when None.
        duplicates: exact + near duplicate examples found.
        leaks: test examples that duplicate training examples.
        label_counts: examples per label (for the balance chart), if the task has labels.
        min_class_share: smallest label's share (derived from label_counts when None).
        max_class_share: largest label's share (derived from label_counts when None).
        tokens_mean_per_example: mean tokens per training example.
        tokens_p95_per_example: p95 tokens per training example.
        validation_errors: errors from the training-format validator.
        validation_warnings: warnings from the training-format validator.
        mean_input_tokens: measured mean input tokens per call (current model).
        mean_output_tokens: measured mean output tokens per call.
        cost_per_1000_tasks: measured cost of 1,000 tasks in USD (current model).
        latency_p95_ms: measured p95 latency of the current model, ms.
        candidate_latency_p95_ms: measured p95 latency of the candidate model, ms.
        distil_reviewed: distillation candidates a person accepted or rejected.
        distil_accepted: of those, accepted (each became a row's ideal output).
        teacher_correct: rows with a human ideal where the teacher's answer matched it
            under the task's scorer (:mod:`studio.core.distil.evidence`).
        teacher_compared: rows with both a human ideal and a teacher answer.
        teacher_ci_low: lower end of the Wilson 95 % interval of the teacher's accuracy.
        teacher_ci_high: upper end of that interval.
        human_ideals: rows whose ideal output a person wrote.
        teacher_ideals: rows whose ideal output is an accepted teacher answer.
        synthetic_inputs: rows with synthetic inputs.
        judge: the judge that scored the accepted teacher answers (``"grader@2 (model)"``),
            when one judge scored them all.
        judge_accepted: accepted teacher answers with that judge's score.
        judge_median: their median judge score (0-1).
        provenance: where a field's value came from, e.g. ``{"best_score": "run #12"}``.
    """

    best_prompt: str | None = None
    best_model: str | None = None
    best_score: float | None = None
    best_ci_low: float | None = None
    best_ci_high: float | None = None
    best_n: int | None = None
    candidate_model: str | None = None
    candidate_score: float | None = None
    candidate_ci_low: float | None = None
    candidate_ci_high: float | None = None
    candidate_n: int | None = None
    candidate_p_value: float | None = None
    approved_examples: int | None = None
    test_set_size: int | None = None
    mde: float | None = None
    duplicates: int | None = None
    leaks: int | None = None
    label_counts: dict[str, int] | None = None
    min_class_share: float | None = None
    max_class_share: float | None = None
    tokens_mean_per_example: float | None = None
    tokens_p95_per_example: float | None = None
    validation_errors: int | None = None
    validation_warnings: int | None = None
    mean_input_tokens: float | None = None
    mean_output_tokens: float | None = None
    cost_per_1000_tasks: float | None = None
    latency_p95_ms: float | None = None
    candidate_latency_p95_ms: float | None = None
    distil_reviewed: int | None = None
    distil_accepted: int | None = None
    teacher_correct: int | None = None
    teacher_compared: int | None = None
    teacher_ci_low: float | None = None
    teacher_ci_high: float | None = None
    human_ideals: int | None = None
    teacher_ideals: int | None = None
    synthetic_inputs: int | None = None
    judge: str | None = None
    judge_accepted: int | None = None
    judge_median: float | None = None
    provenance: dict[str, str] = field(default_factory=dict)

    # -- derived values -------------------------------------------------------------
    def best_interval(self) -> tuple[float, float] | None:
        """Wilson 95 % interval of the best prompt's score (given or computed)."""
        return _interval(self.best_score, self.best_ci_low, self.best_ci_high, self.best_n)

    def candidate_interval(self) -> tuple[float, float] | None:
        """Wilson 95 % interval of the candidate model's score (given or computed)."""
        return _interval(
            self.candidate_score, self.candidate_ci_low, self.candidate_ci_high, self.candidate_n
        )

    def effective_mde(self) -> float | None:
        """The minimum detectable difference: the given one, else computed from the test size."""
        if self.mde is not None:
            return self.mde
        if not self.test_set_size:
            return None
        base = self.best_score if self.best_score is not None else DEFAULT_BASE_RATE
        return minimum_detectable_difference(self.test_set_size, base)

    def class_shares(self) -> tuple[float, float] | None:
        """(min, max) label share: the given ones, else derived from ``label_counts``."""
        if self.min_class_share is not None and self.max_class_share is not None:
            return self.min_class_share, self.max_class_share
        if self.label_counts:
            total = sum(self.label_counts.values())
            if total > 0:
                shares = [c / total for c in self.label_counts.values()]
                return min(shares), max(shares)
        return None

    def where(self, name: str) -> str:
        """Where a field's value came from (``provenance``), or a generic description."""
        return self.provenance.get(name, "project evidence")

    # -- serialisation --------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Every field (None for unknown) plus the derived ``effective_mde``."""
        out: dict[str, Any] = {f.name: jsonable(getattr(self, f.name)) for f in fields(self)}
        out["effective_mde"] = jsonable(self.effective_mde())
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "the evidence") -> Evidence:
        """Build evidence from a mapping (unknown keys, wrong types raise UserError)."""
        if not isinstance(data, Mapping):
            raise UserError(f"{source} must be a JSON object.", where=source)
        names = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key == "effective_mde":
                continue  # derived; written by to_dict
            if key not in names:
                raise UserError(f"{source}: unknown field '{key}'.", where=str(key))
            kwargs[key] = _check_field(key, str(names[key].type), value, source)
        return cls(**kwargs)


def _check_field(name: str, type_text: str, value: Any, source: str) -> Any:
    if value is None:
        return {} if name == "provenance" else None
    if name in ("label_counts", "provenance"):
        want = int if name == "label_counts" else str
        ok = isinstance(value, Mapping) and all(
            isinstance(v, want) and not isinstance(v, bool) for v in value.values()
        )
        if not ok:
            raise UserError(
                f"{source}: field '{name}' must be an object of names to values.", where=name
            )
        return {str(k): v for k, v in value.items()}
    if type_text.startswith("str"):
        if not isinstance(value, str):
            raise UserError(f"{source}: field '{name}' must be text.", where=name)
        return value
    if type_text.startswith("int"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise UserError(f"{source}: field '{name}' must be a whole number ≥ 0.", where=name)
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UserError(f"{source}: field '{name}' must be a number.", where=name)
    return float(value)


def _interval(
    score: float | None, low: float | None, high: float | None, n: int | None
) -> tuple[float, float] | None:
    if low is not None and high is not None:
        return low, high
    if score is None or not n:
        return None
    return wilson_interval(min(1.0, max(0.0, score)) * n, n)


def minimum_detectable_difference(
    n: int, base: float = DEFAULT_BASE_RATE, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Smallest difference in pass rate two arms of ``n`` items each can detect.

    Two-sided normal approximation for two proportions at ``base`` (unpaired, so an
    upper bound on the paired McNemar figure): 11.2 pp at n = 200, 7.1 pp at n = 500
    for a base of 80 % (docs/engineering-facts.md §8).
    """
    if n <= 0:
        raise ValueError("n must be positive")
    p = min(max(base, 0.01), 0.99)
    z = NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(power)
    return z * math.sqrt(2 * p * (1 - p) / n)


def needed_test_size(
    target_mde: float, base: float = DEFAULT_BASE_RATE, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Test items needed for :func:`minimum_detectable_difference` to reach ``target_mde``."""
    p = min(max(base, 0.01), 0.99)
    z = NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(power)
    return math.ceil(2 * p * (1 - p) * z * z / (target_mde * target_mde))
