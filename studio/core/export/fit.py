"""Exports obey the prompt: the output template and the response-schema check.

A prompt version with a ``response_schema`` asks the model for JSON of that shape, so a
fine-tune on its export must learn exactly that shape (issue 10, section 5). The rules:

* **Before writing**, every assistant turn the export would write (the prompt's few-shot
  answers and each example's answer) is checked against the schema with the validator's
  own check (:func:`studio.core.formats.output_schema.output_schema_problem`). One misfit and
  the export writes nothing: :class:`SchemaMisfitError` names the first rows (example id
  and the line it would have had) and the way out, an output template.
* **The output template** maps a classification label into the schema once, e.g.
  ``{"intent": "{{label}}", "confidence": 1.0}``: ``{{label}}`` is replaced by the
  example's label (escaped for a JSON string, so put it inside quotes). Examples without
  a label keep their ideal output. The template is checked against the schema before
  anything is read further: rendered with a sample label it must validate.
* **After writing**, the files are re-validated with the same schema (the export's
  re-validation step); :func:`schema_report` says that it was done and with what result.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from studio.core.errors import ValidationError
from studio.core.formats.common import ChatExample, PreferenceExample, ValidationReport
from studio.core.formats.output_schema import output_schema_problem

#: ``{{ name }}`` placeholders in an output template.
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
#: The one variable an output template knows.
LABEL = "label"
#: Misfits named in the refusal message (all are counted).
MISFITS_NAMED = 5
#: Finding codes of the validator's schema check.
SCHEMA_CODES = frozenset({"output_not_json", "output_schema_violation"})


@dataclass(frozen=True)
class OutputTemplate:
    """An assistant answer with ``{{label}}`` where the example's label goes."""

    text: str

    @classmethod
    def parse(cls, text: str) -> OutputTemplate:
        """Check the template's placeholders.

        Raises:
            ValidationError: no ``{{label}}``, or a placeholder other than ``{{label}}``.
        """
        names = {m.group(1) for m in PLACEHOLDER.finditer(text)}
        unknown = sorted(names - {LABEL})
        if unknown:
            raise ValidationError(
                f"The output template uses {{{{{unknown[0]}}}}}; it knows only {{{{label}}}} "
                "(the example's label).",
                where="output template",
            )
        if LABEL not in names:
            raise ValidationError(
                "The output template has no {{label}}: every example would get the same "
                'answer. Write where the label goes, e.g. {"intent": "{{label}}"}.',
                where="output template",
            )
        return cls(text)

    def render(self, label: str) -> str:
        """The template with ``label`` in place (escaped as JSON string content)."""
        escaped = json.dumps(label, ensure_ascii=False)[1:-1]
        return PLACEHOLDER.sub(lambda _m: escaped, self.text)


# Its to_json spells its keys out like the other records' (duplicates report pairs it with
# datasets/operations, decide/reasons, decide/decision, evals/run_state, export/fit): see the
# note at formats/common.Finding.
@dataclass(frozen=True)
class Misfit:
    """One assistant turn the export would write that does not fit the schema."""

    example_id: int
    file: str
    line: int
    why: str

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "example_id": self.example_id,
            "file": self.file,
            "line": self.line,
            "message": self.why,
        }

    def sentence(self) -> str:
        """``example 12 (train.jsonl line 3): the answer is not JSON (...)``."""
        return f"example {self.example_id} ({self.file} line {self.line}): {self.why}"


class SchemaMisfitError(ValidationError):
    """The export would write answers that do not fit the prompt's response schema."""

    def __init__(self, message: str, misfits: list[Misfit], total: int) -> None:
        super().__init__(message, where="response_schema")
        self.misfits = misfits
        self.total = total


_SAMPLE_VALUES: dict[str, Any] = {
    "number": 1.0,
    "integer": 1,
    "boolean": True,
    "string": "",
    "array": [],
    "object": {},
}


def suggested_template(schema: Mapping[str, Any]) -> str:
    """A template to start from: the label in the schema's first string (or enum)
    property, every other required property with a placeholder value of its type."""
    raw = schema.get("properties")
    props: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    name = next(
        (
            k
            for k, v in props.items()
            if isinstance(v, Mapping) and (v.get("type") == "string" or "enum" in v)
        ),
        None,
    ) or next(iter(props), LABEL)
    out: dict[str, Any] = {name: "{{label}}"}
    required = schema.get("required")
    for key in required if isinstance(required, list) else []:
        sub = props.get(key)
        if key == name or not isinstance(sub, Mapping):
            continue
        if isinstance(sub.get("enum"), list) and sub["enum"]:
            out[key] = sub["enum"][0]
        elif isinstance(sub.get("type"), str):
            out[key] = _SAMPLE_VALUES.get(sub["type"])
    return json.dumps(out, ensure_ascii=False)


