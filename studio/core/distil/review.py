"""Accept, edit or reject teacher candidates, each as one undoable dataset operation.

Accepting a candidate (ISSUE 13 §3) makes the teacher's answer the example's ideal
output and approves the row: for a classification dataset the ideal output is the
label read from the answer the way the ``label`` scorer reads it
(:meth:`studio.core.evals.scorers.LabelMatch.extract` over the dataset's labels); for
json/tool-call answers it is the answer's JSON text. The example gets
``ideal_source = "teacher"`` and ``status = "approved"``; the candidate ``accepted``
with who decided and when. Rejecting marks the candidate ``rejected``; the row is left
as it was (no ideal output is written).

Every action is ONE ``operation`` with its ``example_history`` rows (the changed
example columns, ``ideal_source`` and ``candidate:<id>``, see
:mod:`studio.core.datasets.side_fields`), so ``studio dataset undo`` and the app's Undo
reverse it, candidate statuses included, and ``studio dataset history`` lists it
("Accept 120 teacher outputs").

Rules:

* An approved example whose ideal output a human wrote (``ideal_source`` "human" or
  unknown) is never overwritten: such candidates are skipped (``"human_approved"``).
* ``only_valid`` (the default) skips failed candidates and answers that broke the
  response schema (``"invalid"``).
* ``min_agreement`` keeps candidates whose agreement is at least that (accept) or
  below it (reject); a candidate whose agreement was not measured is skipped
  (``"no_agreement"``): agreement is a share of samples, so it is never guessed.
* ``min_judge`` (accept) keeps candidates whose judge score is at least that; an
  unscored candidate is skipped (``"no_judge"``), a lower one ``"below_judge"``. The
  result counts the accepted candidates by the judge that scored them
  (``ReviewResult.judges``); more than one judge means the threshold was applied to
  scores of different scales, and ``mixed_judges`` says so (the CLI prints it on
  standard error, the app in its status line).
* Without ``candidate_ids`` an action considers each example's current candidate (its
  newest); accept takes pending (and, when asked for, failed) ones, reject pending
  ones. Named ``candidate_ids`` may also accept a rejected candidate (a change of mind).
* ``audit`` candidates (the teacher's answers on rows with a human ideal, asked only to
  measure it) are never accepted, edited or rejected: skipped as ``"audit"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, text

from studio.core.datasets.catalog import DatasetInfo, get_dataset_in
from studio.core.datasets.curation import _validate_output
from studio.core.datasets.operation_log import finish_operation, new_operation
from studio.core.datasets.side_fields import (
    IDEAL_SOURCE_FIELD,
    candidate_field,
    candidate_state,
)
from studio.core.db.dialect import driver, is_postgresql, json_ids_sql
from studio.core.db.engine import db_time
from studio.core.db.project import Project, current_user
from studio.core.db.transactions import retry_write
from studio.core.distil.run_judge import judge_mix, mixed_judges_sentence
from studio.core.errors import NotFoundError, ValidationError
from studio.core.evals.scorers import LabelMatch


@dataclass(frozen=True)
class ReviewResult:
    """What one review action did.

    Attributes:
        op_id: the dataset operation recorded (None when nothing changed).
        changed: how many candidates changed status.
        skipped: reason -> how many considered candidates were left as they were
            (``human_approved``, ``invalid``, ``no_output``, ``below_agreement``,
            ``at_or_above_agreement``, ``no_agreement``, ``no_label``,
            ``schema_mismatch``, ``already_accepted``, ``already_rejected``,
            ``rejected``, ``failed``, ``same_example``).
        example_ids: the examples whose rows (or candidates) changed.
        description: the operation's description ("Accept 120 teacher outputs").
        judges: accept with ``min_judge``: the accepted candidates by the judge that
            scored them (``"grader@2 (model)"`` or ``"judge not recorded"`` -> count).
    """

    op_id: int | None
    changed: int
    skipped: dict[str, int]
    example_ids: tuple[int, ...] = ()
    description: str = ""
    judges: dict[str, int] = field(default_factory=dict)

    @property
    def mixed_judges(self) -> str:
        """A warning naming the judges and counts when more than one scored the accepted
        candidates; "" otherwise."""
        return mixed_judges_sentence(self.judges, "accepted candidates' judge scores")

    def to_json(self) -> dict[str, Any]:
        """The CLI's JSON shape (``judges`` only when a judge score was used)."""
        out: dict[str, Any] = {
            "op_id": self.op_id,
            "changed": self.changed,
            "skipped": dict(sorted(self.skipped.items())),
            "examples": len(self.example_ids),
            "description": self.description,
        }
        if self.judges:
            out["judges"] = dict(self.judges)
        return out


