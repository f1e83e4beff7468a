"""The statistics of a validated file: token counts with their histogram, and the
training estimate (epochs, billed tokens, cost per model of the same tokenizer)."""

from __future__ import annotations

from array import array
from typing import Any

from studio.core.formats.common import FormatSpec
from studio.core.quantiles import percentile
from studio.core.tokens.prices import PriceTable, default_epochs

HIST_EDGES = (0, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072)


def whole_percentile(sorted_values: array[int] | list[int], q: float) -> int:
    """Whole tokens at the studio's one percentile definition (:mod:`studio.core.quantiles`)."""
    value = percentile(sorted_values, q * 100)
    return 0 if value is None else round(value)


def token_stats(
    tokens: array[int], limit: int | None, exact: bool, encoding: str
) -> dict[str, Any]:
    values = sorted(tokens)
    n = len(values)
    hist: list[dict[str, Any]] = []
    if n:
        edges = [*list(HIST_EDGES), None]
        counts = [0] * (len(edges) - 1)
        j = 0
        for v in values:  # sorted: walk the edges once
            while edges[j + 1] is not None and v >= edges[j + 1]:  # type: ignore[operator]
                j += 1
            counts[j] += 1
        hist = [{"lo": edges[i], "hi": edges[i + 1], "count": c} for i, c in enumerate(counts) if c]
    return {
        "encoding": encoding,
        "exact": exact,
        "count": n,
        "total": sum(values),
        "min": values[0] if n else 0,
        "max": values[-1] if n else 0,
        "mean": round(sum(values) / n, 2) if n else 0.0,
        "p50": whole_percentile(values, 0.5),
        "p95": whole_percentile(values, 0.95),
        "histogram": hist,
        "limit": limit,
        "over_limit": sum(1 for v in values if limit is not None and v > limit),
    }


def training_stats(
    tokens: array[int],
    spec: FormatSpec,
    model: str | None,
    table: PriceTable | None,
    limit: int | None,
    encoding: str,
) -> dict[str, Any]:
    n = len(tokens)
    epochs = default_epochs(n)
    per_limit: dict[int | None, int] = {}

    def clipped(lim: int | None) -> int:
        if lim not in per_limit:
            per_limit[lim] = sum(tokens) if lim is None else sum(min(lim, t) for t in tokens)
        return per_limit[lim]

    billed = epochs * clipped(limit)
    result: dict[str, Any] = {
        "model": model,
        "epochs": epochs,
        "max_tokens_per_example": limit,
        "billed_tokens": billed,
        "estimated_cost": None,
        "currency": table.currency if table else None,
        "price_as_of": table.as_of.isoformat() if table else None,
        "price_file": str(table.path) if table and table.path else None,
        "estimate_note": "Cookbook rule: epochs x sum(min(limit, tokens)); the real billed "
        "count is the job's trained_tokens.",
        "per_model": {},
    }
    if table is None:
        return result
    if model is not None:
        result["estimated_cost"] = table.training_cost(model, billed)
    entry = table.get(model) if model else None
    provider = entry.provider if entry else None
    if spec.exact_tokens and provider:
        for name, price in table.models.items():
            # Same provider and tokenizer only: counts in another encoding would differ.
            if (
                price.provider != provider
                or price.training_per_1m is None
                or price.encoding != encoding
            ):
                continue
            b = epochs * clipped(price.max_example_tokens)
            result["per_model"][name] = {
                "billed_tokens": b,
                "estimated_cost": round(b * price.training_per_1m / 1_000_000, 4),
                "max_example_tokens": price.max_example_tokens,
            }
    return result
