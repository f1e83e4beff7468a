"""Exact offline token counts and the dated price table."""

from __future__ import annotations

from studio.core.tokens.counting import (
    count_chat_tokens,
    count_tokens,
    encode,
    encoding_for_model,
)
from studio.core.tokens.prices import (
    ModelPrice,
    PriceTable,
    billed_training_tokens,
    default_epochs,
    load_price_table,
)

__all__ = [
    "ModelPrice",
    "PriceTable",
    "billed_training_tokens",
    "count_chat_tokens",
    "count_tokens",
    "default_epochs",
    "encode",
    "encoding_for_model",
    "load_price_table",
]