# The candidate and example columns a decision reads
_COLS = (
    "c.id, c.example_id, c.status, c.output, c.output_kind, c.label, c.agreement, c.valid, "
    "c.decided_at, c.decided_by, e.status, e.ideal_output, e.ideal_source, e.label, "
    "e.output_kind, c.judge_score, c.judge_ref, c.judge_model"
)


@dataclass
class _Cand:
    id: int
    example_id: int
    status: str
    output: str | None
    output_kind: str
    label: str | None
    agreement: float | None
    valid: bool
    decided_at: Any
    decided_by: str
    ex_status: str
    ex_ideal: str | None
    ex_source: str
    ex_label: str | None
    ex_kind: str
    judge_score: float | None = None
    judge_ref: str | None = None
    judge_model: str | None = None

    def human_approved(self) -> bool:
        has_ideal = self.ex_ideal is not None or self.ex_label is not None
        return self.ex_status == "approved" and has_ideal and self.ex_source != "teacher"


def _ids_json(ids: Sequence[int]) -> str:
    return orjson.dumps([int(i) for i in ids]).decode()


def _select(
    conn: Connection,
    dataset_id: int,
    candidate_ids: Sequence[int] | None,
    example_ids: Sequence[int] | None,
) -> list[_Cand]:
    """The candidates an action considers, by example then id."""
    where = ["c.dataset_id = :d"]
    params: dict[str, Any] = {"d": dataset_id}
    pg = is_postgresql(conn)
    if candidate_ids is not None:
        where.append(f"c.id IN ({json_ids_sql('cids', postgresql=pg)})")
        params["cids"] = _ids_json(candidate_ids)
    else:
        where.append(
            "c.id IN (SELECT max(id) FROM candidate WHERE dataset_id = :d GROUP BY example_id)"
        )
    if example_ids is not None:
        where.append(f"c.example_id IN ({json_ids_sql('eids', postgresql=pg)})")
        params["eids"] = _ids_json(example_ids)
    rows = conn.execute(
        text(
            f"SELECT {_COLS} FROM candidate c JOIN example e ON e.id = c.example_id "
            f"WHERE {' AND '.join(where)} ORDER BY c.example_id, c.id"
        ),
        params,
    ).all()
    return [
        _Cand(
            id=int(r[0]),
            example_id=int(r[1]),
            status=str(r[2]),
            output=r[3],
            output_kind=str(r[4] or "text"),
            label=r[5],
            agreement=None if r[6] is None else float(r[6]),
            valid=bool(r[7]),
            decided_at=r[8],
            decided_by=r[9] or "",
            ex_status=str(r[10]),
            ex_ideal=r[11],
            ex_source=r[12] or "",
            ex_label=r[13],
            ex_kind=str(r[14] or "text"),
            judge_score=None if r[15] is None else float(r[15]),
            judge_ref=r[16] or None,
            judge_model=r[17] or None,
        )
        for r in rows
    ]


def _check_agreement(min_agreement: float | None) -> None:
    if min_agreement is not None and not 0.0 <= min_agreement <= 1.0:
        raise ValidationError(
            f"An agreement is a share from 0 to 1 (got {min_agreement}).", where="min_agreement"
        )


def _plural(n: int) -> str:
    return f"{n:,} teacher output{'' if n == 1 else 's'}"


