"""Dataset overview: counts, label balance, duplicates, leaks, token-length histogram.

Token lengths are exact when :mod:`studio.core.tokens.counting` is importable (its
``count_tokens(text, encoding)``), else an ESTIMATE of characters / 4, and the result
says which (``token_lengths["exact"]``, ``token_lengths["method"]``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from studio.core.datasets.catalog import get_dataset_in
from studio.core.datasets.duplicates import analyse, group_leaks
from studio.core.db.dialect import driver
from studio.core.db.project import Project
from studio.core.db.transactions import read_conn
from studio.core.models.dataset import SPLITS, STATUSES
from studio.core.progress import CancelToken, ProgressCallback

HISTOGRAM_EDGES = (0, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536)
EXACT_TOKEN_LIMIT = 200_000  # beyond this many examples, fall back to the estimate


def _token_counter(encoding: str) -> tuple[Any, str, bool]:
    try:
        from studio.core.tokens.counting import count_tokens
    except ImportError:
        return (lambda s: math.ceil(len(s) / 4)), "estimate: characters / 4", False
    return (lambda s: count_tokens(s, encoding)), f"exact ({encoding})", True


def token_histogram(
    texts: list[str], encoding: str = "o200k_base", exact: bool | None = None
) -> dict[str, Any]:
    """Histogram of token lengths; bins are ``[edges[i], edges[i+1])``."""
    count, method, is_exact = _token_counter(encoding)
    if exact is False or len(texts) > EXACT_TOKEN_LIMIT:
        count, method, is_exact = (
            (lambda s: math.ceil(len(s) / 4)),
            "estimate: characters / 4",
            False,
        )
    counts = [0] * (len(HISTOGRAM_EDGES))
    lengths = []
    for t in texts:
        n = int(count(t))
        lengths.append(n)
        for i in range(len(HISTOGRAM_EDGES) - 1, -1, -1):
            if n >= HISTOGRAM_EDGES[i]:
                counts[i] += 1
                break
    labels = [
        f"{HISTOGRAM_EDGES[i]}–{HISTOGRAM_EDGES[i + 1] - 1}"
        if i + 1 < len(HISTOGRAM_EDGES)
        else f"{HISTOGRAM_EDGES[i]}+"
        for i in range(len(HISTOGRAM_EDGES))
    ]
    # trim empty bins at the top
    last = max((i for i, c in enumerate(counts) if c), default=0)
    lengths.sort()
    return {
        "exact": is_exact,
        "method": method,
        "bins": labels[: last + 1],
        "counts": counts[: last + 1],
        "max": lengths[-1] if lengths else 0,
        "median": lengths[len(lengths) // 2] if lengths else 0,
        "total": sum(lengths),
    }


def exact_duplicate_count(project: Project, dataset_id: int) -> int:
    """Examples whose normalised input equals an earlier one's (indexed hash: instant).

    The sum over groups of identical normalised inputs of size − 1; near-duplicates need
    :func:`~studio.core.datasets.duplicates.find_duplicates`.
    """
    with read_conn(project) as conn:
        # Same raw-cursor read as datasets/duplicates._load (duplicates report): another query.
        raw: Any = driver(conn)
        row = raw.execute(
            "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM example "
            "WHERE dataset_id = ? GROUP BY norm_hash HAVING count(*) > 1) AS groups",
            (dataset_id,),
        ).fetchone()
    return int(row[0])


def text_samples(
    project: Project, dataset_id: int, limit: int | None = None
) -> list[tuple[str, str]]:
    """(input text, ideal output) of every example, or of about ``limit`` spread evenly.

    The sample takes every k-th example by id order (k = count // limit), so it covers
    the whole dataset rather than its first rows.
    """
    with read_conn(project) as conn:
        raw: Any = driver(conn)
        if limit is None:
            rows = raw.execute(
                "SELECT search_text, coalesce(ideal_output, '') FROM example "
                "WHERE dataset_id = ? ORDER BY id",
                (dataset_id,),
            ).fetchall()
        else:
            n = raw.execute(
                "SELECT count(*) FROM example WHERE dataset_id = ?", (dataset_id,)
            ).fetchone()[0]
            step = max(1, int(n) // max(1, limit))
            rows = raw.execute(
                "SELECT search_text, coalesce(ideal_output, '') FROM (SELECT search_text, "
                "ideal_output, row_number() OVER (ORDER BY id) AS k FROM example "
                "WHERE dataset_id = ?) AS t WHERE (k - 1) % ? = 0 LIMIT ?",
                (dataset_id, step, limit),
            ).fetchall()
    return [(r[0] or "", r[1] or "") for r in rows]


@dataclass(frozen=True)
class TokenLengths:
    """Tokens per example (input + ideal output), for a length histogram.

    Attributes:
        lengths: one count per counted example.
        sampled: True when a spread sample was counted (see ``population``).
        population: examples in the dataset.
        method: how the counts were made (``"o200k_base"``: exact for that encoding).
    """

    lengths: list[int]
    sampled: bool
    population: int
    method: str


TOKEN_EXACT_LIMIT = 20_000
TOKEN_SAMPLE = 5_000


def token_lengths(
    project: Project,
    dataset_id: int,
    *,
    encoding: str = "o200k_base",
    exact_limit: int = TOKEN_EXACT_LIMIT,
    sample: int = TOKEN_SAMPLE,
) -> TokenLengths:
    """Token lengths of every example, or of a spread sample above ``exact_limit``.

    These are the input and ideal-output texts only: a prompt version's template and a
    chat format add tokens (validation of an export gives exact per-line counts).
    """
    from studio.core.tokens.counting import counter

    count = counter(encoding)
    with read_conn(project) as conn:
        raw: Any = driver(conn)
        n = int(
            raw.execute(
                "SELECT count(*) FROM example WHERE dataset_id = ?", (dataset_id,)
            ).fetchone()[0]
        )
    sampled = n > exact_limit
    pairs = text_samples(project, dataset_id, sample if sampled else None)
    return TokenLengths([count(a) + count(b) for a, b in pairs], sampled, n, encoding)


def dataset_stats(
    project: Project,
    name: str | int,
    *,
    with_duplicates: bool = True,
    with_tokens: bool = True,
    exact_tokens: bool | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Overview of a dataset.

    Returns a dict with ``examples``, ``by_status``, ``by_split`` (``"none"`` =
    unassigned), ``by_label`` (``"none"`` = unlabelled), ``duplicates`` (examples that
    duplicate another: the sum over groups of size − 1), ``duplicate_groups``,
    ``leaks`` (test examples with a near/exact copy in train or validation: the
    length of :func:`~studio.core.datasets.duplicates.group_leaks`),
    ``label_balance`` (list of {label, count, share}, largest first, plus
    ``imbalance_ratio`` largest/smallest), ``exact_duplicates`` (examples whose
    normalised input equals another's: always computed, it is an indexed query) and
    ``token_lengths`` (histogram of input + ideal output, exact or estimated as stated;
    None with ``with_tokens=False``). With ``with_duplicates=False`` the near-duplicate
    figures (``duplicates``, ``duplicate_groups``, ``leaks``) are None.
    """
    with read_conn(project) as conn:
        info = get_dataset_in(conn, name)
        raw: Any = driver(conn)
        grouped = raw.execute(
            "SELECT status, split, label, count(*) FROM example WHERE dataset_id = ? "
            "GROUP BY status, split, label",
            (info.id,),
        ).fetchall()
        texts = (
            [
                (r[0] or "") + ("\n" + r[1] if r[1] else "")
                for r in raw.execute(
                    "SELECT search_text, ideal_output FROM example WHERE dataset_id = ?",
                    (info.id,),
                )
            ]
            if with_tokens
            else []
        )
    by_status = {s: 0 for s in STATUSES}
    by_split = {s: 0 for s in SPLITS} | {"none": 0}
    by_label: dict[str, int] = {}
    total = 0
    for status, split, label, c in grouped:
        total += c
        by_status[status] = by_status.get(status, 0) + c
        by_split[split or "none"] = by_split.get(split or "none", 0) + c
        by_label[label or "none"] = by_label.get(label or "none", 0) + c
    balance = sorted(by_label.items(), key=lambda kv: (-kv[1], kv[0]))
    labelled = [c for lb, c in balance if lb != "none"]
    result: dict[str, Any] = {
        "dataset": info.name,
        "task_type": info.task_type,
        "examples": total,
        "by_status": by_status,
        "by_split": by_split,
        "by_label": dict(sorted(by_label.items())),
        "duplicates": None,
        "duplicate_groups": None,
        "leaks": None,
        "label_balance": [
            {"label": lb, "count": c, "share": round(c / total, 4) if total else 0.0}
            for lb, c in balance
        ],
        "imbalance_ratio": round(max(labelled) / min(labelled), 2) if labelled else None,
        "token_lengths": token_histogram(texts, exact=exact_tokens) if with_tokens else None,
        "exact_duplicates": exact_duplicate_count(project, info.id),
    }
    if with_duplicates:
        groups, leaks = analyse(project, info.id, progress, cancel)
        # The one definition the dialog and the CLI show too: rows that
        # "drop the others" would delete, keeper-centred groups, leaking test examples
        result["duplicates"] = sum(g.duplicates for g in groups)
        result["duplicate_groups"] = len(groups)
        result["leaks"] = len(group_leaks(leaks))
    return result
