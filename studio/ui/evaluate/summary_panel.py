"""The run summary: the verdict sentence first, then the charts and the numbers.

Errors (no answer) are shown in their own column and never inside the score; unknown
tokens or cost say "unknown", never 0; "N from cache" says how much of the run was free.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.evals.summary import RunSummary
from studio.ui.evaluate.charts import LatencyBar, LatencyChart, ScoreBar, ScoreChart
from studio.ui.evaluate.scorer_help import agreement_lines
from studio.ui.evaluate.text import ci_text, ms, pct, tokens, usd
from studio.ui.widgets.labels import wrapped_label

NUMBER_COLUMNS = (
    "Variant",
    "Model",
    "Score",
    "95% CI",
    "Scored",
    "Errors",
    "p50",
    "p95",
    "Tokens in",
    "Tokens out",
    "Cost",
    "Per 1,000 tasks",
)


def calls_sentence(summary: RunSummary) -> str:
    """``"224 calls: 0 new, 224 from cache, 0 failed."``"""
    c = summary.calls
    total = c.get("made", 0) + c.get("cached", 0)
    return (
        f"{total} answers stored: {c.get('made', 0)} from new calls, "
        f"{c.get('cached', 0)} from cache, {c.get('failed', 0)} failed."
    )


def _figures_table(object_name: str, columns: int) -> QTableWidget:
    """A read-only table of figures, as tall as its rows (the panel scrolls, not it)."""
    table = QTableWidget(0, columns)
    table.setObjectName(object_name)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return table


class SummaryPanel(QWidget):
    """Verdict, warnings, preference test, charts and the per-variant table."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary: RunSummary | None = None
        self.title = wrapped_label(
            "summary_title", "No run selected. Set up a run, or pick one from Past runs."
        )
        self.verdict = wrapped_label("verdict_label")
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.verdict.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.verdict.setFont(font)
        self.warnings = wrapped_label("summary_warnings")
        self.warnings.setStyleSheet("color: #8a5a00;")
        self.preferences = wrapped_label("summary_preferences")
        self.calls = wrapped_label("summary_calls")
        self.score_chart = ScoreChart()
        self.latency_chart = LatencyChart()
        self.table = _figures_table("summary_table", len(NUMBER_COLUMNS))
        self.table.setHorizontalHeaderLabels(list(NUMBER_COLUMNS))
        self.confusion_title = QLabel("<b>Most frequent confusions</b> (expected → answered)")
        self.confusion = _figures_table("confusion_table", 2)
        self.scorer_figures = wrapped_label("summary_scorer_figures")
        self.note = wrapped_label("summary_note")
        self.note.setStyleSheet("color: palette(placeholder-text);")

        charts = QHBoxLayout()
        charts.addWidget(self.score_chart, 1)
        charts.addWidget(self.latency_chart, 1)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.title)
        layout.addWidget(self.verdict)
        layout.addWidget(self.warnings)
        layout.addWidget(self.preferences)
        layout.addLayout(charts)
        layout.addWidget(self.table)
        layout.addWidget(self.calls)
        layout.addWidget(self.scorer_figures)
        layout.addWidget(self.confusion_title)
        layout.addWidget(self.confusion)
        layout.addWidget(self.note)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._hide_all()

    def _hide_all(self) -> None:
        for w in (
            self.verdict,
            self.warnings,
            self.preferences,
            self.calls,
            self.note,
            self.table,
            self.score_chart,
            self.latency_chart,
            self.confusion,
            self.confusion_title,
            self.scorer_figures,
        ):
            w.setVisible(False)

    def clear(self) -> None:
        """Show nothing."""
        self.summary = None
        self.title.setText("No run selected. Set up a run, or pick one from Past runs.")
        self._hide_all()

    def set_summary(self, summary: RunSummary) -> None:
        """Show ``summary``."""
        self.summary = summary
        status = {
            "completed": "",
            "cancelled": " — cancelled, partial results",
            "failed": " — failed",
            "running": " — running",
            "pending": " — not run yet",
            "interrupted": " — interrupted, partial results",
        }
        self.title.setText(
            f"<b>Run {summary.run_id}</b>: {html.escape(summary.name)} · "
            f"{html.escape(summary.dataset)} ({summary.split} split), n = {summary.n}, "
            f"scorer {summary.scorer}{status.get(summary.status, ' — ' + summary.status)}"
        )
        verdict = summary.verdict_text
        if summary.status == "failed" and summary.failed_reason:
            verdict = f"The run failed: {summary.failed_reason}"
        self.verdict.setText(verdict)
        warnings = list(summary.warnings)
        if summary.status == "interrupted":
            warnings.insert(
                0,
                "The run was interrupted: the process running it stopped "
                "(closed, killed or crashed). These numbers cover the answers "
                "stored so far. Resume to complete it without repeating calls.",
            )
        if summary.status == "cancelled":
            warnings.insert(
                0,
                "The run was cancelled: these numbers cover the answers stored "
                "so far. Resume to complete it without repeating calls.",
            )
        self.warnings.setText("\n".join(f"⚠ {w}" for w in warnings))
        self.warnings.setVisible(bool(warnings))
        prefs = [
            p.text
            for p in summary.preferences
            if summary.comparison is None or p.text != summary.comparison.verdict
        ]
        self.preferences.setText(
            "\n".join(
                f"Preferences ({p.source}): {p.text}"
                for p in summary.preferences
                if p.text in prefs
            )
        )
        self.preferences.setVisible(bool(prefs))
        self.calls.setText(calls_sentence(summary))
        figures = agreement_lines(summary)
        self.scorer_figures.setText("\n".join(figures))
        self.scorer_figures.setVisible(bool(figures))
        self.note.setText(f"Note: {summary.recorded_note}." if summary.recorded_note else "")
        self.note.setVisible(bool(summary.recorded_note))
        self.score_chart.set_data(
            [ScoreBar(v.prompt, v.score, v.ci95, v.answered) for v in summary.variants]
        )
        self.latency_chart.set_data(
            [LatencyBar(v.prompt, v.latency_p50_ms, v.latency_p95_ms) for v in summary.variants]
        )
        self._fill_table(summary)
        shown = self._fill_confusions(summary)
        self.confusion.setVisible(shown)
        self.confusion_title.setVisible(shown)
        for w in (self.verdict, self.calls, self.table, self.score_chart, self.latency_chart):
            w.setVisible(True)

    def _fill_table(self, summary: RunSummary) -> None:
        self.table.setRowCount(len(summary.variants))
        for r, v in enumerate(summary.variants):
            cells = (
                f"{chr(ord('A') + r)}: {v.prompt}",
                v.model,
                pct(v.score),
                ci_text(v.ci95),
                f"{v.answered} of {v.n}",
                str(v.errors),
                ms(v.latency_p50_ms),
                ms(v.latency_p95_ms),
                tokens(v.tokens_in),
                tokens(v.tokens_out),
                usd(v.cost_usd),
                usd(v.cost_per_1000, 3),
            )
            for c, value in enumerate(cells):
                item = QTableWidgetItem(value)
                if c >= 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if c == 5 and v.errors:
                    item.setToolTip(
                        "Calls that produced no answer: counted apart, not as wrong "
                        "answers, and left out of the score."
                    )
                self.table.setItem(r, c, item)
        header_h = self.table.horizontalHeader().sizeHint().height()
        self.table.setFixedHeight(
            header_h + 4 + sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        )

    def _fill_confusions(self, summary: RunSummary, limit: int = 8) -> bool:
        """The label pairs most often confused, per variant (label scorer only)."""
        tables = [v.confusion for v in summary.variants]
        if not any(tables):
            return False
        pairs: dict[tuple[str, str], list[int]] = {}
        for i, table in enumerate(tables):
            for expected, row in ((table or {}).get("counts") or {}).items():
                for predicted, count in row.items():
                    if predicted != expected:
                        pairs.setdefault((expected, str(predicted)), [0] * len(tables))[i] += int(
                            count
                        )
        top = sorted(pairs.items(), key=lambda kv: (-sum(kv[1]), kv[0]))[:limit]
        if not top:
            return False
        headers = ["Expected", "Answered"] + [
            f"{chr(ord('A') + i)}: {v.prompt}" for i, v in enumerate(summary.variants)
        ]
        self.confusion.setColumnCount(len(headers))
        self.confusion.setHorizontalHeaderLabels(headers)
        self.confusion.setRowCount(len(top))
        for r, ((expected, predicted), counts) in enumerate(top):
            cells = [expected, predicted, *(str(c) for c in counts)]
            for c, value in enumerate(cells):
                item = QTableWidgetItem(value)
                if c >= 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.confusion.setItem(r, c, item)
        header_h = self.confusion.horizontalHeader().sizeHint().height()
        self.confusion.setFixedHeight(
            header_h
            + 4
            + sum(self.confusion.rowHeight(r) for r in range(self.confusion.rowCount()))
        )
        return True
