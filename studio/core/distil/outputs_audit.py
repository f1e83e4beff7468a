"""The audit sample of a distil outputs run: rows with a human ideal, asked to measure the teacher.

``studio distil outputs --audit N`` (``OutputsSpec.audit``): besides the rows that need an
ideal output, the teacher also answers N rows that already HAVE an approved human ideal.
Their answers are stored as candidates of status ``"audit"`` — never accepted, never in
the review queue — so that :func:`studio.core.distil.evidence.distil_evidence` can
compare the teacher with people on rows a person already decided (ISSUE 13 §4: the
teacher's accuracy on rows that also have a human ideal).

Which rows (:func:`choose_audit`):

* the pool: the dataset's rows that are approved with an ideal output (a label, for
  classification) not written by the teacher — the rows ``distil outputs`` skips as
  ``approved_human`` — whatever rows ``--where``/``--ids`` pick to label (the audit
  measures the teacher, not the selection); test-split rows only with ``include_test``;
* rows that already have an audit answer of the same version and model count
  towards N (a re-run asks nothing new; a larger N extends the sample);
* the rest is a seeded random sample (the same project, version and model give the same
  rows), stratified by label for classification: each label gets its proportional share
  of the sample (largest remainders), so the accuracy is the dataset's, not the common
  labels';
* with fewer rows in the pool than N, all of them, and :attr:`AuditChoice.note` says so.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

MAX_AUDIT = 100_000


@dataclass(frozen=True)
class AuditChoice:
    """The rows to ask for the audit, and what to tell the user."""

    ids: list[int]  # rows asked now
    already: int  # rows of the pool with an audit answer of this version and model
    note: str  # "" when N rows were found


def _quotas(sizes: dict[str, int], n: int) -> dict[str, int]:
    """Proportional shares of ``n`` over groups of ``sizes`` (largest remainders; ties by
    name); no group gets more than its size."""
    total = sum(sizes.values())
    if n >= total:
        return dict(sizes)
    exact = {k: n * s / total for k, s in sizes.items()}
    quota = {k: int(v) for k, v in exact.items()}
    left = n - sum(quota.values())
    for k in sorted(sizes, key=lambda k: (-(exact[k] - quota[k]), k))[:left]:
        quota[k] += 1
    return quota


def choose_audit(
    pool: Sequence[tuple[int, str | None]],
    n: int,
    *,
    audited: set[int],
    seed: str,
    stratify: bool,
    test_excluded: bool = False,
) -> AuditChoice:
    """Choose the audit rows (see the module docstring).

    Args:
        pool: (example id, label or None) of every row that may be audited.
        n: how many rows the audit should have (this version and model, in total).
        audited: ids of the pool already audited with this version and model.
        seed: the random seed (a string: deterministic across runs and machines).
        stratify: split the sample by label (classification).
        test_excluded: the pool leaves out test rows (said in the note).
    """
    if n <= 0:
        return AuditChoice([], 0, "")
    already = sum(1 for eid, _ in pool if eid in audited)
    fresh = sorted((eid, label or "") for eid, label in pool if eid not in audited)
    need = max(0, n - already)
    rng = random.Random(seed)
    if need >= len(fresh):
        chosen = [eid for eid, _ in fresh]
    elif stratify:
        groups: dict[str, list[int]] = {}
        for eid, label in fresh:
            groups.setdefault(label, []).append(eid)
        quota = _quotas({k: len(v) for k, v in groups.items()}, need)
        chosen = []
        for label in sorted(groups):
            chosen += rng.sample(groups[label], quota[label])
    else:
        chosen = rng.sample([eid for eid, _ in fresh], need)
    note = ""
    if already + len(chosen) < n:
        note = (
            f"Only {len(pool):,} row(s) of the dataset have an approved human ideal"
            + (" outside the test split" if test_excluded else "")
            + ("" if not already else f" ({already:,} already audited with this version and model)")
            + f": the audit has all of them, not {n:,}."
        )
    return AuditChoice(sorted(chosen), already, note)
