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


def named_label(object_name: str, text: str = "") -> QLabel:
    """A label with an object name (tests and style sheets find it by it)."""
    label = QLabel(text)
    label.setObjectName(object_name)
    return label


def wrapped_label(object_name: str, text: str = "") -> QLabel:
    """A word-wrapping :func:`named_label`."""
    label = named_label(object_name, text)
    label.setWordWrap(True)
    return label
