"""Dataset overview: counts by status/split/label, label balance, token-length histogram.

Charts are painted with QPainter (no chart dependency). The numbers come from the core
(:func:`studio.core.datasets.dataset_stats` without the slow near-duplicate pass, and
:func:`studio.core.datasets.token_lengths`: o200k_base tokens of each example's input and
ideal output text, a spread sample above 20,000 examples). That is an *estimate* of
training tokens (the chosen prompt version's template and the chat format add tokens;
exact per-version counts come from validation), and the chart says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from studio.core import datasets as core
from studio.core.models.dataset import SPLITS, STATUSES
from studio.ui.context import AppContext
from studio.ui.datasets.table_model import STATUS_COLORS

SPLIT_COLORS = {
    "train": QColor("#2563eb"),
    "validation": QColor("#7c3aed"),
    "test": QColor("#db2777"),
    core.NONE_KEY: QColor("#9ca3af"),
}
BAR = QColor("#3b82f6")


class HBarChart(QWidget):
    """Horizontal bars with names and values (label balance)."""

    ROW = 18

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items: list[tuple[str, int, QColor]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_items(self, items: Sequence[tuple[str, int, QColor]]) -> None:
        self.items = list(items)
        self.setFixedHeight(max(1, len(self.items)) * self.ROW + 8)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(420, max(1, len(self.items)) * self.ROW + 8)

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        if not self.items:
            p.setPen(QColor("#6b7280"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No examples")
            return
        fm = p.fontMetrics()
        name_w = min(220, max(fm.horizontalAdvance(n) for n, _v, _c in self.items) + 8)
        value_w = fm.horizontalAdvance("000,000") + 8
        top = max(v for _n, v, _c in self.items) or 1
        width = max(10, self.width() - name_w - value_w - 8)
        for i, (name, value, color) in enumerate(self.items):
            y = 4 + i * self.ROW
            p.setPen(QColor("#374151"))
            p.drawText(
                QRectF(0, y, name_w - 6, self.ROW),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                fm.elidedText(name, Qt.TextElideMode.ElideMiddle, name_w - 8),
            )
            w = width * value / top
            p.fillRect(QRectF(name_w, y + 3, max(1.0, w), self.ROW - 6), color)
            p.drawText(
                QRectF(name_w + w + 4, y, value_w, self.ROW),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                f"{value:,}",
            )


class Histogram(QWidget):
    """Vertical bars over bins of token length."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bins: list[tuple[int, int, int]] = []  # (low, high, count)
        self.caption = ""
        self.setMinimumHeight(200)

    def set_lengths(self, lengths: Sequence[int], caption: str) -> None:
        self.caption = caption
        self.bins = []
        if lengths:
            hi = max(lengths)
            # ~20 bins of a round width
            raw = max(1, hi / 20)
            mag = 10 ** int(math.log10(raw)) if raw >= 1 else 1
            width = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
            n = hi // width + 1
            counts = [0] * n
            for v in lengths:
                counts[v // width] += 1
            self.bins = [(i * width, (i + 1) * width - 1, c) for i, c in enumerate(counts)]
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        fm = p.fontMetrics()
        h = self.height()
        if not self.bins:
            p.setPen(QColor("#6b7280"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.caption or "No examples")
            return
        left, bottom, top_pad = fm.horizontalAdvance("00000") + 6, fm.height() * 2 + 6, 8
        plot_h = h - bottom - top_pad
        plot_w = self.width() - left - 8
        top = max(c for _l, _h, c in self.bins) or 1
        bw = plot_w / len(self.bins)
        p.setPen(QColor("#d1d5db"))
        p.drawLine(left, top_pad + plot_h, left + plot_w, top_pad + plot_h)
        for i, (lo, _hi, c) in enumerate(self.bins):
            bh = plot_h * c / top
            p.fillRect(QRectF(left + i * bw + 1, top_pad + plot_h - bh, max(1.0, bw - 2), bh), BAR)
            if i % max(1, len(self.bins) // 8) == 0:
                p.setPen(QColor("#374151"))
                # centred under the bin's left edge: the tick marks where the bin starts
                p.drawText(
                    QRectF(left + i * bw - 20, top_pad + plot_h + 2, 40, fm.height()),
                    Qt.AlignmentFlag.AlignHCenter,
                    str(lo),
                )
        p.setPen(QColor("#374151"))
        p.drawText(
            QRectF(0, top_pad - 4, left - 4, fm.height()), Qt.AlignmentFlag.AlignRight, f"{top:,}"
        )
        p.drawText(
            QRectF(0, top_pad + plot_h - fm.height() + 4, left - 4, fm.height()),
            Qt.AlignmentFlag.AlignRight,
            "0",
        )
        p.setPen(QColor("#6b7280"))
        p.drawText(
            QRectF(left, h - fm.height() - 2, plot_w, fm.height()),
            Qt.AlignmentFlag.AlignCenter,
            "tokens per example (input + ideal output)",
        )


class StackedBar(QWidget):
    """One bar split into coloured parts with a legend (status or split shares)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.parts: list[tuple[str, int, QColor]] = []
        self.setMinimumHeight(48)

    def set_parts(self, parts: Sequence[tuple[str, int, QColor]]) -> None:
        self.parts = list(parts)
        self._fit_height()
        self.update()

    def _legend(self) -> list[tuple[float, float, str, QColor]]:
        """(x, y, text, colour) of each legend entry, wrapped to the widget's width
        (at 1280 x 800 one line cut "rejected 5 (1%)" off: ISSUE-11 §6)."""
        fm = self.fontMetrics()
        total = sum(v for _n, v, _c in self.parts)
        width = max(1, self.width())
        out = []
        x, y = 0.0, 20.0
        for name, v, c in self.parts:
            pct = f"{100 * v / total:.0f}%" if total else "0%"
            text = f"{name} {v:,} ({pct})"
            need = 14 + fm.horizontalAdvance(text) + 4
            if x > 0 and x + need > width:
                x, y = 0.0, y + fm.height() + 4
            out.append((x, y, text, c))
            x += need + 26
        return out

    def _fit_height(self) -> None:
        legend = self._legend()
        bottom = (legend[-1][1] if legend else 20.0) + self.fontMetrics().height() + 4
        self.setMinimumHeight(max(48, int(bottom)))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_height()

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        total = sum(v for _n, v, _c in self.parts)
        w = self.width()
        x = 0.0
        if total:
            for _n, v, c in self.parts:
                pw = w * v / total
                p.fillRect(QRectF(x, 0, pw, 16), c)
                x += pw
        fm = p.fontMetrics()
        p.setPen(QColor("#374151"))
        for lx, ly, text, c in self._legend():
            p.fillRect(QRectF(lx, ly + 4, 10, 10), c)
            p.drawText(QRectF(lx + 14, ly, fm.horizontalAdvance(text) + 4, fm.height()), text)


class OverviewWidget(QWidget):
    """The Overview tab of the datasets view."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.dataset_id: int | None = None
        self._gen = 0
        self.title = QLabel(self)
        f = QFont(self.title.font())
        f.setPointSizeF(f.pointSizeF() * 1.3)
        f.setBold(True)
        self.title.setFont(f)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.status_bar = StackedBar(self)
        self.split_bar = StackedBar(self)
        self.labels = HBarChart(self)
        self.hist = Histogram(self)
        self.hist_note = QLabel(self)
        self.hist_note.setWordWrap(True)
        self.hist_note.setStyleSheet("color: #b45309;")
        self.hist_note.setMinimumHeight(self.hist_note.fontMetrics().lineSpacing() * 4)

        status_box = QGroupBox("By status", self)
        QVBoxLayout(status_box).addWidget(self.status_bar)
        split_box = QGroupBox("By split", self)
        QVBoxLayout(split_box).addWidget(self.split_bar)
        label_box = QGroupBox("Label balance", self)
        scroll = QScrollArea(label_box)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.labels)
        # The group box's own background behind a short chart, not a grey slab below it
        scroll.viewport().setAutoFillBackground(False)
        self.labels.setAutoFillBackground(False)
        ll = QVBoxLayout(label_box)
        self.balance_note = QLabel(label_box)
        self.balance_note.setWordWrap(True)
        ll.addWidget(self.balance_note)  # the summary first: it stays in view with 77 labels
        ll.addWidget(scroll)
        hist_box = QGroupBox("Token length", self)
        hl = QVBoxLayout(hist_box)
        hl.addWidget(self.hist, 1)
        hl.addWidget(self.hist_note)

        grid = QGridLayout()
        grid.addWidget(status_box, 0, 0)
        grid.addWidget(split_box, 0, 1)
        grid.addWidget(label_box, 1, 0)
        grid.addWidget(hist_box, 1, 1)
        grid.setRowStretch(1, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addLayout(head)
        lay.addWidget(self.summary)
        lay.addLayout(grid, 1)
        # Many labellers (ISSUE-14 §3): hidden unless the dataset's rows were assigned
        from studio.ui.datasets.agreement_panel import AgreementPanel

        self.agreement = AgreementPanel(context, self)
        lay.addWidget(self.agreement)

    def clear(self) -> None:
        """Show nothing (another project was opened: no previous project's numbers)."""
        self._gen += 1
        self.dataset_id = None
        for w in (self.title, self.summary, self.balance_note, self.hist_note):
            w.setText("")
        self.hist.set_lengths([], "")
        self.status_bar.set_parts([])
        self.split_bar.set_parts([])
        self.labels.set_items([])
        self.agreement.clear()

    def refresh(self, dataset_id: int) -> None:
        """Recount in the background and repaint."""
        project = self.context.project
        if project is None:
            return
        self.dataset_id = dataset_id
        self._gen += 1
        gen = self._gen
        self.hist_note.setText("Counting tokens…")
        self.agreement.refresh(dataset_id)

        def stats() -> tuple[core.DatasetInfo, dict[str, Any]]:
            # No near-duplicate pass here (seconds on a big dataset, on every tab switch):
            # the Duplicates & leaks dialog runs it with progress and Cancel
            st = core.dataset_stats(project, dataset_id, with_duplicates=False, with_tokens=False)
            return core.get_dataset(project, dataset_id), st

        def got_stats(res: tuple[core.DatasetInfo, dict[str, Any]]) -> None:
            if gen == self._gen:
                self.show_stats(*res)

        def got_tokens(ts: core.TokenLengths) -> None:
            if gen == self._gen:
                self.show_tokens(ts)

        self.context.runner.run(
            stats, on_done=got_stats, on_error=self.context.show_error, db=False
        )
        self.context.runner.run(
            lambda: core.token_lengths(project, dataset_id),
            on_done=got_tokens,
            on_error=self.context.show_error,
            db=False,
        )

    def show_stats(self, info: core.DatasetInfo, st: dict[str, Any]) -> None:
        """Fill the counts and charts from :func:`studio.core.datasets.dataset_stats`."""
        none = core.NONE_KEY
        examples: int = st["examples"]
        by_status: dict[str, int] = st["by_status"]
        by_split: dict[str, int] = st["by_split"]
        by_label: dict[str, int] = st["by_label"]
        self.title.setText(f"{info.name}: {examples:,} examples")
        labelled = examples - by_label.get(none, 0)
        bits = [
            f"task: {info.task_type}",
            f"{labelled:,} labelled",
            f"{by_status.get('approved', 0):,} approved",
        ]
        if st.get("exact_duplicates"):
            bits.append(f"{st['exact_duplicates']:,} exact duplicates")
        self.summary.setText(" · ".join(bits))
        self.status_bar.set_parts(
            [(s.replace("_", " "), by_status.get(s, 0), STATUS_COLORS[s]) for s in STATUSES]
        )
        self.split_bar.set_parts(
            [
                (s if s != none else "unsplit", by_split.get(s, 0), SPLIT_COLORS[s])
                for s in (*SPLITS, none)
            ]
        )
        items = sorted(
            (
                (k if k != none else "(no label)", v, BAR if k != none else QColor("#9ca3af"))
                for k, v in by_label.items()
            ),
            key=lambda t: (-t[1], t[0].casefold()),
        )
        self.labels.set_items(items)
        real = [v for k, v in by_label.items() if k != none]
        if len(real) >= 2:
            ratio = max(real) / max(1, min(real))
            self.balance_note.setText(
                f"{len(real)} labels; the largest has {ratio:.1f}× the examples of the smallest."
            )
        else:
            self.balance_note.setText("")

    def show_tokens(self, ts: core.TokenLengths) -> None:
        """Fill the histogram (always labelled as an estimate)."""
        lengths = ts.lengths
        if not lengths:
            self.hist.set_lengths([], "No examples")
            self.hist_note.setText("")
            return
        srt = sorted(lengths)
        p50 = srt[len(srt) // 2]
        p95 = srt[min(len(srt) - 1, int(len(srt) * 0.95))]
        self.hist.set_lengths(lengths, "")
        sample = (
            f" A spread sample of {len(lengths):,} of {ts.population:,} examples."
            if ts.sampled
            else ""
        )
        self.hist_note.setText(
            f"Estimate: o200k_base tokens of input + ideal output text, before a prompt "
            f"version's template and the chat format are added (validation gives exact "
            f"counts). Median {p50:,}, 95th percentile {p95:,}, longest {srt[-1]:,}.{sample}"
        )
