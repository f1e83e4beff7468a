"""Long field values: a bounded preview in the editor, the whole text in a viewer.

A 1 MB text field once froze the window for minutes (ISSUE-11): a ``QPlainTextEdit``
lays out a block as one paragraph, and one 1 MB line is one block. The detail editor
shows the first :data:`PREVIEW_CHARS` characters (read-only, so a cut value can never be
saved back) with a "Show all" button; :class:`LongTextViewer` shows everything, fed in
slices from a timer so the window keeps painting, with long lines broken for display
every :data:`DISPLAY_LINE_CHARS` characters (Copy all copies the original text).
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

PREVIEW_CHARS = 10_000
"""Characters of a field the detail editor shows and edits in place."""
DISPLAY_LINE_CHARS = 1_000
"""The viewer breaks longer lines here (display only) so no text block is huge."""
SLICE_LINES = 40
"""Display lines added per timer tick (40 KB at most: a few ms of layout)."""


def is_long(text: str) -> bool:
    """True when ``text`` is shown as a preview with "Show all"."""
    return len(text) > PREVIEW_CHARS


def preview_of(text: str) -> str:
    """The start of ``text`` the editor shows, marked as cut."""
    return text[:PREVIEW_CHARS] + "\n… (cut: use Show all)"


def display_lines(text: str, width: int = DISPLAY_LINE_CHARS) -> list[str]:
    """``text`` as display lines: its own lines, each broken every ``width`` characters."""
    out: list[str] = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
        else:
            out.extend(line[i : i + width] for i in range(0, len(line), width))
    return out


def size_text(text: str) -> str:
    """ "1,048,576 characters" (what the Show all button says)."""
    return f"{len(text):,} characters"


class LongTextViewer(QDialog):
    """The whole of a long field, read-only, filled in slices.

    Signals:
        filled(): every slice is in (tests, the benchmark).
    """

    filled = Signal()

    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("longTextViewer")
        self.text = text
        self._lines = display_lines(text)
        self._next = 0
        self.note = QLabel(
            f"{size_text(text)}. Lines longer than {DISPLAY_LINE_CHARS:,} characters are "
            "shown broken; Copy all copies the text as it is.",
            self,
        )
        self.note.setWordWrap(True)
        self.view = QPlainTextEdit(self)
        self.view.setReadOnly(True)
        self.view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.view.setUndoRedoEnabled(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton("Copy all", self)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_all)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.note)
        lay.addWidget(self.view, 1)
        lay.addWidget(buttons)
        self.resize(900, 600)
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._add_slice)
        self._timer.start()

    @property
    def is_filled(self) -> bool:
        """True once the whole text is in the viewer."""
        return self._next >= len(self._lines)

    def _add_slice(self) -> None:
        if self.is_filled:
            self._timer.stop()
            return
        part = self._lines[self._next : self._next + SLICE_LINES]
        self._next += len(part)
        self.view.appendPlainText("\n".join(part))
        if self.is_filled:
            self._timer.stop()
            self.view.moveCursor(self.view.textCursor().MoveOperation.Start)
            self.filled.emit()

    def copy_all(self) -> None:
        """Put the original text (not the display lines) on the clipboard."""
        QGuiApplication.clipboard().setText(self.text)
