"""A reason: one traceable claim behind a recommendation.

Every sentence the decision report makes is a :class:`Reason` that names where its
number came from (an answer in the guided form, a measured piece of evidence, the dated
price table or a dated platform fact) and the field and value it rests on, so a reader
can check it without the app.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

ReasonSource = Literal["answer", "evidence", "price_table", "platform_fact"]
REASON_SOURCES: tuple[ReasonSource, ...] = ("answer", "evidence", "price_table", "platform_fact")


# Its to_dict spells its keys out like the other records' to_json (duplicates report pairs it
# with datasets/operations, decide/decision, evals/run_state, export/fit): see the note at
# formats/common.Finding.
@dataclass(frozen=True, slots=True)
class Reason:
    """One claim with its provenance.

    Attributes:
        text: the sentence shown to the reader, with its number in it.
        source: where the number comes from.
        field: the answer/evidence field, price-table entry or platform fact id.
        value: the value the claim rests on (a number, a string, a date, ...).
    """

    text: str
    source: ReasonSource
    field: str
    value: Any

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``{"text", "source", "field", "value"}``."""
        return {
            "text": self.text,
            "source": self.source,
            "field": self.field,
            "value": jsonable(self.value),
        }


def jsonable(value: Any) -> Any:
    """Turn dates, sets, tuples and non-finite floats into plain JSON values."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return jsonable(to_dict())
    return str(value)
