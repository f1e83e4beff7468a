"""The decision on screen: headline, traced reasons, what would change it, charts, costs.

Charts are the report's own inline SVG (``studio.core.decide.report``), drawn with
QtSvg, so the app and the exported HTML show the same pictures.
"""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtSvgWidgets import QSvgWidget
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.decide.decision import Decision
from studio.core.decide.reasons import Reason, jsonable
from studio.core.decide.report import (
    SOURCE_LABELS,
    TITLES,
    cheapest_line,
    cost_chart,
    cost_rows,
    evidence_rows,
    label_chart,
    platform_rows,
    score_chart,
)

WARNING_COLOUR = "#9a5b00"


def value_text(value: Any) -> str:
    """A reason's value as short text (numbers rounded, lists joined)."""
    v = jsonable(value)
    if v is None:
        return "unknown"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, list):
        return ", ".join(value_text(x) for x in v) or "none"
    return str(v)


def reason_html(index: int, reason: Reason, provenance: dict[str, str]) -> str:
    """One reason as rich text: the claim, then its value and where it comes from."""
    # Evidence reasons already end with their provenance in brackets (the core adds it).
    where = f"{SOURCE_LABELS.get(reason.source, reason.source)}: {reason.field}"
    if (
        reason.source == "evidence"
        and reason.field in provenance
        and provenance[reason.field] not in reason.text
    ):
        where += f" — {provenance[reason.field]}"
    return (
        f"<p style='margin-bottom:6px'><b>{index}.</b> {escape(reason.text)}<br>"
        f"<span style='color:gray'>value <b>{escape(value_text(reason.value))}</b> · "
        f"{escape(where)}</span></p>"
    )


class SvgChart(QSvgWidget):
    """One SVG chart: its natural size (the report draws them 640 px wide) at most,
    scaled down with its aspect kept when the pane is narrower, so the report wraps
    instead of scrolling sideways at 1280 x 800 (ISSUE-11 §6)."""

    MIN_WIDTH = 360

    def __init__(self, svg: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.svg = svg
        self.load(QByteArray(svg.encode("utf-8")))
        size = self.renderer().defaultSize()
        self._natural = size if size.isValid() else QSize(640, 200)
        self.setMinimumWidth(min(self.MIN_WIDTH, self._natural.width()))
        self.setMaximumSize(self._natural)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def sizeHint(self) -> QSize:
        return self._natural

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        w = min(width, self._natural.width())
        return max(1, round(self._natural.height() * w / max(1, self._natural.width())))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        h = self.heightForWidth(self.width())
        if self.height() != h:
            self.setFixedHeight(h)


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 1.15)
    label.setFont(font)
    label.setContentsMargins(0, 10, 0, 2)
    return label


