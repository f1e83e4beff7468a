"""Resolving duplicates and leaks: keep a group, drop or merge its copies, resolve a leak.

Each action is one undoable operation; only rows within the threshold of the kept one
go, by the same measure detection uses (:mod:`studio.core.datasets.near_duplicates`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rapidfuzz.distance import Indel

from studio.core.datasets.change_sets import Changes
from studio.core.datasets.curation import add_tag, delete_examples_in, write_example_fields
from studio.core.datasets.duplicates import REVIEWED_DUP_TAG, REVIEWED_LEAK_TAG, Leak
from studio.core.datasets.near_duplicates import DEFAULT_THRESHOLD
from studio.core.datasets.normalize import normalize_text, tags_from_db, tags_to_db
from studio.core.datasets.operation_log import finish_operation, new_operation, require_dataset
from studio.core.db.dialect import driver
from studio.core.db.id_sets import load_id_set
from studio.core.db.project import Project
from studio.core.db.transactions import write_tx
from studio.core.errors import ValidationError


def keep_group(project: Project, dataset_id: int, example_ids: Sequence[int]) -> Changes:
    """Keep every member: tag them ``dup-reviewed`` so the group is not shown again."""
    return add_tag(project, dataset_id, list(example_ids), REVIEWED_DUP_TAG)


def _keep_and_drop(
    example_ids: Sequence[int], keep_id: int | None
) -> tuple[list[int], int, list[int]]:
    """The group's sorted ids, the one to keep (default: the oldest) and the rest."""
    ids = sorted(set(example_ids))
    keep = keep_id if keep_id is not None else ids[0]
    if keep not in ids:
        raise ValidationError(f"Example {keep} is not in this group.", where="keep_id")
    return ids, keep, [i for i in ids if i != keep]


def _near_keeper(
    conn: Any, dataset_id: int, keep: int, others: Sequence[int], threshold: float
) -> tuple[list[int], list[int]]:
    """Split ``others`` into rows within ``threshold`` of ``keep``'s input and the rest.

    The same measure as detection (Indel similarity of the normalised input), so the
    user may keep any member of a group and only that row's near-duplicates go.
    """
    raw: Any = driver(conn)
    ids = [keep, *others]
    marks = ",".join("?" * len(ids))
    texts = {
        r[0]: normalize_text(r[1] or "")
        for r in raw.execute(
            f"SELECT id, search_text FROM example WHERE dataset_id = ? AND id IN ({marks})",
            (dataset_id, *ids),
        )
    }
    if keep not in texts:
        raise ValidationError(f"Example {keep} does not exist.", where="keep_id")
    near: list[int] = []
    far: list[int] = []
    for i in others:
        if i not in texts:
            continue  # already gone
        sim = Indel.normalized_similarity(texts[keep], texts[i])
        (near if sim >= threshold - 1e-9 else far).append(i)
    return near, far


def _not_similar(far: Sequence[int], threshold: float) -> str:
    if not far:
        return ""
    n = len(far)
    return (
        f"; kept {n} example{'s' if n != 1 else ''} less than {threshold:.2f} similar to it "
        f"({', '.join(f'#{i}' for i in far[:5])}{'…' if n > 5 else ''})"
    )


