"""Many labellers on one dataset: split the unlabelled rows, label from one's own queue.

``assign`` splits a dataset's unlabelled, unassigned examples among named labellers by
counts (``alice=100``) or shares (``alice=60%``), and gives an ``overlap`` share of them
to a second labeller too, so agreement can be measured (:mod:`.agreement`). Each
assignment is an ``annotation`` row (label NULL until done).

Labelling is blind: :func:`record_labels` stores a labeller's label on their own
annotation row. An example assigned to one labeller gets that label at once; an overlap
example gets it only when every assigned labeller has labelled it and they agree; when
they disagree it waits in the adjudication queue (:mod:`.adjudication`). Nobody sees
another labeller's label before that: the example's label stays empty.

All SQL here is portable (no SQLite-only functions): the same core runs on PostgreSQL.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, text

from studio.core.datasets.change_sets import Changes, nothing
from studio.core.datasets.curation import write_example_fields
from studio.core.datasets.operation_log import finish_operation, new_operation, require_dataset
from studio.core.db.dialect import lock_rows
from studio.core.db.engine import db_time
from studio.core.db.project import Project, current_user
from studio.core.db.transactions import read_conn, write_tx
from studio.core.errors import StaleEditError, ValidationError

_SHARE = re.compile(r"^\s*([^=]+?)\s*=\s*([0-9]+(?:\.[0-9]+)?)\s*(%?)\s*$")


@dataclass(frozen=True)
class LabellerShare:
    """One ``--to NAME=AMOUNT``: a count of rows, or a share (0–1) of the unlabelled rows."""

    name: str
    amount: float
    is_share: bool


def parse_share(value: str) -> LabellerShare:
    """``alice=60%`` (a share) or ``alice=100`` (a count).

    Raises:
        ValidationError: not NAME=COUNT or NAME=PERCENT%, a share above 100%, a name
            longer than 200 characters.
    """
    m = _SHARE.match(value)
    if m is None:
        raise ValidationError(
            f"--to takes NAME=COUNT or NAME=PERCENT% such as alice=60% (got {value!r}).",
            where="--to",
        )
    name, number, pct = m.group(1), float(m.group(2)), m.group(3)
    if len(name) > 200:
        raise ValidationError("A labeller name has at most 200 characters.", where="--to")
    if pct:
        if number > 100:
            raise ValidationError(f"--to {value}: a share is at most 100%.", where="--to")
        return LabellerShare(name, number / 100.0, True)
    if number != int(number):
        raise ValidationError(
            f"--to {value}: a count is a whole number (add % for a share).", where="--to"
        )
    return LabellerShare(name, float(int(number)), False)


@dataclass(frozen=True)
class AssignResult:
    """What :func:`assign` did.

    Attributes:
        pool: unlabelled examples that had no labeller before.
        assigned: rows per labeller (overlap rows count for both of their labellers).
        examples: distinct examples assigned.
        overlap: examples assigned to two labellers.
    """

    pool: int
    assigned: dict[str, int]
    examples: int
    overlap: int

    def to_json(self) -> dict[str, Any]:
        return {
            "pool": self.pool,
            "assigned": self.assigned,
            "examples": self.examples,
            "overlap": self.overlap,
        }


def _split_counts(shares: Sequence[LabellerShare], pool: int) -> list[int]:
    """Rows per labeller: counts as given, shares by largest remainder of ``pool``."""
    if not shares[0].is_share:
        return [int(s.amount) for s in shares]
    exact = [s.amount * pool for s in shares]
    counts = [int(x) for x in exact]
    target = min(pool, round(sum(exact)))
    order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: max(0, target - sum(counts))]:
        counts[i] += 1
    return counts


def assign(
    project: Project,
    dataset_id: int,
    to: Sequence[LabellerShare],
    *,
    overlap: float = 0.0,
    seed: int = 0,
) -> AssignResult:
    """Split the unlabelled, unassigned examples among labellers (one transaction).

    The rows are shuffled with ``seed`` and cut into one slice per labeller (counts, or
    shares of all such rows by largest remainder); then ``overlap`` (0–1) of the
    assigned rows also go to a second labeller, taking the other labellers in turn.

    Raises:
        ValidationError: no labeller, a name twice, counts mixed with shares, shares
            above 100%, more rows asked for than there are, overlap out of 0–1 or with
            one labeller.
    """
    if not to:
        raise ValidationError("Name at least one labeller (--to NAME=SHARE).", where="--to")
    names = [s.name for s in to]
    if len(set(names)) != len(names):
        raise ValidationError("Each labeller is named once.", where="--to")
    if len({s.is_share for s in to}) > 1:
        raise ValidationError(
            "Give every labeller a count (alice=100) or every one a share (alice=60%), not a mix.",
            where="--to",
        )
    if to[0].is_share and sum(s.amount for s in to) > 1.0 + 1e-9:
        raise ValidationError("The shares add up to more than 100%.", where="--to")
    if not 0.0 <= overlap <= 1.0:
        raise ValidationError("--overlap is a share from 0 to 1.", where="--overlap")
    if overlap > 0 and len(to) < 2:
        raise ValidationError(
            "Overlap rows are labelled by two people: name at least two labellers.",
            where="--overlap",
        )
    with write_tx(project) as conn:
        require_dataset(conn, dataset_id)
        pool = [
            int(r[0])
            for r in conn.execute(
                text(
                    "SELECT id FROM example WHERE dataset_id = :d AND label IS NULL AND id NOT IN "
                    "(SELECT example_id FROM annotation WHERE dataset_id = :d) ORDER BY id"
                ),
                {"d": dataset_id},
            )
        ]
        counts = _split_counts(to, len(pool))
        if sum(counts) > len(pool):
            raise ValidationError(
                f"The counts add up to {sum(counts):,} rows but only {len(pool):,} "
                "unlabelled rows have no labeller yet.",
                where="--to",
            )
        rng = random.Random(seed)
        rng.shuffle(pool)
        primary: list[tuple[int, str]] = []
        start = 0
        for share, n in zip(to, counts, strict=True):
            primary += [(ex, share.name) for ex in pool[start : start + n]]
            start += n
        n_overlap = round(overlap * len(primary))
        doubled = rng.sample(range(len(primary)), n_overlap) if n_overlap else []
        second: dict[int, str] = {}
        turn: dict[str, int] = {}
        for idx in sorted(doubled):
            ex, first = primary[idx]
            others = [n for n in names if n != first]
            k = turn.get(first, 0)
            turn[first] = k + 1
            second[ex] = others[k % len(others)]
        now = db_time()
        rows = [
            {
                "d": dataset_id,
                "e": ex,
                "w": who,
                "o": ex in second,
                "now": now,
            }
            for ex, who in primary
        ] + [
            {"d": dataset_id, "e": ex, "w": who, "o": True, "now": now}
            for ex, who in second.items()
        ]
        if rows:
            conn.execute(
                text(
                    "INSERT INTO annotation (dataset_id, example_id, labeller, label, overlap, "
                    "assigned_at, at) VALUES (:d, :e, :w, NULL, :o, :now, NULL)"
                ),
                rows,
            )
    per: dict[str, int] = {n: 0 for n in names}
    for r in rows:
        per[str(r["w"])] += 1
    return AssignResult(len(pool), per, len(primary), len(second))


def queue_ids(project: Project, dataset_id: int, labeller: str) -> list[int]:
    """The examples assigned to ``labeller`` that they have not labelled yet, by id."""
    with read_conn(project) as conn:
        return [
            int(r[0])
            for r in conn.execute(
                text(
                    "SELECT a.example_id FROM annotation a JOIN example e ON e.id = a.example_id "
                    "WHERE a.dataset_id = :d AND a.labeller = :w AND a.label IS NULL "
                    "ORDER BY a.example_id"
                ),
                {"d": dataset_id, "w": labeller},
            )
        ]


@dataclass(frozen=True)
class QueueProgress:
    """One labeller's queue: assigned, done, left."""

    labeller: str
    assigned: int
    done: int

    @property
    def left(self) -> int:
        return self.assigned - self.done