class _Writer:
    """Collects one operation's example updates, history rows and candidate decisions."""

    def __init__(self, conn: Connection, dataset_id: int, actor: str) -> None:
        self.conn = conn
        self.dataset_id = dataset_id
        self.actor = actor
        self.now = db_time()
        self.history: list[tuple[Any, ...]] = []
        self.examples: list[tuple[int, dict[str, Any]]] = []
        self.decisions: list[tuple[str, str, str, int]] = []
        self.example_ids: set[int] = set()

    def set_example(self, c: _Cand, new: dict[str, Any]) -> None:
        before = {
            "ideal_output": c.ex_ideal,
            "output_kind": c.ex_kind,
            "label": c.ex_label,
            "status": c.ex_status,
            IDEAL_SOURCE_FIELD: c.ex_source,
        }
        diff = {k: v for k, v in new.items() if before[k] != v}
        for k, v in diff.items():
            self._history(c.example_id, k, before[k], v)
        if diff:
            self.examples.append((c.example_id, diff))

    def decide(self, c: _Cand, status: str) -> None:
        self._history(
            c.example_id,
            candidate_field(c.id),
            candidate_state(c.status, c.decided_at, c.decided_by),
            candidate_state(status, self.now, self.actor),
        )
        self.decisions.append((status, self.now, self.actor, c.id))

    def _history(self, example_id: int, field: str, before: Any, after: Any) -> None:
        self.example_ids.add(example_id)
        self.history.append(
            (
                example_id,
                self.dataset_id,
                field,
                orjson.dumps(before).decode(),
                orjson.dumps(after).decode(),
                self.actor,
                self.now,
            )
        )

    def commit(self, kind: str, description: str) -> int:
        """Record the operation and write everything; returns the operation id."""
        conn = self.conn
        op_id = new_operation(conn, self.dataset_id, kind, description, len(self.decisions))
        conn.execute(
            text("UPDATE operation SET actor = :a WHERE id = :o"), {"a": self.actor, "o": op_id}
        )
        raw: Any = driver(conn)  # sqlite3-style "?" SQL on either backend
        raw.executemany(
            "INSERT INTO example_history (example_id, dataset_id, op_id, field, before_json, "
            "after_json, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(h[0], h[1], op_id, *h[2:]) for h in self.history],
        )
        # Group the example updates by the set of columns they change (few shapes)
        shapes: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for ex_id, diff in self.examples:
            cols = tuple(sorted(diff))
            shapes.setdefault(cols, []).append(
                (*(diff[c] for c in cols), self.now, self.actor, ex_id)
            )
        for cols, rows in shapes.items():
            sets = ", ".join(f"{c} = ?" for c in cols)
            # Every change bumps the row version and names its author (ISSUE-14 §3), so a
            # labeller still holding the old version is refused instead of overwriting
            raw.executemany(
                f"UPDATE example SET {sets}, updated_at = ?, version = version + 1, "
                "updated_by = ? WHERE id = ?",
                rows,
            )
        raw.executemany(
            "UPDATE candidate SET status = ?, decided_at = ?, decided_by = ? WHERE id = ?",
            self.decisions,
        )
        finish_operation(conn, op_id, len(self.decisions), description)
        return op_id


def _new_ideal(
    conn: Connection, info: DatasetInfo, c: _Cand, output: str, reader: LabelMatch | None
) -> tuple[dict[str, Any] | None, str | None]:
    """The example columns accepting ``output`` sets, or (None, skip reason)."""
    if reader is not None:
        label = c.label if c.label and output == c.output else reader.extract(output)
        if not label:
            return None, "no_label"
        return {"ideal_output": label, "output_kind": "text", "label": label}, None
    kind = c.output_kind if c.output_kind in ("text", "json", "tool_calls") else "text"
    try:
        _validate_output(conn, info.id, kind, output)
    except ValidationError:
        return None, "schema_mismatch"
    return {"ideal_output": output, "output_kind": kind}, None


def _label_reader(info: DatasetInfo) -> LabelMatch | None:
    """The ``label`` scorer's reader over the dataset's labels (classification only)."""
    if info.task_type != "classification":
        return None
    return LabelMatch(info.label_set or None)


def _add_labels(conn: Connection, info: DatasetInfo, labels: set[str]) -> None:
    """Add new labels to the dataset's label set (as setting a label does)."""
    new = [lb for lb in sorted(labels) if lb not in info.label_set]
    if new:
        conn.execute(
            text("UPDATE dataset SET label_set_json = :l WHERE id = :d"),
            {"l": orjson.dumps([*info.label_set, *new]).decode(), "d": info.id},
        )


