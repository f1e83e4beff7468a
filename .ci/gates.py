"""Every gate, then every test: the second set-up command of README.md and what CI runs.

Run from the checkout with the test extra installed::

    .venv/bin/python .ci/gates.py            # all gates, then pytest
    .venv/bin/python .ci/gates.py --no-tests # the gates only (quick, before a commit)

Gates, in order (each printed with its time; all run even when one fails, so one look
shows everything to fix): ruff check, ruff format --check, mypy --strict over studio/,
lint-imports (the contracts in pyproject.toml), the wheel smoke test
(packaging/wheel_smoke.py), then pytest with Qt offscreen and Qt warnings as errors
(pyproject's pytest settings). Exit 0 when all passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def gates(with_tests: bool) -> list[tuple[str, list[str]]]:
    """(name, command) for each gate, in the order they run."""
    py = sys.executable
    steps = [
        ("ruff check", [str(BIN / "ruff"), "check", "."]),
        ("ruff format --check", [str(BIN / "ruff"), "format", "--check", "."]),
        ("mypy --strict studio/", [py, "-m", "mypy"]),
        ("lint-imports", [str(BIN / "lint-imports")]),
        ("wheel smoke test", [py, "packaging/wheel_smoke.py"]),
    ]
    if with_tests:
        steps.append(("pytest", [py, "-m", "pytest", "-q"]))
    return steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-tests", action="store_true", help="run the gates, not pytest")
    args = parser.parse_args(argv)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    results: list[tuple[str, bool, float]] = []
    for name, cmd in gates(with_tests=not args.no_tests):
        print(f"\n=== {name}", flush=True)
        t0 = time.perf_counter()
        ok = subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode == 0
        results.append((name, ok, time.perf_counter() - t0))
    print("\n=== summary")
    for name, ok, seconds in results:
        print(f"{'ok    ' if ok else 'FAILED'} {name} ({seconds:.0f} s)")
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
