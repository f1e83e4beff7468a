"""Edit an ordered list of chat messages: role, text, add/remove/reorder.

Each message is a card with a role combo and a monospace text editor that highlights
``{{variables}}``; every text editor keeps its own undo/redo. The editor emits
``changed`` on any edit so the prompt editor can re-detect variables and re-render
the preview.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.ui.widgets.json_editor import monospace_font

ROLES = ("system", "developer", "user", "assistant")
_VAR_RE = re.compile(r"\{\{\s*[^{}]*?\s*\}\}")
ROLE_COLOURS = {
    "system": "#5f3dc4",
    "developer": "#1864ab",
    "user": "#2b8a3e",
    "assistant": "#c2255c",
}


class VariableHighlighter(QSyntaxHighlighter):
    """Shows ``{{ name }}`` in bold colour so variables stand out in prompt text."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._format = QTextCharFormat()
        self._format.setForeground(QColor("#1c7ed6"))
        self._format.setBackground(QColor(28, 126, 214, 28))
        self._format.setFontWeight(700)

    def highlightBlock(self, text: str) -> None:
        for m in _VAR_RE.finditer(text):
            self.setFormat(m.start(), m.end() - m.start(), self._format)


class MessageTextEdit(QPlainTextEdit):
    """A prompt text box that grows with its text (between a minimum and a maximum)."""

    MIN_LINES = 3
    MAX_LINES = 22

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFont(monospace_font())
        self.setTabChangesFocus(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.highlighter = VariableHighlighter(self.document())
        self.document().contentsChanged.connect(self.updateGeometry)

    def _lines(self) -> int:
        # Visual lines (wrapped) so that long paragraphs get room too
        doc = self.document()
        total = 0
        block = doc.begin()
        while block.isValid():
            layout = block.layout()
            total += max(1, layout.lineCount() if layout is not None else 1)
            block = block.next()
        return max(self.MIN_LINES, min(self.MAX_LINES, total))

    def sizeHint(self) -> QSize:
        line = self.fontMetrics().lineSpacing()
        margins = self.contentsMargins()
        height = (
            self._lines() * line
            + 2 * int(self.document().documentMargin())
            + margins.top()
            + margins.bottom()
            + 4
        )
        return QSize(super().sizeHint().width(), height)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        self.updateGeometry()


class MessageCard(QFrame):
    """One message: role combo, move/remove buttons and the text.

    Signals:
        changed(): role or text changed.
        remove_requested(), move_requested(int): the card's buttons (delta -1/+1).
    """

    changed = Signal()
    remove_requested = Signal()
    move_requested = Signal(int)

    def __init__(self, role: str, content: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.setSpacing(4)
        header = QHBoxLayout()
        header.setSpacing(4)
        self.role = QComboBox()
        self.role.addItems(ROLES)
        self.role.setToolTip("Who says this message")
        if role not in ROLES:
            self.role.addItem(role)
        self.role.setCurrentText(role)
        self.role.currentTextChanged.connect(self._role_changed)
        header.addWidget(self.role)
        self.index_label = QLabel("")
        self.index_label.setStyleSheet("color: palette(placeholder-text);")
        header.addWidget(self.index_label)
        header.addStretch(1)
        style = self.style()
        self.up = self._tool(style.standardIcon(QStyle.StandardPixmap.SP_ArrowUp), "Move up")
        self.down = self._tool(style.standardIcon(QStyle.StandardPixmap.SP_ArrowDown), "Move down")
        self.remove = self._tool(
            style.standardIcon(QStyle.StandardPixmap.SP_TitleBarCloseButton), "Remove this message"
        )
        self.up.clicked.connect(lambda: self.move_requested.emit(-1))
        self.down.clicked.connect(lambda: self.move_requested.emit(1))
        self.remove.clicked.connect(self.remove_requested.emit)
        for b in (self.up, self.down, self.remove):
            header.addWidget(b)
        layout.addLayout(header)
        self.text = MessageTextEdit()
        self.text.setPlaceholderText(
            "Message text. Use {{variable}} for values filled in per call."
        )
        self.text.setPlainText(content)
        self.text.textChanged.connect(self.changed.emit)
        layout.addWidget(self.text)
        self._paint_role()

    def _tool(self, icon: object, tip: str) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon)  # type: ignore[arg-type]
        button.setToolTip(tip)
        button.setAutoRaise(True)
        return button

    @Slot(str)
    def _role_changed(self, _role: str) -> None:
        self._paint_role()
        self.changed.emit()

    def _paint_role(self) -> None:
        colour = ROLE_COLOURS.get(self.role.currentText(), "#495057")
        self.setStyleSheet(
            "QFrame#messageCard { border: 1px solid palette(mid);"
            f" border-left: 4px solid {colour};"
            " border-radius: 4px; }"
        )

    def set_position(self, index: int, count: int) -> None:
        """Update the index label and which move buttons make sense."""
        self.index_label.setText(f"messages[{index}]")
        self.up.setEnabled(index > 0)
        self.down.setEnabled(index < count - 1)


class MessagesEditor(QWidget):
    """The ordered messages of a prompt.

    Signals:
        changed(): any message was added, removed, moved or edited.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cards: list[MessageCard] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(6)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget()
        self.list_layout = QVBoxLayout(inner)
        self.list_layout.setContentsMargins(0, 0, 6, 0)
        self.list_layout.setSpacing(8)
        self.list_layout.addStretch(1)
        self.scroll_area.setWidget(inner)
        outer.addWidget(self.scroll_area, 1)
        row = QHBoxLayout()
        self.add_button = QPushButton("Add Message")
        self.add_button.setToolTip("Add a message at the end")
        self.add_button.clicked.connect(lambda: self.add_message(self._next_role(), "", focus=True))
        row.addWidget(self.add_button)
        row.addStretch(1)
        outer.addLayout(row)

    def _next_role(self) -> str:
        if not self.cards:
            return "system"
        last = self.cards[-1].role.currentText()
        return "assistant" if last == "user" else "user"

    # -- content -----------------------------------------------------------------------

    def set_messages(self, messages: list[tuple[str, str]]) -> None:
        """Replace every card (clears each text's undo history)."""
        for card in self.cards:
            self.list_layout.removeWidget(card)
            card.deleteLater()
        self.cards = []
        for role, content in messages:
            self._insert_card(len(self.cards), role, content)
        self._renumber()
        self.changed.emit()

    def messages(self) -> list[tuple[str, str]]:
        """(role, content) of every message, in order."""
        return [(c.role.currentText(), c.text.toPlainText()) for c in self.cards]

    def add_message(
        self, role: str = "user", content: str = "", *, focus: bool = False
    ) -> MessageCard:
        """Append a message and return its card."""
        card = self._insert_card(len(self.cards), role, content)
        self._renumber()
        self.changed.emit()
        if focus:
            card.text.setFocus()
            self.scroll_area.ensureWidgetVisible(card)
        return card

    def remove_message(self, index: int) -> None:
        """Remove the message at ``index``."""
        card = self.cards.pop(index)
        self.list_layout.removeWidget(card)
        card.deleteLater()
        self._renumber()
        self.changed.emit()

    def move_message(self, index: int, delta: int) -> None:
        """Move the message at ``index`` up (-1) or down (+1)."""
        target = index + delta
        if not 0 <= target < len(self.cards):
            return
        card = self.cards.pop(index)
        self.cards.insert(target, card)
        self.list_layout.removeWidget(card)
        self.list_layout.insertWidget(target, card)
        self._renumber()
        self.changed.emit()

    def _insert_card(self, index: int, role: str, content: str) -> MessageCard:
        card = MessageCard(role, content)
        card.changed.connect(self.changed.emit)
        card.remove_requested.connect(lambda c=card: self.remove_message(self.cards.index(c)))
        card.move_requested.connect(lambda d, c=card: self.move_message(self.cards.index(c), d))
        self.cards.insert(index, card)
        self.list_layout.insertWidget(index, card)
        return card

    def _renumber(self) -> None:
        for i, card in enumerate(self.cards):
            card.set_position(i, len(self.cards))
            card.remove.setEnabled(len(self.cards) > 1)

    def set_read_only(self, read_only: bool) -> None:
        """Lock or unlock every card."""
        for card in self.cards:
            card.text.setReadOnly(read_only)
            card.role.setEnabled(not read_only)
        self.add_button.setEnabled(not read_only)


def role_colour(role: str) -> str:
    """The colour that marks ``role`` everywhere (cards, preview, diff)."""
    return ROLE_COLOURS.get(role, "#495057")


__all__ = ["ROLES", "MessageCard", "MessagesEditor", "VariableHighlighter", "role_colour"]
_ = Qt  # Qt namespace kept for subclasses that need alignment flags
