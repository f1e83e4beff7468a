"""Search box (substring or regex) and status/label/split/tag filters with live counts."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.datasets import Counts, ExampleFilter
from studio.core.models.dataset import SPLITS, STATUSES
from studio.ui.datasets.data_access import UNSET, core_values, count_key, regex_problem
from studio.ui.datasets.table_model import STATUS_TEXT

SEARCH_DEBOUNCE_MS = 180


def _fmt(n: int) -> str:
    return f"{n:,}"


class _MenuFilter(QToolButton):
    """A drop-down of checkable values (labels, tags) showing a count beside each."""

    changed = Signal()

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._menu = QMenu(self)
        self._menu.setStyleSheet("QMenu { menu-scrollable: 1; }")
        self.setMenu(self._menu)
        self._actions: dict[str, QAction] = {}
        self._counts: dict[str, int] = {}
        self._update_text()

    def set_values(self, values: Sequence[str], with_unset: str | None = None) -> None:
        """Offer these values (keeps the ones still present checked)."""
        keep = {v for v in self.selected() if v in values or v == UNSET}
        self._menu.clear()
        self._actions.clear()
        clear = self._menu.addAction("Show all")
        clear.triggered.connect(self.clear)
        self._menu.addSeparator()
        if with_unset is not None:
            self._add(UNSET, with_unset, UNSET in keep)
        for v in values:
            self._add(v, v, v in keep)
        self._refresh_counts()
        self._update_text()

    def _add(self, value: str, text: str, checked: bool) -> None:
        act = QAction(text, self._menu)
        act.setCheckable(True)
        act.setChecked(checked)
        act.setData(text)
        act.toggled.connect(self._toggled)
        self._menu.addAction(act)
        self._actions[value] = act

    def _toggled(self) -> None:
        self._update_text()
        self.changed.emit()

    def selected(self) -> tuple[str, ...]:
        """The checked values."""
        return tuple(v for v, a in self._actions.items() if a.isChecked())

    def select(self, values: Sequence[str]) -> None:
        """Check exactly ``values`` (one ``changed`` signal)."""
        for v, a in self._actions.items():
            a.blockSignals(True)
            a.setChecked(v in values)
            a.blockSignals(False)
        self._update_text()
        self.changed.emit()

    def clear(self) -> None:
        """Uncheck everything."""
        if self.selected():
            self.select(())

    def set_counts(self, counts: dict[str, int]) -> None:
        """Show live counts beside the values."""
        self._counts = counts
        self._refresh_counts()

    def _refresh_counts(self) -> None:
        for v, a in self._actions.items():
            a.setText(f"{a.data()}   ({_fmt(self._counts.get(count_key(v), 0))})")

    def _update_text(self) -> None:
        sel = self.selected()
        if not sel:
            self.setText(f"{self.title}: all")
        elif len(sel) == 1:
            self.setText(f"{self.title}: {sel[0] or '(none)'}")
        else:
            self.setText(f"{self.title}: {len(sel)} chosen")


class FilterBar(QWidget):
    """Filters for the examples table.

    Signals:
        filter_changed(object): the new :class:`ExampleFilter` (search is debounced).
    """

    filter_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit(self)
        self.search.setObjectName("datasetSearch")
        self.search.setPlaceholderText("Search input, output and notes   (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.regex = QToolButton(self)
        self.regex.setText(".*")
        self.regex.setCheckable(True)
        self.regex.setToolTip("Treat the search as a regular expression (case-insensitive)")
        self.regex_error = QLabel(self)
        self.regex_error.setStyleSheet("color: #b91c1c;")
        self.regex_error.hide()

        self.status_buttons: dict[str, QToolButton] = {}
        self.split_buttons: dict[str, QToolButton] = {}
        self.labels = _MenuFilter("Label", self)
        self.tags = _MenuFilter("Tag", self)
        self.summary = QLabel(self)
        self.summary.setObjectName("filterSummary")
        self.clear_button = QToolButton(self)
        self.clear_button.setText("Clear filters")
        # "My queue": the rows `studio dataset assign` gave you that you have not labelled
        self.my_queue = QToolButton(self)
        self.my_queue.setObjectName("myQueue")
        self.my_queue.setText("My queue")
        self.my_queue.setCheckable(True)
        self._me: str | None = None

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.search, 1)
        top.addWidget(self.regex)
        top.addWidget(self.labels)
        top.addWidget(self.tags)
        top.addWidget(self.my_queue)
        top.addWidget(self.clear_button)

        facets = QHBoxLayout()
        facets.setContentsMargins(0, 0, 0, 0)
        facets.setSpacing(4)
        facets.addWidget(QLabel("Status:", self))
        for st in STATUSES:
            b = self._toggle(STATUS_TEXT[st].lstrip("✓✗ "))
            self.status_buttons[st] = b
            facets.addWidget(b)
        facets.addSpacing(16)
        facets.addWidget(QLabel("Split:", self))
        for sp in (*SPLITS, UNSET):
            b = self._toggle(sp or "unsplit")
            self.split_buttons[sp] = b
            facets.addWidget(b)
        facets.addStretch(1)
        facets.addWidget(self.regex_error)
        facets.addWidget(self.summary)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        lay.addLayout(top)
        lay.addLayout(facets)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._emit)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.regex.toggled.connect(lambda _c: self._emit())
        self.labels.changed.connect(self._emit)
        self.tags.changed.connect(self._emit)
        self.clear_button.clicked.connect(self.clear)
        self.my_queue.toggled.connect(lambda _c: self._emit())

    def _toggle(self, text: str) -> QToolButton:
        b = QToolButton(self)
        b.setCheckable(True)
        b.setText(text)
        b.setProperty("base", text)
        b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        b.toggled.connect(lambda _c: self._emit())
        return b

    # ------------------------------------------------------------ state

    def set_dataset(self, labels: Sequence[str], tags: Sequence[str]) -> None:
        """Offer a dataset's labels and tags; clears the filter silently."""
        self.blockSignals(True)
        self.search.clear()
        self.regex.setChecked(False)
        for b in (*self.status_buttons.values(), *self.split_buttons.values()):
            b.setChecked(False)
        self.my_queue.setChecked(False)
        self.labels.set_values(labels, with_unset="(no label)")
        self.labels.select(())
        self.tags.set_values(tags)
        self.tags.select(())
        self.blockSignals(False)
        self._debounce.stop()

    def set_tags(self, tags: Sequence[str]) -> None:
        """Refresh the tag list (after a tag was added)."""
        self.tags.blockSignals(True)
        self.tags.set_values(tags)
        self.tags.blockSignals(False)

    def current(self) -> ExampleFilter:
        """The filter the widgets describe."""
        text = self.search.text()
        regex = self.regex.isChecked()
        if regex and text:
            err = regex_problem(text)
            self.regex_error.setVisible(err is not None)
            self.regex_error.setText(err or "")
            if err is not None:
                text = ""
        else:
            self.regex_error.hide()
        return ExampleFilter(
            search=text,
            regex=regex,
            statuses=tuple(s for s, b in self.status_buttons.items() if b.isChecked()),
            labels=core_values(self.labels.selected()),
            splits=core_values(tuple(s for s, b in self.split_buttons.items() if b.isChecked())),
            tags=self.tags.selected(),
            queue_of=self.me() if self.my_queue.isChecked() else None,
        )

    def me(self) -> str:
        """Whose queue "My queue" shows: the name changes are recorded under (read once)."""
        if self._me is None:
            from studio.core.db.project import current_user

            self._me = current_user()
            self.my_queue.setToolTip(
                f"Only the examples assigned to {self._me} that are not labelled yet"
            )
        return self._me

    def clear(self) -> None:
        """Show everything."""
        self.blockSignals(True)
        self.search.clear()
        for b in (*self.status_buttons.values(), *self.split_buttons.values()):
            b.setChecked(False)
        self.my_queue.setChecked(False)
        self.labels.clear()
        self.tags.clear()
        self.blockSignals(False)
        self._debounce.stop()
        self._emit()

    def flush(self) -> None:
        """Apply a pending search at once (Enter in the search box, tests)."""
        if self._debounce.isActive():
            self._debounce.stop()
            self._emit()

    def _emit(self) -> None:
        if not self.signalsBlocked():
            self.filter_changed.emit(self.current())

    def reset_counts(self) -> None:
        """No numbers (no dataset, or another project was opened)."""
        for b in (*self.status_buttons.values(), *self.split_buttons.values()):
            b.setText(str(b.property("base")))
        self.labels.set_counts({})
        self.summary.setText("")

    def set_counts(self, counts: Counts) -> None:
        """Show live counts beside every facet value and the match summary."""
        for st, b in self.status_buttons.items():
            b.setText(f"{b.property('base')} {_fmt(counts.by_status.get(st, 0))}")
        for sp, b in self.split_buttons.items():
            b.setText(f"{b.property('base')} {_fmt(counts.by_split.get(count_key(sp), 0))}")
        self.labels.set_counts(counts.by_label)
        if counts.total == counts.dataset_total:
            self.summary.setText(f"{_fmt(counts.total)} examples")
        else:
            self.summary.setText(f"{_fmt(counts.total)} of {_fmt(counts.dataset_total)} examples")
