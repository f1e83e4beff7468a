"""The guided form's answers: what the user wants, at what volume, under which constraints.

The same fields make up the CLI answers file (``studio decide --answers FILE``) and the
JSON the project stores, so a decision can be re-run later with the same inputs.
Unknown keys are rejected (a typo would otherwise silently become a default).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.core.errors import UserError
from studio.core.json_depth import check_text_depth, too_deep_message

#: What must change, one value per row of the decision table.
CHANGE_KINDS: tuple[str, ...] = (
    "format_structure",
    "tone_style",
    "knowledge_facts",
    "long_procedure",
    "narrow_high_volume",
    "next_step_decisions",
)
#: How often the facts the task relies on change.
KNOWLEDGE_CHANGES: tuple[str, ...] = ("never", "rarely", "monthly", "weekly", "daily")
#: Knowledge that changes at least this often goes stale inside a fine-tune quickly.
FAST_CHANGING_KNOWLEDGE: frozenset[str] = frozenset({"weekly", "daily"})
SENSITIVITIES: tuple[str, ...] = ("public", "internal", "confidential", "regulated")
RESIDENCIES: tuple[str, ...] = ("any", "eu", "us", "on_prem")
PLATFORM_IDS: tuple[str, ...] = ("openai", "vertex", "bedrock", "together", "local")
#: Answers to :data:`OPENAI_ACCESS_QUESTION`.
OPENAI_ACCESS: tuple[str, ...] = ("yes", "no", "unknown")
#: OpenAI closed fine-tuning to new organisations on 2026-05-07 and takes no new jobs
#: from 2027-01-06 (docs/decision-facts.md §1); only the team knows whether its
#: organisation is among those still allowed.
OPENAI_ACCESS_QUESTION = "Can your organisation still start OpenAI fine-tuning jobs?"

#: The answers file's fields, in the order the form asks them.
ANSWER_FIELDS: tuple[str, ...] = (
    "must_change",
    "knowledge_changes",
    "calls_per_day",
    "latency_target_p95_ms",
    "data_sensitivity",
    "residency",
    "allowed_platforms",
    "openai_fine_tuning_access",
    "quality_target",
    "current_model",
    "candidate_model",
)


@dataclass(frozen=True, slots=True)
class DecisionAnswers:
    """What the user told the guided form.

    Attributes:
        must_change: the kinds of change wanted (values of :data:`CHANGE_KINDS`).
        knowledge_changes: how often the underlying facts change (:data:`KNOWLEDGE_CHANGES`).
        calls_per_day: expected calls a day in production (None = unknown).
        latency_target_p95_ms: the p95 latency the product needs (None = no target).
        data_sensitivity: one of :data:`SENSITIVITIES`.
        residency: where data may be processed, one of :data:`RESIDENCIES`.
        allowed_platforms: fine-tuning platforms the organisation may use, in order of
            preference (values of :data:`PLATFORM_IDS`); empty means no restriction:
            every platform in the catalogue is considered (:meth:`platforms_considered`).
        openai_fine_tuning_access: the answer to :data:`OPENAI_ACCESS_QUESTION`, one of
            :data:`OPENAI_ACCESS`; anything but "yes" rules OpenAI fine-tuning out once it
            is closed to new organisations.
        quality_target: the score needed on the test split, 0–1 (None = not set).
        current_model: the model the prompt runs on today (a price-table key).
        candidate_model: the smaller model that could be fine-tuned (a price-table key).
    """

    must_change: frozenset[str] = field(default_factory=frozenset)
    knowledge_changes: str = "rarely"
    calls_per_day: float | None = None
    latency_target_p95_ms: float | None = None
    data_sensitivity: str = "internal"
    residency: str = "any"
    allowed_platforms: tuple[str, ...] = ()
    openai_fine_tuning_access: str = "unknown"
    quality_target: float | None = None
    current_model: str | None = None
    candidate_model: str | None = None

    def wants(self, kind: str) -> bool:
        """True when ``kind`` (a :data:`CHANGE_KINDS` value) was ticked."""
        return kind in self.must_change

    def platforms_considered(self, catalogue: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        """The platforms to weigh: the allowed ones, or every one in ``catalogue`` when the
        user allowed none in particular (no restriction is not a ban)."""
        return self.allowed_platforms if self.allowed_platforms else tuple(catalogue)

    def to_dict(self) -> dict[str, Any]:
        """The answers as a JSON-ready dict with exactly :data:`ANSWER_FIELDS` keys."""
        return {
            "must_change": [k for k in CHANGE_KINDS if k in self.must_change],
            "knowledge_changes": self.knowledge_changes,
            "calls_per_day": self.calls_per_day,
            "latency_target_p95_ms": self.latency_target_p95_ms,
            "data_sensitivity": self.data_sensitivity,
            "residency": self.residency,
            "allowed_platforms": list(self.allowed_platforms),
            "openai_fine_tuning_access": self.openai_fine_tuning_access,
            "quality_target": self.quality_target,
            "current_model": self.current_model,
            "candidate_model": self.candidate_model,
        }

    def to_json(self) -> str:
        """The answers as JSON text (what the project stores and the CLI reads)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "the answers") -> DecisionAnswers:
        """Build answers from a mapping, checking every field.

        Args:
            data: the parsed answers (missing keys take their defaults).
            source: how to name the input in error messages (e.g. a file path).

        Raises:
            UserError: naming the field at fault and what was expected.
        """
        if not isinstance(data, Mapping):
            raise UserError(
                f"{source} must be a JSON object with the fields {', '.join(ANSWER_FIELDS)}.",
                where=source,
            )
        unknown = sorted(str(k) for k in data if k not in ANSWER_FIELDS)
        if unknown:
            raise UserError(
                f"{source}: unknown field '{unknown[0]}'; the allowed fields are "
                f"{', '.join(ANSWER_FIELDS)}.",
                where=unknown[0],
            )
        return cls(
            must_change=frozenset(_choices(data, "must_change", CHANGE_KINDS, source)),
            knowledge_changes=_choice(
                data, "knowledge_changes", KNOWLEDGE_CHANGES, "rarely", source
            ),
            calls_per_day=_number(data, "calls_per_day", source, minimum=0.0),
            latency_target_p95_ms=_number(
                data, "latency_target_p95_ms", source, minimum=0.0, exclusive=True
            ),
            data_sensitivity=_choice(data, "data_sensitivity", SENSITIVITIES, "internal", source),
            residency=_choice(data, "residency", RESIDENCIES, "any", source),
            allowed_platforms=tuple(_choices(data, "allowed_platforms", PLATFORM_IDS, source)),
            openai_fine_tuning_access=_choice(
                data, "openai_fine_tuning_access", OPENAI_ACCESS, "unknown", source
            ),
            quality_target=_number(data, "quality_target", source, minimum=0.0, maximum=1.0),
            current_model=_model(data, "current_model", source),
            candidate_model=_model(data, "candidate_model", source),
        )

    @classmethod
    def from_json(cls, text: str, *, source: str = "the answers") -> DecisionAnswers:
        """Parse JSON text (see :meth:`from_dict`); bad JSON names the line and column."""
        check_text_depth(text, source)
        try:
            data = json.loads(text)
        except RecursionError:  # the depth check above makes this unreachable in practice
            raise UserError(too_deep_message(source, None), where=source) from None
        except json.JSONDecodeError as exc:
            raise UserError(
                f"{source} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
                where=f"{source}:{exc.lineno}",
            ) from exc
        return cls.from_dict(data, source=source)


