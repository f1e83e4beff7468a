"""JSON scorers: reading a JSON answer (fenced, in prose) and comparing it to the ideal.

``json`` (the answer is JSON), ``json-equal`` (the same data, per-field agreement),
``json-schema`` (valid against a schema, validator compiled once: ``jsonschema.validate()``
per call re-checks the schema and is 20x slower, docs/engineering-facts.md §8) and ``json-fields``
(named fields match). Same protocol as :mod:`.scorers`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol

import orjson

from studio.core.errors import ValidationError
from studio.core.evals.scorers import ScoreResult, normalise_text, quoted, verdict

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
_DECODER = json.JSONDecoder(parse_float=Decimal, parse_int=Decimal, parse_constant=_reject_constant)


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
        return ScoreResult(False, 0.0, f"different JSON data: expected {quoted(ideal)}", fields)


class JsonValid:
    """The output parses as JSON (a ```json fence is allowed)."""

    name = "json_valid"

    def score(self, output: str, ideal: object = None) -> ScoreResult:
        ok, _, error = parse_json_output(output)
        return verdict(ok, "valid JSON" if ok else error)


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
            return verdict(False, error)
        errors = sorted(self._validator.iter_errors(value), key=lambda e: list(e.path))
        if not errors:
            return verdict(True, "valid against the schema")
        first = errors[0]
        where = "/".join(str(p) for p in first.path) or "(root)"
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        return verdict(False, f"schema violation at {where}: {first.message}{more}")


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


class HasFields(Protocol):
    """A scored result with per-field matches: a :class:`ScoreResult` or a summary's row."""

    @property
    def fields(self) -> dict[str, bool] | None: ...


def per_field_accuracy(results: Iterable[HasFields]) -> dict[str, tuple[int, int]]:
    """``field -> (matched, scored)`` over :class:`JsonFieldMatch` results (or rows of them)."""
    acc: dict[str, list[int]] = {}
    for result in results:
        for name, good in (result.fields or {}).items():
            slot = acc.setdefault(name, [0, 0])
            slot[0] += int(good)
            slot[1] += 1
    return {name: (v[0], v[1]) for name, v in acc.items()}
