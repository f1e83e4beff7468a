"""Train / validation / test splits: stratified by label, seeded, reproducible.

The order within each label is ``sha256(f"{seed}:{id}")``, so an assignment depends only
on the examples' ids and labels and the seed: the same dataset and seed always give
the same split, and adding examples later leaves most existing assignments alone.
Per-label quotas use the largest-remainder method so the totals match the requested
fractions exactly (not per-label rounding, which drifts with 77 small labels).

Test examples that an evaluation has used are *locked* (``split_locked``): a re-split
keeps them in test and counts them against the test quota, unless the user confirmed
``move_locked=True``. Rejected examples are left out of the split.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from studio.core.datasets.change_sets import Changes
from studio.core.datasets.operation_log import finish_operation, new_operation, require_dataset
from studio.core.db.engine import db_time
from studio.core.db.id_sets import load_id_set
from studio.core.db.project import Project, current_user
from studio.core.db.transactions import read_conn, write_tx
from studio.core.errors import ValidationError


@dataclass(frozen=True)
class SplitResult:
    """Sizes after a split and what it changed."""

    train: int
    validation: int
    test: int
    kept_locked: int
    moved: int
    changes: Changes


def _order_key(seed: int, example_id: int) -> bytes:
    return hashlib.sha256(f"{seed}:{example_id}".encode()).digest()


def _largest_remainder(sizes: dict[Any, int], fraction: float) -> dict[Any, int]:
    total = sum(sizes.values())
    target = round(total * fraction)
    exact = {k: n * fraction for k, n in sizes.items()}
    quota = {k: int(v) for k, v in exact.items()}
    left = target - sum(quota.values())
    # Ties broken by key so the result is deterministic
    order = sorted(sizes, key=lambda k: (-(exact[k] - quota[k]), str(k)))
    for k in order[: max(0, left)]:
        quota[k] += 1
    return quota


def _check_fraction(name: str, value: float) -> None:
    if not (0.0 <= value <= 1.0) or value != value:
        raise ValidationError(
            f"The {name} fraction must be between 0 and 1 inclusive (got {value}).", where=name
        )


def plan_split(
    rows: list[tuple[int, str | None, str | None, bool]],
    test: float,
    validation: float,
    seed: int,
    stratify: bool,
    move_locked: bool,
    never_test: frozenset[int] = frozenset(),
) -> tuple[dict[int, str], int]:
    """Assign a split to each (id, label, current split, locked) row.

    ``never_test``: rows that never go to test (synthetic inputs, ISSUE 13 §2); the test
    fraction applies to the other rows, and these share train and validation.

    Returns (assignment for every row, number of locked test rows kept).
    """
    groups: dict[Any, list[int]] = defaultdict(list)
    locked_test: dict[Any, int] = defaultdict(int)
    assignment: dict[int, str] = {}
    kept = 0
    for ex_id, label, split, locked in rows:
        key = label if stratify else None
        groups[key].append(ex_id)
        if locked and split == "test" and not move_locked:
            assignment[ex_id] = "test"
            locked_test[key] += 1
            kept += 1
    sizes = {k: len(v) for k, v in groups.items()}
    real = {k: sum(i not in never_test for i in v) for k, v in groups.items()}
    test_q = _largest_remainder(real, test)
    val_q = _largest_remainder(sizes, validation)
    for key, ids in groups.items():
        free = sorted((i for i in ids if i not in assignment), key=lambda i: _order_key(seed, i))
        n_test = max(0, test_q[key] - locked_test[key])
        to_test = [i for i in free if i not in never_test][:n_test]
        for ex_id in to_test:
            assignment[ex_id] = "test"
        rest = [i for i in free if i not in assignment]
        n_val = min(val_q[key], len(rest))
        for i, ex_id in enumerate(rest):
            assignment[ex_id] = "validation" if i < n_val else "train"
    return assignment, kept


def split_dataset(
    project: Project,
    dataset_id: int,
    test: float,
    validation: float = 0.0,
    seed: int = 0,
    stratify: bool = True,
    move_locked: bool = False,
) -> SplitResult:
    """Assign every non-rejected example to train, validation or test (one undoable step).

    Args:
        test, validation: fractions in [0, 1]; their sum must not exceed 1.
        seed: same seed + same examples → same assignment.
        stratify: keep each label's share equal across splits.
        move_locked: also re-assign test examples locked by an evaluation (ask first).

    Raises:
        ValidationError: a fraction outside [0, 1] or test + validation > 1.
    """
    _check_fraction("test", test)
    _check_fraction("validation", validation)
    if test + validation > 1.0 + 1e-9:
        raise ValidationError(
            f"test ({test}) + validation ({validation}) is more than 1: nothing would be left "
            "for training.",
            where="validation",
        )
    with write_tx(project) as conn:
        require_dataset(conn, dataset_id)
        raw: Any = conn.connection.driver_connection
        rows = [
            (r[0], r[1], r[2], bool(r[3]))
            for r in raw.execute(
                "SELECT id, label, split, split_locked FROM example WHERE dataset_id = ? "
                "AND status != 'rejected' ORDER BY id",
                (dataset_id,),
            )
        ]
        synthetic = frozenset(
            r[0]
            for r in raw.execute(
                "SELECT id FROM example WHERE dataset_id = ? AND source = 'synthetic'",
                (dataset_id,),
            )
        )
        assignment, kept = plan_split(
            rows, test, validation, seed, stratify, move_locked, never_test=synthetic
        )
        current = {r[0]: r[2] for r in rows}
        locked_ids = [r[0] for r in rows if r[3]]
        changed = [(split, ex_id) for ex_id, split in assignment.items() if current[ex_id] != split]
        counts = {"train": 0, "validation": 0, "test": 0}
        for split in assignment.values():
            counts[split] += 1
        conn.execute(
            text("UPDATE dataset SET split_seed = :s WHERE id = :d"), {"s": seed, "d": dataset_id}
        )
        desc = (
            f"Split {counts['train']:,} / {counts['validation']:,} / {counts['test']:,} "
            f"(seed {seed}{', stratified' if stratify else ''})"
        )
        if not changed and not (move_locked and locked_ids):
            empty = Changes(None, desc, (), frozenset())
            return SplitResult(
                counts["train"], counts["validation"], counts["test"], kept, 0, empty
            )
        op_id = new_operation(conn, dataset_id, "split", desc)
        now = db_time()
        actor = current_user()
        raw.executemany(
            "INSERT INTO example_history (example_id, dataset_id, op_id, field, before_json, "
            "after_json, actor, at) SELECT id, dataset_id, ?, 'split', json_quote(split), "
            "json_quote(?), ?, ? FROM example WHERE id = ?",
            [(op_id, split, actor, now, ex_id) for split, ex_id in changed],
        )
        raw.executemany(
            "UPDATE example SET split = ?, updated_at = ?, version = version + 1, updated_by = ? "
            "WHERE id = ?",
            [(split, now, actor, ex_id) for split, ex_id in changed],
        )
        fields = {"split"}
        unlocked: list[int] = []
        if move_locked and locked_ids:
            # The user confirmed: moved examples are no longer frozen
            unlocked = [i for i in locked_ids if assignment.get(i) != "test"]
            if unlocked:
                load_id_set(conn, unlocked)
                conn.execute(
                    text(
                        "INSERT INTO example_history (example_id, dataset_id, op_id, field, "
                        "before_json, after_json, actor, at) SELECT id, dataset_id, :op, "
                        "'split_locked', 'true', 'false', :a, :now FROM example "
                        "WHERE id IN (SELECT id FROM _sel_ids)"
                    ),
                    {"op": op_id, "a": actor, "now": now},
                )
                conn.execute(
                    text(
                        "UPDATE example SET split_locked = 0, version = version + 1, "
                        "updated_by = :a WHERE id IN (SELECT id FROM _sel_ids)"
                    ),
                    {"a": actor},
                )
                fields.add("split_locked")
        ids = tuple(sorted({ex_id for _, ex_id in changed} | set(unlocked)))
        finish_operation(conn, op_id, len(ids))
        changes = Changes(op_id, desc, ids, frozenset(fields))
        return SplitResult(
            counts["train"], counts["validation"], counts["test"], kept, len(changed), changes
        )


def lock_test_split(project: Project, dataset_id: int) -> int:
    """Freeze the current test examples (an evaluation used them). Returns how many.

    Recorded in each example's history, but not an undoable operation: a test set
    that has been evaluated on stays used.
    """
    with write_tx(project) as conn:
        require_dataset(conn, dataset_id)
        now = db_time()
        conn.execute(
            text(
                "INSERT INTO example_history (example_id, dataset_id, op_id, field, before_json, "
                "after_json, actor, at) SELECT id, dataset_id, NULL, 'split_locked', 'false', "
                "'true', :a, :now FROM example WHERE dataset_id = :d AND split = 'test' "
                "AND split_locked = 0"
            ),
            {"a": current_user(), "now": now, "d": dataset_id},
        )
        result = conn.execute(
            text(
                "UPDATE example SET split_locked = 1, version = version + 1, updated_by = :a "
                "WHERE dataset_id = :d AND split = 'test' AND split_locked = 0"
            ),
            {"d": dataset_id, "a": current_user()},
        )
        return int(result.rowcount or 0)


# Same shape as evals/preferences._variant_pair's read (duplicates report, boilerplate):
# other tables.
def split_counts(project: Project, dataset_id: int) -> dict[str, int]:
    """Examples per split (``"none"`` = not assigned) and ``"locked"`` test examples."""
    with read_conn(project) as conn:
        rows = conn.execute(
            text("SELECT split, count(*) FROM example WHERE dataset_id = :d GROUP BY split"),
            {"d": dataset_id},
        ).all()
        locked = conn.execute(
            text("SELECT count(*) FROM example WHERE dataset_id = :d AND split_locked = 1"),
            {"d": dataset_id},
        ).scalar_one()
    out = {"train": 0, "validation": 0, "test": 0, "none": 0}
    for split, c in rows:
        out[split or "none"] = c
    out["locked"] = int(locked)
    return out


@dataclass(frozen=True)
class MoveResult:
    """What "move test to train" did, row by row.

    Attributes:
        moved: test examples now in train.
        skipped_locked: locked test examples left in test (an evaluation used them;
            call again with ``unlock=True`` to move them).
        skipped_not_test: asked-for rows that were not in test any more (moved,
            deleted or in another split).
        changes: the undoable operation (``op_id`` None when nothing moved).
        locked_ids: the locked test examples left in test (``skipped_locked`` of them).
    """

    moved: int
    skipped_locked: int
    skipped_not_test: int
    changes: Changes
    locked_ids: tuple[int, ...] = ()

    @property
    def message(self) -> str:
        """One sentence with the counts and, when something was skipped, why."""
        return _move_message(self.moved, self.skipped_locked, self.skipped_not_test) + "."


def _move_message(moved: int, skipped_locked: int, skipped_not_test: int) -> str:
    parts = [f"Moved {moved:,} test example{'s' if moved != 1 else ''} to train"]
    if skipped_locked:
        it = "it" if skipped_locked == 1 else "them"
        parts.append(
            f"{skipped_locked:,} skipped: locked because an evaluation used {it} "
            f"(unlock to move {it})"
        )
    if skipped_not_test:
        parts.append(f"{skipped_not_test:,} skipped: no longer in test")
    return "; ".join(parts)


def move_test_to_train(
    project: Project,
    dataset_id: int,
    test_ids: list[int] | tuple[int, ...],
    *,
    unlock: bool = False,
) -> MoveResult:
    """Move test examples to train (one undoable operation), saying what was skipped.

    Locked test examples stay in test and are counted in ``skipped_locked`` unless
    ``unlock`` (the user confirmed): then they are unlocked and moved in the same
    operation, so one undo restores both the split and the lock.
    """
    ids = sorted(set(test_ids))
    with write_tx(project) as conn:
        require_dataset(conn, dataset_id)
        raw: Any = conn.connection.driver_connection
        load_id_set(conn, ids)  # a temp table: any number of ids ("Move all")
        rows = {
            r[0]: (r[1], bool(r[2]))
            for r in raw.execute(
                "SELECT id, split, split_locked FROM example WHERE dataset_id = ? "
                "AND id IN (SELECT id FROM _sel_ids)",
                (dataset_id,),
            )
        }
        in_test = [i for i in ids if i in rows and rows[i][0] == "test"]
        locked = [i for i in in_test if rows[i][1]]
        move = in_test if unlock else [i for i in in_test if not rows[i][1]]
        kept = () if unlock else tuple(locked)
        skipped_locked = len(kept)
        skipped_not_test = len(ids) - len(in_test)
        if not move:
            msg = _move_message(0, skipped_locked, skipped_not_test)
            nothing = Changes(None, msg, (), frozenset())
            return MoveResult(0, skipped_locked, skipped_not_test, nothing, kept)
        n = len(move)
        desc = f"Move {n:,} test example{'s' if n != 1 else ''} to train"
        op_id = new_operation(conn, dataset_id, "set_split", desc)
        now, actor = db_time(), current_user()
        fields = {"split"}
        unlocked = [i for i in move if rows[i][1]]
        history = (
            "INSERT INTO example_history (example_id, dataset_id, op_id, field, before_json, "
            "after_json, actor, at) SELECT id, dataset_id, :op, :f, :b, :a, :actor, :now "
            "FROM example WHERE id IN (SELECT id FROM _sel_ids)"
        )
        params = {"op": op_id, "actor": actor, "now": now}
        if unlocked:
            load_id_set(conn, unlocked)
            conn.execute(text(history), {**params, "f": "split_locked", "b": "true", "a": "false"})
            conn.execute(
                text(
                    "UPDATE example SET split_locked = 0, version = version + 1, "
                    "updated_by = :a WHERE id IN (SELECT id FROM _sel_ids)"
                ),
                {"a": actor},
            )
            fields.add("split_locked")
        load_id_set(conn, move)
        conn.execute(text(history), {**params, "f": "split", "b": '"test"', "a": '"train"'})
        conn.execute(
            text(
                "UPDATE example SET split = 'train', updated_at = :now, version = version + 1, "
                "updated_by = :a WHERE id IN (SELECT id FROM _sel_ids)"
            ),
            {"now": now, "a": actor},
        )
        msg = _move_message(n, skipped_locked, skipped_not_test)
        finish_operation(conn, op_id, n, msg)
        changes = Changes(op_id, msg, tuple(move), frozenset(fields))
        return MoveResult(n, skipped_locked, skipped_not_test, changes, kept)
