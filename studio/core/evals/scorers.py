"""Scorers: turn a model output (and the example's ideal answer) into pass/score.

Scorers are only called on answers: a call that errored has no output and is never
scored (an error is not a wrong answer; the runner reports it apart).

Every scorer has ``name`` and ``score(output, ideal) -> ScoreResult``. Compiled state
(regexes, JSON Schema validators) is built once in ``__init__``: ``jsonschema.validate()``
per call re-checks the schema and is 20x slower (engineering-facts §8).

The pairwise LLM judge is different: it needs model calls, so it builds
:class:`~studio.core.evals.calls.WorkItem` s for the runner (cached, retried, bounded
like any call) and combines the two answers afterwards.
"""

from __future__ import annotations

import json
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, Protocol

import orjson

from studio.core.errors import ValidationError
from studio.core.evals.calls import WorkItem


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """One scored answer.

    Attributes:
        passed: pass/fail, or None when the scorer gives only a score.
        score: a number in [0, 1] (or the scorer's unit), or None for pass/fail only.
        detail: a short human-readable reason ("expected 'refund', got 'card_lost'").
        fields: per-field match for extraction scorers, else None.
    """

    passed: bool | None
    score: float | None
    detail: str = ""
    fields: dict[str, bool] | None = None


class Scorer(Protocol):
    """Anything with a ``name`` and ``score(output, ideal)``."""

    name: str

    def score(self, output: str, ideal: object = None) -> ScoreResult: ...


def _show(text: object, limit: int = 60) -> str:
    s = text if isinstance(text, str) else repr(text)
    return repr(s if len(s) <= limit else s[: limit - 1] + "…")


_PUNCT = str.maketrans("", "", string.punctuation + "“”‘’«»…–—")


