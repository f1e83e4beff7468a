"""Build the wheel, install it (not editable) into a fresh virtual environment, smoke-test it.

Run by ``.ci/run``; by hand::

    python packaging/wheel_smoke.py            # build, install, check; keeps nothing
    python packaging/wheel_smoke.py --keep     # leave the temporary folder for a look

The installed studio runs from a temporary folder outside the checkout, so nothing can be
read from the source tree: it creates the demo project, runs ``studio decide`` on it, and
in Python loads the price table, the platform catalogue and an icon (offscreen Qt), each
checked to come from the installed package. Exit 0 when every step passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Not part of what a wheel is built from: environments, caches, earlier build output.
NOT_SOURCE = (".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache")

CHECK_PACKAGE_DATA = r"""
import sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
from studio.core import paths
from studio.core.decide.platforms import load_platforms
from studio.core.tokens.prices import load_price_table
from studio.ui.widgets.icons import app_icon

res = paths.resources_dir()
site = Path(sys.prefix).resolve()
assert site in res.resolve().parents, f"resources read from {res}, not the installed package"
prices = load_price_table()
assert prices.get("gpt-4.1-mini") is not None, "price table has no gpt-4.1-mini"
platforms = load_platforms()
app = QApplication([])
icon = app_icon()
assert not icon.isNull() and not icon.pixmap(32, 32).isNull(), "the app icon did not load"
print(f"package data ok: resources at {res}; {len(platforms.platforms)} platforms; icon 32px")
"""


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run one step, echo it, and fail loudly with its output."""
    shown = [c if len(c) < 80 else "<script>" for c in map(str, cmd)]
    print("$", " ".join(shown), flush=True)
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stdout.write(proc.stdout)
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"wheel smoke: step failed with exit code {proc.returncode}")
    return proc.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="studio-wheel-"))
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env.update(STUDIO_HOME=str(tmp / "home"), QT_QPA_PLATFORM="offscreen")
    try:
        # Build from a copy of the tree: setuptools leaves build/ and *.egg-info beside the
        # sources it builds, and the checkout must stay as git has it.
        source = tmp / "source"
        shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "-q",
                "--no-deps",
                "-w",
                str(tmp / "dist"),
                str(source),
            ],
            cwd=tmp,
            env=env,
        )
        (wheel,) = (tmp / "dist").glob("prompt_dataset_studio-*.whl")
        venv.EnvBuilder(with_pip=True).create(tmp / "venv")
        bindir = tmp / "venv" / ("Scripts" if sys.platform == "win32" else "bin")
        python = bindir / "python"
        run([str(python), "-m", "pip", "install", "-q", str(wheel)], cwd=tmp, env=env)
        studio = str(bindir / "studio")
        work = tmp / "work"
        work.mkdir()
        print(run([studio, "--version"], cwd=work, env=env).strip())
        print(run([studio, "new", "demo.studio", "--demo"], cwd=work, env=env).strip())
        print(
            run(
                [studio, "decide", "--project", "demo.studio", "-o", "report.md"], cwd=work, env=env
            ).strip()
        )
        report = (work / "report.md").read_text(encoding="utf-8")
        assert "Recommendation:" in report, "the decision report has no recommendation"
        print(run([str(python), "-c", CHECK_PACKAGE_DATA], cwd=work, env=env).strip())
        print("wheel smoke: ok")
        return 0
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
