"""Smoke check of the BUILT app: it starts offscreen, opens the demo project, and is complete.

Run by hand after ``python packaging/build.py`` (not in CI: it needs the built bundle)::

    python packaging/smoke_check.py                 # the app in packaging/dist/
    python packaging/smoke_check.py --app PATH/TO/studio --runs 5

Steps, each printed with its result:

1. bundle self-check: the app started with ``STUDIO_PACKAGE_SELFCHECK=1`` imports every
   studio module, migrates a new project with the bundled Alembic scripts, counts tokens
   with quicktok's bundled encodings, builds the openai clients, finds keyring backends and
   renders the SVG icon (packaging/rthook_selfcheck.py), then exits;
2. ``studio --version`` (the command line inside the same executable);
3. first start: ``studio --demo`` with ``QT_QPA_PLATFORM=offscreen``, a fresh temporary
   ``STUDIO_HOME`` and ``STUDIO_EXIT_WHEN_READY=full``: the app prints ``STUDIO_READY <s>``
   once the demo project is open and exits 0; the demo file must then exist, be at the
   bundled schema head and hold prompts and examples;
4. warm starts: the same again ``--runs`` times with the demo already there.

If the app does not honour ``STUDIO_EXIT_WHEN_READY`` (no ready line before ``--timeout``),
step 3 falls back to: still alive after the timeout and the demo file created.

Exit code 0 when every step passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
READY_RE = re.compile(r"^STUDIO_READY\s+([0-9.]+)\s*(\S*)", re.MULTILINE)


def default_app() -> Path:
    """The executable packaging/build.py produces on this OS."""
    if sys.platform == "darwin":
        return HERE / "dist" / "Studio.app" / "Contents" / "MacOS" / "studio"
    if sys.platform == "win32":
        return HERE / "dist" / "studio" / "studio.exe"
    return HERE / "dist" / "studio" / "studio"


def bundle_dir(app: Path) -> Path:
    """The folder holding the bundled data files (sys._MEIPASS when the app runs)."""
    if sys.platform == "darwin" and app.parent.name == "MacOS":
        return app.parent.parent / "Frameworks"
    return app.parent / "_internal"


@dataclass
class Run:
    """One start of the app."""

    code: int | None  # None: still running at the timeout (then killed)
    wall: float  # seconds from launch to exit (or to the timeout)
    stdout: str
    stderr: str

    @property
    def ready(self) -> tuple[float, str] | None:
        """(seconds since launch, what was ready) from the app's STUDIO_READY line."""
        m = READY_RE.search(self.stdout)
        return (float(m.group(1)), m.group(2)) if m else None

    @property
    def failed_message(self) -> str | None:
        for line in self.stdout.splitlines():
            if line.startswith("STUDIO_FAILED"):
                return line.removeprefix("STUDIO_FAILED").strip()
        return None


def start(app: Path, args: list[str], env: dict[str, str], timeout: float) -> Run:
    """Run the app once; kill it (and report code None) if it outlives ``timeout``."""
    env = dict(env, STUDIO_BENCH_T0=repr(time.time()))
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(app), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        code = None
    return Run(code, time.perf_counter() - started, out, err)


def bundled_head(app: Path) -> str | None:
    """The newest revision among the migration scripts inside the bundle (None: not found)."""
    versions = bundle_dir(app) / "studio" / "core" / "db" / "migrations" / "versions"
    revisions: set[str] = set()
    downs: set[str] = set()
    for script in versions.glob("*.py"):
        text = script.read_text(encoding="utf-8")
        rev = re.search(r"^revision[^=]*=\s*['\"]([^'\"]+)['\"]", text, re.MULTILINE)
        down = re.search(r"^down_revision[^=]*=\s*['\"]([^'\"]+)['\"]", text, re.MULTILINE)
        if rev:
            revisions.add(rev.group(1))
        if down:
            downs.add(down.group(1))
    heads = revisions - downs
    return heads.pop() if len(heads) == 1 else None


