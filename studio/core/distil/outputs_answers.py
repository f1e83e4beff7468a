"""From a distil run's samples to one candidate per row: validity, majority, agreement.

A sample *votes* when the call answered, the answer fits the version's
``response_schema`` (jsonschema), is JSON when the row's output is JSON, and names a
label of the label set in a classification dataset (read as the ``label`` scorer reads
it). Samples are equal under the task's scorer: ``label`` (the label read from the
answer), ``json-equal`` (JSON data equality) or normalised text equality, using the
comparison functions of :mod:`studio.core.evals`. The majority answer is the largest
group of equal voting samples (ties: the group whose first sample came first);
``agreement`` is its size over all samples. A row with no voting sample is a *failed*
candidate (``valid=False``) with the first reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from studio.core.evals.json_scorers import JsonSchemaValid, first_json_value, json_data_equal
from studio.core.evals.run_scoring import RunScorer
from studio.core.evals.scorers import normalise_text

# How samples are compared (stored as the distil run's scorer).
AGREEMENT_LABEL, AGREEMENT_JSON, AGREEMENT_TEXT = "label", "json-equal", "normalised"


@dataclass(frozen=True, slots=True)
class Sample:
    """One stored answer of a row (an ``eval_result`` of the distil run)."""

    output: str | None
    tool_calls: list[dict[str, Any]] | None
    error: str | None
    tokens_in: int | None
    tokens_out: int | None
    cost_usd: float | None
    response_id: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """The candidate a row's samples give."""

    output: str | None
    output_kind: str
    label: str | None
    agreement: float | None
    valid: bool
    reason: str
    response_id: str
    tokens_in: int | None
    tokens_out: int | None
    cost_usd: float | None


def agreement_scorer(task_type: str, json_output: bool) -> str:
    """The scorer samples are compared under: label, json-equal or normalised text."""
    if task_type == "classification":
        return AGREEMENT_LABEL
    return AGREEMENT_JSON if json_output else AGREEMENT_TEXT


def _sum(values: Sequence[int | float | None]) -> Any:
    return None if not values or any(v is None for v in values) else sum(v or 0 for v in values)


class SampleJudge:
    """Reads samples for one distil run (the task, the schema, the label set).

    Args:
        scorer: :func:`agreement_scorer`'s name.
        response_schema: the version's ``response_schema`` (None = free output).
        label_set: the dataset's labels (classification).
        json_output: the answers are JSON (a response_schema or JSON ideal outputs).
    """

    def __init__(
        self,
        scorer: str,
        response_schema: Mapping[str, Any] | None,
        label_set: Sequence[str] = (),
        *,
        json_output: bool = False,
    ) -> None:
        self.scorer = scorer
        self.json_output = json_output or response_schema is not None
        self._schema = JsonSchemaValid(response_schema) if response_schema is not None else None
        self._labels = (
            RunScorer(AGREEMENT_LABEL, {}, {}, label_set=label_set)
            if scorer == AGREEMENT_LABEL
            else None
        )

    def read(self, sample: Sample) -> tuple[Any, str]:
        """``(key, "")`` for a voting sample (its value compared under the scorer), else
        ``(None, reason)``."""
        if sample.error is not None:
            return None, f"the call failed: {sample.error}"
        if sample.tool_calls:
            return ("calls", _canonical_calls(sample.tool_calls)), ""
        text = sample.output or ""
        if not text.strip():
            return None, "the answer is empty"
        if self._schema is not None:
            result = self._schema.score(text)
            if not result.passed:
                return None, f"the answer does not fit the response_schema: {result.detail}"
        if self._labels is not None:
            label = self._labels.predicted_label(text)
            if label is None:
                return None, "no label of the label set recognised in the answer"
            return ("label", label), ""
        if self.scorer == AGREEMENT_JSON:
            ok, value, error = first_json_value(text)
            if not ok:
                return None, f"the answer is not JSON: {error}"
            return ("json", value), ""
        return ("text", normalise_text(text)), ""

    def verdict(self, samples: Sequence[Sample], expected: int) -> Verdict:
        """The candidate of one row from its ``samples`` (``expected`` = samples asked)."""
        reads = [self.read(s) for s in samples]
        groups: list[list[int]] = []
        for i, (key, _reason) in enumerate(reads):
            if key is None:
                continue
            for group in groups:
                if _equal(reads[group[0]][0], key):
                    group.append(i)
                    break
            else:
                groups.append([i])
        answered = [s for s in samples if s.error is None]
        tokens_in = _sum([s.tokens_in for s in answered]) if answered else None
        tokens_out = _sum([s.tokens_out for s in answered]) if answered else None
        cost = _sum([s.cost_usd for s in answered]) if answered else None
        if not groups:
            first = samples[0] if samples else None
            reason = next((r for _k, r in reads if r), "no answer")
            return Verdict(
                output=None if first is None else _output_text(first),
                output_kind=_kind(first, self.json_output),
                label=None,
                agreement=None,
                valid=False,
                reason=reason,
                response_id="" if first is None else first.response_id,
                tokens_in=tokens_in,
                tokens_out=tokens_out,
                cost_usd=cost,
            )
        best = max(groups, key=len)  # max keeps the first of equal sizes: earliest group
        chosen = samples[best[0]]
        key = reads[best[0]][0]
        return Verdict(
            output=_output_text(chosen),
            output_kind=_kind(chosen, self.json_output),
            label=key[1] if key[0] == "label" else None,
            agreement=None if expected <= 1 else len(best) / expected,
            valid=True,
            reason="",
            response_id=chosen.response_id,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=cost,
        )


def _canonical_calls(calls: Sequence[Mapping[str, Any]]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for call in calls:
        fn = call.get("function", {}) if isinstance(call, Mapping) else {}
        args = fn.get("arguments")
        if isinstance(args, str):
            ok, value, _ = first_json_value(args)
            args = value if ok else args
        out.append((str(fn.get("name")), args))
    return out


def _equal(a: Any, b: Any) -> bool:
    if a[0] != b[0]:
        return False
    if a[0] == "json":
        return json_data_equal(a[1], b[1])
    if a[0] == "calls":
        return len(a[1]) == len(b[1]) and all(
            x[0] == y[0] and json_data_equal(x[1], y[1]) for x, y in zip(a[1], b[1], strict=True)
        )
    return bool(a[1] == b[1])


def _output_text(sample: Sample) -> str | None:
    if sample.tool_calls:
        # The form of a tool-call example's ideal output (studio.core.evals.run_scoring)
        return orjson.dumps({"tool_calls": sample.tool_calls}).decode()
    return sample.output


def _kind(sample: Sample | None, json_output: bool) -> str:
    if sample is not None and sample.tool_calls:
        return "tool_calls"
    return "json" if json_output else "text"
