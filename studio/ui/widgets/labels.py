"""Small label builders the views share."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel


def bold_label(text: str) -> QLabel:
    """A label in the bold of its own font: the title over a panel's part."""
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label
