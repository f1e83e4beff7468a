"""Build the packaged studio: icons, then PyInstaller with ``packaging/studio.spec``.

Usage (from anywhere; use the Python of the environment the studio is installed in)::

    python packaging/build.py            # icons + onedir build into packaging/dist/
    python packaging/build.py --icons-only
    python packaging/build.py --no-clean # reuse PyInstaller's cache in packaging/build/

It installs PyInstaller into the running environment when it is missing, renders the icons
from ``resources/icons/studio.svg`` into ``packaging/build/icons/``, runs PyInstaller and
prints where the app landed and how big it is. Exit code 0 on success.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SPEC = HERE / "studio.spec"
DIST = HERE / "dist"
WORK = HERE / "build"
ICONS = WORK / "icons"
PYINSTALLER_REQUIREMENT = "pyinstaller>=6.5"


def ensure_pyinstaller() -> None:
    """Install PyInstaller (from PyPI) into this interpreter's environment when it is missing."""
    if importlib.util.find_spec("PyInstaller") is not None:
        return
    print(f"PyInstaller is not installed; installing {PYINSTALLER_REQUIREMENT} ...", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", PYINSTALLER_REQUIREMENT], check=True)


def make_icons() -> None:
    """Render the PNG/ICO/ICNS icons in a child process (it needs its own offscreen Qt app)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    subprocess.run([sys.executable, str(HERE / "icons.py"), str(ICONS)], check=True, env=env)


def app_dir() -> Path:
    """Where PyInstaller puts the app on this OS."""
    if sys.platform == "darwin":
        return DIST / "Studio.app"
    return DIST / "studio"


def executable() -> Path:
    """The built executable inside :func:`app_dir`."""
    if sys.platform == "darwin":
        return app_dir() / "Contents" / "MacOS" / "studio"
    if sys.platform == "win32":
        return app_dir() / "studio.exe"
    return app_dir() / "studio"


def folder_size(path: Path) -> int:
    """Total bytes of the regular files under ``path`` (symlinks not followed)."""
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def run_pyinstaller(clean: bool) -> None:
    """Run PyInstaller on the spec with output kept under packaging/ (git-ignored)."""
    cmd = [
        sys.executable,
        "-m",
        "PyInstaller",
        str(SPEC),
        "--noconfirm",
        "--distpath",
        str(DIST),
        "--workpath",
        str(WORK),
        "--log-level",
        "WARN",
    ]
    if clean:
        cmd.append("--clean")
    env = dict(os.environ, STUDIO_ICON_DIR=str(ICONS), QT_QPA_PLATFORM="offscreen")
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--icons-only", action="store_true", help="only render the icons")
    parser.add_argument(
        "--no-clean", action="store_true", help="keep PyInstaller's cache (faster rebuilds)"
    )
    args = parser.parse_args(argv)

    make_icons()
    print(f"icons:  {ICONS}")
    if args.icons_only:
        return 0

    ensure_pyinstaller()
    started = time.perf_counter()
    try:
        run_pyinstaller(clean=not args.no_clean)
    except subprocess.CalledProcessError as exc:
        print(f"PyInstaller failed with exit code {exc.returncode}; see its output above.")
        return 1
    elapsed = time.perf_counter() - started

    exe = executable()
    if not exe.is_file():
        print(f"PyInstaller finished but {exe} is missing.")
        return 1
    size_mb = folder_size(app_dir()) / 1e6
    print(f"built:  {app_dir()}")
    print(f"run:    {exe}")
    print(f"size:   {size_mb:.1f} MB ({sum(1 for _ in app_dir().rglob('*'))} files)")
    print(f"time:   {elapsed:.0f} s")
    if size_mb > 250:
        print("WARNING: the bundle is over the 250 MB budget; see excludes in studio.spec.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
