"""The app names missing system libraries (one apt-get line) instead of letting Qt abort."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from studio.ui import preflight

README = Path(__file__).resolve().parents[2] / "README.md"


def test_missing_libraries_map_to_their_packages() -> None:
    absent = {"libxcb-cursor.so.0", "libxcb-keysyms.so.1"}
    packages = preflight.missing_packages(lambda soname: soname not in absent)
    assert packages == ["libxcb-cursor0", "libxcb-keysyms1"]
    text = preflight.missing_libs_message(packages)
    assert "sudo apt-get install -y libxcb-cursor0 libxcb-keysyms1" in text


def test_this_machine_has_every_library_it_checks() -> None:
    # The real loader: on the test machine (which runs Qt) nothing is reported missing.
    assert preflight.missing_packages() == []


def test_only_x11_needs_the_check() -> None:
    assert preflight.needs_x11_libs("linux", {})
    assert preflight.needs_x11_libs("linux", {"QT_QPA_PLATFORM": "xcb"})
    assert not preflight.needs_x11_libs("linux", {"QT_QPA_PLATFORM": "offscreen"})
    assert not preflight.needs_x11_libs("linux", {"WAYLAND_DISPLAY": "wayland-0"})
    assert not preflight.needs_x11_libs("darwin", {})


def test_readme_names_every_package_the_app_checks() -> None:
    # README's set-up line and the app's message must agree, or one of them is wrong.
    line = next(
        ln for ln in README.read_text(encoding="utf-8").splitlines() if "apt-get install" in ln
    )
    named = set(re.findall(r"lib[\w.+-]+", line))
    assert set(preflight.QT_SYSTEM_LIBS.values()) <= named


def test_the_app_prints_the_line_and_exits_1_when_a_library_is_missing(tmp_path: Path) -> None:
    # A real `studio` process whose loader cannot find libxcb-cursor: it must not reach Qt.
    code = (
        "import sys; from studio.ui import preflight; "
        "real = preflight._loads; "
        "preflight._loads = lambda s: False if s == 'libxcb-cursor.so.0' else real(s); "
        "preflight.missing_packages.__defaults__ = (preflight._loads,); "
        "from studio.__main__ import main; sys.exit(main([]))"
    )
    env = {"PATH": "/usr/bin:/bin", "STUDIO_HOME": str(tmp_path), "QT_QPA_PLATFORM": "xcb"}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "sudo apt-get install -y libxcb-cursor0" in proc.stderr
    assert "Traceback" not in proc.stderr