def normalise_text(text: str) -> str:
    """Case-fold, NFKC, drop punctuation, collapse whitespace."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_PUNCT)
    return " ".join(text.split())


def _pf(passed: bool, detail: str) -> ScoreResult:
    return ScoreResult(passed=passed, score=1.0 if passed else 0.0, detail=detail)


class ExactMatch:
    """Output equals the ideal text as the user wrote it.

    Surrounding whitespace is ignored (unless ``strip=False``), nothing else: case,
    inner spaces, key order and number spelling all count.
    """

    name = "exact_match"

    def __init__(self, *, strip: bool = True) -> None:
        self.strip = strip

    def score(self, output: str, ideal: object = None) -> ScoreResult:
        want = "" if ideal is None else str(ideal)
        got = output.strip() if self.strip else output
        want = want.strip() if self.strip else want
        if got == want:
            return _pf(True, "exact match")
        return _pf(False, f"expected {_show(want)}, got {_show(got)}")


class NormalisedMatch:
    """Equal after :func:`normalise_text` (case, whitespace, punctuation)."""

    name = "normalised_match"

    def score(self, output: str, ideal: object = None) -> ScoreResult:
        want = "" if ideal is None else str(ideal)
        if normalise_text(output) == normalise_text(want):
            return _pf(True, "match after normalising case, spaces and punctuation")
        return _pf(False, f"expected {_show(want)}, got {_show(output)}")


LabelMatchKind = Literal["exact", "lenient"]


class LabelMatch:
    """Classification: extract a label from the output and compare with the ideal label.

    Extraction: the whole normalised output if it is a known label (or when no labels are
    given); else the only known label that occurs as a whole phrase in the output (none
    or several = no label). Labels compare after :func:`normalise_text`, with ``_`` and
    ``-`` treated as spaces (``card_arrival`` == "card arrival").
    """

    name = "label_match"

    def __init__(self, labels: Iterable[str] | None = None) -> None:
        self.labels = list(labels) if labels is not None else None
        self._by_norm = {self._norm(label): label for label in self.labels or []}
        self._patterns = [
            (label, re.compile(r"(?<!\w)" + re.escape(norm) + r"(?!\w)"))
            for norm, label in self._by_norm.items()
        ]

    @staticmethod
    def _norm(text: str) -> str:
        return normalise_text(text.replace("_", " ").replace("-", " "))

    def extract(self, output: str) -> str | None:
        """The label the output names, or None."""
        norm = self._norm(output)
        if self.labels is None:
            return norm or None
        if norm in self._by_norm:
            return self._by_norm[norm]
        found = [label for label, pattern in self._patterns if pattern.search(norm)]
        return found[0] if len(found) == 1 else None

    def match_kind(self, output: str, ideal: object = None) -> LabelMatchKind | None:
        """How an answer matched the ideal label: ``"exact"``, ``"lenient"`` or None.

        ``exact``: the answer, surrounding whitespace stripped, is the label character for
        character. ``lenient``: it matched only after normalising (case, ``_``/``-``,
        punctuation) or by finding the label inside a longer answer. None: no match.
        """
        want = "" if ideal is None else str(ideal)
        if output.strip() == want.strip():
            return "exact"
        got = self.extract(output)
        if got is not None and self._norm(got) == self._norm(want):
            return "lenient"
        return None

    def score(self, output: str, ideal: object = None) -> ScoreResult:
        want = "" if ideal is None else str(ideal)
        kind = self.match_kind(output, ideal)
        if kind == "exact":
            return _pf(True, f"label {want.strip()!r} (exact)")
        got = self.extract(output)
        if got is None:
            return _pf(False, f"no label recognised in {_show(output)} (expected {_show(want)})")
        if kind == "lenient":
            return _pf(True, f"label {got!r} (lenient: found by extraction)")
        return _pf(False, f"expected {want!r}, got {got!r}")


class LabelStrict:
    """Classification, strict: the answer (whitespace stripped) is exactly the label.

    No case folding, no ``_``/``-`` equivalence, no searching inside longer answers.
    """

    name = "label_strict"

    def score(self, output: str, ideal: object = None) -> ScoreResult:
        want = ("" if ideal is None else str(ideal)).strip()
        got = output.strip()
        if got == want:
            return _pf(True, f"label {want!r} (exact)")
        return _pf(False, f"expected exactly {_show(want)}, got {_show(got)}")


@dataclass(frozen=True, slots=True)
class ConfusionTable:
    """Counts of (expected, predicted) labels; ``None`` predictions shown as "(none)".

    Attributes:
        labels: row/column order (expected labels first, sorted, then extra predictions).
        counts: ``counts[expected][predicted]``.
    """

    labels: list[str]
    counts: dict[str, dict[str, int]]
    total: int

    @property
    def accuracy(self) -> float | None:
        """Share on the diagonal (None when empty)."""
        if not self.total:
            return None
        return sum(self.counts.get(lb, {}).get(lb, 0) for lb in self.labels) / self.total

    def per_label(self) -> dict[str, tuple[float | None, float | None, int]]:
        """``label -> (precision, recall, support)``; None when undefined."""
        out: dict[str, tuple[float | None, float | None, int]] = {}
        for label in self.labels:
            row = self.counts.get(label, {})
            support = sum(row.values())
            tp = row.get(label, 0)
            predicted = sum(self.counts.get(e, {}).get(label, 0) for e in self.counts)
            out[label] = (
                tp / predicted if predicted else None,
                tp / support if support else None,
                support,
            )
        return out


NO_LABEL = "(none)"


def confusion_table(pairs: Iterable[tuple[str, str | None]]) -> ConfusionTable:
    """Build a :class:`ConfusionTable` from ``(expected, predicted)`` pairs."""
    counts: dict[str, Counter[str]] = {}
    expected_labels: set[str] = set()
    predicted_labels: set[str] = set()
    total = 0
    for expected, predicted in pairs:
        pred = predicted if predicted is not None else NO_LABEL
        counts.setdefault(expected, Counter())[pred] += 1
        expected_labels.add(expected)
        predicted_labels.add(pred)
        total += 1
    extra = sorted(predicted_labels - expected_labels - {NO_LABEL})
    labels = sorted(expected_labels) + extra + ([NO_LABEL] if NO_LABEL in predicted_labels else [])
    return ConfusionTable(
        labels=labels, counts={k: dict(v) for k, v in counts.items()}, total=total
    )


_FENCE = re.compile(r"^\s*```(?:json|JSON)?\s*\n(.*?)\n?```\s*$", re.DOTALL)


def parse_json_output(output: str) -> tuple[bool, Any, str]:
    """Parse a model's JSON answer, tolerating a Markdown code fence around it.

    Returns:
        ``(ok, value, error_sentence)``.
    """
    text = output
    fenced = _FENCE.match(output)
    if fenced:
        text = fenced.group(1)
    try:
        return True, orjson.loads(text), ""
    except orjson.JSONDecodeError as exc:
        return False, None, f"not valid JSON: {exc}"


_ANY_FENCE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\n(.*?)```", re.DOTALL)
_MAX_JSON_STARTS = 64  # candidate "{" / "[" positions tried in prose before giving up


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# Numbers parse as Decimal so 1, 1.0 and 1e0 compare equal and big numbers stay exact;
# NaN/Infinity are not JSON (RFC 8259) and make the value invalid.
_DECODER = json.JSONDecoder(
    parse_float=Decimal, parse_int=Decimal, parse_constant=_reject_constant
)


def _decode_whole(text: str) -> tuple[bool, Any]:
    try:
        value, end = _DECODER.raw_decode(text)
    except (ValueError, RecursionError):
        return False, None
    return (True, value) if not text[end:].strip() else (False, None)


def first_json_value(text: str) -> tuple[bool, Any, str]:
    """The first JSON value in a model's answer, numbers as :class:`~decimal.Decimal`.

    Tried in order: the whole answer; the first Markdown code fence (```json or plain
    ```); the first ``{`` or ``[`` in the text that starts a complete JSON value
    (prose around it is ignored).

    Returns:
        ``(ok, value, error_sentence)``.
    """
    stripped = text.strip()
    if stripped:
        ok, value = _decode_whole(stripped)
        if ok:
            return True, value, ""
    fence = _ANY_FENCE.search(text)
    if fence:
        ok, value = _decode_whole(fence.group(1).strip())
        if ok:
            return True, value, ""
    tries = 0
    for match in re.finditer(r"[{\[]", text):
        tries += 1
        if tries > _MAX_JSON_STARTS:
            break
        try:
            value, _ = _DECODER.raw_decode(text, match.start())
        except (ValueError, RecursionError):
            continue
        return True, value, ""
    return False, None, "no JSON value found in the answer"


def json_data_equal(a: Any, b: Any) -> bool:
    """Equal as JSON data: key order, whitespace and number spelling don't matter.

    Values come from :func:`first_json_value` (numbers as Decimal). ``true`` is not
    ``1`` and ``"1"`` is not ``1``; arrays compare in order.
    """
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, dict):
        return (
            isinstance(b, dict)
            and a.keys() == b.keys()
            and all(json_data_equal(a[k], b[k]) for k in a)
        )
    if isinstance(a, list):
        return (
            isinstance(b, list)
            and len(a) == len(b)
            and all(json_data_equal(x, y) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, Decimal | int | float):
        return isinstance(b, Decimal | int | float) and Decimal(a) == Decimal(b)
    return type(a) is type(b) and bool(a == b)


class JsonEqual:
    """The first JSON value in the answer equals the ideal JSON as data.

    ``fields`` holds per-field agreement for the ideal's top-level keys (ideal objects
    only): a field agrees when the answer is an object that has the key with an equal
    value. Keys the answer adds do not get a field but make the whole answer fail.
    """

    name = "json_equal"

    def score(self, output: str, ideal: object = None) -> ScoreResult:
        want: Any = ideal
        if isinstance(ideal, str):
            ok_i, want, _ = first_json_value(ideal)
            if not ok_i:
                raise ValidationError("The ideal output is not JSON.", where="ideal")
        ok, got, error = first_json_value(output)
        names = list(want) if isinstance(want, dict) else None
        if not ok:
            fields = dict.fromkeys(names, False) if names is not None else None
            return ScoreResult(False, 0.0, error, fields)
        fields = None
        if names is not None:
            fields = {
                k: isinstance(got, dict) and k in got and json_data_equal(got[k], want[k])
                for k in names
            }
        if json_data_equal(got, want):
            return ScoreResult(True, 1.0, "same JSON data", fields)
        if fields is not None and isinstance(got, dict):
            wrong = [k for k, good in fields.items() if not good]
            extra = [k for k in got if k not in want]
            bits = []
            if wrong:
                bits.append("differs in " + ", ".join(wrong[:5]))
            if extra:
                bits.append("extra keys " + ", ".join(extra[:5]))
            return ScoreResult(False, 0.0, "; ".join(bits) or "different JSON data", fields)
        return ScoreResult(False, 0.0, f"different JSON data: expected {_show(ideal)}", fields)


class JsonValid:
    """The output parses as JSON (a ```json fence is allowed)."""

    name = "json_valid"

    def score(self, output: str, ideal: object = None) -> ScoreResult:
        ok, _, error = parse_json_output(output)
        return _pf(ok, "valid JSON" if ok else error)


class JsonSchemaValid:
    """The output is JSON valid against a Draft 2020-12 schema (compiled once)."""

    name = "json_schema_valid"

    def __init__(self, schema: Mapping[str, Any]) -> None:
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError

        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            raise ValidationError(
                f"The JSON Schema is invalid: {exc.message}",
                where="/".join(str(p) for p in exc.path) or "schema",
            ) from None
        self._validator = Draft202012Validator(schema)

    def score(self, output: str, ideal: object = None) -> ScoreResult:
        ok, value, error = parse_json_output(output)
        if not ok:
            return _pf(False, error)
        errors = sorted(self._validator.iter_errors(value), key=lambda e: list(e.path))
        if not errors:
            return _pf(True, "valid against the schema")
        first = errors[0]
        where = "/".join(str(p) for p in first.path) or "(root)"
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        return _pf(False, f"schema violation at {where}: {first.message}{more}")


def _field_equal(got: object, want: object, normalise: bool) -> bool:
    if isinstance(got, str) and isinstance(want, str):
        return normalise_text(got) == normalise_text(want) if normalise else got == want
    if isinstance(got, bool) or isinstance(want, bool):
        return got is want
    if isinstance(got, int | float) and isinstance(want, int | float):
        return float(got) == float(want)
    return bool(got == want)


class JsonFieldMatch:
    """Extraction: compare fields of the output JSON object with the ideal object.

    ``score`` is the share of fields that match; ``passed`` means all of them do;
    ``fields`` holds the per-field result (aggregate with :func:`per_field_accuracy`).

    Args:
        fields: which top-level fields to compare (default: every field of the ideal).
        normalise: compare strings after :func:`normalise_text`.
    """

    name = "json_field_match"

    def __init__(self, fields: Sequence[str] | None = None, *, normalise: bool = True) -> None:
        self.fields = list(fields) if fields is not None else None
        self.normalise = normalise

    def score(self, output: str, ideal: object = None) -> ScoreResult:
        if isinstance(ideal, str):
            ok_i, ideal, err = parse_json_output(ideal)
            if not ok_i:
                raise ValidationError(f"The ideal answer is not JSON: {err}", where="ideal")
        if not isinstance(ideal, dict):
            raise ValidationError("Field matching needs an ideal JSON object.", where="ideal")
        names = self.fields if self.fields is not None else list(ideal)
        ok, value, error = parse_json_output(output)
        if not ok or not isinstance(value, dict):
            detail = error if not ok else "the output is JSON but not an object"
            return ScoreResult(False, 0.0, detail, {name: False for name in names})
        per = {
            name: name in value and _field_equal(value[name], ideal.get(name), self.normalise)
            for name in names
        }
        matched = sum(per.values())
        share = matched / len(per) if per else 1.0
        wrong = [name for name, good in per.items() if not good]
        detail = (
            "all fields match"
            if not wrong
            else f"{matched}/{len(per)} fields match; wrong: {', '.join(wrong[:5])}"
        )
        return ScoreResult(not wrong, share, detail, per)


def per_field_accuracy(results: Iterable[ScoreResult]) -> dict[str, tuple[int, int]]:
    """``field -> (matched, scored)`` over :class:`JsonFieldMatch` results."""
    acc: dict[str, list[int]] = {}
    for result in results:
        for name, good in (result.fields or {}).items():
            slot = acc.setdefault(name, [0, 0])
            slot[0] += int(good)
            slot[1] += 1
    return {name: (v[0], v[1]) for name, v in acc.items()}


class Contains:
    """The output contains ``text`` (case-insensitive unless ``case_sensitive``)."""

    name = "contains"

    def __init__(self, text: str | None = None, *, case_sensitive: bool = False) -> None:
        self.text = text
        self.case_sensitive = case_sensitive

    def score(self, output: str, ideal: object = None) -> ScoreResult:
        needle = self.text if self.text is not None else ("" if ideal is None else str(ideal))
        hay = output if self.case_sensitive else output.casefold()
        key = needle if self.case_sensitive else needle.casefold()
        if key in hay:
            return _pf(True, f"contains {_show(needle)}")
        return _pf(False, f"does not contain {_show(needle)}")


class RegexMatch:
    """The output matches a regular expression (``re.search``), compiled once."""

    name = "regex"

    def __init__(self, pattern: str, *, flags: int = 0) -> None:
        try:
            self._regex = re.compile(pattern, flags)
        except re.error as exc:
            raise ValidationError(
                f"The regular expression {pattern!r} is invalid: {exc}.", where="pattern"
            ) from None

    def score(self, output: str, ideal: object = None) -> ScoreResult:
        if self._regex.search(output):
            return _pf(True, f"matches /{self._regex.pattern}/")
        return _pf(False, f"does not match /{self._regex.pattern}/")


# ------------------------------------------------------------------------- LLM judge
JudgeChoice = Literal["A", "B", "tie"]
JUDGE_VARIABLES = ("input", "output_a", "output_b", "ideal")
_VAR = re.compile(r"\{\{\s*(input|output_a|output_b|ideal)\s*\}\}")
_VERDICT_PATTERNS = (
    re.compile(r"\[\[\s*(A|B|C|tie)\s*\]\]", re.IGNORECASE),  # MT-bench style, C = tie
    re.compile(
        r"(?:verdict|winner|answer|better)\s*(?:is)?\s*[:=]?\s*\**\s*\"?(A|B|tie)\b", re.IGNORECASE
    ),
)


def fill_judge_messages(
    messages: Sequence[Mapping[str, Any]], variables: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Substitute ``{{input}}``, ``{{output_a}}``, ``{{output_b}}``, ``{{ideal}}``.

    Other ``{{...}}`` text is left alone (the judge prompt may show braces).
    """
    out: list[dict[str, Any]] = []
    for message in messages:
        copy = dict(message)
        content = copy.get("content")
        if isinstance(content, str):
            copy["content"] = _VAR.sub(lambda m: variables.get(m.group(1), ""), content)
        out.append(copy)
    return out


def parse_judge_choice(text: str | None) -> JudgeChoice | None:
    """Read "A", "B" or "tie" from a judge's answer; None when unclear.

    Accepted: the whole answer is A / B / tie; ``[[A]]`` / ``[[B]]`` / ``[[C]]`` (tie);
    "Verdict: A". The last such mark wins (judges reason first, decide last).
    """
    if text is None:
        return None
    bare = text.strip().strip(".*\"'`").strip()
    upper = bare.upper()
    if upper in ("A", "B"):
        return upper  # type: ignore[return-value]
    if upper in ("TIE", "C", "EQUAL"):
        return "tie"
    last: str | None = None
    last_pos = -1
    for pattern in _VERDICT_PATTERNS:
        for match in pattern.finditer(text):
            if match.start() > last_pos:
                last_pos, last = match.start(), match.group(1).upper()
    if last is None:
        return None
    if last in ("C", "TIE"):
        return "tie"
    return last  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class PairwiseJudgement:
    """The combined verdict of a judge asked in both orders.

    Attributes:
        winner: "A", "B", "tie", or None when a judge answer was missing/unreadable.
        first: verdict with A shown first. second: verdict with B shown first, mapped back
            to the real A/B. consistent: both orders agree.
    """

    winner: JudgeChoice | None
    first: JudgeChoice | None
    second: JudgeChoice | None
    consistent: bool
    detail: str


def _swap(choice: JudgeChoice | None) -> JudgeChoice | None:
    return {"A": "B", "B": "A"}.get(choice, choice) if choice else None  # type: ignore[return-value]


def combine_pairwise(
    first: JudgeChoice | None, second_raw: JudgeChoice | None
) -> PairwiseJudgement:
    """Combine the A-first verdict and the B-first verdict (as the judge wrote it).

    A win counts only when the judge prefers the same answer in both orders; any
    disagreement is a tie (position bias cancels out). Missing verdicts give ``None``.
    """
    second = _swap(second_raw)
    if first is None or second is None:
        return PairwiseJudgement(None, first, second, False, "the judge's verdict was unreadable")
    if first == second:
        detail = "tie in both orders" if first == "tie" else f"{first} preferred in both orders"
        return PairwiseJudgement(first, first, second, True, detail)
    return PairwiseJudgement(
        "tie",
        first,
        second,
        False,
        f"orders disagree ({first} when A is shown first, {second} when B is): counted as a tie",
    )


@dataclass(slots=True)
class PairwiseJudge:
    """An LLM judge comparing two outputs, asked in both orders to cancel position bias.

    Args:
        messages: the judge prompt (a versioned prompt's messages) using ``{{input}}``,
            ``{{output_a}}``, ``{{output_b}}`` and ``{{ideal}}``; it must ask for an answer
            of "A", "B" or "tie" (or ``[[A]]``/``[[B]]``/``[[C]]``).
        model: judge model. params: its sampling params (temperature 0 recommended).
        variant_key: prefix of the work items' variant keys.
    """

    messages: list[dict[str, Any]]
    model: str
    params: dict[str, Any] = field(default_factory=lambda: {"temperature": 0})
    variant_key: str = "judge"

    def __post_init__(self) -> None:
        text = " ".join(str(m.get("content", "")) for m in self.messages)
        missing = [
            v for v in ("output_a", "output_b") if "{{" + v + "}}" not in text.replace(" ", "")
        ]
        if missing:
            raise ValidationError(
                "The judge prompt must contain {{output_a}} and {{output_b}}; missing: "
                + ", ".join("{{" + m + "}}" for m in missing)
                + ".",
                where="judge prompt",
            )

    @property
    def keys(self) -> tuple[str, str]:
        """Variant keys of the A-first and the B-first items."""
        return (f"{self.variant_key}:ab", f"{self.variant_key}:ba")

    def work_items(
        self, example_id: int, input_text: str, output_a: str, output_b: str, ideal: str = ""
    ) -> list[WorkItem]:
        """The two judge calls for one example (A first, then B first)."""
        key_ab, key_ba = self.keys
        common = {"input": input_text, "ideal": ideal}
        return [
            WorkItem(
                key_ab,
                example_id,
                fill_judge_messages(
                    self.messages, {**common, "output_a": output_a, "output_b": output_b}
                ),
                self.model,
                dict(self.params),
            ),
            WorkItem(
                key_ba,
                example_id,
                fill_judge_messages(
                    self.messages, {**common, "output_a": output_b, "output_b": output_a}
                ),
                self.model,
                dict(self.params),
            ),
        ]

    def combine(self, answer_ab: str | None, answer_ba: str | None) -> PairwiseJudgement:
        """Combine the judge's two answers (None = that call errored)."""
        return combine_pairwise(parse_judge_choice(answer_ab), parse_judge_choice(answer_ba))


def tally(judgements: Iterable[PairwiseJudgement]) -> tuple[int, int, int, int]:
    """``(b_wins, a_wins, ties, unreadable)``: feed wins/losses to ``stats.sign_test``."""
    counts = Counter(j.winner for j in judgements)
    return counts["B"], counts["A"], counts["tie"], counts[None]
