"""The studio's one percentile definition (p50/p95 of latencies, token counts, ...).

Linear interpolation between the two nearest ranks, numpy's default ("linear", Hyndman
and Fan type 7): ``p95`` of 20 values lies between the 19th and 20th smallest. It lives
at the bottom of ``studio.core`` so the format validator (token counts) and the evals
(latency) share it without the lower layer importing the higher one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) with linear interpolation (numpy's default).

    Returns None for an empty sequence.
    """
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"Percentile must be between 0 and 100, not {q}.")
    if not values:
        return None
    data = sorted(values)
    pos = (len(data) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)
