"""Blind pairwise review: two answers, sides randomised, pick the better one by key.

Keys: ``1`` left is better, ``2`` right is better, ``=`` tie, ``S`` skip. The panel
never names the variants; which one was on the left is stored with each preference
(``shown_left``) so position bias can be audited later. Preferences feed the run
summary's sign test and export as DPO data.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from studio.core.evals.preferences import ReviewPair, Side

KEY_SIDES = {Qt.Key.Key_1: "left", Qt.Key.Key_2: "right", Qt.Key.Key_Equal: "tie"}


class ReviewPanel(QWidget):
    """Shows one blind pair at a time from a queue.

    Signals:
        chosen(object, str): a pair (:class:`ReviewPair`) and the side picked
            ("left", "right" or "tie"); the view stores it.
        reload_requested(): the user wants the queue rebuilt (e.g. after skipping all).
    """

    chosen = Signal(object, str)
    reload_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.queue: list[ReviewPair] = []
        self.skipped: list[ReviewPair] = []
        self.reviewed = 0
        self.total = 0
        self.current: ReviewPair | None = None

        intro = QLabel(
            "Which answer is better? The two answers come from the run's first two "
            "variants; sides are randomised and the variants are not named. "
            "Keys: 1 = left, 2 = right, = tie, S skip."
        )
        intro.setWordWrap(True)
        self.progress = QLabel()
        self.progress.setObjectName("review_progress")
        self.input_view = QTextBrowser()
        self.input_view.setObjectName("review_input")
        self.input_view.setMaximumHeight(110)
        self.show_ideal = QCheckBox("Show the ideal answer")
        self.show_ideal.setToolTip("Hidden by default so it does not anchor your judgement")
        self.show_ideal.toggled.connect(lambda _: self._render())
        self.left_view = QTextBrowser()
        self.left_view.setObjectName("review_left")
        self.right_view = QTextBrowser()
        self.right_view.setObjectName("review_right")
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for side, text in (
            ("left", "1  Left is better"),
            ("tie", "=  Tie"),
            ("right", "2  Right is better"),
            ("skip", "S  Skip"),
        ):
            button = QPushButton(text)
            button.setObjectName(f"review_{side}")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _=False, s=side: self.press(s))
            self.buttons[side] = button
            row.addWidget(button)
        answers = QHBoxLayout()
        for title, view in (("Left", self.left_view), ("Right", self.right_view)):
            box = QVBoxLayout()
            label = QLabel(f"<b>{title}</b>")
            box.addWidget(label)
            box.addWidget(view)
            answers.addLayout(box)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.progress)
        layout.addWidget(QLabel("<b>Input</b>"))
        layout.addWidget(self.input_view)
        layout.addWidget(self.show_ideal)
        layout.addLayout(answers, 1)
        layout.addLayout(row)
        self._render()

    def set_queue(self, pairs: list[ReviewPair], reviewed: int) -> None:
        """Start reviewing ``pairs`` (``reviewed`` already done by this rater)."""
        self.queue = list(pairs)
        self.skipped = []
        self.reviewed = reviewed
        self.total = reviewed + len(pairs)
        self.current = self.queue.pop(0) if self.queue else None
        self._render()

    def clear(self) -> None:
        """No run to review."""
        self.queue, self.skipped, self.current = [], [], None
        self.reviewed = self.total = 0
        self._render()

    def progress_text(self) -> str:
        """``"12 of 120 reviewed"``."""
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        return f"{self.reviewed} of {self.total} reviewed{skipped}"

    def press(self, side: str) -> None:
        """Act on a key or button: "left", "right", "tie" or "skip"."""
        pair = self.current
        if pair is None:
            return
        if side == "skip":
            self.skipped.append(pair)
        else:
            self.reviewed += 1
            side_value: Side = side  # type: ignore[assignment]
            self.chosen.emit(pair, side_value)
        self.current = self.queue.pop(0) if self.queue else None
        self._render()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in KEY_SIDES:
            self.press(KEY_SIDES[Qt.Key(key)])
        elif key == Qt.Key.Key_S:
            self.press("skip")
        else:
            super().keyPressEvent(event)

    def _render(self) -> None:
        pair = self.current
        for button in self.buttons.values():
            button.setEnabled(pair is not None)
        if pair is None:
            self.input_view.clear()
            self.left_view.clear()
            self.right_view.clear()
            if self.total == 0:
                self.progress.setText(
                    "Nothing to review: pick a finished run with two variants whose answers differ."
                )
            else:
                more = (
                    f" {len(self.skipped)} skipped pair(s) remain: reopen the run to see "
                    "them again."
                    if self.skipped
                    else ""
                )
                self.progress.setText(f"All done: {self.progress_text()}.{more}")
            return
        self.progress.setText(self.progress_text())
        text = f"<p>{html.escape(pair.input_preview)}</p>"
        if self.show_ideal.isChecked():
            text += f"<p><i>Ideal:</i> {html.escape(pair.ideal or '(none)')}</p>"
        self.input_view.setHtml(text)
        self.left_view.setPlainText(pair.left)
        self.right_view.setPlainText(pair.right)
