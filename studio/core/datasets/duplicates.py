"""Near-duplicate detection and train/test leakage, with keep / merge / drop.

Method (two stages):

1. *Candidates* — MinHash over character 3-gram shingles of the normalised input text
   (NFKC, casefold, collapsed whitespace), with LSH banding. Implemented vectorised in
   numpy across all documents at once (shingle hashes from a polynomial rolling hash
   of code points, multiply-shift permutations, ``minimum.reduceat`` per document),
   because per-document MinHash objects (datasketch) cost ~10 µs of Python per
   document per update and would dominate at 100,000 rows. Exact duplicates
   (same normalised text) are grouped by hash first and only one copy enters LSH.
2. *Verification* — every candidate pair is scored with rapidfuzz's normalised Indel
   similarity (1 − edit distance / total length, C++) on the normalised text; pairs
   at or above the threshold are kept. Groups are centred on a keeper (the oldest row
   not yet grouped) and hold only rows within the threshold *of the keeper*, so they
   never chain (:func:`_groups`); ``similarity`` is the lowest similarity to the keeper.

Why these choices, measured on banking77 (train + test, 13,083 queries; an exhaustive
all-pairs rapidfuzz ``cdist`` took 9.0 s and gives the ground truth for recall):

* Precision by similarity band (15 random pairs per band, judged by hand as "the same
  request in essentially the same words": typo, punctuation, contraction, a filler
  word), and the share of pairs whose two banking77 labels agree:

  ============  =====  =====================  ============
  similarity    pairs  judged near-duplicate  same label
  ============  =====  =====================  ============
  1.00            12   15/15 (exact)          100 %
  0.95–1.00      317   15/15                  97 %
  0.90–0.95    1,264   13.5/15 (90 %)         93 %
  0.85–0.90    2,920   11.5/15 (77 %)         85 %
  0.80–0.85    6,948   ~6/15 (40 %)           75 %
  ============  =====  =====================  ============

  Below 0.90 the pairs turn into paraphrases and different intents ("my top up hasn't
  gone through" / "my top up didn't go through" are pending vs failed), so the default
  threshold is **0.90** (:data:`DEFAULT_THRESHOLD`; the UI may lower it to review
  paraphrases). 1,593 banking77 pairs are at or above it; the first band already
  contains label conflicts worth a curator's eye ("has my top up gone through?" is
  labelled both pending_top_up and top_up_reverted).
* Candidate generation, measured against that exhaustive ground truth (13,083
  queries → 13,071 distinct normalised texts, 1,577 distinct pairs ≥ 0.90 in the study;
  the benchmark recomputes it):

  ========================  ==========  ======  ==================
  shingles, bands × rows    candidates  recall  candidate time
  ========================  ==========  ======  ==================
  3-gram, 32 × 3            1,716,721   100 %   4.0 s
  3-gram, 24 × 4 (chosen)     285,243   99.7 %  0.44 s
  3-gram, 20 × 5               68,443   98.2 %  0.09 s
  3-gram, 16 × 4              265,860   99.1 %  0.26 s
  4-gram, 32 × 3              675,884   99.9 %  5.3 s
  ========================  ==========  ======  ==================

  Character 3-grams suit short queries (a one-word edit in a 40-character query
  keeps most 3-grams); 24 × 4 banding finds a pair with Jaccard J with probability
  1 − (1 − J⁴)²⁴: 0.96 at J = 0.6, 0.9998 at J = 0.8. True ≥ 0.90 pairs have an
  estimated 3-gram Jaccard ≥ 0.43 (0.1 % quantile 0.50), so candidates under 0.40 are
  dropped before the exact comparison, and a length bound (Indel ≥ t needs
  |a − b| ≤ (1 − t)(a + b)) drops more without losing any pair. Buckets larger than 32
  (boilerplate such as a "[ticket N]" suffix on every row) compare each member with 4
  representatives only, so the cost stays linear. End to end on banking77: 1.0–1.9 s
  against 9–13 s for the exhaustive comparison, recall 99.6 % of the ≥ 0.90 pairs; on
  100,000 templated rows (benchmark) about 15–30 s on the 2-core CI class, with
  progress and cancel.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Indel

from studio.core.datasets.change_sets import Changes
from studio.core.datasets.curation import add_tag, delete_examples_in, write_example_fields
from studio.core.datasets.normalize import normalize_text, tags_from_db, tags_to_db
from studio.core.datasets.operation_log import finish_operation, new_operation, require_dataset
from studio.core.db.id_sets import load_id_set
from studio.core.db.project import Project
from studio.core.db.transactions import read_conn, write_tx
from studio.core.errors import ValidationError
from studio.core.progress import CancelToken, Progress, ProgressCallback

DEFAULT_THRESHOLD = 0.90
SHINGLE = 3
BANDS = 24
ROWS = 4
JACCARD_PREFILTER = 0.4
MEASURED_RECALL = 0.996  # banking77, vs exhaustive all-pairs at 0.90 (see module docstring)
REVIEWED_DUP_TAG = "dup-reviewed"
REVIEWED_LEAK_TAG = "leak-reviewed"
_SMALL_BUCKET = 32  # buckets up to this size give all their pairs
_STAR = 4  # members of a larger bucket are compared with its first _STAR members
_VERIFY_CHUNK = 200_000
_SIG_CHUNK_DOCS = 32_768  # ~2.5 M shingles, ~20 MB per temporary array
_P = np.uint64(1_000_003)


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


# ----------------------------------------------------------------------------- core algorithm


def _signatures(texts: Sequence[str], seed: int = 1) -> np.ndarray[Any, np.dtype[np.uint32]]:
    """MinHash signatures (len(texts) × BANDS*ROWS) of character n-gram sets.

    Computed in chunks of documents so the temporary arrays stay around 20 MB
    whatever the dataset size.
    """
    k = BANDS * ROWS
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63, size=k, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, size=k, dtype=np.uint64)
    sig = np.empty((len(texts), k), dtype=np.uint32)  # the top 32 bits of each hash
    for start in range(0, len(texts), _SIG_CHUNK_DOCS):
        hv, doc_starts = _shingle_hashes(texts[start : start + _SIG_CHUNK_DOCS])
        shift = np.uint64(32)
        rows = slice(start, start + len(doc_starts))
        for i in range(k):
            # 1-D per permutation: measured 3-5x faster than 2-D blocks with reduceat(axis=0)
            sig[rows, i] = np.minimum.reduceat((hv * a[i] + b[i]) >> shift, doc_starts)
    return sig


def _shingle_hashes(texts: Sequence[str]) -> tuple[Any, Any]:
    """Hashes of every character n-gram of each text, and where each text's start."""
    n = SHINGLE
    padded = [" " + t + " " * max(1, n - len(t) - 1) for t in texts]
    lengths = np.fromiter((len(t) for t in padded), dtype=np.int64, count=len(padded))
    cps = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    # polynomial hash of the n-gram starting at each position (wrapping uint64)
    h = np.zeros(len(cps) - n + 1, dtype=np.uint64)
    for j in range(n):
        h = h * _P + cps[j : len(cps) - n + 1 + j]
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    valid = lengths - n + 1  # n-grams that lie inside one text
    hv = h[_ranges(starts, valid)]
    return hv, np.concatenate(([0], np.cumsum(valid)[:-1]))


