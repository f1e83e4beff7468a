"""A token-length histogram drawn with QPainter (no chart library)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget


def _short(n: int) -> str:
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024}k"
    return str(n)


class TokenHistogram(QWidget):
    """Bars of examples per token-length bin; bins past the model's limit are red.

    ``set_stats(tokens)`` takes the validator's ``stats["tokens"]`` (``histogram``:
    ``[{"lo", "hi", "count"}]``, ``limit``).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bins: list[dict[str, Any]] = []
        self.limit: int | None = None
        self.setMinimumHeight(120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(320, 160)

    def set_stats(self, tokens: dict[str, Any] | None) -> None:
        """Show the histogram of ``tokens`` (None clears it)."""
        self.bins = list((tokens or {}).get("histogram") or [])
        self.limit = (tokens or {}).get("limit")
        self.setToolTip("\n".join(self.bin_labels()))
        self.update()

    def bin_labels(self) -> list[str]:
        """``lo-hi: count`` per bin (also the tooltip)."""
        out = []
        for b in self.bins:
            hi = b.get("hi")
            rng = f"{_short(b['lo'])}-{_short(hi)}" if hi is not None else f"{_short(b['lo'])}+"
            out.append(f"{rng} tokens: {b['count']:,} examples")
        return out

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            self._paint(painter)
        finally:
            painter.end()

    def _paint(self, p: QPainter) -> None:
        pal = self.palette()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        text_color = pal.color(QPalette.ColorRole.WindowText)
        if not self.bins:
            p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No token counts yet")
            return
        fm = p.fontMetrics()
        left, right, top = 8, 8, fm.height() + 4
        bottom = fm.height() * 3 + 6
        plot_w, plot_h = max(10, w - left - right), max(10, h - top - bottom)
        n = len(self.bins)
        peak = max(b["count"] for b in self.bins) or 1
        slot = plot_w / n
        bar_w = max(2.0, slot * 0.72)
        normal = pal.color(QPalette.ColorRole.Highlight)
        over = QColor("#c62828")
        p.setPen(pal.color(QPalette.ColorRole.Mid))
        p.drawLine(left, top + plot_h, left + plot_w, top + plot_h)
        for i, b in enumerate(self.bins):
            x = left + i * slot + (slot - bar_w) / 2
            bh = plot_h * b["count"] / peak
            hi = b.get("hi")
            # a bin [lo, hi) reaches past the limit when it can hold a longer example
            is_over = self.limit is not None and (hi is None or hi - 1 > self.limit)
            p.fillRect(QRectF(x, top + plot_h - bh, bar_w, bh), over if is_over else normal)
            p.setPen(text_color)
            count_rect = QRectF(
                x - slot, top + plot_h - bh - fm.height() - 1, bar_w + 2 * slot, fm.height()
            )
            p.drawText(
                count_rect,
                Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                f"{b['count']:,}",
            )
            label = _short(b["lo"])
            p.drawText(
                QRectF(x - slot / 2, top + plot_h + 2, bar_w + slot, fm.height()),
                Qt.AlignmentFlag.AlignHCenter,
                label,
            )
        # Short enough for the pane's usual width (the tooltip has the exact ranges)
        captions = ["tokens per example (bin start)" if plot_w > 260 else "tokens per example"]
        if self.limit:
            captions.append(f"red: over the {_short(self.limit)}-token limit")
        p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
        for i, caption in enumerate(reversed(captions)):
            text = fm.elidedText(caption, Qt.TextElideMode.ElideRight, int(plot_w))
            p.drawText(
                QRectF(left, h - (i + 1) * fm.height() - 2, plot_w, fm.height()),
                Qt.AlignmentFlag.AlignHCenter,
                text,
            )
