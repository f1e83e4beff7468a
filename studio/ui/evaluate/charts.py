"""Two small QPainter charts for the run summary.

* :class:`ScoreChart`: one horizontal bar per variant (score) with its 95% interval as an
  error bar; the axis always runs 0–100% so two runs' charts can be compared by eye.
* :class:`LatencyChart`: p50 (solid) and p95 (light) latency bars per variant on a shared
  millisecond axis.

They paint from plain tuples set with ``set_data``; nothing here touches the project.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

# One colour per variant position (A, B, C, ...): colour-blind-safe (Okabe-Ito).
VARIANT_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")


def variant_colour(position: int) -> QColor:
    """The colour of the variant at ``position``."""
    return QColor(VARIANT_COLOURS[position % len(VARIANT_COLOURS)])


@dataclass(frozen=True)
class ScoreBar:
    """A variant's score and 95% interval (fractions); None when nothing was answered."""

    label: str
    score: float | None
    ci: tuple[float, float] | None
    n: int = 0


@dataclass(frozen=True)
class LatencyBar:
    """A variant's latency percentiles in milliseconds (None = unknown)."""

    label: str
    p50: float | None
    p95: float | None


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return float(step * exp)
    return float(10 * exp)


class _Chart(QWidget):
    """One row per variant: the title, the row labels and the axis; subclasses paint bars."""

    row_height = 34
    title = ""
    bars: Sequence[ScoreBar | LatencyBar]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.bars = []

    def set_data(self, bars: Sequence[ScoreBar | LatencyBar]) -> None:
        """Show these variants (in run order)."""
        self.bars = list(bars)
        self.updateGeometry()
        self.update()

    def _label_width(self, labels: list[str]) -> int:
        fm = QFontMetrics(self.font())
        widest = max((fm.horizontalAdvance(text) for text in labels), default=40)
        return min(max(widest + 12, 90), max(90, self.width() // 3))

    def sizeHint(self) -> QSize:
        return QSize(420, 44 + max(1, len(self.bars)) * self.row_height + 26)

    def minimumSizeHint(self) -> QSize:
        return QSize(260, self.sizeHint().height())

    def _frame(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.palette().base())
        painter.setPen(self.palette().text().color())
        bold = painter.font()
        bold.setBold(True)
        painter.save()
        painter.setFont(bold)
        painter.drawText(
            QRectF(8, 4, self.width() - 16, 22),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            self.title,
        )
        painter.restore()

    def _row_label(self, painter: QPainter, label: str, y: float, label_w: int) -> None:
        painter.setPen(self.palette().text().color())
        name = QFontMetrics(self.font()).elidedText(
            label, Qt.TextElideMode.ElideMiddle, label_w - 10
        )
        painter.drawText(
            QRectF(4, y, label_w - 8, self.row_height),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            name,
        )

    def _axis(
        self,
        painter: QPainter,
        left: float,
        right: float,
        top: float,
        bottom: float,
        ticks: list[tuple[float, str]],
    ) -> None:
        grid = QColor(self.palette().text().color())
        grid.setAlpha(40)
        text_colour = QColor(self.palette().text().color())
        text_colour.setAlpha(170)
        for frac, label in ticks:
            x = left + frac * (right - left)
            painter.setPen(QPen(grid, 1))
            painter.drawLine(int(x), int(top), int(x), int(bottom))
            painter.setPen(text_colour)
            painter.drawText(
                QRectF(x - 40, bottom + 2, 80, 18), Qt.AlignmentFlag.AlignHCenter, label
            )


class ScoreChart(_Chart):
    """Scores with 95% Wilson intervals, one bar per variant."""

    title = "Score (95% CI)"
    bars: Sequence[ScoreBar]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("score_chart")

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            self._frame(painter)
            if not self.bars:
                painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No scores yet.")
                return
            label_w = self._label_width([b.label for b in self.bars])
            left, right = float(label_w), float(self.width() - 70)
            top = 30.0
            bottom = top + len(self.bars) * self.row_height
            self._axis(
                painter,
                left,
                right,
                top,
                bottom,
                [(f, f"{int(f * 100)}%") for f in (0.0, 0.25, 0.5, 0.75, 1.0)],
            )
            for i, bar in enumerate(self.bars):
                y = top + i * self.row_height
                self._row_label(painter, bar.label, y, label_w)
                if bar.score is None:
                    painter.drawText(
                        QRectF(left + 6, y, right - left, self.row_height),
                        Qt.AlignmentFlag.AlignVCenter,
                        "no answers scored",
                    )
                    continue
                colour = variant_colour(i)
                fill = QColor(colour)
                fill.setAlpha(190)
                h = self.row_height * 0.52
                bar_rect = QRectF(
                    left, y + (self.row_height - h) / 2, bar.score * (right - left), h
                )
                painter.fillRect(bar_rect, fill)
                if bar.ci is not None:
                    lo = left + bar.ci[0] * (right - left)
                    hi = left + bar.ci[1] * (right - left)
                    mid = y + self.row_height / 2
                    painter.setPen(QPen(self.palette().text().color(), 1.6))
                    painter.drawLine(int(lo), int(mid), int(hi), int(mid))
                    painter.drawLine(int(lo), int(mid - 7), int(lo), int(mid + 7))
                    painter.drawLine(int(hi), int(mid - 7), int(hi), int(mid + 7))
                painter.setPen(self.palette().text().color())
                painter.drawText(
                    QRectF(right + 6, y, 64, self.row_height),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                    f"{bar.score * 100:.1f}%",
                )
        finally:
            painter.end()


class LatencyChart(_Chart):
    """Latency p50 and p95 per variant."""

    title = "Latency (p50 solid, p95 light)"
    bars: Sequence[LatencyBar]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("latency_chart")

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            self._frame(painter)
            known = [v for b in self.bars for v in (b.p50, b.p95) if v is not None]
            if not known:
                painter.drawText(
                    self.rect(), Qt.AlignmentFlag.AlignCenter, "No latency measured yet."
                )
                return
            top_value = _nice_max(max(known))
            label_w = self._label_width([b.label for b in self.bars])
            left, right = float(label_w), float(self.width() - 104)
            top = 30.0
            bottom = top + len(self.bars) * self.row_height
            ticks = [(f, f"{top_value * f:,.0f} ms") for f in (0.0, 0.5, 1.0)]
            self._axis(painter, left, right, top, bottom, ticks)
            for i, bar in enumerate(self.bars):
                y = top + i * self.row_height
                self._row_label(painter, bar.label, y, label_w)
                colour = variant_colour(i)
                h = self.row_height * 0.52
                y0 = y + (self.row_height - h) / 2
                if bar.p95 is not None:
                    light = QColor(colour)
                    light.setAlpha(70)
                    painter.fillRect(
                        QRectF(left, y0, bar.p95 / top_value * (right - left), h), light
                    )
                if bar.p50 is not None:
                    solid = QColor(colour)
                    solid.setAlpha(200)
                    painter.fillRect(
                        QRectF(left, y0, bar.p50 / top_value * (right - left), h), solid
                    )
                painter.setPen(self.palette().text().color())
                text = (
                    f"{bar.p50:,.0f} / {bar.p95:,.0f} ms"
                    if bar.p50 is not None and bar.p95 is not None
                    else "unknown"
                )
                painter.drawText(
                    QRectF(right + 6, y, 100, self.row_height),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                    text,
                )
        finally:
            painter.end()