def inspect_demo(path: Path, head: str | None) -> tuple[bool, str]:
    """Is ``path`` a migrated studio project with demo content? Returns (ok, detail)."""
    if not path.is_file():
        return False, f"{path} was not created"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            tables = {r[0] for r in rows}
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            counts = {
                t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
                for t in ("prompt_version", "example", "eval_run")
                if t in tables
            }
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return False, f"{path} is not a readable project: {exc}"
    rev = revision[0] if revision else None
    detail = f"schema {rev}, " + ", ".join(f"{n} {t}" for t, n in counts.items())
    if head is not None and rev != head:
        return False, f"{detail}; expected schema {head}"
    if not counts.get("prompt_version") or not counts.get("example"):
        return False, f"{detail}; the demo should hold prompt versions and examples"
    return True, detail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Smoke check of the packaged studio.")
    parser.add_argument("--app", type=Path, default=default_app(), help="the built executable")
    parser.add_argument("--runs", type=int, default=3, help="warm starts to time (default 3)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per start")
    parser.add_argument("--keep", action="store_true", help="keep the temporary STUDIO_HOME")
    args = parser.parse_args(argv)

    app: Path = args.app.resolve()
    if not app.is_file():
        print(f"No built app at {app}; run `python packaging/build.py` first.")
        return 1
    home = Path(tempfile.mkdtemp(prefix="studio-smoke-"))
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", STUDIO_HOME=str(home))
    env.pop("STUDIO_EXIT_WHEN_READY", None)
    results: list[tuple[str, bool, str]] = []

    def report(step: str, ok: bool, detail: str) -> None:
        results.append((step, ok, detail))
        print(f"[{'PASS' if ok else 'FAIL'}] {step}: {detail}", flush=True)

    print(f"app:  {app}\nhome: {home}", flush=True)
    try:
        # 1. the bundle's own self-check
        run = start(app, [], dict(env, STUDIO_PACKAGE_SELFCHECK="1"), args.timeout)
        summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else "no output"
        report("self-check", run.code == 0, f"{summary} ({run.wall:.2f} s)")
        if run.code != 0:
            print(run.stdout + run.stderr)

        # 2. the command line in the same executable
        run = start(app, ["--version"], env, args.timeout)
        # A windowed Windows executable has no stdout: only the exit code can be checked there
        ok = run.code == 0 and (sys.platform == "win32" or run.stdout.startswith("studio "))
        report("--version", ok, (run.stdout.strip() or run.stderr.strip() or "no output"))

        # 3. first start: creates and opens the demo project
        demo = home / "data" / "demo.studio"
        gui_env = dict(env, STUDIO_EXIT_WHEN_READY="full")
        first = start(app, ["--demo"], gui_env, args.timeout)
        head = bundled_head(app)
        demo_ok, demo_detail = inspect_demo(demo, head)
        if first.code is None and first.ready is None:
            # The app does not honour STUDIO_EXIT_WHEN_READY: alive until the timeout is a pass
            report(
                "first start (fallback)",
                demo_ok,
                f"no STUDIO_READY line; alive after {args.timeout:.0f} s; demo: {demo_detail}",
            )
        else:
            ready = first.ready
            failed = first.failed_message
            ok = first.code == 0 and ready is not None and failed is None and demo_ok
            when = f"ready {ready[0]:.2f} s ({ready[1]})" if ready else "never ready"
            detail = f"exit {first.code}, {when}, wall {first.wall:.2f} s; demo: {demo_detail}"
            if failed:
                detail += f"; STUDIO_FAILED {failed}"
            report("first start --demo", ok, detail)
            if not ok:
                print(first.stdout + first.stderr)

        # 4. warm starts with the demo in place
        readies: list[float] = []
        walls: list[float] = []
        for _ in range(max(args.runs, 0)):
            run = start(app, ["--demo"], gui_env, args.timeout)
            if run.code != 0 or run.ready is None or run.failed_message:
                report("warm start", False, f"exit {run.code}: {(run.stdout + run.stderr)[-500:]}")
                break
            readies.append(run.ready[0])
            walls.append(run.wall)
        if readies:
            report(
                f"warm starts x{len(readies)}",
                True,
                f"ready median {statistics.median(readies):.2f} s "
                f"(min {min(readies):.2f}, max {max(readies):.2f}); "
                f"wall to exit median {statistics.median(walls):.2f} s",
            )
    finally:
        if args.keep:
            print(f"kept {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)

    failed_steps = [step for step, ok, _ in results if not ok]
    print(f"smoke check: {'PASSED' if not failed_steps else 'FAILED: ' + ', '.join(failed_steps)}")
    return 1 if failed_steps else 0


if __name__ == "__main__":
    sys.exit(main())
