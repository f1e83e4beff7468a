"""Which examples an export takes, and which of them become the validation file.

Steps 1 and 2 of :func:`studio.core.export.run.export_dataset`: select by status and
split (the test split is never trained on unless asked for) and, when the dataset has no
validation split, carve a share of the train examples out deterministically (ordered by
a hash of dataset id and example id, so the carve-out does not depend on row order).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from studio.core.datasets.queries import ExampleDetail, iter_all_examples
from studio.core.db.project import Project
from studio.core.progress import CancelToken


@dataclass
class Selected:
    train: list[int]
    validation: list[int]
    snapshot: str  # sha256 hex over 'id<TAB>updated_at<LF>' of the selected examples
    count: int
    excluded_test: int
    validation_source: str
    first_label: str | None = None  # a real label to try an output template with


def carve_key(dataset_id: int, example_id: int) -> bytes:
    return hashlib.sha256(f"{dataset_id}:{example_id}".encode()).digest()


def carve_validation(dataset_id: int, train_ids: list[int], fraction: float) -> set[int]:
    """The ids moved from train to validation for ``fraction`` (deterministic).

    ``round(fraction * n)`` examples, at least one when the fraction is positive and at
    least two examples exist (so the train file is never emptied).
    """
    n = len(train_ids)
    if fraction <= 0 or n < 2:
        return set()
    k = min(n - 1, max(1, round(fraction * n)))
    ranked = sorted(train_ids, key=lambda i: carve_key(dataset_id, i))
    return set(ranked[:k])


def select_examples(
    project: Project,
    dataset_id: int,
    statuses: tuple[str, ...],
    splits: tuple[str | None, ...],
    fraction: float | None,
    cancel: CancelToken | None,
) -> Selected:
    snapshot = hashlib.sha256()
    train: list[int] = []
    validation: list[int] = []
    excluded_test = count = 0
    first_label: str | None = None
    status_set, split_set = set(statuses), set(splits)
    for ex in iter_all_examples(project, dataset_id):
        if cancel is not None and not count % 2000:
            cancel.raise_if_cancelled()
        if ex.status not in status_set:
            continue
        if ex.split not in split_set:
            if ex.split == "test":
                excluded_test += 1
            continue
        count += 1
        if first_label is None and ex.label:
            first_label = ex.label
        snapshot.update(f"{ex.id}\t{ex.updated_at}\n".encode())
        (validation if ex.split == "validation" else train).append(ex.id)
    source = "split" if validation else "none"
    if not validation and fraction:
        carved = carve_validation(dataset_id, train, fraction)
        if carved:
            validation = [i for i in train if i in carved]
            train = [i for i in train if i not in carved]
            source = "fraction"
    return Selected(
        train, validation, snapshot.hexdigest(), count, excluded_test, source, first_label
    )


def examples_by_id(project: Project, dataset_id: int, wanted: set[int]) -> Iterator[ExampleDetail]:
    for ex in iter_all_examples(project, dataset_id):
        if ex.id in wanted:
            yield ex
