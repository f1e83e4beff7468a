"""Scoring the answers of a run: pick the scorer by name, find each example's ideal answer.

Scorer names (``RunSpec.scorer``, the CLI's ``--scorer``) and their ``scorer_config``;
:data:`SCORER_HELP` holds each one's sentence and a passing and a failing example:

================  =============================================================
``exact``         the answer equals the ideal text as the user wrote it, surrounding
                  whitespace ignored and nothing else; ``{"normalise": true}``
                  compares after case/space/punctuation normalising
``normalised``    the same as ``exact`` with normalising
``label``         classification: the label named in the output vs the example's label
                  (``labels``: defaults to the dataset's label set; an answer that is a
                  JSON object is read from its ``field`` — default the first of
                  ``label``/``intent``/``category``/``class`` present). The summary
                  counts exact matches apart from lenient ones.
``label-strict``  classification: the answer (or its JSON label field), whitespace
                  stripped, is the label character for character
``json``          the output is valid JSON
``json-equal``    the first JSON value in the answer equals the ideal JSON as data;
                  per-field agreement for the ideal's top-level keys
``json-schema``   valid against ``schema`` (new runs: ``--schema`` or the prompt
                  version's ``response_schema``, stored in the run's config)
``json-fields``   field-level match of a JSON object with the ideal object (``fields``)
``contains``      the output contains ``text`` (default: the ideal output)
``regex``         the output matches ``pattern``
``judge``         answers are not scored one by one; an LLM judge compares the pair
                  (``judge_prompt``: "NAME@VERSION", ``judge_model``) — see the service
================  =============================================================

Tool-call examples (``output_kind == "tool_calls"``) with the ``exact`` scorer compare the
called functions and their parsed arguments, not text.
"""

from __future__ import annotations

import contextlib
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from studio.core.errors import ValidationError
from studio.core.evals.json_scorers import (
    JsonEqual,
    JsonFieldMatch,
    JsonSchemaValid,
    JsonValid,
    parse_json_output,
)
from studio.core.evals.scorers import (
    Contains,
    ExactMatch,
    LabelMatch,
    LabelMatchKind,
    LabelStrict,
    NormalisedMatch,
    RegexMatch,
    Scorer,
    ScoreResult,
)
from studio.core.evals.store import Scored
from studio.core.evals.workitems import ExampleInput

SCORER_NAMES: tuple[str, ...] = (
    "exact",
    "normalised",
    "label",
    "label-strict",
    "json",
    "json-equal",
    "json-schema",
    "json-fields",
    "contains",
    "regex",
    "judge",
)
# Every scorer but the two that give a score rather than a pass/fail.
PASS_FAIL_SCORERS = frozenset(SCORER_NAMES) - {"json-fields", "judge"}
LABEL_SCORERS = frozenset({"label", "label-strict"})
LABEL_FIELDS = ("label", "intent", "category", "class")


def check_scorer_name(name: str) -> str:
    """``name`` if it is a known scorer, else a ValidationError listing them."""
    if name not in SCORER_NAMES:
        raise ValidationError(
            f"Unknown scorer {name!r}; use one of {', '.join(SCORER_NAMES)}.", where="scorer"
        )
    return name


def read_schema_file(path: str) -> dict[str, Any]:
    """A JSON Schema file for the ``json-schema`` scorer (ValidationError naming it)."""
    from pathlib import Path

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ValidationError(
            f"Cannot read the schema file {path}: {exc.strerror or exc}.", where=path
        ) from None
    try:
        schema = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ValidationError(
            f"The schema file {path} is not valid JSON (line {exc.lineno}: {exc.msg}).", where=path
        ) from None
    if not isinstance(schema, dict):
        raise ValidationError(
            f"The schema file {path} must hold a JSON object (a JSON Schema).", where=path
        )
    try:
        JsonSchemaValid(schema)
    except ValidationError as exc:
        raise ValidationError(
            f"The schema file {path} is not a valid JSON Schema: {exc.message}", where=path
        ) from None
    return schema


