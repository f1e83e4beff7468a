"""Scoring the answers of a run: pick the scorer by name, find each example's ideal answer.

Scorer names (``RunSpec.scorer``, the CLI's ``--scorer``) and their ``scorer_config``:

=============  =============================================================
``exact``      output == ideal output (whitespace trimmed); ``{"normalise": true}``
               compares after case/space/punctuation normalising
``normalised`` the same as ``exact`` with normalising
``label``      classification: the label named in the output vs the example's label
               (``labels``: defaults to the dataset's label set; an answer that is a
               JSON object is read from its ``field`` — default the first of
               ``label``/``intent``/``category``/``class`` present)
``json``       the output is valid JSON
``json-schema`` valid against ``schema`` (default: the dataset's output schema)
``json-fields`` field-level match of a JSON object with the ideal object (``fields``)
``contains``   the output contains ``text`` (default: the ideal output)
``regex``      the output matches ``pattern``
``judge``      answers are not scored one by one; an LLM judge compares the pair
               (``judge_prompt``: "NAME@VERSION", ``judge_model``) — see the service
=============  =============================================================

Tool-call examples (``output_kind == "tool_calls"``) with the ``exact`` scorer compare the
called functions and their parsed arguments, not text.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from studio.core.errors import ValidationError
from studio.core.evals.scorers import (
    Contains,
    ExactMatch,
    JsonFieldMatch,
    JsonSchemaValid,
    JsonValid,
    LabelMatch,
    NormalisedMatch,
    RegexMatch,
    Scorer,
    parse_json_output,
)
from studio.core.evals.store import Scored
from studio.core.evals.workitems import ExampleInput

SCORER_NAMES: tuple[str, ...] = (
    "exact", "normalised", "label", "json", "json-schema", "json-fields", "contains", "regex",
    "judge",
)
PASS_FAIL_SCORERS = frozenset(
    {"exact", "normalised", "label", "json", "json-schema", "contains", "regex"}
)
LABEL_FIELDS = ("label", "intent", "category", "class")


def check_scorer_name(name: str) -> str:
    """``name`` if it is a known scorer, else a ValidationError listing them."""
    if name not in SCORER_NAMES:
        raise ValidationError(
            f"Unknown scorer {name!r}; use one of {', '.join(SCORER_NAMES)}.", where="scorer"
        )
    return name


def _label_from_json(output: str, field: str | None) -> str | None:
    text = output.strip()
    if not (text.startswith("{") or text.startswith("```")):
        return None
    ok, value, _ = parse_json_output(text)
    if not ok or not isinstance(value, dict):
        return None
    names = [field] if field else list(LABEL_FIELDS)
    for name in names:
        if isinstance(value.get(name), str):
            return str(value[name])
    return None


def _calls_equal(got: Sequence[Any] | None, want: object) -> bool:
    def norm(calls: object) -> list[tuple[str, object]]:
        out: list[tuple[str, object]] = []
        for call in calls if isinstance(calls, list) else []:
            fn = call.get("function", {}) if isinstance(call, dict) else {}
            args = fn.get("arguments")
            if isinstance(args, str):
                with contextlib.suppress(orjson.JSONDecodeError):
                    args = orjson.loads(args)
            out.append((str(fn.get("name")), args))
        return out

    return norm(list(got or [])) == norm(want)


class RunScorer:
    """Scores one run's answers against the examples' current ideal outputs.

    Args:
        name: a scorer name (:data:`SCORER_NAMES`).
        config: the scorer's settings (see the module docstring).
        examples: the run's examples by id (their ideal outputs and labels).
        label_set: the dataset's labels (``label`` scorer default).
        output_schema: the dataset's output schema (``json-schema`` default).
    """

    def __init__(
        self,
        name: str,
        config: Mapping[str, Any],
        examples: Mapping[int, ExampleInput],
        *,
        label_set: Sequence[str] = (),
        output_schema: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = check_scorer_name(name)
        self.config = dict(config)
        self.examples = examples
        self.label_field: str | None = self.config.get("field")
        self._label: LabelMatch | None = None
        self.scorer: Scorer | None = None
        if name == "exact":
            self.scorer = NormalisedMatch() if self.config.get("normalise") else ExactMatch()
        elif name == "normalised":
            self.scorer = NormalisedMatch()
        elif name == "label":
            labels = self.config.get("labels") or list(label_set) or None
            self._label = LabelMatch(labels)
            self.scorer = self._label
        elif name == "json":
            self.scorer = JsonValid()
        elif name == "json-schema":
            schema = self.config.get("schema") or output_schema
            if not isinstance(schema, Mapping):
                raise ValidationError(
                    "The json-schema scorer needs a schema: give the dataset an output schema "
                    'or set scorer_config {"schema": {...}}.',
                    where="scorer_config.schema",
                )
            self.scorer = JsonSchemaValid(schema)
        elif name == "json-fields":
            self.scorer = JsonFieldMatch(self.config.get("fields"))
        elif name == "contains":
            self.scorer = Contains(self.config.get("text"))
        elif name == "regex":
            pattern = self.config.get("pattern")
            if not isinstance(pattern, str) or not pattern:
                raise ValidationError(
                    'The regex scorer needs scorer_config {"pattern": "..."}.',
                    where="scorer_config.pattern",
                )
            self.scorer = RegexMatch(pattern)
        # "judge": no per-answer scorer

    @property
    def pass_fail(self) -> bool:
        """True when answers get pass/fail (McNemar), False for numeric scores."""
        return self.name in PASS_FAIL_SCORERS

    def ideal(self, example: ExampleInput) -> str | None:
        """The expected answer of ``example`` for this scorer."""
        if self.name == "label":
            return example.label or example.ideal_output
        return example.ideal_output

    def predicted_label(self, output: str | None) -> str | None:
        """The label an answer names (``label`` scorer; None for none / other scorers)."""
        if self._label is None or output is None:
            return None
        from_json = _label_from_json(output, self.label_field)
        return self._label.extract(from_json if from_json is not None else output)

    def score(
        self, example_id: int, output: str | None, tool_calls: Sequence[Any] | None = None
    ) -> Scored:
        """Score one answer (never call this for an error: there is no answer)."""
        if self.scorer is None:
            return Scored(None, None, "scored by the pairwise judge")
        example = self.examples.get(example_id)
        if example is None:
            return Scored(None, None, "not scored: the example was deleted")
        ideal = self.ideal(example)
        needs_ideal = self.name in ("exact", "normalised", "label", "json-fields") or (
            self.name == "contains" and self.config.get("text") is None
        )
        if needs_ideal and ideal is None:
            return Scored(None, None, "not scored: the example has no ideal output")
        if example.output_kind == "tool_calls" and self.name in ("exact", "normalised"):
            try:
                want = orjson.loads(ideal or "{}")
            except orjson.JSONDecodeError:
                return Scored(None, None, "not scored: the ideal tool calls are not JSON")
            want_calls = want.get("tool_calls") if isinstance(want, dict) else None
            ok = _calls_equal(tool_calls, want_calls)
            detail = "same tool calls" if ok else "different tool calls"
            return Scored(ok, 1.0 if ok else 0.0, detail)
        text = output if output is not None else ""
        if self.name == "label":
            from_json = _label_from_json(text, self.label_field)
            if from_json is not None:
                text = from_json
        result = self.scorer.score(text, ideal)
        return Scored(result.passed, result.score, result.detail)