def _shortened(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_template(
    template: OutputTemplate,
    validator: Any,
    sample_label: str,
    schema: Mapping[str, Any],
    prompt_ref: str,
) -> None:
    """Render ``template`` with ``sample_label``; it must be JSON valid against the schema.

    Raises:
        ValidationError: the rendered template is not JSON or breaks the schema.
    """
    rendered = template.render(sample_label)
    problem = output_schema_problem(rendered, validator)
    if problem is None:
        return
    code, why = problem
    hint = (
        " Put {{label}} inside quotes."
        if code == "output_not_json" and '"{{' not in template.text.replace(" ", "")
        else ""
    )
    raise ValidationError(
        f"The output template does not fit the response_schema of {prompt_ref}: rendered "
        f"with the label {sample_label!r} it gives {rendered}, which {why}.{hint} Nothing "
        f"was written. Schema: {_shortened(json.dumps(schema, ensure_ascii=False))}",
        where="output template",
    )


def assistant_texts(example: ChatExample | PreferenceExample) -> Iterable[str]:
    """Every assistant text an exported record holds (few-shot turns and the answer)."""
    if isinstance(example, ChatExample):
        messages = example.messages
        extra: list[str] = []
    else:
        messages = example.prompt_messages
        extra = [example.chosen, example.rejected]
    for m in messages:
        content = m.get("content")
        if m.get("role") == "assistant" and isinstance(content, str):
            yield content
    yield from extra


def misfits_of(
    example: ChatExample | PreferenceExample, validator: Any, file: str, line: int
) -> list[Misfit]:
    """The assistant texts of one record that do not fit the schema."""
    out: list[Misfit] = []
    for text in assistant_texts(example):
        problem = output_schema_problem(text, validator)
        if problem is not None:
            shown = _shortened(text, 60)
            out.append(
                Misfit(
                    int(example.example_id or 0), file, line, f"the answer {shown!r} {problem[1]}"
                )
            )
    return out


def refusal(
    misfits: list[Misfit],
    records: int,
    schema: Mapping[str, Any],
    prompt_ref: str,
    template: OutputTemplate | None,
) -> SchemaMisfitError:
    """The error naming the first misfits and the way out (nothing was written)."""
    rows = {(m.example_id, m.line, m.file) for m in misfits}
    named = "; ".join(m.sentence() for m in misfits[:MISFITS_NAMED])
    more = f" (and {len(misfits) - MISFITS_NAMED:,} more)" if len(misfits) > MISFITS_NAMED else ""
    way_out = (
        "Fix the output template or those examples' ideal outputs."
        if template is not None
        else "For a classification dataset, map the label into the schema with an output "
        f"template: --output-template '{suggested_template(schema)}' (the app: Export "
        "dialog, Output template); or fix those examples' ideal outputs."
    )
    message = (
        f"Export refused, nothing was written: {len(rows):,} of {records:,} records "
        f"have assistant turns that do not fit the response_schema of {prompt_ref}. "
        f"First: {named}{more}. {way_out}"
    )
    return SchemaMisfitError(message, misfits, records)


def schema_report(
    prompt_ref: str,
    schema: Mapping[str, Any] | None,
    template: OutputTemplate | None,
    checked: int,
    reports: Mapping[str, ValidationReport | None],
) -> dict[str, Any]:
    """The manifest's ``schema_check``: what was checked before and after writing.

    ``reports`` maps each written file's name to its post-write validation report (made
    with the prompt's schema), whose schema findings are counted here.
    """
    if schema is None:
        return {
            "schema": None,
            "note": f"{prompt_ref} has no response_schema; assistant turns were written as stored.",
        }
    after: dict[str, Any] = {}
    for name, report in reports.items():
        if report is None:
            continue
        by_code = report.stats.get("findings_by_code", {})
        after[name] = {
            "lines": report.stats.get("lines", 0),
            "schema_errors": int(sum(by_code.get(c, 0) for c in SCHEMA_CODES)),
        }
    return {
        "schema": f"response_schema of {prompt_ref}",
        "output_template": template.text if template is not None else None,
        "checked_before_writing": checked,
        "validated_after_writing": after,
        "valid": all(v["schema_errors"] == 0 for v in after.values()),
    }


def schema_sentence(check: Mapping[str, Any] | None) -> str | None:
    """One line for people: what the post-write schema validation found."""
    if not check or check.get("schema") is None:
        return None
    files = check.get("validated_after_writing") or {}
    parts = [
        f"{name}: {v['lines']:,} lines, {v['schema_errors']:,} schema errors"
        for name, v in files.items()
    ]
    verdict = "every assistant turn fits" if check.get("valid") else "SCHEMA ERRORS"
    how = (
        f" (answers from the output template {check['output_template']})"
        if check.get("output_template")
        else ""
    )
    return (
        f"Validated the written files against the {check['schema']} by itself: "
        f"{verdict}{how}. " + "; ".join(parts)
    )


def parse_template(text: str | None) -> OutputTemplate | None:
    """The template of ``text`` (None when empty); see :meth:`OutputTemplate.parse`."""
    if text is None or not text.strip():
        return None
    return OutputTemplate.parse(text)
