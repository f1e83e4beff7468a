"""The adjudication queue: overlap rows whose labellers disagreed, and the decisions on them.

A row enters the queue when every labeller assigned to it has labelled it and their
labels differ; it leaves when someone decides (:func:`adjudicate`): the decision is
recorded (who, when, the chosen label and the labels it chose between) and sets the
example's label in one undoable operation, with history. Portable SQL only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, text

from studio.core.datasets.assignment import set_example_labels
from studio.core.datasets.change_sets import Changes
from studio.core.datasets.operation_log import require_dataset
from studio.core.db.dialect import lock_rows
from studio.core.db.engine import db_time
from studio.core.db.project import Project, current_user
from studio.core.db.transactions import read_conn, write_tx
from studio.core.errors import ValidationError

_QUEUE_SQL = (
    "SELECT a.example_id FROM annotation a JOIN example e ON e.id = a.example_id "
    "WHERE a.dataset_id = :d AND a.example_id NOT IN "
    "(SELECT example_id FROM adjudication WHERE dataset_id = :d) "
    "GROUP BY a.example_id HAVING count(*) >= 2 AND count(a.label) = count(*) "
    "AND count(DISTINCT a.label) > 1 ORDER BY a.example_id"
)


@dataclass(frozen=True)
class Disagreement:
    """One row waiting for a decision: its input and each labeller's label."""

    example_id: int
    input: str
    labels: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.example_id, "input": self.input, "labels": self.labels}


def _labels_of(conn: Connection, ids: Sequence[int]) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {}
    for ex in ids:
        for who, label in conn.execute(
            text("SELECT labeller, label FROM annotation WHERE example_id = :e ORDER BY labeller"),
            {"e": ex},
        ):
            out.setdefault(ex, {})[str(who)] = str(label)
    return out


def adjudication_queue(project: Project, dataset_id: int) -> list[Disagreement]:
    """The rows whose labellers disagree and nobody has decided yet, by id."""
    with read_conn(project) as conn:
        ids = [int(r[0]) for r in conn.execute(text(_QUEUE_SQL), {"d": dataset_id})]
        labels = _labels_of(conn, ids)
        inputs = {
            int(r[0]): str(r[1])
            for ex in ids
            for r in conn.execute(
                text("SELECT id, search_text FROM example WHERE id = :i"), {"i": ex}
            )
        }
    return [Disagreement(ex, inputs.get(ex, ""), labels.get(ex, {})) for ex in ids]


@dataclass(frozen=True)
class AdjudicationResult:
    """What :func:`adjudicate` did."""

    decided: tuple[int, ...]
    not_in_queue: tuple[int, ...]
    changes: Changes

    def to_json(self) -> dict[str, Any]:
        return {
            "decided": list(self.decided),
            "not_in_queue": list(self.not_in_queue),
            "op_id": self.changes.op_id,
        }


@dataclass(frozen=True)
class Decision:
    """A recorded decision."""

    example_id: int
    label: str
    labels: dict[str, str]
    decided_by: str
    at: str


def adjudicate(
    project: Project, dataset_id: int, ids: Sequence[int], label: str
) -> AdjudicationResult:
    """Decide the label of disputed rows: record who chose what, when, and set it.

    Ids not in the queue (agreed, undecided by others, already decided) are left
    alone and returned in ``not_in_queue``.

    Raises:
        ValidationError: an empty label or one over 200 characters.
    """
    label = (label or "").strip()
    if not label or len(label) > 200:
        raise ValidationError("A label is 1 to 200 characters.", where="label")
    who = current_user()
    with write_tx(project) as conn:
        require_dataset(conn, dataset_id)
        # A second adjudicator of the same rows waits, then finds them decided
        lock_rows(conn, "SELECT id FROM example WHERE id = ANY(:i) ORDER BY id", {"i": list(ids)})
        queue = {int(r[0]) for r in conn.execute(text(_QUEUE_SQL), {"d": dataset_id})}
        wanted = list(dict.fromkeys(ids))
        decided = [ex for ex in wanted if ex in queue]
        labels = _labels_of(conn, decided)
        now = db_time()
        if decided:
            conn.execute(
                text(
                    "INSERT INTO adjudication (dataset_id, example_id, label, labels_json, "
                    "decided_by, at) VALUES (:d, :e, :l, :j, :w, :now)"
                ),
                [
                    {
                        "d": dataset_id,
                        "e": ex,
                        "l": label,
                        "j": orjson.dumps(labels.get(ex, {})).decode(),
                        "w": who,
                        "now": now,
                    }
                    for ex in decided
                ],
            )
        changes = set_example_labels(
            conn, dataset_id, dict.fromkeys(decided, label), "adjudicate", f'Adjudicate "{label}"'
        )
    return AdjudicationResult(
        tuple(decided), tuple(ex for ex in wanted if ex not in queue), changes
    )


def decisions(project: Project, dataset_id: int) -> list[Decision]:
    """Every recorded decision of a dataset, oldest first."""
    with read_conn(project) as conn:
        rows = conn.execute(
            text(
                "SELECT example_id, label, labels_json, decided_by, at FROM adjudication "
                "WHERE dataset_id = :d ORDER BY id"
            ),
            {"d": dataset_id},
        ).all()
    return [
        Decision(int(r[0]), str(r[1]), orjson.loads(r[2]), str(r[3]), str(r[4])[:19]) for r in rows
    ]
