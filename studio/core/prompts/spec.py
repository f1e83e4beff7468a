"""The call spec a prompt version stores: messages, model, parameters, schema, tools.

A :class:`PromptSpec` is a frozen value. Its :meth:`PromptSpec.content_hash` is the
SHA-256 of the canonical JSON (sorted keys, no whitespace), so two specs with the same
content have the same hash whatever the key order they were written in.

Validation is split in two so that an editor can hold work in progress:

* the constructor checks only the shape (types of fields, roles);
* :meth:`PromptSpec.validate` checks everything a saved version must satisfy
  (parameter types and ranges, the response JSON Schema, the tools, the template
  braces) and returns warnings (unknown parameters, ...). Saving calls it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

from studio.core.errors import ValidationError
from studio.core.prompts.template import check_messages

Role = Literal["system", "developer", "user", "assistant"]
ROLES: tuple[str, ...] = get_args(Role)
SPEC_KEYS: tuple[str, ...] = ("messages", "model", "params", "response_schema", "tools")

# reasoning_effort values OpenAI documents today; others only warn (the list grows).
REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
TOOL_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message template; ``content`` may hold ``{{variables}}``."""

    role: Role
    content: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValidationError(
                f"Message role must be one of {', '.join(ROLES)}, not {self.role!r}.",
                where="role",
            )
        if not isinstance(self.content, str):
            raise ValidationError("Message content must be text.", where="content")

    def to_json(self) -> dict[str, str]:
        """``{"role", "content"}``."""
        return {"role": self.role, "content": self.content}


