"""Icons drawn for the studio (SVG files in ``resources/icons``), with Qt fallbacks."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle

from studio.core import paths

# A standard icon to use when an SVG of that name is not (yet) drawn. Names, not
# QStyle.StandardPixmap members: touching that enum at import costs 5–10 ms of
# start-up, and the fallbacks are rarely needed.
_FALLBACKS = {
    "datasets": "SP_FileDialogDetailedView",
    "validate": "SP_DialogApplyButton",
    "evaluate": "SP_MediaPlay",
    "distil": "SP_ArrowDown",
    "decide": "SP_DialogHelpButton",
}


@cache
def icon(name: str) -> QIcon:
    """The icon ``resources/icons/<name>.svg``, or a standard Qt icon when there is none."""
    path = paths.resources_dir() / "icons" / f"{name}.svg"
    if path.exists():
        return QIcon(str(path))
    app = QApplication.instance()
    if isinstance(app, QApplication):
        pixmap = getattr(QStyle.StandardPixmap, _FALLBACKS.get(name, "SP_FileIcon"))
        return app.style().standardIcon(pixmap)
    return QIcon()


def app_icon() -> QIcon:
    """The application icon."""
    return icon("studio")
