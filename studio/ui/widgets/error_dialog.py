"""The error dialog: one sentence as the main text, details expandable and copyable."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from studio.ui.errors import redact


class ErrorDialog(QDialog):
    """A failure: one sentence, and the details hidden until asked for."""

    def __init__(
        self, message: str, details: str = "", parent: QWidget | None = None, title: str = ""
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title or "Prompt & Dataset Studio")
        self.setObjectName("errorDialog")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        layout.setSpacing(12)

        top = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(40, 40)
        )
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        top.addWidget(icon)
        self.message_label = QLabel(redact(message))
        self.message_label.setObjectName("errorMessage")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.setMinimumWidth(360)
        top.addWidget(self.message_label, 1)
        layout.addLayout(top)

        self.details = QPlainTextEdit(redact(details))
        self.details.setReadOnly(True)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setMinimumHeight(180)
        self.details.setVisible(False)
        layout.addWidget(self.details)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        self.details_button: QPushButton | None = None
        if details:
            self.details_button = buttons.addButton(
                "Show Details", QDialogButtonBox.ButtonRole.ActionRole
            )
            self.details_button.setCheckable(True)
            self.details_button.toggled.connect(self._toggle_details)
            copy = buttons.addButton("Copy Details", QDialogButtonBox.ButtonRole.ActionRole)
            copy.clicked.connect(self._copy)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)

    @Slot(bool)
    def _toggle_details(self, shown: bool) -> None:
        self.details.setVisible(shown)
        if self.details_button is not None:
            self.details_button.setText("Hide Details" if shown else "Show Details")
        self.adjustSize()

    @Slot()
    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.details.toPlainText())
