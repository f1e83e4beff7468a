"""Benchmark: `studio --version` and `studio --help` against a bare `python -c pass`.

Each measurement is a fresh process, wall clock from launch to exit, the runs
interleaved so that machine load hits all alike; best and median of N are printed with
the ratio to the bare interpreter measured in the same run. Goal (ISSUE-11 §7): both
within 5x a bare start — the command line imports a command's code only when that
command runs (``studio.cli.main.COMMANDS``).

For comparison it also times ``studio dataset --help`` (imports the dataset command and
the core it needs) and, with ``--eager``, a parser built the old way (every command
module imported).

Bytecode: as in ``bench_startup.py``, children write and reuse ``.pyc`` files in a
throw-away ``PYTHONPYCACHEPREFIX`` (an installed app runs from compiled files), warmed
by untimed first runs.

Run:  python benchmarks/bench_cli_startup.py [--runs 15] [--eager]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOAL = 5.0

EAGER = "from studio.cli.main import build_parser; build_parser().parse_args(['--help'])"


def _time(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, cwd=REPO, timeout=120)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr.decode()}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--eager", action="store_true", help="also time an all-modules parser")
    args = parser.parse_args()

    py = sys.executable
    cases: dict[str, list[str]] = {
        "python -c pass (floor)": [py, "-c", "pass"],
        "studio --version": [py, "-m", "studio", "--version"],
        "studio --help": [py, "-m", "studio", "--help"],
        "studio dataset --help": [py, "-m", "studio", "dataset", "--help"],
    }
    if args.eager:
        cases["all command modules imported"] = [py, "-c", EAGER]
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as home:
        env = dict(os.environ)
        env["STUDIO_HOME"] = home
        env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path(home) / "pycache")
        times: dict[str, list[float]] = {name: [] for name in cases}
        for cmd in cases.values():  # warm the bytecode and file caches, untimed
            _time(cmd, env)
        for _ in range(args.runs):
            for name, cmd in cases.items():
                times[name].append(_time(cmd, env))

    floor_best = min(times["python -c pass (floor)"])
    floor_med = statistics.median(times["python -c pass (floor)"])
    print(
        f"{args.runs} interleaved fresh processes each, cached .pyc; Python "
        f"{sys.version.split()[0]}"
    )
    print(f"{'':34s} {'best':>8s} {'median':>8s}   ratio to floor (best / median)")
    for name, ts in times.items():
        best, med = min(ts), statistics.median(ts)
        print(
            f"{name:34s} {best * 1000:6.1f}ms {med * 1000:6.1f}ms   "
            f"{best / floor_best:5.2f}x / {med / floor_med:5.2f}x"
        )
    worst = max(
        statistics.median(times[n]) / floor_med for n in ("studio --version", "studio --help")
    )
    print(
        f"goal: --version and --help within {GOAL:.0f}x the floor (median): "
        f"{'met' if worst <= GOAL else 'NOT met'} ({worst:.2f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
