"""Which field of a file is the input, the ideal output, the label; record → example.

:class:`ImportMapping` is what the import dialog edits; :func:`auto_mapping` proposes
one from a :class:`~studio.core.datasets.preview.Preview` (banking77's
``text,category`` maps to input ``text`` and label ``category``, a classification
task). :func:`convert_record` turns one record into the values of one ``example`` row
or raises :class:`RowError` with the reason (the importer adds the line number).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from studio.core.datasets.normalize import (
    input_text,
    message_text,
    norm_hash,
    normalize_text,
    split_tag_list,
    tags_to_db,
    text_hash,
)
from studio.core.datasets.preview import Preview
from studio.core.errors import ValidationError
from studio.core.json_depth import MAX_DEPTH, nesting_excess
from studio.core.models.dataset import SPLITS, STATUSES, TASK_TYPES

_INPUT_NAMES = (
    "text",
    "input",
    "prompt",
    "question",
    "query",
    "instruction",
    "utterance",
    "sentence",
    "message",
    "content",
    "context",
    "document",
    "source",
)
_OUTPUT_NAMES = (
    "ideal_output",
    "output",
    "completion",
    "response",
    "answer",
    "expected",
    "expected_output",
    "ideal",
    "reference",
    "target_text",
    "reply",
    "summary",
)
_LABEL_NAMES = ("label", "category", "intent", "class", "labels", "target", "tag_label")
_TAG_NAMES = ("tags", "tag")
_NOTE_NAMES = ("notes", "note", "comment", "comments")
_RATING_NAMES = ("rating", "score", "stars")
_STATUS_NAMES = ("status",)
_SPLIT_NAMES = ("split",)


class RowError(Exception):
    """A record that cannot become an example; the message is the reason."""


@dataclass
class ImportMapping:
    """How a file's fields become an example.

    Attributes:
        input_fields: source fields that become the input variables (same names unless
            renamed by ``variable_names``). Ignored for chat files (``kind == "chat"``).
        output_field: the ideal output (text; objects/arrays become JSON outputs).
        label_field: the label (classification); for a classification dataset without an
            output field the label is also the ideal output.
        tags_field, notes_field, rating_field, status_field, split_field: optional
            curation fields (lets an exported dataset round-trip).
        task_type: the dataset's task type when the import creates it.
        variable_names: rename input variables, e.g. ``{"Customer Query": "text"}``.
        status: status of imported examples (when no status field).
        label_set: label set of a new classification dataset (default: labels found).
    """

    input_fields: list[str] = field(default_factory=lambda: ["text"])
    output_field: str | None = None
    label_field: str | None = None
    tags_field: str | None = None
    notes_field: str | None = None
    rating_field: str | None = None
    status_field: str | None = None
    split_field: str | None = None
    task_type: str = "generation"
    variable_names: dict[str, str] = field(default_factory=dict)
    status: str = "needs_review"
    label_set: list[str] | None = None

    def validate(self, kind: str, columns: Sequence[str] | None, where: str) -> None:
        """Check the mapping against the file's fields (CSV: the header).

        Raises:
            ValidationError: unknown task type/status, no input, or a missing column.
        """
        if self.task_type not in TASK_TYPES:
            raise ValidationError(
                f'"{self.task_type}" is not a task type; choose one of {", ".join(TASK_TYPES)}.',
                where="task_type",
            )
        if self.status not in STATUSES:
            raise ValidationError(
                f'"{self.status}" is not a status; choose one of {", ".join(STATUSES)}.',
                where="status",
            )
        if kind == "chat":
            return
        if not self.input_fields:
            raise ValidationError("Choose at least one input field.", where="input_fields")
        if columns is None:
            return
        named = [*self.input_fields]
        for opt in (
            self.output_field,
            self.label_field,
            self.tags_field,
            self.notes_field,
            self.rating_field,
            self.status_field,
            self.split_field,
        ):
            if opt:
                named.append(opt)
        missing = [f for f in named if f not in columns]
        if missing:
            raise ValidationError(
                f"{where} has no column {', '.join(repr(m) for m in missing)}; its columns are: "
                f"{', '.join(columns)}.",
                where=missing[0],
            )


def _find(columns: Sequence[str], names: Sequence[str], taken: set[str]) -> str | None:
    lower = {c.lower().strip(): c for c in columns if c not in taken}
    for name in names:
        if name in lower:
            return lower[name]
    return None


def auto_mapping(preview: Preview) -> ImportMapping:
    """Propose a mapping from the preview (the dialog shows it; the user may change it)."""
    if preview.kind == "chat":
        return ImportMapping(input_fields=[], task_type="chat")
    cols = preview.columns
    if preview.kind == "prompt_completion":
        return ImportMapping(
            input_fields=["prompt"], output_field="completion", task_type="generation"
        )
    taken: set[str] = set()
    label = _find(cols, _LABEL_NAMES, taken)
    if label:
        taken.add(label)
    output = _find(cols, _OUTPUT_NAMES, taken)
    if output:
        taken.add(output)
    tags = _find(cols, _TAG_NAMES, taken)
    notes = _find(cols, _NOTE_NAMES, taken)
    rating = _find(cols, _RATING_NAMES, taken)
    status = _find(cols, _STATUS_NAMES, taken)
    split = _find(cols, _SPLIT_NAMES, taken)
    taken |= {c for c in (tags, notes, rating, status, split) if c}
    inp = _find(cols, _INPUT_NAMES, taken)
    inputs = [inp] if inp else [c for c in cols if c not in taken][:1]
    if label and not output:
        task = "classification"
    elif (
        output
        and preview.rows
        and all(
            isinstance(r.get(output), (dict, list)) or _looks_like_json_object(r.get(output))
            for r in preview.rows
        )
    ):
        task = "extraction"
    else:
        task = "generation"
    return ImportMapping(
        input_fields=inputs,
        output_field=output,
        label_field=label,
        tags_field=tags,
        notes_field=notes,
        rating_field=rating,
        status_field=status,
        split_field=split,
        task_type=task,
    )


def _looks_like_json_object(value: Any) -> bool:
    return isinstance(value, str) and value.strip().startswith("{") and value.strip().endswith("}")


# Opens like normalize.message_text (duplicates report, boilerplate): a cell's value as text
# here (numbers, booleans, JSON), a chat message's content there (parts); different rules.
def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return orjson.dumps(value).decode("utf-8")


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode("utf-8")


def _written(value: Any) -> str:
    """An inline JSON value as text the way people write it: ``{"a": [1, 2]}``.

    Key order is kept; ``", "`` and ``": "`` separators and unescaped non-ASCII are the
    spelling of Python's ``json.dumps`` (what most dataset scripts write), so an answer
    copied from the source file matches ``exact``.
    """
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class ConvertContext:
    """What :func:`convert_record` needs besides the record."""

    mapping: ImportMapping
    kind: str
    task_type: str
    source: str
    schema_validator: Any = None  # a compiled jsonschema validator for extraction outputs


ROW_COLUMNS: tuple[str, ...] = (
    "dataset_id",
    "input_json",
    "system_prompt",
    "conversation_json",
    "tools_json",
    "output_kind",
    "ideal_output",
    "status",
    "label",
    "tags",
    "rating",
    "notes",
    "split",
    "split_locked",
    "source",
    "source_line",
    "norm_hash",
    "search_text",
    "created_at",
    "updated_at",
)
"""The ``example`` columns :func:`convert_record` fills, in its key order."""

# What _convert_fields returns (variable-based records have no conversation)
_FIELDS_COLUMNS = ("input_json", "output_kind", "ideal_output", "label", "norm_hash", "search_text")
# What _convert_chat returns
# A subset of ROW_COLUMNS in the same order (duplicates report): spelled out so the row
# converter's tuples read as what _convert_chat returns.
_CHAT_COLUMNS = (
    "input_json",
    "system_prompt",
    "conversation_json",
    "tools_json",
    "output_kind",
    "ideal_output",
    "label",
    "norm_hash",
    "search_text",
)
# What _convert_extras returns (the optional curation fields)
_EXTRA_COLUMNS = ("status", "tags", "rating", "notes", "split")


def _has_extras(m: ImportMapping) -> bool:
    return bool(m.status_field or m.split_field or m.tags_field or m.notes_field or m.rating_field)


def convert_record(record: Mapping[str, Any], ctx: ConvertContext) -> dict[str, Any]:
    """Values of one ``example`` row (without dataset id, timestamps, source line).

    Keys are :data:`ROW_COLUMNS` in order. The importer uses :class:`RowConverter`
    (same conversion, tuples of only the columns that vary).

    Raises:
        RowError: a required field is missing or empty, or a value is invalid.
    """
    m = ctx.mapping
    row = _defaults(ctx)
    if ctx.kind == "chat":
        row.update(zip(_CHAT_COLUMNS, _convert_chat(record), strict=True))
    else:
        row.update(zip(_FIELDS_COLUMNS, _convert_fields(record, ctx), strict=True))
    if _has_extras(m):
        extras = _convert_extras(record, m)
        row.update(zip(_EXTRA_COLUMNS, extras, strict=True))
    return row


class RowConverter:
    """Fast record → row conversion for bulk import (same results as :func:`convert_record`).

    ``columns`` are the columns whose values vary per record, in the order of the
    tuple a call returns (the record's line is appended as ``source_line``);
    ``constants`` hold the values that are the same for every row of this import.
    Binding only the varying values per row makes the bulk insert about a third
    cheaper than binding all twenty columns (measured at 100k rows).
    """

    def __init__(self, ctx: ConvertContext) -> None:
        m = ctx.mapping
        chat = ctx.kind == "chat"
        base = _CHAT_COLUMNS if chat else _FIELDS_COLUMNS
        extras = _has_extras(m)
        self.columns: tuple[str, ...] = (
            *base,
            *(_EXTRA_COLUMNS if extras else ()),
            "source_line",
        )
        row = _defaults(ctx)
        self.constants: dict[str, Any] = {
            k: v for k, v in row.items() if k not in self.columns and k != "dataset_id"
        }
        self.hash_index = self.columns.index("norm_hash")
        self.label_index = self.columns.index("label")
        self._ctx = ctx
        self._chat = chat
        self._extras = extras

    def __call__(self, record: Mapping[str, Any], line: int) -> tuple[Any, ...]:
        """The varying values of one row (``self.columns`` order).

        Raises:
            RowError: as :func:`convert_record`.
        """
        if self._chat:
            core: tuple[Any, ...] = _convert_chat(record)
        else:
            core = _convert_fields(record, self._ctx)
        if self._extras:
            return (*core, *_convert_extras(record, self._ctx.mapping), line)
        return (*core, line)


def _defaults(ctx: ConvertContext) -> dict[str, Any]:
    """A row (:data:`ROW_COLUMNS`) with the values used where the record says nothing."""
    row: dict[str, Any] = dict.fromkeys(ROW_COLUMNS)
    row.update(status=ctx.mapping.status, tags="", notes="", split_locked=False, source=ctx.source)
    return row


def _convert_extras(record: Mapping[str, Any], m: ImportMapping) -> tuple[Any, ...]:
    """(status, tags, rating, notes, split) from the mapping's optional curation fields."""
    status: str = m.status
    tags_db = ""
    rating: int | None = None
    notes = ""
    split: str | None = None
    if m.status_field:
        raw_status = _as_text(record.get(m.status_field)).strip().lower().replace(" ", "_")
        if raw_status:
            if raw_status not in STATUSES:
                raise RowError(f'status "{raw_status}" is not one of {", ".join(STATUSES)}')
            status = raw_status
    if m.split_field:
        raw_split = _as_text(record.get(m.split_field)).strip().lower()
        if raw_split in ("val", "valid", "dev"):
            raw_split = "validation"
        if raw_split:
            if raw_split not in SPLITS:
                raise RowError(f'split "{raw_split}" is not one of {", ".join(SPLITS)}')
            split = raw_split
    if m.tags_field:
        raw = record.get(m.tags_field)
        tags = [str(t) for t in raw] if isinstance(raw, list) else split_tag_list(_as_text(raw))
        try:
            tags_db = tags_to_db(tags)
        except ValidationError as exc:
            raise RowError(exc.message) from exc
    if m.notes_field:
        notes = _as_text(record.get(m.notes_field))
    if m.rating_field:
        raw_rating = _as_text(record.get(m.rating_field)).strip()
        if raw_rating:
            try:
                rating = int(float(raw_rating))
            except ValueError as exc:
                raise RowError(f'rating "{raw_rating}" is not a number') from exc
            if not 1 <= rating <= 5:
                raise RowError(f"rating {rating} is not between 1 and 5")
    return status, tags_db, rating, notes, split


def _convert_fields(record: Mapping[str, Any], ctx: ConvertContext) -> tuple[Any, ...]:
    """(input_json, output_kind, ideal_output, label, norm_hash, search_text)."""
    m = ctx.mapping
    inputs: dict[str, Any] = {}
    renames = m.variable_names
    given: Any = None
    for name in m.input_fields:
        given = record.get(name, _MISSING)
        if given is _MISSING:
            raise RowError(f'the input field "{name}" is missing')
        if given is None or (given.__class__ is str and not given.strip()):
            raise RowError(f'the input field "{name}" is empty')
        inputs[renames.get(name, name) if renames else name] = given
    label: str | None = None
    if m.label_field:
        raw_label = record.get(m.label_field, _MISSING)
        if raw_label is _MISSING:
            raise RowError(f'the label field "{m.label_field}" is missing')
        label = (raw_label if raw_label.__class__ is str else _as_text(raw_label)).strip() or None
        if label is not None and len(label) > 200:
            raise RowError("the label is longer than 200 characters")
    output_kind = "text"
    ideal: str | None = None
    if m.output_field:
        if m.output_field not in record:
            raise RowError(f'the output field "{m.output_field}" is missing')
        value = record[m.output_field]
        # The ideal is kept as the user wrote it: `exact` compares with this text, and
        # `json-equal` parses it (ISSUE-10 §1). Only a JSON value written inline in a
        # JSON/JSONL record has no text of its own; it gets the common spelling.
        if isinstance(value, (dict, list)):
            output_kind, ideal = "json", _written(value)
        elif value is not None and _as_text(value) != "":
            ideal = _as_text(value)
            if ctx.task_type == "extraction":
                if nesting_excess(ideal) is not None:
                    raise RowError(
                        f'the output "{m.output_field}" is JSON nested more than '
                        f"{MAX_DEPTH} levels deep"
                    )
                try:
                    orjson.loads(ideal)
                except orjson.JSONDecodeError as exc:
                    raise RowError(f'the output "{m.output_field}" is not valid JSON') from exc
                output_kind = "json"
    elif label is not None and ctx.task_type == "classification":
        ideal = label
    if output_kind == "json" and ctx.schema_validator is not None and ideal is not None:
        error = next(iter(ctx.schema_validator.iter_errors(orjson.loads(ideal))), None)
        if error is not None:
            path = "/".join(str(p) for p in error.absolute_path) or "(root)"
            raise RowError(
                f"the output does not match the dataset's schema at {path}: {error.message}"
            )
    # one text input: its value (what input_text gives, without the call)
    text = given if len(m.input_fields) == 1 and given.__class__ is str else input_text(inputs)
    return (
        orjson.dumps(inputs).decode(),
        output_kind,
        ideal,
        label,
        norm_hash(text),
        text,
    )


_MISSING = object()
_ROLES = ("system", "developer", "user", "assistant", "tool", "function")


def _convert_chat(record: Mapping[str, Any]) -> tuple[Any, ...]:
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RowError('"messages" must be a non-empty list of messages')
    for i, msg in enumerate(messages, start=1):
        if not isinstance(msg, dict):
            raise RowError(f"message {i} is not an object")
        role = msg.get("role")
        if role not in _ROLES:
            raise RowError(
                f'message {i} has role "{role}"; expected system, user, assistant or tool'
            )
    turns = list(messages)
    system_prompt: str | None = None
    if turns[0].get("role") in ("system", "developer"):
        system_prompt = message_text(turns[0].get("content"))
        turns = turns[1:]
    output_kind = "text"
    ideal: str | None = None
    if turns and turns[-1].get("role") == "assistant":
        last = turns.pop()
        if last.get("tool_calls") or last.get("function_call"):
            calls = last.get("tool_calls")
            if calls is None:  # legacy function_call → one tool call
                fc = last["function_call"]
                calls = [{"id": "call_0", "type": "function", "function": fc}]
            output_kind = "tool_calls"
            ideal = _dumps({"content": last.get("content"), "tool_calls": calls})
        else:
            ideal = message_text(last.get("content"))
    if not turns:
        raise RowError("the conversation has no turn before the final assistant message")
    tools = record.get("tools")
    if tools is None and isinstance(record.get("functions"), list):
        tools = [{"type": "function", "function": f} for f in record["functions"]]
    if tools is not None and not isinstance(tools, list):
        raise RowError('"tools" must be a list')
    text = input_text({}, system_prompt, turns)
    norm = normalize_text(text)
    # _CHAT_COLUMNS order
    return (
        "{}",
        system_prompt,
        _dumps(turns),
        _dumps(tools) if tools else None,
        output_kind,
        ideal,
        None,
        text_hash(norm),
        text,
    )