def canonical_json(obj: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text: the form hashed for identity."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


@dataclass(frozen=True, eq=False)
class PromptSpec:
    """The whole call spec of one prompt version.

    Treat ``params``, ``response_schema`` and ``tools`` as read-only: the constructor
    keeps private deep copies and :meth:`to_json` hands out new ones. Equality and hash
    follow :meth:`content_hash`.
    """

    messages: tuple[Message, ...]
    model: str
    params: dict[str, Any] = field(default_factory=dict)
    response_schema: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        msgs = self.messages
        if isinstance(msgs, list):
            msgs = tuple(msgs)
        if not isinstance(msgs, tuple) or not all(isinstance(m, Message) for m in msgs):
            raise ValidationError("messages must be a list of Message.", where="messages")
        object.__setattr__(self, "messages", msgs)
        if not isinstance(self.model, str):
            raise ValidationError("model must be text.", where="model")
        if not isinstance(self.params, Mapping):
            raise ValidationError("params must be an object.", where="params")
        object.__setattr__(self, "params", _normalise_params(dict(self.params)))
        if self.response_schema is not None:
            if not isinstance(self.response_schema, Mapping):
                raise ValidationError(
                    "response_schema must be a JSON object or null.", where="response_schema"
                )
            object.__setattr__(self, "response_schema", copy.deepcopy(dict(self.response_schema)))
        if self.tools is not None:
            if not isinstance(self.tools, list):
                raise ValidationError("tools must be a list or null.", where="tools")
            object.__setattr__(self, "tools", copy.deepcopy(self.tools))
        try:
            canonical = canonical_json(self._json_no_copy())
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                f"The prompt holds a value that is not plain JSON: {exc}.", where="params"
            ) from exc
        object.__setattr__(self, "_canonical", canonical)

    # -- identity -------------------------------------------------------------------

    def _json_no_copy(self) -> dict[str, Any]:
        return {
            "messages": [m.to_json() for m in self.messages],
            "model": self.model,
            "params": self.params,
            "response_schema": self.response_schema,
            "tools": self.tools,
        }

    def to_json(self) -> dict[str, Any]:
        """A fresh plain dict ``{"messages", "model", "params", "response_schema", "tools"}``."""
        return copy.deepcopy(self._json_no_copy())

    def canonical(self) -> str:
        """Canonical JSON text (sorted keys, no whitespace)."""
        return cast(str, object.__getattribute__(self, "_canonical"))

    def content_hash(self) -> str:
        """SHA-256 hex digest of :meth:`canonical`."""
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()

    def storage_json(self) -> str:
        """Compact JSON keeping the author's key order (property order matters to models)."""
        return json.dumps(self._json_no_copy(), separators=(",", ":"), ensure_ascii=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PromptSpec):
            return NotImplemented
        return self.canonical() == other.canonical()

    def __hash__(self) -> int:
        return hash(self.canonical())

    @property
    def variables(self) -> list[str]:
        """Template variables in first-use order (raises TemplateError if braces are bad)."""
        return check_messages(self.messages)

    # -- building -------------------------------------------------------------------

    @classmethod
    def from_json(cls, data: Any, *, validate: bool = True) -> PromptSpec:
        """Build from ``{"messages", "model", "params", "response_schema", "tools"}``.

        Extra top-level keys are refused (callers that accept a file with ``name`` and
        ``description`` strip those first).

        Raises:
            ValidationError: naming the field (``messages[2].role``, ``params.top_p``).
        """
        if not isinstance(data, Mapping):
            raise ValidationError("A prompt must be a JSON object.", where="")
        unknown = [k for k in data if k not in SPEC_KEYS]
        if unknown:
            raise ValidationError(
                f"Unknown field `{unknown[0]}` (a prompt has {', '.join(SPEC_KEYS)}).",
                where=str(unknown[0]),
            )
        if "messages" not in data:
            raise ValidationError("Field `messages` is missing.", where="messages")
        if "model" not in data:
            raise ValidationError("Field `model` is missing.", where="model")
        raw = data["messages"]
        if not isinstance(raw, list):
            raise ValidationError("Field `messages` must be a list.", where="messages")
        messages: list[Message] = []
        for i, item in enumerate(raw):
            where = f"messages[{i}]"
            if not isinstance(item, Mapping):
                raise ValidationError(f"Field `{where}` must be an object.", where=where)
            _reject_unknown_keys(item, ("role", "content"), where)
            role = item.get("role")
            if role not in ROLES:
                raise ValidationError(
                    f"Field `{where}.role` must be one of {', '.join(ROLES)} (got {role!r}).",
                    where=f"{where}.role",
                )
            content = item.get("content")
            if not isinstance(content, str):
                raise ValidationError(
                    f"Field `{where}.content` must be text (got {type(content).__name__}).",
                    where=f"{where}.content",
                )
            messages.append(Message(cast(Role, role), content))
        model = data["model"]
        if not isinstance(model, str):
            raise ValidationError("Field `model` must be text.", where="model")
        params = data.get("params")
        if params is None:
            params = {}
        if not isinstance(params, Mapping):
            raise ValidationError("Field `params` must be an object.", where="params")
        schema = data.get("response_schema")
        if schema is not None and not isinstance(schema, Mapping):
            raise ValidationError(
                "Field `response_schema` must be an object or null.", where="response_schema"
            )
        tools = data.get("tools")
        if tools is not None and not isinstance(tools, list):
            raise ValidationError("Field `tools` must be a list or null.", where="tools")
        spec = cls(
            messages=tuple(messages),
            model=model,
            params=dict(params),
            response_schema=dict(schema) if schema is not None else None,
            tools=list(tools) if tools is not None else None,
        )
        if validate:
            spec.validate()
        return spec

    # -- validation -----------------------------------------------------------------

    def validate(self) -> list[str]:
        """Check everything a saved version must satisfy.

        Returns:
            Warnings for the user (unknown parameters kept as is, ...).

        Raises:
            ValidationError: naming the field; :class:`TemplateError` for bad braces.
        """
        warnings: list[str] = []
        if not self.messages:
            raise ValidationError("A prompt needs at least one message.", where="messages")
        if not self.model.strip():
            raise ValidationError("Field `model` must name a model.", where="model")
        check_messages(self.messages)
        warnings += validate_params(self.params, tool_names=_tool_names(self.tools))
        if self.response_schema is not None:
            warnings += validate_response_schema(self.response_schema)
        if self.tools is not None:
            validate_tools(self.tools)
        return warnings


# -- parameters ---------------------------------------------------------------------

_FLOAT_RANGES: dict[str, tuple[float, float]] = {
    "temperature": (0.0, 2.0),
    "top_p": (0.0, 1.0),
    "presence_penalty": (-2.0, 2.0),
    "frequency_penalty": (-2.0, 2.0),
}
_POSITIVE_INTS = ("max_tokens", "max_completion_tokens", "n")
KNOWN_PARAMS: tuple[str, ...] = (
    *_FLOAT_RANGES,
    *_POSITIVE_INTS,
    "seed",
    "stop",
    "reasoning_effort",
    "verbosity",
    "logprobs",
    "top_logprobs",
    "logit_bias",
    "tool_choice",
    "parallel_tool_calls",
)


