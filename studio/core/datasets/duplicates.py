"""Near-duplicate groups and train/test leaks in a dataset.

The pairs come from :mod:`studio.core.datasets.near_duplicates` (its docstring holds
the method and the measurements behind the 0.90 threshold); here they become groups
centred on a keeper and leaks from test into train/validation. Keeping, dropping,
merging and resolving live in :mod:`studio.core.datasets.duplicate_resolution`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from studio.core.datasets.near_duplicates import DEFAULT_THRESHOLD, near_duplicate_pairs
from studio.core.datasets.normalize import normalize_text, tags_from_db
from studio.core.datasets.operation_log import require_dataset
from studio.core.db.dialect import driver
from studio.core.db.project import Project
from studio.core.db.transactions import read_conn
from studio.core.errors import ValidationError
from studio.core.progress import CancelToken, ProgressCallback

REVIEWED_DUP_TAG = "dup-reviewed"
REVIEWED_LEAK_TAG = "leak-reviewed"


@dataclass(frozen=True)
class DuplicateGroup:
    """A row to keep and the rows within the threshold of it (never a chain).

    ``example_ids`` is sorted; its first id is the keeper (the oldest row).
    ``similarities`` gives each member's similarity to the keeper (1.0 for the keeper
    and its exact copies); ``similarity`` is the lowest of them.
    """

    example_ids: tuple[int, ...]
    similarity: float
    exact: bool
    similarities: tuple[float, ...] = ()

    @property
    def keep_id(self) -> int:
        """The row the group keeps by default (the oldest)."""
        return self.example_ids[0]

    @property
    def duplicates(self) -> int:
        """Rows "drop the others" would delete: every member but the keeper."""
        return len(self.example_ids) - 1


@dataclass(frozen=True)
class Leak:
    """A test example that (nearly) duplicates a train or validation example."""

    test_id: int
    train_id: int
    similarity: float
    exact: bool
    train_split: str = "train"


@dataclass(frozen=True)
class LeakGroup:
    """One leaking test example and every train/validation row it (nearly) equals.

    Leaks are counted as these (test examples), in stats, the dialog and the CLI.
    """

    test_id: int
    matches: tuple[Leak, ...]

    @property
    def similarity(self) -> float:
        """The closest match's similarity."""
        return max(m.similarity for m in self.matches)

    @property
    def exact(self) -> bool:
        """True when some match is an exact copy."""
        return any(m.exact for m in self.matches)


def group_leaks(leaks: Sequence[Leak]) -> list[LeakGroup]:
    """Leaks by test example (closest first); ``len()`` of this is the leak count."""
    by_test: dict[int, list[Leak]] = defaultdict(list)
    for lk in leaks:
        by_test[lk.test_id].append(lk)
    out = [
        LeakGroup(t, tuple(sorted(ms, key=lambda m: (-m.similarity, m.train_id))))
        for t, ms in by_test.items()
    ]
    out.sort(key=lambda g: (-g.similarity, g.test_id))
    return out


@dataclass(frozen=True)
class _Loaded:
    ids: list[int]
    norm: list[str]
    split: list[str | None]
    tags: list[tuple[str, ...]]


def _load(project: Project, dataset_id: int) -> _Loaded:
    with read_conn(project) as conn:
        require_dataset(conn, dataset_id)
        raw: Any = driver(conn)
        rows = raw.execute(
            "SELECT id, search_text, split, tags FROM example WHERE dataset_id = ? "
            "AND status != 'rejected' ORDER BY id",
            (dataset_id,),
        ).fetchall()
    return _Loaded(
        ids=[r[0] for r in rows],
        norm=[normalize_text(r[1]) for r in rows],
        split=[r[2] for r in rows],
        tags=[tags_from_db(r[3]) for r in rows],
    )


def _pairs_by_example(
    data: _Loaded, threshold: float, progress: ProgressCallback | None, cancel: CancelToken | None
) -> tuple[dict[str, list[int]], list[tuple[int, int, float]]]:
    """Exact groups (by normalised text → row indexes) and near pairs of distinct texts."""
    by_text: dict[str, list[int]] = defaultdict(list)
    for i, t in enumerate(data.norm):
        by_text[t].append(i)
    uniques = list(by_text)
    pairs = near_duplicate_pairs(uniques, threshold, progress, cancel)
    # Map unique-text pairs back to representative row indexes
    reps = [by_text[t][0] for t in uniques]
    return by_text, [(reps[i], reps[j], s) for i, j, s in pairs]


