"""Finding near-duplicate pairs of texts: MinHash candidates, verified by edit distance.

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
   never chain (:mod:`studio.core.datasets.duplicates`); ``similarity`` is the lowest
   similarity to the keeper.

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

from collections.abc import Sequence
from typing import Any

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Indel

from studio.core.progress import CancelToken, Progress, ProgressCallback

DEFAULT_THRESHOLD = 0.90
SHINGLE = 3
BANDS = 24
ROWS = 4
JACCARD_PREFILTER = 0.4
MEASURED_RECALL = 0.996  # banking77, vs exhaustive all-pairs at 0.90 (see module docstring)
_SMALL_BUCKET = 32  # buckets up to this size give all their pairs
_STAR = 4  # members of a larger bucket are compared with its first _STAR members
_VERIFY_CHUNK = 200_000
_SIG_CHUNK_DOCS = 32_768  # ~2.5 M shingles, ~20 MB per temporary array
_P = np.uint64(1_000_003)


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


_CROSS_CELLS = 2_000_000  # similarity cells per cdist chunk (~16 MB of float64)


def nearest_matches(
    queries: Sequence[str],
    corpus: Sequence[str],
    threshold: float = DEFAULT_THRESHOLD,
    cancel: CancelToken | None = None,
) -> list[tuple[int, float] | None]:
    """For each query, the corpus text most similar to it at or above ``threshold``.

    Exhaustive (every query against every corpus text, no MinHash stage) with the same
    measure as the verification stage above (normalised Indel similarity, in C++ on all
    cores): where a miss is not acceptable — a new input that nearly repeats a test row
    must never be added — and the queries are few (a few hundred new inputs against a
    test split of thousands is about a million comparisons, well under a second). Give
    normalised texts (:func:`studio.core.datasets.normalize.normalize_text`).

    Returns:
        ``(corpus index, similarity)`` per query, or None when nothing reaches the threshold.
    """
    out: list[tuple[int, float] | None] = [None] * len(queries)
    if not queries or not corpus:
        return out
    step = max(1, _CROSS_CELLS // len(corpus))
    for start in range(0, len(queries), step):
        if cancel:
            cancel.raise_if_cancelled()
        scores = process.cdist(
            list(queries[start : start + step]),
            corpus,
            scorer=Indel.normalized_similarity,
            score_cutoff=threshold,
            # float64: float32 holds 0.9 as 0.8999…, below a 0.9 threshold
            dtype=np.float64,
            workers=-1,
        )
        best = scores.argmax(axis=1)
        for row, col in enumerate(best.tolist()):
            score = float(scores[row, col])
            if score >= threshold:
                out[start + row] = (int(col), score)
    return out
