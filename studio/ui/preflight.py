"""Before Qt loads: name the missing system libraries instead of Qt's abort.

On a fresh Debian or Ubuntu, PySide6 installs from PyPI but the X11 platform plugin needs
system libraries that a minimal system lacks; Qt then prints a plugin error and aborts the
process (no Python exception to catch). This module checks for those libraries by loading
them, and the app prints one ``apt-get`` line naming what is missing. README's first
command names the same line. Nothing here imports Qt.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable

# shared object -> the Debian/Ubuntu package that ships it (the list README names).
QT_SYSTEM_LIBS: dict[str, str] = {
    "libglib-2.0.so.0": "libglib2.0-0",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
}


def _loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def needs_x11_libs(platform: str = sys.platform, environ: dict[str, str] | None = None) -> bool:
    """Whether Qt will use its X11 (xcb) plugin: Linux, no offscreen/wayland platform chosen."""
    env = os.environ if environ is None else environ
    if not platform.startswith("linux"):
        return False
    chosen = env.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.startswith("xcb")
    return not env.get("WAYLAND_DISPLAY")


def missing_packages(loads: Callable[[str], bool] = _loads) -> list[str]:
    """Debian/Ubuntu packages whose libraries the Qt X11 plugin needs and cannot load."""
    return [pkg for soname, pkg in QT_SYSTEM_LIBS.items() if not loads(soname)]


def missing_libs_message(packages: list[str]) -> str:
    """The one message the app prints when libraries are missing."""
    return (
        "studio: the app window needs system libraries that are not installed: "
        f"{', '.join(packages)}.\n"
        "Install them (Debian/Ubuntu), then start the app again:\n"
        f"  sudo apt-get install -y {' '.join(packages)}\n"
        "The command line (studio --help) works without them."
    )