def with_default_schema(
    name: str,
    config: Mapping[str, Any],
    response_schemas: Sequence[tuple[str, Mapping[str, Any] | None]],
) -> dict[str, Any]:
    """The run's scorer config, with the ``json-schema`` scorer's schema made explicit.

    An explicit ``config["schema"]`` (the CLI's ``--schema FILE``) or
    ``config["schema_file"]`` (a path, read here: the app's option field) wins; else the
    variants' prompt versions' ``response_schema`` (they must agree: one yardstick for
    every variant, or the comparison means nothing). The schema is stored in the run's
    config so a re-score later uses the same one.

    Args:
        name: the scorer name (other scorers get ``config`` back unchanged).
        config: the scorer config the user gave.
        response_schemas: ``(NAME@VERSION, response_schema or None)`` per variant.

    Raises:
        ValidationError: no schema anywhere, or the variants' schemas differ.
    """
    out = dict(config)
    if name != "json-schema":
        return out
    schema_file = out.pop("schema_file", None)
    if isinstance(schema_file, str) and schema_file.strip():
        out["schema"] = read_schema_file(schema_file.strip())
    if isinstance(out.get("schema"), Mapping):
        return out
    given = [(ref, schema) for ref, schema in response_schemas if schema is not None]
    if not given:
        refs = [ref for ref, _ in response_schemas]
        who = (
            (", ".join(refs[:-1]) + " and " + refs[-1] + " have")
            if len(refs) > 1
            else (f"{refs[0]} has" if refs else "the prompt version has")
        )
        raise ValidationError(
            f"The json-schema scorer needs a schema, and {who} no response_schema: "
            "add one to the prompt version or give a schema file (--schema FILE).",
            where="scorer_config.schema",
        )
    first_ref, first = given[0]
    for ref, schema in given[1:]:
        if dict(schema) != dict(first):
            raise ValidationError(
                f"{first_ref} and {ref} have different response schemas: choose the one to "
                "score against with a schema file (--schema FILE).",
                where="scorer_config.schema",
            )
    out["schema"] = dict(first)
    return out


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
        output_schema: the dataset's output schema: the ``json-schema`` fallback for runs
            stored before the schema was kept in the run's config.
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
        elif name in LABEL_SCORERS:
            labels = self.config.get("labels") or list(label_set) or None
            self._label = LabelMatch(labels)
            self.scorer = self._label if name == "label" else LabelStrict()
        elif name == "json":
            self.scorer = JsonValid()
        elif name == "json-equal":
            self.scorer = JsonEqual()
        elif name == "json-schema":
            schema = self.config.get("schema") or output_schema
            if not isinstance(schema, Mapping):
                raise ValidationError(
                    "The json-schema scorer needs a schema: add a response_schema to the "
                    "prompt version or give a schema file (--schema FILE).",
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
        if self.name in LABEL_SCORERS:
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
        needs_ideal = self.name in (
            "exact",
            "normalised",
            "label",
            "label-strict",
            "json-equal",
            "json-fields",
        ) or (self.name == "contains" and self.config.get("text") is None)
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
        result = self._result(output, ideal)
        if result is None:
            return Scored(None, None, "not scored: the ideal output is not JSON")
        return Scored(result.passed, result.score, result.detail)

    def _result(self, output: str | None, ideal: str | None) -> ScoreResult | None:
        assert self.scorer is not None
        text = output if output is not None else ""
        if self.name in LABEL_SCORERS:
            from_json = _label_from_json(text, self.label_field)
            if from_json is not None:
                text = from_json
        try:
            return self.scorer.score(text, ideal)
        except ValidationError:
            if self.name == "json-equal":  # an unparsable ideal: not scored, not wrong
                return None
            raise

    def fields(self, example_id: int, output: str | None) -> dict[str, bool] | None:
        """Per-field agreement of one answer (``json-equal`` on object ideals), else None."""
        if self.name != "json-equal" or output is None:
            return None
        example = self.examples.get(example_id)
        if example is None or example.ideal_output is None:
            return None
        result = self._result(output, example.ideal_output)
        return None if result is None else result.fields

    def label_match(self, example_id: int, output: str | None) -> LabelMatchKind | None:
        """``"exact"`` / ``"lenient"`` / None for the ``label`` scorers (else None)."""
        if self.name not in LABEL_SCORERS or output is None:
            return None
        example = self.examples.get(example_id)
        ideal = None if example is None else self.ideal(example)
        if ideal is None:
            return None
        from_json = _label_from_json(output, self.label_field)
        text = from_json if from_json is not None else output
        assert self._label is not None
        # label-strict too: its "lenient" count says how many answers strictness cost
        return self._label.match_kind(text, ideal)


# ------------------------------------------------------------------------------ help
@dataclass(frozen=True, slots=True)
class ScorerHelp:
    """What a scorer does, with one answer that passes and one that fails.

    The examples are scored by the real scorer in the tests, so the help cannot drift
    from the behaviour. ``ideal`` is the example's ideal output (or label); ``config``
    and ``labels`` are the scorer settings the examples assume.
    """

    name: str
    summary: str
    ideal: str
    passing: str
    failing: str
    config: dict[str, Any] = field(default_factory=dict)
    labels: tuple[str, ...] = ()

    def text(self) -> str:
        """Several lines: the sentence, then the ideal and both examples."""
        lines = textwrap.wrap(f"{self.name}: {self.summary}", 78, subsequent_indent="  ")
        for key, value in self.config.items():
            lines.append(f"  {key}: {orjson.dumps(value).decode()}")
        if self.labels:
            lines.append(f"  labels: {', '.join(self.labels)}")
        if self.ideal:
            lines.append(f"  ideal:  {self.ideal!r}")
        # repr: shows the surrounding spaces and newlines the examples turn on
        lines.append(f"  passes: {self.passing!r}")
        lines.append(f"  fails:  {self.failing!r}")
        return "\n".join(lines)


_INTENTS = '{"intents": ["booking", "change"]}'
SCORER_HELP: dict[str, ScorerHelp] = {
    h.name: h
    for h in (
        ScorerHelp(
            "exact",
            "the answer equals the ideal text exactly as written; only surrounding "
            "whitespace is ignored (case, inner spaces, key order all count).",
            _INTENTS,
            "  " + _INTENTS + "\n",
            '{"intents":["booking","change"]}',
        ),
        ScorerHelp(
            "normalised",
            "equal after ignoring case, runs of spaces and punctuation.",
            "Card arrival.",
            "card  ARRIVAL",
            "card arrived",
        ),
        ScorerHelp(
            "label",
            "the label the answer names (whole answer, a JSON label/intent field, or the "
            "one known label inside it) equals the example's label; the summary counts "
            "exact and lenient matches apart.",
            "card_arrival",
            "The intent is card arrival.",
            "lost_or_stolen_card",
            labels=("card_arrival", "lost_or_stolen_card"),
        ),
        ScorerHelp(
            "label-strict",
            "the answer (or its JSON label field), whitespace stripped, is the label "
            "character for character.",
            "card_arrival",
            "card_arrival",
            "Card arrival",
        ),
        ScorerHelp(
            "json",
            "the answer is valid JSON (a ```json fence is allowed).",
            "",
            '{"intent": "refund"}',
            "{'intent': 'refund'}",
        ),
        ScorerHelp(
            "json-equal",
            "the first JSON value in the answer (bare or in a ```json fence) equals the "
            "ideal as data: key order, whitespace and number spelling (1, 1.0, 1e0) don't "
            "matter; per-field agreement of the ideal's top-level keys is reported.",
            _INTENTS,
            '```json\n{"intents":["booking","change"]}\n```',
            '{"intents": ["change", "booking"]}',
        ),
        ScorerHelp(
            "json-schema",
            "the answer is JSON valid against the prompt version's response_schema "
            "(or --schema FILE).",
            "",
            '{"intent": "refund"}',
            '{"label": "refund"}',
            config={"schema": {"type": "object", "required": ["intent"]}},
        ),
        ScorerHelp(
            "json-fields",
            "share of the ideal object's fields the answer gets right (strings compared "
            "after normalising); passes when all match.",
            '{"name": "Ann", "city": "Oslo"}',
            '{"city": "oslo", "name": "Ann"}',
            '{"name": "Ann", "city": "Bergen"}',
        ),
        ScorerHelp(
            "contains",
            "the answer contains the text (default: the ideal), ignoring case.",
            "refund",
            "You can get a Refund within 14 days.",
            "You can get your money back.",
        ),
        ScorerHelp(
            "regex",
            "the answer matches the regular expression (anywhere, re.search).",
            "",
            "yes",
            "Yes, it is",
            config={"pattern": "^(yes|no)$"},
        ),
        ScorerHelp(
            "judge",
            "an LLM judge compares A's and B's answers in both orders; a win counts only "
            "when both orders agree. Examples are the judge's two verdicts.",
            "",
            "[[B]] with A shown first and [[A]] with B shown first (B wins)",
            "[[A]] in both orders (the orders disagree: a tie)",
        ),
    )
}


def scorer_help_text(names: Sequence[str] | None = None) -> str:
    """The help of ``names`` (default: every scorer), blank-line separated."""
    return "\n\n".join(SCORER_HELP[n].text() for n in (names or SCORER_NAMES))
