"""Wait for the import dialog's preview, which reads the file off the GUI thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot


def preview(qtbot: QtBot, dialog: Any, path: str | Path, **kw: Any) -> bool:
    """Ask ``dialog`` to preview ``path`` and wait until it is shown (True) or refused."""
    with qtbot.waitSignal(dialog.preview_ready, timeout=20000) as blocker:
        dialog.load_file(path, **kw)
    return bool(blocker.args[0])