def queue_progress(project: Project, dataset_id: int) -> list[QueueProgress]:
    """Every labeller's progress on a dataset, by name."""
    with read_conn(project) as conn:
        rows = conn.execute(
            text(
                "SELECT labeller, count(*), count(label) FROM annotation WHERE dataset_id = :d "
                "GROUP BY labeller ORDER BY labeller"
            ),
            {"d": dataset_id},
        ).all()
    return [QueueProgress(str(r[0]), int(r[1]), int(r[2])) for r in rows]


@dataclass(frozen=True)
class LabelResult:
    """What :func:`record_labels` did.

    Attributes:
        recorded: examples whose annotation now holds the label.
        not_assigned: ids not in the labeller's assignments (nothing stored for them).
        set_on_example: examples whose label was set (single-labeller rows, agreements).
        waiting: overlap examples another labeller has still to label.
        to_adjudicate: overlap examples whose labellers disagree.
        changes: the operation that set example labels (nothing when none was set).
    """

    recorded: tuple[int, ...]
    not_assigned: tuple[int, ...]
    set_on_example: tuple[int, ...]
    waiting: tuple[int, ...]
    to_adjudicate: tuple[int, ...]
    changes: Changes = field(default_factory=lambda: nothing("Label"))

    def to_json(self) -> dict[str, Any]:
        return {
            "recorded": len(self.recorded),
            "not_assigned": list(self.not_assigned),
            "set_on_example": len(self.set_on_example),
            "waiting_for_others": len(self.waiting),
            "to_adjudicate": list(self.to_adjudicate),
            "op_id": self.changes.op_id,
        }


