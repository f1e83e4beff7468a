"""Benchmark: time to a usable window with the demo project vs a bare PySide6 window.

Each measurement is a fresh process (wall clock from launch until the process reports
it is ready, read against the launch time passed in ``STUDIO_BENCH_T0``), best of N,
the runs interleaved so that machine load hits both alike:

* floor:  a bare QApplication + QMainWindow shown, quitting after its first event-loop turn;
* studio: ``studio --demo`` quitting once the demo's prompt list is on screen
  (``STUDIO_EXIT_WHEN_READY=1``; the list comes from the read-only quick look while the
  project opens on the database thread);
* studio-full: the same, but quitting once the project is fully open and its list was
  read through the prompt service (``STUDIO_EXIT_WHEN_READY=full``): the time until
  opening a prompt needs no more waiting.

Goal: studio / floor <= 1.5. The first start, which builds the demo file, is timed once.

Bytecode: an installed app runs from compiled ``.pyc`` files (pip compiles them at
install, PyInstaller ships them), but a development shell may set
``PYTHONDONTWRITEBYTECODE``, so that every start recompiles the studio's modules from
source (~15 ms on the GUI path here) while the floor's modules (stdlib, PySide6) come
precompiled. By default the children therefore write and reuse bytecode in a
throw-away ``PYTHONPYCACHEPREFIX`` folder (warmed by the untimed first runs);
``--no-bytecode-cache`` measures the source-compiling way instead.

Run:  QT_QPA_PLATFORM=offscreen /work/venv/bin/python benchmarks/bench_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE = """
import os, sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
w = QMainWindow()
w.resize(1280, 820)
w.show()
def ready():
    print(f"STUDIO_READY {time.time() - float(os.environ['STUDIO_BENCH_T0']):.3f}", flush=True)
    app.quit()
QTimer.singleShot(0, ready)
app.exec()
"""

REPO = Path(__file__).resolve().parents[1]


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Seconds from launch to the child's ``STUDIO_READY`` line (its own clock reading)."""
    env = {**env, "STUDIO_BENCH_T0": repr(time.time())}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, cwd=REPO)
    if proc.returncode != 0 or "STUDIO_FAILED" in proc.stdout:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    ready = [ln for ln in proc.stdout.splitlines() if ln.startswith("STUDIO_READY")]
    if not ready:
        raise SystemExit(f"{' '.join(cmd)} never said it was ready:\n{proc.stdout}\n{proc.stderr}")
    return float(ready[0].split()[1]), proc.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE as set (studio modules recompiled at every start)",
    )
    args = parser.parse_args()

    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as home:
        env["STUDIO_HOME"] = home
        if not args.no_bytecode_cache:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(Path(home) / "pycache")
        studio = [sys.executable, "-m", "studio", "--demo"]
        first, _ = _run(studio, {**env, "STUDIO_EXIT_WHEN_READY": "full"})
        demo = Path(home) / "data" / "demo.studio"
        assert demo.exists(), "the demo project was not created"

        bare_times: list[float] = []
        quick_times: list[float] = []
        full_times: list[float] = []
        _run([sys.executable, "-c", BARE], env)  # warm the file cache for both
        for _ in range(args.runs):
            bare_times.append(_run([sys.executable, "-c", BARE], env)[0])
            quick_times.append(_run(studio, {**env, "STUDIO_EXIT_WHEN_READY": "1"})[0])
            full_times.append(_run(studio, {**env, "STUDIO_EXIT_WHEN_READY": "full"})[0])

    bare, quick, full = min(bare_times), min(quick_times), min(full_times)
    bytecode = "source recompiled" if args.no_bytecode_cache else "cached .pyc, as installed"
    print(f"platform: {env['QT_QPA_PLATFORM']}, best of {args.runs} fresh processes, {bytecode}")
    print(f"bare PySide6 window (floor):          {bare:6.3f} s")
    print(f"studio --demo, prompt list shown:     {quick:6.3f} s   ratio {quick / bare:4.2f}x")
    print(f"studio --demo, project fully open:    {full:6.3f} s   ratio {full / bare:4.2f}x")
    print(f"first start (builds the demo file):   {first:6.3f} s")
    goal = 1.5
    print(
        f"goal: prompt list shown <= {goal}x floor: {'met' if quick / bare <= goal else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