def _rich(object_name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(object_name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    return label


def _table(object_name: str, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(object_name)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setWordWrap(True)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(len(headers) - 1, QHeaderView.ResizeMode.Stretch)
    return table


def _fill(table: QTableWidget, rows: list[tuple[str, str, str]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            item = QTableWidgetItem(value)
            if c == 1:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setToolTip(value)
            table.setItem(r, c, item)
    table.resizeRowsToContents()
    height = table.horizontalHeader().height() + 2 * table.frameWidth()
    height += sum(table.rowHeight(r) for r in range(table.rowCount()))
    table.setFixedHeight(height)


class DecisionPanel(QWidget):
    """Everything a :class:`Decision` says, top to bottom, in reading order."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.decision: Decision | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 12)

        self.empty_label = QLabel("Answer the questions on the left, then press Recompute.")
        self.empty_label.setObjectName("empty_label")
        self.empty_label.setWordWrap(True)
        layout.addWidget(self.empty_label)

        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.body)
        layout.addStretch(1)

        banner = QFrame()
        banner.setObjectName("recommendation_banner")
        banner.setFrameShape(QFrame.Shape.StyledPanel)
        banner.setStyleSheet(
            "#recommendation_banner { background: palette(alternate-base); "
            "border-left: 4px solid #2f6fb5; }"
        )
        b = QVBoxLayout(banner)
        self.title_label = QLabel()
        self.title_label.setObjectName("title_label")
        font = self.title_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.5)
        self.title_label.setFont(font)
        self.title_label.setWordWrap(True)
        self.headline_label = QLabel()
        self.headline_label.setObjectName("headline_label")
        self.headline_label.setWordWrap(True)
        self.dates_label = QLabel()
        self.dates_label.setObjectName("dates_label")
        self.dates_label.setStyleSheet("color: gray;")
        self.dates_label.setWordWrap(True)
        for w in (self.title_label, self.headline_label, self.dates_label):
            b.addWidget(w)
        body.addWidget(banner)

        self.stale_label = QLabel(
            "The project changed since this was computed: press Recompute for up-to-date numbers."
        )
        self.stale_label.setObjectName("stale_label")
        self.stale_label.setWordWrap(True)
        self.stale_label.setStyleSheet(f"color: {WARNING_COLOUR};")
        self.stale_label.hide()
        body.addWidget(self.stale_label)

        body.addWidget(_heading("Why"))
        self.reasons_label = _rich("reasons_label")
        body.addWidget(self.reasons_label)

        self.change_heading = _heading("What would change it")
        body.addWidget(self.change_heading)
        self.change_label = _rich("change_label")
        body.addWidget(self.change_label)

        self.warnings_heading = _heading("Warnings")
        body.addWidget(self.warnings_heading)
        self.warnings_label = _rich("warnings_label")
        body.addWidget(self.warnings_label)

        body.addWidget(_heading("Charts"))
        self.charts = QWidget()
        self.charts_layout = QVBoxLayout(self.charts)
        self.charts_layout.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.charts)

        body.addWidget(_heading("Cost per month"))
        self.cost_missing = QLabel()
        self.cost_missing.setObjectName("cost_missing")
        self.cost_missing.setWordWrap(True)
        body.addWidget(self.cost_missing)
        self.cost_table = _table("cost_table", ["Item", "Amount", "Source"])
        body.addWidget(self.cost_table)

        self.platforms_heading = _heading("Platforms considered")
        body.addWidget(self.platforms_heading)
        self.platform_table = _table(
            "platform_table", ["Platform", "Cost a month", "State and why"]
        )
        body.addWidget(self.platform_table)
        self.cheapest_label = QLabel()
        self.cheapest_label.setObjectName("cheapest_label")
        self.cheapest_label.setWordWrap(True)
        body.addWidget(self.cheapest_label)

        body.addWidget(_heading("Evidence from the project"))
        self.evidence_table = _table("evidence_table", ["Measure", "Value", "Where from"])
        body.addWidget(self.evidence_table)
        self.body.hide()

    # -----------------------------------------------------------------------------------

    def clear(self, message: str) -> None:
        """Show ``message`` instead of a decision."""
        self.decision = None
        self.empty_label.setText(message)
        self.empty_label.show()
        self.body.hide()

    def set_stale(self, stale: bool) -> None:
        """Say that the numbers may be out of date."""
        self.stale_label.setVisible(stale and self.decision is not None)

    def chart_widgets(self) -> list[SvgChart]:
        """The charts on screen."""
        return self.charts.findChildren(SvgChart)

    def show_decision(self, d: Decision) -> None:
        """Fill every section from ``d``."""
        self.decision = d
        self.empty_label.hide()
        self.title_label.setText(TITLES.get(d.recommendation, d.recommendation))
        self.headline_label.setText(d.headline)
        dates = []
        if d.today is not None:
            dates.append(f"computed for {d.today.isoformat()}")
        if d.price_table_as_of is not None:
            dates.append(f"prices as of {d.price_table_as_of.isoformat()}")
        if d.platforms_as_of is not None:
            dates.append(f"platform facts as of {d.platforms_as_of.isoformat()}")
        self.dates_label.setText("; ".join(dates))

        prov = d.evidence.provenance
        self.reasons_label.setText(
            "".join(reason_html(i, r, prov) for i, r in enumerate(d.reasons, 1))
            or "<p>No reasons recorded.</p>"
        )
        self.change_label.setText(
            "<ul style='margin-left:-20px'>"
            + "".join(
                f"<li style='margin-bottom:4px'>{escape(w)}</li>" for w in d.what_would_change
            )
            + "</ul>"
        )
        self.change_heading.setVisible(bool(d.what_would_change))
        self.change_label.setVisible(bool(d.what_would_change))
        self.warnings_label.setText(
            "".join(
                f"<p style='color:{WARNING_COLOUR}; margin-bottom:4px'>⚠ {escape(w)}</p>"
                for w in d.warnings
            )
        )
        self.warnings_heading.setVisible(bool(d.warnings))
        self.warnings_label.setVisible(bool(d.warnings))

        self._set_charts(d)
        if d.cost is not None:
            self.cost_missing.hide()
            _fill(self.cost_table, cost_rows(d.cost))
            self.cost_table.show()
        else:
            self.cost_missing.setText(
                "Not computed: the expected volume, the measured tokens per call or a price is "
                "missing (see the warnings)."
            )
            self.cost_missing.show()
            self.cost_table.hide()
        _fill(self.platform_table, platform_rows(d.options))
        self.cheapest_label.setText(cheapest_line(d.options) if d.options else "")
        for w in (self.platforms_heading, self.platform_table, self.cheapest_label):
            w.setVisible(bool(d.options))
        _fill(self.evidence_table, evidence_rows(d.evidence))
        self.body.show()

    def _set_charts(self, d: Decision) -> None:
        while self.charts_layout.count():
            item = self.charts_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        charts: list[tuple[str, str]] = [("Quality on the test split", score_chart(d))]
        if d.cost is not None:
            charts.append(("Monthly cost by volume", cost_chart(d.cost)))
        charts.append(("Label balance (approved training examples)", label_chart(d.evidence)))
        shown = 0
        for title, svg in charts:
            if not svg.lstrip().startswith("<svg"):
                continue  # the report's "no data" paragraph: nothing to draw
            caption = QLabel(title)
            caption.setStyleSheet("color: gray;")
            self.charts_layout.addWidget(caption)
            self.charts_layout.addWidget(SvgChart(svg))
            shown += 1
        if not shown:
            self.charts_layout.addWidget(QLabel("No scores, costs or labels to chart yet."))
