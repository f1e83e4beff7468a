"""Which new inputs may join the dataset: not near-duplicates, never leaks of test.

Each new input is compared, on the normalised text the dataset's duplicate check uses
(:func:`studio.core.datasets.normalize.normalize_text`) and with its threshold
(:data:`studio.core.datasets.near_duplicates.DEFAULT_THRESHOLD`, 0.90 normalised Indel
similarity), with:

1. every **test** row (all statuses), exhaustively
   (:func:`~studio.core.datasets.near_duplicates.nearest_matches`): a match is a *test
   leak* and is never added. The MinHash stage of the duplicate check finds 99.6 % of
   the pairs (its module docstring); a guard that promises "never" compares every pair,
   which costs about a second for a few hundred inputs against a test split of
   thousands.
2. every other row the duplicate check looks at (not rejected) and every new input
   accepted before it, with the duplicate check itself
   (:func:`~studio.core.datasets.near_duplicates.near_duplicate_pairs`): a match is a
   *near-duplicate*, dropped and counted.

Exact copies (equal normalised text) count as matches of either kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from studio.core.datasets.near_duplicates import (
    DEFAULT_THRESHOLD,
    near_duplicate_pairs,
    nearest_matches,
)
from studio.core.progress import CancelToken

ADDED, NEAR_DUPLICATE, TEST_LEAK = "added", "near_duplicate", "test_leak"


@dataclass(frozen=True)
class ExistingText:
    """A dataset row's normalised input text and whether it is in the test split."""

    norm: str
    test: bool
    rejected: bool = False


def classify(
    new_norm: Sequence[str],
    existing: Sequence[ExistingText],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    cancel: CancelToken | None = None,
) -> list[str]:
    """:data:`ADDED`, :data:`NEAR_DUPLICATE` or :data:`TEST_LEAK` per new text, in order.

    Args:
        new_norm: the new inputs' normalised texts, in the order they were generated
            (an earlier one wins over a later near-copy).
        existing: every row of the dataset (rejected ones only count for the test guard).
    """
    test_texts = list(dict.fromkeys(e.norm for e in existing if e.test))
    test_set = set(test_texts)
    leaks = nearest_matches(new_norm, test_texts, threshold, cancel)
    other = [e.norm for e in existing if not e.test and not e.rejected]
    # Unique texts: the existing ones first, then the new ones; pairs between them come
    # from the dataset's own near-duplicate detector.
    index: dict[str, int] = {}
    for t in [*other, *new_norm]:
        index.setdefault(t, len(index))
    n_existing = len(set(other))
    uniques = list(index)
    neighbours: dict[int, set[int]] = {}
    for i, j, _ in near_duplicate_pairs(uniques, threshold, cancel=cancel):
        neighbours.setdefault(i, set()).add(j)
        neighbours.setdefault(j, set()).add(i)
    accepted: set[int] = set()
    out: list[str] = []
    for k, text in enumerate(new_norm):
        u = index[text]
        if text in test_set or leaks[k] is not None:
            out.append(TEST_LEAK)
        elif u < n_existing or u in accepted:
            out.append(NEAR_DUPLICATE)  # an exact copy of a row or of an earlier new input
        elif any(v < n_existing or v in accepted for v in neighbours.get(u, ())):
            out.append(NEAR_DUPLICATE)
        else:
            accepted.add(u)
            out.append(ADDED)
    return out
