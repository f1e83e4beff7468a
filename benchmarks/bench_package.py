"""Start-up of the packaged studio against the same app from the venv and a Qt floor.

Not run in CI (it needs a PyInstaller build, ~1-2 minutes). By hand::

    python benchmarks/bench_package.py --build     # build first, then time
    python benchmarks/bench_package.py --runs 7    # time the existing packaging/dist build

Three things start offscreen, each ``--runs`` times after one untimed warm-up, in turn so that
machine load hits them alike:

* floor: the venv's Python showing a bare QMainWindow + QTableView and quitting (the least a
  PySide6 window costs here);
* venv: ``python -m studio --demo`` until the demo project is open (``STUDIO_EXIT_WHEN_READY``);
* packaged: ``packaging/dist/.../studio --demo``, the same.

"ready" is the app's own ``STUDIO_READY`` figure (seconds since launch); "wall" is launch to
process exit. Prints medians, the packaged/venv and packaged/floor ratios and the bundle size.
Reference (docs/engineering-facts.md §7): onedir "full" 204 MB, 2.4 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "packaging"))

from build import app_dir, folder_size  # noqa: E402
from smoke_check import Run, default_app, start  # noqa: E402

FLOOR_SCRIPT = """
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView
app = QApplication(sys.argv[:1])
w = QMainWindow(); w.setCentralWidget(QTableView()); w.show()
def done():
    import os
    elapsed = time.time() - float(os.environ["STUDIO_BENCH_T0"])
    print(f"STUDIO_READY {elapsed:.3f} floor", flush=True)
    app.quit()
QTimer.singleShot(0, done)
sys.exit(app.exec())
"""


def _floor_script(tmp: Path) -> Path:
    """The floor program as a file for the venv's Python to run."""
    script = tmp / "floor.py"
    script.write_text(FLOOR_SCRIPT, encoding="utf-8")
    return script


def _run_cmd(cmd: list[str], env: dict[str, str], timeout: float) -> Run:
    env = dict(env, STUDIO_BENCH_T0=repr(time.time()))
    started = time.perf_counter()
    proc = subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    return Run(proc.returncode, time.perf_counter() - started, proc.stdout, proc.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the packaged studio's start-up.")
    parser.add_argument("--build", action="store_true", help="run packaging/build.py first")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--app", type=Path, default=default_app())
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args(argv)

    if args.build:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "packaging" / "build.py")], check=True)
        print(f"build: {time.perf_counter() - t0:.0f} s")
    if not args.app.is_file():
        print(f"No built app at {args.app}; run with --build.")
        return 1

    tmp = Path(tempfile.mkdtemp(prefix="studio-bench-"))
    try:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", STUDIO_EXIT_WHEN_READY="full")
        homes = {name: tmp / name for name in ("venv", "packaged")}
        floor = _floor_script(tmp)
        commands: dict[str, Callable[[], Run]] = {
            "floor": lambda: _run_cmd([sys.executable, str(floor)], env, args.timeout),
            "venv": lambda: _run_cmd(
                [sys.executable, "-m", "studio", "--demo"],
                dict(env, STUDIO_HOME=str(homes["venv"])),
                args.timeout,
            ),
            "packaged": lambda: start(
                args.app, ["--demo"], dict(env, STUDIO_HOME=str(homes["packaged"])), args.timeout
            ),
        }
        ready: dict[str, list[float]] = {k: [] for k in commands}
        wall: dict[str, list[float]] = {k: [] for k in commands}
        for name, run in commands.items():  # warm-up: creates each demo, fills disk caches
            first = run()
            if first.code != 0 or first.ready is None:
                print(f"{name} did not start: exit {first.code}\n{first.stdout}{first.stderr}")
                return 1
        for _ in range(args.runs):
            for name, run in commands.items():
                result = run()
                if result.code != 0 or result.ready is None:
                    print(f"{name} failed: exit {result.code}\n{result.stdout}{result.stderr}")
                    return 1
                ready[name].append(result.ready[0])
                wall[name].append(result.wall)

        med = {k: statistics.median(v) for k, v in ready.items()}
        print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        print(f"{'start-up':10} {'ready med':>10} {'min':>7} {'max':>7} {'wall med':>9}")
        for name in commands:
            print(
                f"{name:10} {med[name]:9.2f}s {min(ready[name]):6.2f}s {max(ready[name]):6.2f}s "
                f"{statistics.median(wall[name]):8.2f}s"
            )
        print(f"packaged / venv:  {med['packaged'] / med['venv']:.2f}x")
        print(f"packaged / floor: {med['packaged'] / med['floor']:.2f}x")
        bundle = app_dir() if args.app == default_app() else args.app.parent
        print(f"bundle: {folder_size(bundle) / 1e6:.1f} MB at {bundle}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