def _groups(
    data: _Loaded,
    by_text: dict[str, list[int]],
    pairs: list[tuple[int, int, float]],
    include_reviewed: bool,
) -> list[DuplicateGroup]:
    """Keeper-centred groups: every member is within the threshold of the group's keeper.

    The oldest row not yet in a group keeps a group; its members are its exact copies
    and every row not yet grouped whose text is within the threshold of the keeper's
    text. Rows are taken oldest first (rows are loaded in id order), so a group's
    keeper is its smallest id. Nothing chains: a row similar only to a *member* is not
    pulled in (it starts or joins another group), which is what makes "drop the others"
    safe (union-find chained up to 21 banking77 rows into one group).
    """
    neighbours: dict[int, dict[int, float]] = defaultdict(dict)
    for i, j, s in pairs:  # i, j: representative row indexes of distinct texts
        neighbours[i][j] = s
        neighbours[j][i] = s
    members_of = {rows[0]: rows for rows in by_text.values()}
    # Representatives in order of their oldest row (rows[0] is the oldest of a text)
    order = sorted(members_of)
    grouped: set[int] = set()
    out = []
    for keeper in order:
        if keeper in grouped:
            continue
        grouped.add(keeper)
        near = sorted(
            (other, s) for other, s in neighbours.get(keeper, {}).items() if other not in grouped
        )
        members = list(members_of[keeper])
        sims = [1.0] * len(members)
        for other, s in near:
            grouped.add(other)
            members.extend(members_of[other])
            sims.extend([s] * len(members_of[other]))
        if len(members) < 2:
            continue
        if not include_reviewed and all(REVIEWED_DUP_TAG in data.tags[m] for m in members):
            continue
        ranked = sorted(zip((data.ids[m] for m in members), sims, strict=True))
        exact = not near
        out.append(
            DuplicateGroup(
                example_ids=tuple(i for i, _ in ranked),
                similarity=1.0 if exact else round(min(sims), 4),
                exact=exact,
                similarities=tuple(round(s, 4) for _, s in ranked),
            )
        )
    out.sort(key=lambda g: (-len(g.example_ids), -g.similarity, g.example_ids[0]))
    return out


def _leaks(
    data: _Loaded,
    by_text: dict[str, list[int]],
    pairs: list[tuple[int, int, float]],
    include_reviewed: bool,
) -> list[Leak]:
    # expand representative pairs to every member of both exact groups
    members_of = {rows[0]: rows for rows in by_text.values()}
    leaks: dict[tuple[int, int], Leak] = {}

    def consider(a: int, b: int, sim: float, exact: bool) -> None:
        for x, y in ((a, b), (b, a)):
            if data.split[x] == "test" and data.split[y] in ("train", "validation"):
                if not include_reviewed and REVIEWED_LEAK_TAG in data.tags[x]:
                    continue
                key = (data.ids[x], data.ids[y])
                if key not in leaks or leaks[key].similarity < sim:
                    leaks[key] = Leak(key[0], key[1], round(sim, 4), exact, data.split[y] or "")

    for rows in by_text.values():
        if len(rows) > 1:
            for ai in range(len(rows)):
                for bi in range(ai + 1, len(rows)):
                    consider(rows[ai], rows[bi], 1.0, True)
    for i, j, s in pairs:
        for a in members_of[i]:
            for b in members_of[j]:
                consider(a, b, s, False)
    return sorted(leaks.values(), key=lambda lk: (-lk.similarity, lk.test_id, lk.train_id))


def _analysed(
    project: Project,
    dataset_id: int,
    threshold: float,
    progress: ProgressCallback | None,
    cancel: CancelToken | None,
) -> tuple[_Loaded, dict[str, list[int]], list[tuple[int, int, float]]]:
    """The dataset's texts and their similar pairs (what groups and leaks are built from)."""
    if not 0.0 < threshold <= 1.0:
        raise ValidationError("The similarity threshold must be in (0, 1].", where="threshold")
    data = _load(project, dataset_id)
    by_text, pairs = _pairs_by_example(data, threshold, progress, cancel)
    return data, by_text, pairs


def analyse(
    project: Project,
    dataset_id: int,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    include_reviewed: bool = False,
) -> tuple[list[DuplicateGroup], list[Leak]]:
    """Duplicate groups and leaks in one pass (what the overview needs)."""
    data, by_text, pairs = _analysed(project, dataset_id, threshold, progress, cancel)
    return (
        _groups(data, by_text, pairs, include_reviewed),
        _leaks(data, by_text, pairs, include_reviewed),
    )


def find_duplicates(
    project: Project,
    dataset_id: int,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    include_reviewed: bool = False,
) -> list[DuplicateGroup]:
    """Groups of exact and near-duplicate examples (rejected examples are ignored).

    Each group is a kept row (its first, oldest id) and the rows within ``threshold``
    of it; groups never chain (see :func:`_groups`).

    Groups whose members all carry the ``dup-reviewed`` tag (resolved with "keep")
    are left out unless ``include_reviewed``. Sorted by size, then similarity.
    """
    data, by_text, pairs = _analysed(project, dataset_id, threshold, progress, cancel)
    return _groups(data, by_text, pairs, include_reviewed)


# Same signature as find_duplicates (duplicates report): two public questions over one
# analysis (_analysed); the bodies already share it and differ in what they return.
def find_leaks(
    project: Project,
    dataset_id: int,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    include_reviewed: bool = False,
) -> list[Leak]:
    """Test examples that duplicate or nearly duplicate a train or validation example.

    Test examples tagged ``leak-reviewed`` (resolved with "keep") are left out unless
    ``include_reviewed``.
    """
    data, by_text, pairs = _analysed(project, dataset_id, threshold, progress, cancel)
    return _leaks(data, by_text, pairs, include_reviewed)