def set_example_labels(
    conn: Connection,
    dataset_id: int,
    labels: dict[int, str],
    kind: str,
    verb: str,
    expected: dict[int, int] | None = None,
) -> Changes:
    """Set each example's label (and, in classification, its ideal output) in one operation.

    Each row is a compare-and-set on the version read here (or ``expected``'s), so a
    change another writer made in between refuses the whole operation.
    """
    _, _, task = require_dataset(conn, dataset_id)
    is_cls = task == "classification"
    current: dict[int, Any] = {}
    for ex in labels:
        row = conn.execute(
            text("SELECT id, version, label, ideal_output, output_kind FROM example WHERE id = :i"),
            {"i": ex},
        ).first()
        if row is not None:
            current[ex] = row
    todo: dict[int, dict[str, Any]] = {}
    for ex, label in labels.items():
        row = current.get(ex)
        if row is None:
            continue
        after: dict[str, Any] = {"label": label}
        if is_cls:
            after |= {"ideal_output": label, "output_kind": "text"}
        before = dict(row._mapping)
        diff = {k: v for k, v in after.items() if before.get(k) != v}
        if diff:
            todo[ex] = diff
    if not todo:
        return nothing(verb)
    if is_cls:
        _add_to_label_set(conn, dataset_id, set(labels.values()))
    op_id = new_operation(conn, dataset_id, kind, verb)
    for ex, diff in todo.items():
        version = (expected or {}).get(ex, int(current[ex].version))
        write_example_fields(
            conn, dataset_id, op_id, ex, dict(current[ex]._mapping), diff, expected_version=version
        )
    ids = tuple(sorted(todo))
    description = f"{verb} on {len(ids):,} example{'s' if len(ids) != 1 else ''}"
    finish_operation(conn, op_id, len(ids), description)
    fields = frozenset(k for d in todo.values() for k in d)
    return Changes(op_id, description, ids, fields)


def _add_to_label_set(conn: Connection, dataset_id: int, labels: set[str]) -> None:
    known = orjson.loads(
        conn.execute(
            text("SELECT label_set_json FROM dataset WHERE id = :d"), {"d": dataset_id}
        ).scalar_one()
    )
    new = [lb for lb in sorted(labels) if lb not in known]
    if new:
        conn.execute(
            text("UPDATE dataset SET label_set_json = :l WHERE id = :d"),
            {"l": orjson.dumps(known + new).decode(), "d": dataset_id},
        )


def record_labels(
    project: Project,
    dataset_id: int,
    ids: Sequence[int],
    label: str,
    *,
    labeller: str | None = None,
    expected_version: int | None = None,
) -> LabelResult:
    """Store ``labeller``'s (default: the current user's) label on their assigned rows.

    One transaction. Rows that only they label, and overlap rows on which every
    labeller now agrees, get the label on the example (one undoable operation); overlap
    rows still waiting for others keep their example label empty (blind); overlap rows
    with different labels go to the adjudication queue.

    ``expected_version`` (with one id) is the example version the labeller read; a
    newer version refuses the label with :class:`StaleEditError`.

    Raises:
        ValidationError: an empty label or one over 200 characters.
        StaleEditError: the example changed since ``expected_version``.
    """
    label = (label or "").strip()
    if not label or len(label) > 200:
        raise ValidationError("A label is 1 to 200 characters.", where="label")
    who = labeller or current_user()
    with write_tx(project) as conn:
        require_dataset(conn, dataset_id)
        if expected_version is not None:
            if len(ids) != 1:
                raise ValidationError(
                    "An expected version goes with exactly one example id.", where="version"
                )
            version = conn.execute(
                text("SELECT version FROM example WHERE id = :i AND dataset_id = :d"),
                {"i": ids[0], "d": dataset_id},
            ).scalar()
            if version is not None and int(version) != expected_version:
                from studio.core.datasets.curation import stale_edit_error

                raise stale_edit_error(conn, ids[0], expected_version)
        # Two labellers of one overlap row must not both see the other's label missing
        lock_rows(conn, "SELECT id FROM example WHERE id = ANY(:i) ORDER BY id", {"i": list(ids)})
        now = db_time()
        recorded: list[int] = []
        missing: list[int] = []
        for ex in dict.fromkeys(ids):
            result = conn.execute(
                text(
                    "UPDATE annotation SET label = :l, at = :now WHERE dataset_id = :d "
                    "AND example_id = :e AND labeller = :w"
                ),
                {"l": label, "now": now, "d": dataset_id, "e": ex, "w": who},
            )
            (recorded if result.rowcount == 1 else missing).append(ex)
        settle: dict[int, str] = {}
        waiting: list[int] = []
        disputed: list[int] = []
        for ex in recorded:
            given = [
                r[0]
                for r in conn.execute(
                    text("SELECT label FROM annotation WHERE example_id = :e"), {"e": ex}
                )
            ]
            if any(g is None for g in given):
                waiting.append(ex)
            elif len(set(given)) == 1:
                settle[ex] = label
            else:
                disputed.append(ex)
        expected = {ids[0]: expected_version} if expected_version is not None else None
        changes = set_example_labels(
            conn, dataset_id, settle, "annotate", f'Label "{label}" ({who})', expected
        )
    return LabelResult(
        tuple(recorded),
        tuple(missing),
        changes.example_ids,
        tuple(waiting),
        tuple(disputed),
        changes,
    )


__all__ = [
    "AssignResult",
    "LabelResult",
    "LabellerShare",
    "QueueProgress",
    "StaleEditError",
    "assign",
    "parse_share",
    "queue_ids",
    "queue_progress",
    "record_labels",
    "set_example_labels",
]