def _count(skipped: dict[str, int], reason: str) -> None:
    skipped[reason] = skipped.get(reason, 0) + 1


def accept(
    project: Project,
    dataset: str | int,
    *,
    candidate_ids: Sequence[int] | None = None,
    min_agreement: float | None = None,
    example_ids: Sequence[int] | None = None,
    only_valid: bool = True,
    actor: str | None = None,
    min_judge: float | None = None,
) -> ReviewResult:
    """Make candidates their examples' ideal outputs and approve the rows (one operation).

    Args:
        dataset: the dataset's name or id.
        candidate_ids: these candidates (None: each selected example's newest candidate).
        min_agreement: only candidates whose agreement is at least this (0..1).
        example_ids: only candidates of these examples (the ``--where``/``--ids`` rows).
        only_valid: skip failed candidates and schema-breaking answers (default).
        actor: who decides (default: the current user).
        min_judge: only candidates whose judge score (0..1, :mod:`.judging`) is at least
            this; an unscored candidate is skipped (``"no_judge"``), never guessed.

    Returns:
        The operation, how many candidates were accepted and why others were skipped.

    Raises:
        NotFoundError: no such dataset.
        ValidationError: ``min_agreement`` outside 0..1.
    """
    _check_agreement(min_agreement)
    if min_judge is not None and not 0.0 <= min_judge <= 1.0:
        raise ValidationError(
            f"A judge score is a share from 0 to 1 (got {min_judge}).", where="min_judge"
        )
    who = actor or current_user()

    def work(conn: Connection) -> ReviewResult:
        info = get_dataset_in(conn, dataset)
        reader = _label_reader(info)
        skipped: dict[str, int] = {}
        writer = _Writer(conn, info.id, who)
        labels: set[str] = set()
        judged_by: list[tuple[str | None, str | None]] = []
        cands = _select(conn, info.id, candidate_ids, example_ids)
        # One candidate per example: with several named, the newest wins
        newest = {c.example_id: c.id for c in cands}
        for c in cands:
            if newest[c.example_id] != c.id:
                _count(skipped, "same_example")
                continue
            ok_status = ("pending", "failed") + (("rejected",) if candidate_ids else ())
            if c.status not in ok_status:
                _count(skipped, "already_accepted" if c.status == "accepted" else c.status)
                continue
            if only_valid and (not c.valid or c.status == "failed"):
                _count(skipped, "invalid")
                continue
            if c.output is None:
                _count(skipped, "no_output")
                continue
            if min_agreement is not None:
                if c.agreement is None:
                    _count(skipped, "no_agreement")
                    continue
                if c.agreement < min_agreement - 1e-9:
                    _count(skipped, "below_agreement")
                    continue
            if min_judge is not None:
                if c.judge_score is None:
                    _count(skipped, "no_judge")
                    continue
                if c.judge_score < min_judge - 1e-9:
                    _count(skipped, "below_judge")
                    continue
            if c.human_approved():
                _count(skipped, "human_approved")
                continue
            new, reason = _new_ideal(conn, info, c, c.output, reader)
            if new is None:
                _count(skipped, reason or "invalid")
                continue
            if reader is not None:
                labels.add(new["label"])
            new.update(status="approved", ideal_source="teacher")
            writer.set_example(c, new)
            writer.decide(c, "accepted")
            if min_judge is not None:
                judged_by.append((c.judge_ref, c.judge_model))
        n = len(writer.decisions)
        if not n:
            return ReviewResult(None, 0, skipped, (), "Accept teacher outputs")
        _add_labels(conn, info, labels)
        description = f"Accept {_plural(n)}"
        op_id = writer.commit("distil_accept", description)
        return ReviewResult(
            op_id,
            n,
            skipped,
            tuple(sorted(writer.example_ids)),
            description,
            judge_mix(judged_by),
        )

    return retry_write(project, work)


