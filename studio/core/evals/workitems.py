"""Turn dataset examples and prompt versions into the runner's :class:`WorkItem` s.

One work item per (variant, example). How an example becomes chat messages:

* **Variables** (``input_json``; no conversation): the version's messages are rendered
  with the example's variables (``{{text}}`` ...), exactly as the prompt editor previews
  them. A variable the example lacks makes that one (variant, example) a *render error*
  (stored as an error result, never sent, never scored).
* **Imported conversation** (``conversation_json`` set) — the rule:

  1. the version's ``system`` and ``developer`` messages (rendered with the example's
     variables, usually none) **replace** the example's own system prompt;
  2. if the version has no system/developer message, the example's own
     ``system_prompt`` is kept;
  3. the version's other messages (user templates, few-shot turns) are **not** used:
     the conversation's turns are the input, kept as they are, in order (a system
     message inside the turns is dropped, the version's replaces it);
  4. tools: the version's tools when it has any, else the example's own tools.

  So comparing two versions on a chat dataset compares their system prompts (and
  model/parameters/schema/tools) on the same conversations.

* ``response_format``: a version with a ``response_schema`` asks for structured output,
  ``{"type": "json_schema", "json_schema": {"name", "schema", "strict"}}``; ``strict`` is
  on only when the schema meets OpenAI's strict-mode rules (every object closes
  ``additionalProperties`` and requires all its properties), else the server would
  answer 400. A ``response_format`` in the version's params is used as is.
* params: the version's params, then the variant's overrides (a ``None`` override
  removes the parameter); ``stream`` is dropped (the runner reads whole responses).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from studio.core.errors import UserError
from studio.core.evals.calls import WorkItem
from studio.core.prompts.render import render_messages
from studio.core.prompts.spec import Message, PromptSpec

SYSTEM_ROLES = ("system", "developer")
_DROP_PARAMS = frozenset({"stream", "stream_options"})
_NAME_RE = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class ExampleInput:
    """What of an example the runner needs (no curation fields)."""

    id: int
    inputs: dict[str, Any]
    system_prompt: str | None = None
    conversation: list[dict[str, Any]] | None = None
    tools: list[dict[str, Any]] | None = None
    output_kind: str = "text"
    ideal_output: str | None = None
    label: str | None = None


@dataclass(frozen=True, slots=True)
class PreparedVariant:
    """A variant ready to render: its runner key, its version's spec, model and params.

    Attributes:
        key: the runner's ``variant_key`` (the service uses the variant row's id).
        spec: the prompt version's spec.
        model: the model to call (override or the version's).
        params: the version's params merged with the overrides.
        name: a label for response-format names and messages ("NAME@VERSION").
        repeat: the items' repeat index (0 for A/B variants).
    """

    key: str
    spec: PromptSpec
    model: str
    params: dict[str, Any] = field(default_factory=dict)
    name: str = "prompt"
    # The runner's repeat index of every item of this variant (a distil run's sample
    # number), part of the cache key so K samples are K answers, not one cached answer.
    repeat: int = 0


@dataclass(frozen=True, slots=True)
class RenderFailure:
    """A (variant, example) that could not be turned into a request."""

    variant_key: str
    example_id: int
    message: str


def merge_params(base: Mapping[str, Any], override: Mapping[str, Any] | None) -> dict[str, Any]:
    """The version's params with ``override`` applied (a None value deletes the key)."""
    out = dict(base)
    for key, value in (override or {}).items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def strict_compatible(schema: object) -> bool:
    """True when every object in ``schema`` closes ``additionalProperties`` and requires
    all its properties (OpenAI strict structured outputs refuse anything else)."""
    if isinstance(schema, list):
        return all(strict_compatible(s) for s in schema)
    if not isinstance(schema, Mapping):
        return True
    types = schema.get("type")
    is_object = types == "object" or (isinstance(types, list) and "object" in types)
    if is_object or "properties" in schema:
        props = schema.get("properties") or {}
        if schema.get("additionalProperties") is not False:
            return False
        if not isinstance(props, Mapping) or set(schema.get("required") or []) != set(props):
            return False
    for key, value in schema.items():
        if key in ("properties", "$defs", "definitions", "patternProperties") and isinstance(
            value, Mapping
        ):
            if not all(strict_compatible(v) for v in value.values()):
                return False
        elif key in ("items", "anyOf", "allOf", "oneOf", "prefixItems", "not") and not (
            strict_compatible(value)
        ):
            return False
    return True


def response_format_for(spec: PromptSpec, name: str = "response") -> dict[str, Any] | None:
    """The OpenAI ``response_format`` for a version's ``response_schema`` (None = free text)."""
    if spec.response_schema is None:
        return None
    clean = _NAME_RE.sub("_", name).strip("_")[:64] or "response"
    return {
        "type": "json_schema",
        "json_schema": {
            "name": clean,
            "schema": spec.response_schema,
            "strict": strict_compatible(spec.response_schema),
        },
    }


def build_messages(spec: PromptSpec, example: ExampleInput) -> list[dict[str, Any]]:
    """The chat messages of ``example`` under ``spec`` (rules in the module docstring).

    Raises:
        UserError: a variable the example lacks, or a template error (names the example).
    """
    try:
        if example.conversation is None:
            return [dict(m) for m in render_messages(spec.messages, example.inputs).messages]
        system = [m for m in spec.messages if m.role in SYSTEM_ROLES]
        head: list[dict[str, Any]]
        if system:
            head = [dict(m) for m in render_messages(system, example.inputs).messages]
        elif example.system_prompt:
            head = [{"role": "system", "content": example.system_prompt}]
        else:
            head = []
    except UserError as exc:
        raise UserError(
            f"Example {example.id} cannot be rendered: {exc.message}", where=f"example {example.id}"
        ) from None
    turns = [dict(t) for t in example.conversation if t.get("role") != "system"]
    return head + turns


def _tools(spec: PromptSpec, example: ExampleInput) -> list[dict[str, Any]] | None:
    if spec.tools:
        return [dict(t) for t in spec.tools]
    if example.conversation is not None and example.tools:
        return [dict(t) for t in example.tools]
    return None


def build_work_items(
    variants: Sequence[PreparedVariant], examples: Iterable[ExampleInput]
) -> tuple[list[WorkItem], list[RenderFailure]]:
    """Every (variant, example) as a :class:`WorkItem`, example-major (A1, B1, A2, B2 ...)
    so a cancelled run leaves complete pairs; plus those that could not be rendered."""
    items: list[WorkItem] = []
    failures: list[RenderFailure] = []
    formats = {v.key: response_format_for(v.spec, v.name) for v in variants}
    for example in examples:
        for variant in variants:
            try:
                messages = build_messages(variant.spec, example)
            except UserError as exc:
                failures.append(RenderFailure(variant.key, example.id, exc.message))
                continue
            params = {k: v for k, v in variant.params.items() if k not in _DROP_PARAMS}
            response_format = params.pop("response_format", None) or formats[variant.key]
            items.append(
                WorkItem(
                    variant_key=variant.key,
                    example_id=example.id,
                    messages=messages,
                    model=variant.model,
                    params=params,
                    response_format=response_format,
                    tools=_tools(variant.spec, example),
                    repeat=variant.repeat,
                )
            )
    return items, failures


def input_preview(example: ExampleInput, limit: int = 300) -> str:
    """A one-line text of the example's input for tables (variables or the last user turn)."""
    text = ""
    if example.conversation:
        for turn in reversed(example.conversation):
            if turn.get("role") == "user":
                content = turn.get("content")
                text = content if isinstance(content, str) else str(content)
                break
    elif example.inputs:
        if len(example.inputs) == 1:
            text = str(next(iter(example.inputs.values())))
        else:
            text = " · ".join(f"{k}: {v}" for k, v in example.inputs.items())
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def system_messages(spec: PromptSpec) -> list[Message]:
    """The version's system/developer messages (what replaces an imported system prompt)."""
    return [m for m in spec.messages if m.role in SYSTEM_ROLES]