def _normalise_params(params: dict[str, Any]) -> dict[str, Any]:
    # 1 and 1.0 are the same temperature: store floats so the hash does not differ.
    out = copy.deepcopy(params)
    for key, value in out.items():
        if isinstance(value, float) and not math.isfinite(value):
            # JSON has no NaN/Infinity: refuse here, naming the field
            raise ValidationError(
                f"Field `params.{key}` must be a finite number (got {value!r}).",
                where=f"params.{key}",
            )
    for key in _FLOAT_RANGES:
        value = out.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            out[key] = float(value)
    return out


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def validate_params(params: Mapping[str, Any], *, tool_names: set[str] | None = None) -> list[str]:
    """Check the known parameters' types and ranges; warn about unknown ones.

    Raises:
        ValidationError: ``params.<key>`` with the rule it breaks.
    """
    warnings: list[str] = []
    for key, value in params.items():
        where = f"params.{key}"
        if key in _FLOAT_RANGES:
            lo, hi = _FLOAT_RANGES[key]
            if not _is_number(value) or not lo <= value <= hi:
                raise ValidationError(
                    f"Field `{where}` must be a number from {lo:g} to {hi:g} (got {value!r}).",
                    where=where,
                )
        elif key in _POSITIVE_INTS:
            if not _is_int(value) or value < 1:
                raise ValidationError(
                    f"Field `{where}` must be a whole number of at least 1 (got {value!r}).",
                    where=where,
                )
        elif key == "seed":
            if not _is_int(value):
                raise ValidationError(
                    f"Field `{where}` must be a whole number (got {value!r}).", where=where
                )
        elif key == "stop":
            seqs = [value] if isinstance(value, str) else value
            if not isinstance(seqs, list) or not all(isinstance(s, str) and s for s in seqs):
                raise ValidationError(
                    f"Field `{where}` must be a non-empty text or a list of non-empty texts.",
                    where=where,
                )
            if len(seqs) > 4:
                warnings.append(f"`{where}` has {len(seqs)} sequences; OpenAI accepts at most 4.")
        elif key == "reasoning_effort":
            if not isinstance(value, str):
                raise ValidationError(f"Field `{where}` must be text.", where=where)
            if value not in REASONING_EFFORTS:
                warnings.append(
                    f"`{where}` is {value!r}; known values are {', '.join(REASONING_EFFORTS)}."
                )
        elif key == "verbosity":
            if value not in ("low", "medium", "high"):
                raise ValidationError(
                    f"Field `{where}` must be low, medium or high (got {value!r}).", where=where
                )
        elif key in ("logprobs", "parallel_tool_calls"):
            if not isinstance(value, bool):
                raise ValidationError(
                    f"Field `{where}` must be true or false (got {value!r}).", where=where
                )
        elif key == "top_logprobs":
            if not _is_int(value) or not 0 <= value <= 20:
                raise ValidationError(
                    f"Field `{where}` must be a whole number from 0 to 20 (got {value!r}).",
                    where=where,
                )
        elif key == "logit_bias":
            if not isinstance(value, Mapping) or not all(
                isinstance(k, str) and _is_number(v) and -100 <= v <= 100 for k, v in value.items()
            ):
                raise ValidationError(
                    f"Field `{where}` must map token ids to numbers from -100 to 100.",
                    where=where,
                )
        elif key == "tool_choice":
            _check_tool_choice(value, where, tool_names)
        else:
            warnings.append(
                f"`{where}` is not a parameter Studio knows; it is kept and sent as is."
            )
    return warnings


def _check_tool_choice(value: Any, where: str, tool_names: set[str] | None) -> None:
    if value in ("none", "auto", "required"):
        return
    name = None
    if isinstance(value, Mapping) and value.get("type") == "function":
        fn = value.get("function")
        if isinstance(fn, Mapping) and isinstance(fn.get("name"), str):
            name = fn["name"]
    if name is None:
        raise ValidationError(
            f"Field `{where}` must be none, auto, required or "
            '{"type": "function", "function": {"name": ...}}.',
            where=where,
        )
    if tool_names is not None and name not in tool_names:
        raise ValidationError(
            f"Field `{where}` names the tool `{name}`, which is not among the prompt's tools.",
            where=where,
        )