def reject(
    project: Project,
    dataset: str | int,
    *,
    candidate_ids: Sequence[int] | None = None,
    min_agreement: float | None = None,
    example_ids: Sequence[int] | None = None,
    actor: str | None = None,
) -> ReviewResult:
    """Reject pending candidates (one operation); their rows keep what they had.

    Args:
        dataset: the dataset's name or id.
        candidate_ids: these candidates (None: each selected example's newest candidate).
        min_agreement: only candidates whose agreement is BELOW this (0..1).
        example_ids: only candidates of these examples.
        actor: who decides (default: the current user).

    Raises:
        NotFoundError: no such dataset.
        ValidationError: ``min_agreement`` outside 0..1.
    """
    _check_agreement(min_agreement)
    who = actor or current_user()

    def work(conn: Connection) -> ReviewResult:
        info = get_dataset_in(conn, dataset)
        skipped: dict[str, int] = {}
        writer = _Writer(conn, info.id, who)
        for c in _select(conn, info.id, candidate_ids, example_ids):
            if c.status != "pending":
                reason = {"accepted": "already_accepted", "rejected": "already_rejected"}
                _count(skipped, reason.get(c.status, c.status))
                continue
            if min_agreement is not None:
                if c.agreement is None:
                    _count(skipped, "no_agreement")
                    continue
                if c.agreement >= min_agreement - 1e-9:
                    _count(skipped, "at_or_above_agreement")
                    continue
            writer.decide(c, "rejected")
        n = len(writer.decisions)
        if not n:
            return ReviewResult(None, 0, skipped, (), "Reject teacher outputs")
        description = f"Reject {_plural(n)}"
        op_id = writer.commit("distil_reject", description)
        return ReviewResult(op_id, n, skipped, tuple(sorted(writer.example_ids)), description)

    return retry_write(project, work)


def edit_and_accept(
    project: Project, candidate_id: int, output: str, *, actor: str | None = None
) -> ReviewResult:
    """Accept a candidate with the reviewer's corrected text as the ideal output.

    The example gets ``ideal_source = "human"``: a human wrote the final text, even
    though it started from the teacher's answer (the candidate keeps the teacher's
    original output as provenance and becomes ``accepted``). For a classification
    dataset the text is read as a label the way the ``label`` scorer reads it (a label
    the dataset does not know yet is taken as typed and added to its labels). An
    approved human ideal output is not overwritten (skipped as ``human_approved``).

    Raises:
        NotFoundError: no such candidate.
        ValidationError: an empty output, or JSON that is invalid or breaks the
            dataset's output schema.
    """
    who = actor or current_user()
    if not output.strip():
        raise ValidationError("The edited output is empty.", where="output")

    def work(conn: Connection) -> ReviewResult:
        ds = conn.execute(
            text("SELECT dataset_id FROM candidate WHERE id = :c"), {"c": candidate_id}
        ).scalar()
        if ds is None:
            raise NotFoundError(f"There is no candidate with id {candidate_id}.", where="candidate")
        info = get_dataset_in(conn, int(ds))
        (c,) = _select(conn, info.id, [candidate_id], None)
        skipped: dict[str, int] = {}
        if c.status == "audit":  # measures the teacher on a human row: never accepted
            skipped["audit"] = 1
            return ReviewResult(None, 0, skipped, (), "Edit and accept a teacher output")
        if c.human_approved():
            skipped["human_approved"] = 1
            return ReviewResult(None, 0, skipped, (), "Edit and accept a teacher output")
        reader = _label_reader(info)
        new: dict[str, Any]
        if reader is not None:
            label = reader.extract(output) if info.label_set else None
            label = label or output.strip()
            if len(label) > 200:
                raise ValidationError("A label can have at most 200 characters.", where="output")
            new = {"ideal_output": label, "output_kind": "text", "label": label}
            _add_labels(conn, info, {label})
        else:
            kind = c.output_kind if c.output_kind in ("text", "json", "tool_calls") else "text"
            _validate_output(conn, info.id, kind, output)
            new = {"ideal_output": output, "output_kind": kind}
        new.update(status="approved", ideal_source="human")
        writer = _Writer(conn, info.id, who)
        writer.set_example(c, new)
        writer.decide(c, "accepted")
        description = f"Edit and accept the teacher output of example {c.example_id}"
        op_id = writer.commit("distil_edit", description)
        return ReviewResult(op_id, 1, skipped, (c.example_id,), description)

    return retry_write(project, work)