def drop_duplicates(
    project: Project,
    dataset_id: int,
    example_ids: Sequence[int],
    keep_id: int | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> Changes:
    """Delete the members within ``threshold`` of ``keep_id`` (default: the oldest).

    Members that are not near-duplicates of the kept row stay (the description says
    how many); one undoable step.
    """
    _, keep, others = _keep_and_drop(example_ids, keep_id)
    with write_tx(project) as conn:
        require_dataset(conn, dataset_id)
        drop, far = _near_keeper(conn, dataset_id, keep, others, threshold)
        if not drop:
            desc = f"Dropped nothing: no example is a near-duplicate of example {keep}"
            return Changes(None, desc + _not_similar(far, threshold), (), frozenset())
        op_id = new_operation(conn, dataset_id, "drop_duplicates", "Drop duplicates")
        deleted = delete_examples_in(conn, dataset_id, op_id, drop)
        desc = (
            f"Drop {len(deleted)} duplicate{'s' if len(deleted) != 1 else ''} of example {keep}"
            + _not_similar(far, threshold)
        )
        finish_operation(conn, op_id, len(deleted), desc)
        return Changes(op_id, desc, deleted, frozenset({"__row__"}), True)


# Same signature as drop_duplicates (duplicates report): two resolutions a user picks between;
# the shared steps are already _keep_and_drop and _near_keeper.
def merge_duplicates(
    project: Project,
    dataset_id: int,
    example_ids: Sequence[int],
    keep_id: int | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> Changes:
    """Keep one member, give it the union of the tags of its near-duplicates (those
    within ``threshold`` of it) and a note, delete those; other members stay."""
    _, keep, others = _keep_and_drop(example_ids, keep_id)
    with write_tx(project) as conn:
        require_dataset(conn, dataset_id)
        drop, far = _near_keeper(conn, dataset_id, keep, others, threshold)
        if not drop:
            return Changes(
                None,
                f"Nothing merged into example {keep}" + _not_similar(far, threshold),
                (),
                frozenset(),
            )
        ids = sorted([keep, *drop])
        raw: Any = driver(conn)
        marks = ",".join("?" * len(ids))
        rows = {
            r[0]: (r[1], r[2])
            for r in raw.execute(
                f"SELECT id, tags, notes FROM example WHERE dataset_id = ? AND id IN ({marks})",
                (dataset_id, *ids),
            )
        }
        if keep not in rows:
            raise ValidationError(f"Example {keep} does not exist.", where="keep_id")
        tags: set[str] = set()
        for t, _ in rows.values():
            tags.update(tags_from_db(t))
        old_tags, old_notes = rows[keep]
        new_tags = tags_to_db(sorted(tags))
        merged = [i for i in drop if i in rows]
        note = f"Merged duplicates: {', '.join(f'#{i}' for i in merged)}."
        new_notes = (old_notes + "\n" + note).strip() if old_notes else note
        op_id = new_operation(conn, dataset_id, "merge_duplicates", "Merge duplicates")
        before = {"tags": old_tags, "notes": old_notes}
        after = {"tags": new_tags, "notes": new_notes}
        changed = {k: v for k, v in after.items() if before[k] != v}
        if changed:
            write_example_fields(conn, dataset_id, op_id, keep, before, changed)
        load_id_set(conn, merged)
        deleted = delete_examples_in(conn, dataset_id, op_id)
        desc = f"Merge {len(deleted) + 1} duplicates into example {keep}" + _not_similar(
            far, threshold
        )
        finish_operation(conn, op_id, len(deleted) + 1, desc)
        return Changes(
            op_id,
            desc,
            tuple(sorted((keep, *deleted))),
            frozenset({"tags", "notes", "__row__"}),
            True,
        )


def resolve_leak(project: Project, dataset_id: int, leak: Leak, action: str) -> Changes:
    """Resolve a leak: ``drop_train`` / ``drop_test`` (delete that copy), ``move_to_train``
    (the test example joins train), or ``keep`` (tag the test example ``leak-reviewed``)."""
    from studio.core.datasets.curation import delete

    if action == "drop_train":
        return delete(project, dataset_id, [leak.train_id])
    if action == "drop_test":
        return delete(project, dataset_id, [leak.test_id])
    if action == "move_to_train":
        # Says what was skipped (a locked test example stays; see move_test_to_train)
        from studio.core.datasets.splits import move_test_to_train

        return move_test_to_train(project, dataset_id, [leak.test_id]).changes
    if action == "keep":
        return add_tag(project, dataset_id, [leak.test_id], REVIEWED_LEAK_TAG)
    raise ValidationError(
        f'"{action}" is not a leak action; choose drop_train, drop_test, move_to_train or keep.',
        where="action",
    )
