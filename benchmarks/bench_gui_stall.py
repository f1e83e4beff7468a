"""The longest GUI-thread stall over a replayed session at 100,000 rows (ISSUE-11 §5).

The real main window on a real project file replays what a user does: open the
project, scroll the table, label 100 rows by keyboard, bulk-label 10,000, undo, filter,
open a 1 MB field (and its "Show all" viewer), go to line 900,000 in Validate. A 5 ms
``QTimer`` heartbeat runs throughout; the longest gap between two beats is the longest
time the event loop could not run (what a user feels as a freeze). Each step prints its
own longest stall and wall time; the goal is <= 50 ms everywhere.

Run: ``QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui_stall.py [--rows 100000]``
Diagnostics: ``STALL_PROFILE=<step name part>`` profiles that step on the GUI thread;
``STALL_TRACE=1`` samples the GUI thread's stack whenever the beat is late;
``STALL_GC=1`` prints each step's garbage collections over 4 ms, with the thread that ran
them (a full collection holds the GIL: the GUI thread waits however idle it is).
The banking77 queries (PolyAI, CC BY 4.0) are cycled to reach the size.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_datasets_gui import make_csv

GOAL_MS = 50.0
BEAT_MS = 5


class Heartbeat:
    """Longest gap between two beats of a 5 ms timer, per step and overall."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(BEAT_MS)
        self.timer.timeout.connect(self._beat)
        self.longest = 0.0
        self._last = time.perf_counter()

    def start(self) -> None:
        self._last = time.perf_counter()
        self.longest = 0.0
        self.timer.start()

    def _beat(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last)
        self._last = now

    def reset(self) -> None:
        self._last = time.perf_counter()
        self.longest = 0.0


def wait(cond: Callable[[], Any], timeout: float = 120.0) -> None:
    """Run the event loop (never a busy Python loop) until ``cond()`` holds."""
    end = time.perf_counter() + timeout
    loop = QEventLoop()
    while not cond():
        if time.perf_counter() > end:
            raise TimeoutError("benchmark step timed out")
        QTimer.singleShot(2, loop.quit)
        loop.exec()


