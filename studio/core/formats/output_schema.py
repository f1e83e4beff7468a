"""Assistant outputs against a JSON Schema: one compiled validator per file and one check,
shared by the validator and the export."""

from __future__ import annotations

from typing import Any

import orjson

from studio.core.errors import UserError
from studio.core.formats.collector import FindingCollector
from studio.core.json_depth import MAX_DEPTH, nesting_excess, value_too_deep


def compile_schema(schema: dict[str, Any] | None) -> Any:
    """A compiled Draft 2020-12 validator for ``schema`` (None for None).

    Raises:
        UserError: ``schema`` is not a valid JSON Schema.
    """
    if schema is None:
        return None
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    if value_too_deep(schema):
        raise UserError(
            f"The output JSON Schema is invalid: it is nested more than {MAX_DEPTH} levels deep.",
            where="schema",
        )
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise UserError(
            f"The output JSON Schema is invalid: {exc.message}.", where="schema"
        ) from None
    # ONE compiled validator for the whole file (jsonschema.validate per line re-checks the
    # schema every call: 313 docs/s instead of 6,500).
    return Draft202012Validator(schema)


def output_schema_problem(output: str, validator: Any) -> tuple[str, str] | None:
    """Why ``output`` does not fit the compiled schema: ``(code, sentence)``, or None.

    The one check of an assistant output against a JSON Schema: the validator uses it on
    every output of a file, and the export (:mod:`studio.core.export.fit`) before writing.
    """
    from jsonschema.exceptions import best_match

    if nesting_excess(output) is not None:
        return "output_not_json", f"is JSON nested more than {MAX_DEPTH} levels deep"
    try:
        instance = orjson.loads(output)
    except orjson.JSONDecodeError as exc:
        return "output_not_json", f"is not JSON ({exc.msg})"
    error = best_match(validator.iter_errors(instance))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return "output_schema_violation", f"breaks the schema at {where}: {error.message}"


def check_output(output: str, index: int, validator: Any, col: FindingCollector) -> None:
    """Report assistant output ``index`` to ``col`` when it does not fit the schema."""
    if nesting_excess(output) is not None:
        col.error(
            "output_not_json",
            f"Assistant output {index} is JSON nested more than {MAX_DEPTH} levels deep.",
        )
        return
    problem = output_schema_problem(output, validator)
    if problem is None:
        return
    code, why = problem
    suffix = ", but a schema was given." if code == "output_not_json" else ""
    col.error(code, f"Assistant output {index} {why}{suffix}")