# Reading and parsing pair by shape with prompts/files.py and db/project.py (duplicates
# report): each maps OSError/JSON errors to its own error class and sentence for its file.
def load_answers(path: str | Path) -> DecisionAnswers:
    """Read an answers file (the CLI's ``--answers``).

    Raises:
        UserError: the file is missing/unreadable, is not JSON, or a field is wrong
            (the message names the field).
    """
    p = Path(path)
    try:
        # The error mapping pairs by shape with db/project.py's header read (duplicates report):
        # different files, errors and messages.
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise UserError(f"The answers file {p} does not exist.", where=str(p)) from exc
    except UnicodeDecodeError as exc:
        raise UserError(f"The answers file {p} is not UTF-8 text.", where=str(p)) from exc
    except OSError as exc:
        raise UserError(
            f"The answers file {p} cannot be read: {exc.strerror}.", where=str(p)
        ) from exc
    return DecisionAnswers.from_json(text, source=f"The answers file {p}")


def _bad(source: str, name: str, expected: str, value: Any) -> UserError:
    shown = json.dumps(value, default=str, ensure_ascii=False)
    if len(shown) > 80:  # a huge value would bury the sentence
        shown = shown[:77] + "..."
    return UserError(f"{source}: field '{name}' must be {expected}, not {shown}.", where=name)


def _choice(
    data: Mapping[str, Any], name: str, allowed: tuple[str, ...], default: str, source: str
) -> str:
    value = data.get(name, default)
    if value is None:
        return default
    if not isinstance(value, str) or value not in allowed:
        raise _bad(source, name, "one of " + ", ".join(allowed), value)
    return value


def _choices(
    data: Mapping[str, Any], name: str, allowed: tuple[str, ...], source: str
) -> list[str]:
    value = data.get(name, [])
    if value is None:
        return []
    expected = "a list of " + ", ".join(allowed)
    if not isinstance(value, list):
        raise _bad(source, name, expected, value)
    out: list[str] = []
    for item in value:
        if not isinstance(item, str) or item not in allowed:
            raise _bad(source, name, expected, item)
        if item not in out:
            out.append(item)
    return out


def _number(
    data: Mapping[str, Any],
    name: str,
    source: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    exclusive: bool = False,
) -> float | None:
    value = data.get(name)
    if value is None:
        return None
    if minimum is not None and maximum is not None:
        expected = f"a number from {minimum:g} to {maximum:g}"
    elif minimum is not None:
        expected = (
            f"a number above {minimum:g}" if exclusive else f"a number of {minimum:g} or more"
        )
    else:
        expected = "a number"
    # bool is an int subclass; "calls_per_day": true is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(source, name, expected, value)
    number = float(value)
    if not math.isfinite(number):
        raise _bad(source, name, expected, value)
    if minimum is not None and (number < minimum or (exclusive and number == minimum)):
        raise _bad(source, name, expected, value)
    if maximum is not None and number > maximum:
        raise _bad(source, name, expected, value)
    return number


def _model(data: Mapping[str, Any], name: str, source: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _bad(source, name, "a model name (text) or null", value)
    return value.strip()