def _ranges(starts: Any, counts: Any) -> Any:
    """Concatenated ``arange(s, s + c)`` for every (s, c), vectorised."""
    total = int(counts.sum())
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    return np.arange(total, dtype=np.int64) + offsets


def _candidate_pairs(sig: Any, lengths: Any | None = None, threshold: float = 0.0) -> Any:
    """Unique (i, j) index pairs, i < j, sharing at least one LSH band bucket.

    Buckets up to :data:`_SMALL_BUCKET` members give all their pairs. A larger bucket
    (boilerplate shared by many texts, or a big cluster of copies) pairs every member
    only with its first :data:`_STAR` members: linear instead of quadratic, and enough
    to find a cluster's members (the first members are the oldest texts,
    the likely keepers).
    """
    n = sig.shape[0]
    out = []
    mult = np.uint64(0x9E3779B97F4A7C15)
    positions = np.arange(n)

    def keep(a_: Any, b_: Any) -> None:
        if lengths is not None:
            # Exact, lossless filter: Indel similarity >= t needs
            # |len_a - len_b| <= (1 - t) * (len_a + len_b)
            la, lb = lengths[a_], lengths[b_]
            ok = np.abs(la - lb) <= (1.0 - threshold) * (la + lb) + 1e-9
            a_, b_ = a_[ok], b_[ok]
        out.append(np.minimum(a_, b_).astype(np.int64) * n + np.maximum(a_, b_))

    for band in range(BANDS):
        cols = sig[:, band * ROWS : (band + 1) * ROWS]
        key = np.zeros(n, dtype=np.uint64)
        for c in range(ROWS):
            key = (key ^ cols[:, c].astype(np.uint64)) * mult
        order = np.argsort(key, kind="stable")
        sk = key[order]
        new_bucket = np.empty(n, dtype=bool)
        new_bucket[0] = True
        np.not_equal(sk[1:], sk[:-1], out=new_bucket[1:])
        bucket = np.cumsum(new_bucket) - 1
        starts = np.flatnonzero(new_bucket)
        sizes = np.diff(np.append(starts, n))
        size_of = sizes[bucket]
        start_of = starts[bucket]
        small = (size_of > 1) & (size_of <= _SMALL_BUCKET)
        for d in range(1, _SMALL_BUCKET):
            k = np.flatnonzero(small[:-d] & (bucket[:-d] == bucket[d:]))
            if not len(k):
                break
            keep(order[k], order[k + d])
        big = size_of > _SMALL_BUCKET
        if big.any():
            offset = positions - start_of
            for r in range(_STAR):
                k = np.flatnonzero(big & (offset > r))
                keep(order[start_of[k] + r], order[k])
    if not out:
        return np.empty((0, 2), dtype=np.int64)
    codes = np.unique(np.concatenate(out))
    return np.stack((codes // n, codes % n), axis=1)


def _estimated_jaccard(sig: Any, pairs: Any, chunk: int = 20_000) -> Any:
    """Share of equal MinHash values per pair (an unbiased Jaccard estimate)."""
    out = np.empty(len(pairs), dtype=np.float32)
    for s in range(0, len(pairs), chunk):
        p = pairs[s : s + chunk]
        out[s : s + chunk] = (sig[p[:, 0]] == sig[p[:, 1]]).mean(axis=1)
    return out


def near_duplicate_pairs(
    texts: Sequence[str],
    threshold: float = DEFAULT_THRESHOLD,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> list[tuple[int, int, float]]:
    """(i, j, similarity) for index pairs of *distinct* normalised texts ≥ threshold."""
    if len(texts) < 2:
        return []
    if progress:
        progress(Progress(0, 3, "Computing MinHash signatures"))
    sig = _signatures(texts)
    if cancel:
        cancel.raise_if_cancelled()
    if progress:
        progress(Progress(1, 3, "Finding candidate pairs"))
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    cands = _candidate_pairs(sig, lengths, threshold)
    if len(cands):
        # Cheap vectorised prefilter before the exact (per-pair) comparison: no banking77
        # pair at >= 0.90 similarity has an estimated 3-gram Jaccard below 0.43
        cands = cands[_estimated_jaccard(sig, cands) >= JACCARD_PREFILTER]
    if cancel:
        cancel.raise_if_cancelled()
    if progress:
        progress(Progress(2, 3, f"Comparing {len(cands):,} candidate pairs"))
    result: list[tuple[int, int, float]] = []
    for start in range(0, len(cands), _VERIFY_CHUNK):
        if cancel:
            cancel.raise_if_cancelled()
        if progress:
            progress(Progress(2, 3, f"Compared {start:,} of {len(cands):,} candidate pairs"))
        part = cands[start : start + _VERIFY_CHUNK]
        # rapidfuzz compares the pairs in C++ on all cores
        scores = process.cpdist(
            [texts[i] for i in part[:, 0].tolist()],
            [texts[j] for j in part[:, 1].tolist()],
            scorer=Indel.normalized_similarity,
            score_cutoff=threshold,
            dtype=np.float64,
            workers=-1,
        )
        hit = np.flatnonzero(scores >= threshold)
        result.extend(
            zip(part[hit, 0].tolist(), part[hit, 1].tolist(), scores[hit].tolist(), strict=True)
        )
    if progress:
        progress(Progress(3, 3, f"{len(result):,} near-duplicate pairs"))
    return result


@dataclass(frozen=True)
class _Loaded:
    ids: list[int]
    norm: list[str]
    split: list[str | None]
    tags: list[tuple[str, ...]]


def _load(project: Project, dataset_id: int) -> _Loaded:
    with read_conn(project) as conn:
        require_dataset(conn, dataset_id)
        raw: Any = conn.connection.driver_connection
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


# ----------------------------------------------------------------------------- resolving


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
    raw: Any = conn.connection.driver_connection
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
        raw: Any = conn.connection.driver_connection
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
