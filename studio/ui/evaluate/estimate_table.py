"""The cost estimate shown before Run: one row per variant and a total, and its sentence."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem

from studio.core.evals.run_setup import CostEstimate
from studio.ui.evaluate.text import tokens, usd


def fill_estimate_table(table: QTableWidget, estimate: CostEstimate) -> None:
    """Fill ``table``: a row per variant, a bold total, numbers right-aligned, no scrolling."""
    rows = list(estimate.variants)
    table.setRowCount(len(rows) + 1)
    for r, v in enumerate(rows):
        cells = (
            f"{chr(ord('A') + r)}: {v.prompt}",
            v.model,
            str(v.n_calls),
            str(v.n_cached),
            tokens(v.input_tokens),
            tokens(v.output_tokens_estimated),
            usd(v.cost_usd),
        )
        for c, value in enumerate(cells):
            table.setItem(r, c, QTableWidgetItem(value))
    total = (
        "Total",
        "",
        str(estimate.n_calls),
        str(estimate.n_cached),
        tokens(estimate.input_tokens),
        tokens(estimate.output_tokens_estimated),
        usd(estimate.cost_usd),
    )
    for c, value in enumerate(total):
        item = QTableWidgetItem(value)
        font = item.font()
        font.setBold(True)
        item.setFont(font)
        table.setItem(len(rows), c, item)
    for r in range(table.rowCount()):
        for c in range(2, 7):
            cell = table.item(r, c)
            if cell is not None:
                cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    header_h = table.horizontalHeader().sizeHint().height()
    table.setFixedHeight(header_h + 4 + sum(table.rowHeight(r) for r in range(table.rowCount())))


def estimate_text(estimate: CostEstimate) -> str:
    """The sentence under the table: calls, cache, cost, what cannot be rendered."""
    rows = list(estimate.variants)
    parts = [
        f"{estimate.n_examples} examples × {len(rows)} variants = "
        f"{estimate.n_calls} calls; {estimate.n_cached} already in the cache (free)."
    ]
    if estimate.cost_usd is None:
        parts.append(
            "Cost unknown: a model is not in the price table "
            "(local servers cost nothing per token; edit prices.json otherwise)."
        )
    else:
        parts.append(f"Estimated cost {usd(estimate.cost_usd)} for the calls not cached.")
    if estimate.render_errors:
        parts.append(
            f"{estimate.render_errors} request(s) cannot be rendered (a variable "
            "is missing) and will be stored as errors, not sent."
        )
    parts.append("Output tokens are estimated from the ideal answers.")
    if estimate.price_note:
        parts.append(estimate.price_note)
    return " ".join(parts)
