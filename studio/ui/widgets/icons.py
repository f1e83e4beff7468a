"""Icons drawn for the studio (SVG files in ``resources/icons``), with Qt fallbacks."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle

from studio.core import paths

# A standard icon to use when an SVG of that name is not (yet) drawn
_FALLBACKS = {
    "datasets": QStyle.StandardPixmap.SP_FileDialogDetailedView,
    "validate": QStyle.StandardPixmap.SP_DialogApplyButton,
    "evaluate": QStyle.StandardPixmap.SP_MediaPlay,
    "decide": QStyle.StandardPixmap.SP_DialogHelpButton,
}


@cache
def icon(name: str) -> QIcon:
    """The icon ``resources/icons/<name>.svg``, or a standard Qt icon when there is none."""
    path = paths.resources_dir() / "icons" / f"{name}.svg"
    if path.exists():
        return QIcon(str(path))
    app = QApplication.instance()
    if isinstance(app, QApplication):
        pixmap = _FALLBACKS.get(name, QStyle.StandardPixmap.SP_FileIcon)
        return app.style().standardIcon(pixmap)
    return QIcon()


def app_icon() -> QIcon:
    """The application icon."""
    return icon("studio")
