"""The page the main window shows when no project is open."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.ui.widgets.icons import app_icon

APP_TITLE = "Prompt & Dataset Studio"


class WelcomePage(QWidget):
    """What the window shows when no project is open: the ways to open one.

    Signals:
        new_requested, open_requested, demo_requested, server_requested: the buttons.
        recent_requested(str): a recent file was clicked.
    """

    new_requested = Signal()
    open_requested = Signal()
    demo_requested = Signal()
    server_requested = Signal()
    recent_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePage")
        outer = QVBoxLayout(self)
        outer.addStretch(2)
        box = QVBoxLayout()
        box.setSpacing(14)
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(88, 88))
        logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        box.addWidget(logo)
        title = QLabel(APP_TITLE)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        box.addWidget(title)
        blurb = QLabel(
            "Version your prompts, curate fine-tuning data, and decide with evidence.\n"
            "A project is one file, or a database on your team's server; every change is "
            "saved at once."
        )
        blurb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        blurb.setStyleSheet("color: palette(placeholder-text);")
        box.addWidget(blurb)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for text, tip, signal in (
            ("New Project…", "Create an empty project file (Ctrl+N)", self.new_requested),
            ("Open Project…", "Open a .studio file (Ctrl+O)", self.open_requested),
            (
                "Open Server Project…",
                "Open a project in a PostgreSQL database, shared by a team",
                self.server_requested,
            ),
            ("Open the Demo", "Open a demo project with prompts and history", self.demo_requested),
        ):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.setMinimumWidth(140)
            button.clicked.connect(signal.emit)
            buttons.addWidget(button)
        buttons.addStretch(1)
        box.addLayout(buttons)
        self.recent_title = QLabel("Recent projects")
        self.recent_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        box.addSpacing(10)
        box.addWidget(self.recent_title)
        self.recent = QListWidget()
        self.recent.setObjectName("welcomeRecent")
        self.recent.setMaximumWidth(560)
        self.recent.setStyleSheet("QListWidget#welcomeRecent::item { padding: 5px 8px; }")
        self.recent.itemActivated.connect(
            lambda item: self.recent_requested.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.recent, 3)
        row.addStretch(1)
        box.addLayout(row)
        outer.addLayout(box)
        outer.addStretch(3)

    def set_recent(self, files: list[str]) -> None:
        """Show the recent files and server projects (hidden when there are none)."""
        self.recent.clear()
        for f in files:
            if f.strip().lower().startswith(("postgresql://", "postgres://")):
                from studio.core.db.location_label import server_label  # stdlib only

                shown = server_label(f)
            else:
                shown = Path(f).stem
            item = QListWidgetItem(f"{shown}    —    {f}")
            item.setData(Qt.ItemDataRole.UserRole, f)
            item.setToolTip(f)
            self.recent.addItem(item)
        self.recent.setVisible(bool(files))
        self.recent_title.setVisible(bool(files))
        rows = max(1, min(len(files), 6))
        row_height = self.recent.sizeHintForRow(0) if files else 28
        self.recent.setFixedHeight(rows * row_height + 2 * self.recent.frameWidth() + 4)