# -- response schema and tools -------------------------------------------------------


def _reject_unknown_keys(obj: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    """Raise for the first key of ``obj`` not in ``allowed`` (``where`` names the field)."""
    extra = next((k for k in obj if k not in allowed), None)
    if extra is not None:
        raise ValidationError(
            f"Field `{where}` has an unknown key `{extra}` (expected {', '.join(allowed)}).",
            where=f"{where}.{extra}",
        )


def _pointer(parts: Any) -> str:
    return "/" + "/".join(str(p) for p in parts) if parts else "/"


def check_json_schema(schema: Any, where: str) -> None:
    """Check ``schema`` against the JSON Schema 2020-12 meta-schema.

    Raises:
        ValidationError: naming ``where`` and the JSON pointer of the bad part.
    """
    if not isinstance(schema, (Mapping, bool)):
        raise ValidationError(f"Field `{where}` must be a JSON Schema object.", where=where)
    # Imported here, not at module level: jsonschema costs ~0.1 s and every prompt
    # import (the app's start-up among them) would pay it without checking a schema
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        pointer = _pointer(exc.path)
        raise ValidationError(
            f"Field `{where}` is not a valid JSON Schema at {pointer}: {exc.message}.",
            where=f"{where}{pointer if pointer != '/' else ''}",
        ) from None


def validate_response_schema(schema: Mapping[str, Any]) -> list[str]:
    """Check the response schema; warn if OpenAI's structured outputs would refuse it."""
    check_json_schema(schema, "response_schema")
    if schema.get("type") != "object":
        return [
            "`response_schema` is not an object schema; OpenAI structured outputs need "
            '"type": "object" at the top.'
        ]
    return []


def _tool_names(tools: list[dict[str, Any]] | None) -> set[str] | None:
    if tools is None:
        return set()
    names = set()
    for tool in tools:
        fn = tool.get("function") if isinstance(tool, Mapping) else None
        if isinstance(fn, Mapping) and isinstance(fn.get("name"), str):
            names.add(fn["name"])
    return names


def validate_tools(tools: list[Any]) -> None:
    """Check OpenAI function tools ``{"type": "function", "function": {...}}``.

    Raises:
        ValidationError: naming ``tools[i]...``.
    """
    seen: set[str] = set()
    for i, tool in enumerate(tools):
        where = f"tools[{i}]"
        if not isinstance(tool, Mapping) or tool.get("type") != "function":
            raise ValidationError(
                f'Field `{where}` must be {{"type": "function", "function": {{...}}}}.',
                where=where,
            )
        _reject_unknown_keys(tool, ("type", "function"), where)
        fn = tool.get("function")
        if not isinstance(fn, Mapping):
            raise ValidationError(f"Field `{where}.function` must be an object.", where=where)
        name = fn.get("name")
        if not isinstance(name, str) or TOOL_NAME_RE.fullmatch(name) is None:
            raise ValidationError(
                f"Field `{where}.function.name` must be 1-64 letters, digits, `_` or `-` "
                f"(got {name!r}).",
                where=f"{where}.function.name",
            )
        if name in seen:
            raise ValidationError(
                f"Field `{where}.function.name`: the tool `{name}` is defined twice.",
                where=f"{where}.function.name",
            )
        seen.add(name)
        _reject_unknown_keys(
            fn, ("name", "description", "parameters", "strict"), f"{where}.function"
        )
        if "description" in fn and not isinstance(fn["description"], str):
            raise ValidationError(
                f"Field `{where}.function.description` must be text.",
                where=f"{where}.function.description",
            )
        if "strict" in fn and not isinstance(fn["strict"], bool):
            raise ValidationError(
                f"Field `{where}.function.strict` must be true or false.",
                where=f"{where}.function.strict",
            )
        if "parameters" in fn:
            params = fn["parameters"]
            check_json_schema(params, f"{where}.function.parameters")
            if not isinstance(params, Mapping) or params.get("type") != "object":
                raise ValidationError(
                    f"Field `{where}.function.parameters` must be an object schema "
                    '("type": "object").',
                    where=f"{where}.function.parameters",
                )