def pause(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def make_jsonl(path: Path, lines: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(lines):
            fh.write(
                json.dumps(
                    {
                        "messages": [
                            {"role": "user", "content": f"Where is card {i}?"},
                            {"role": "assistant", "content": "card_arrival"},
                        ]
                    }
                )
                + "\n"
            )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--lines", type=int, default=1_000_000, help="Validate file lines")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="studio-stall-"))
    os.environ["STUDIO_HOME"] = str(tmp / "home")

    from studio.core import datasets as core
    from studio.core.datasets.importing import import_file
    from studio.core.db.project import new_project

    total = 0
    print(f"setting up {args.rows:,} rows and a {args.lines:,}-line JSONL file …", flush=True)
    csv_path = tmp / "rows.csv"
    make_csv(args.rows, csv_path)
    proj_path = tmp / "stall.studio"
    with new_project(proj_path) as p:
        res = import_file(p, csv_path, "banking77-100k", None)
        ds = res.dataset_id
        total = res.imported + 1  # banking77 repeats a few queries: duplicates are skipped
        big = ("The card payment was declined at the shop. " * 30_000)[: 1024 * 1024]
        long_id = core.add_example(p, ds, {"text": big}, ideal_output="card_arrival").example_ids[0]
    jsonl = tmp / "big.jsonl"
    make_jsonl(jsonl, args.lines)

    app = QApplication(sys.argv[:1])  # noqa: F841 (kept alive for the whole run)
    from studio.ui.context import AppContext
    from studio.ui.main_window import MainWindow
    from studio.ui.settings import AppSettings

    context = AppContext()
    window = MainWindow(context, settings=AppSettings())
    window.resize(1280, 800)
    window.show()
    beat = Heartbeat()
    beat.start()
    if os.environ.get("STALL_TRACE"):
        # Watchdog: sample the GUI thread's Python stack whenever the beat is late
        import threading
        import traceback
        from collections import Counter

        seen: Counter[str] = Counter()
        main_id = threading.main_thread().ident

        def watch() -> None:
            while beat.timer.isActive():
                time.sleep(0.005)
                if time.perf_counter() - beat._last > 0.025:
                    frame = sys._current_frames().get(main_id)
                    if frame is not None:
                        stack = traceback.extract_stack(frame)[-4:]
                        seen[
                            " <- ".join(
                                f"{Path(f.filename).name}:{f.lineno} {f.name}"
                                for f in reversed(stack)
                            )
                        ] += 1

        threading.Thread(target=watch, daemon=True).start()
        import atexit

        atexit.register(lambda: [print(n, k) for k, n in seen.most_common(15)])
    collections: list[str] = []
    if os.environ.get("STALL_GC"):
        import gc
        import threading

        started: dict[int, float] = {}

        def on_gc(phase: str, info: dict[str, int]) -> None:
            ident = threading.get_ident()
            if phase == "start":
                started[ident] = time.perf_counter()
                return
            ms = (time.perf_counter() - started.pop(ident, time.perf_counter())) * 1000
            if ms > 4:
                thread = threading.current_thread().name
                collections.append(f"gen{info['generation']} {ms:.1f} ms on {thread}")

        gc.callbacks.append(on_gc)
    pause(200)
    results: list[tuple[str, float, float]] = []

    def step(name: str, action: Callable[[], None]) -> None:
        wait(lambda: not context.runner.busy)
        collections.clear()
        beat.reset()
        prof = None
        if os.environ.get("STALL_PROFILE") and os.environ["STALL_PROFILE"] in name:
            import cProfile

            prof = cProfile.Profile()
            prof.enable()
        t0 = time.perf_counter()
        action()
        wait(lambda: not context.runner.busy)
        pause(20)  # paint what the step changed
        wall = time.perf_counter() - t0
        if prof is not None:
            import pstats

            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(18)
        results.append((name, beat.longest * 1000, wall))
        print(
            f"  {name:<44} longest stall {beat.longest * 1000:7.1f} ms   wall {wall:6.2f} s",
            flush=True,
        )
        if collections:
            print(f"    garbage collections over 4 ms: {'; '.join(collections)}", flush=True)

    def open_project() -> None:
        window.open_path(proj_path)
        wait(lambda: context.project is not None)

    def first_visit() -> None:
        window.navigate("datasets")
        view = window.view("datasets")
        wait(lambda: view.model.rowCount() >= total and view.current_id() is not None)

    # The floor: the same heartbeat with nothing to do (what the machine itself adds)
    step("floor: idle event loop for 3 s", lambda: pause(3000))
    step("open the project (prompt list shown)", open_project)
    pause(1000)  # a user's first look at the window before clicking Datasets
    step("first visit to Datasets: 100k rows shown", first_visit)
    view = window.view("datasets")

    def scroll() -> None:
        bar = view.table.verticalScrollBar()
        for i in range(60):
            bar.setValue(int(bar.maximum() * ((i * 37) % 60) / 60))
            pause(15)
            wait(lambda: not view.model.loading)
        bar.setValue(0)

    step("scroll the table (60 jumps)", scroll)

    def label_100() -> None:
        view.select_row(0)
        view.table.setFocus()
        for i in range(100):
            QTest.keyClick(view.table, Qt.Key.Key_1 + (i % 3))
            pause(10)  # a fast typist: ~25 keys a second with the work
        wait(lambda: not view._edits)

    step("label 100 rows by keyboard", label_100)

    def bulk_10k() -> None:
        ids = view.model.ids()[1000:11_000]
        labels = view.dataset.label_set
        done: list[object] = []
        view.run_bulk("label", labels[5], ids=ids, on_finished=done.append)
        wait(lambda: bool(done))

    step("bulk-label 10,000 rows", bulk_10k)

    def undo() -> None:
        view.table.setFocus()
        QTest.keyClick(view.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        wait(lambda: not view._writes)

    step("undo the bulk label (Ctrl+Z)", undo)

    def filter_() -> None:
        view.filter_bar.search.setText("card")
        view.filter_bar.flush()
        wait(lambda: view.model.rowCount() < total)
        view.filter_bar.clear()
        wait(lambda: view.model.rowCount() >= total)

    step("filter: search 'card', then clear", filter_)

    def open_long() -> None:
        view.reveal(ds, long_id)
        wait(lambda: view.detail.detail is not None and view.detail.detail.id == long_id)
        view.detail.show_all("text")
        viewer = view.detail.viewer
        assert viewer is not None
        wait(lambda: viewer.is_filled)
        viewer.close()

    step("open the 1 MB field and Show all", open_long)

    validate = window.view("validate")

    def go_to_line() -> None:
        window.navigate("validate")
        shown: list[int] = []
        validate.line_shown.connect(shown.append)
        validate.path = jsonl
        validate.show_line(900_000)
        wait(lambda: bool(shown))
        assert "Where is card 899999" in validate.viewer.toPlainText()

    step("Validate: go to line 900,000", go_to_line)

    beat.timer.stop()
    worst = max(r[1] for r in results[1:])
    print(
        f"\nlongest GUI-thread stall over the session: {worst:.1f} ms "
        f"(goal <= {GOAL_MS:.0f} ms: {'met' if worst <= GOAL_MS else 'NOT met'}); "
        f"idle floor in the same run {results[0][1]:.1f} ms; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    window.close()
    context.runner.shutdown()
    context.set_project(None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
