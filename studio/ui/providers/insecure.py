"""The app's opt-in for a key over plain http to another machine: a confirmation.

The rule is :mod:`studio.core.llm.key_policy`'s; this asks once per base URL and
session, defaulting to No, and records a Yes where the client factory looks for it.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from studio.core.llm.key_policy import (
    allow_insecure_key,
    insecure_key_allowed,
    insecure_transport,
    insecure_warning,
)


# Reads like LabelPicker's "New label" question (datasets/label_picker.py) by shape
# only: a Yes/No QMessageBox with its own wording and default button.
def confirm_insecure_key(parent: QWidget | None, url: str, key: str | None) -> bool:
    """True when ``key`` may go to ``url``: https, this machine, no key, or the user said Yes."""
    if not key or not insecure_transport(url) or insecure_key_allowed(url):
        return True
    answer = QMessageBox.warning(
        parent,
        "Send the API key unencrypted?",
        f"{insecure_warning(url)}\n\nUse an https address if the server offers one. "
        "Send the key anyway for this session?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    if answer != QMessageBox.StandardButton.Yes:
        return False
    allow_insecure_key(url)
    return True
