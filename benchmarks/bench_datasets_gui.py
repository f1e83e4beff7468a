"""Datasets view speed at 2,000 and 100,000 examples (offscreen Qt, real project files).

Prints each figure with a ratio to a floor measured in the same run:

* table first screen and scroll repaint: a raw Qt model over a Python list of the same
  texts in the same-sized QTableView (the least a Python model can cost);
* search/filter: the same substring filter done on a Python list of the texts;
* label keypress: one plain ``sqlite3`` UPDATE + commit of the same row;
* bulk-label all: one plain ``sqlite3`` ``UPDATE example SET label = ?`` of every row.

Run: ``QT_QPA_PLATFORM=offscreen python benchmarks/bench_datasets_gui.py [--sizes 2000 100000]``
The banking77 queries (PolyAI, CC BY 4.0) are cycled to reach the size.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QHeaderView, QTableView

REPO = Path(__file__).resolve().parents[1]
BANKING77 = REPO.parent / "shared" / "datasets" / "banking77" / "train.csv"
SCROLL_FRAMES = 200


class ListModel(QAbstractTableModel):
    """The floor: a raw model over a Python list of row tuples."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        super().__init__()
        self.rows = rows

    def rowCount(self, parent: Any = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Any = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 8

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return self.rows[index.row()][index.column()]


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def make_csv(n: int, dest: Path) -> list[str]:
    with BANKING77.open(newline="", encoding="utf-8") as fh:
        base = [(r["text"], r["category"]) for r in csv.DictReader(fh)]
    texts = []
    with dest.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "category"])
        for i in range(n):
            t, c = base[i % len(base)]
            if i >= len(base):
                t = f"{t} (variant {i // len(base)})"
            w.writerow([t, c])
            texts.append(t)
    return texts


def spin(app: QApplication, cond: Any, timeout: float = 60.0) -> None:
    end = time.perf_counter() + timeout
    while not cond():
        app.processEvents()
        if time.perf_counter() > end:
            raise TimeoutError("benchmark step timed out")
        time.sleep(0.0005)


def p95(values: list[float]) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * 0.95))]


def floor_view(rows: list[tuple[Any, ...]]) -> tuple[float, float]:
    """First screen and scroll p95 of the raw list model, same view settings."""
    t0 = time.perf_counter()
    view = QTableView()
    view.resize(1400, 800)
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.verticalHeader().setDefaultSectionSize(24)
    view.setWordWrap(False)
    model = ListModel(rows)
    view.setModel(model)
    view.show()
    QApplication.processEvents()
    view.viewport().repaint()
    first = time.perf_counter() - t0
    frames = scroll_frames(view)
    view.close()
    return first, p95(frames)


def scroll_frames(view: QTableView) -> list[float]:
    bar = view.verticalScrollBar()
    rng = random.Random(7)
    out = []
    for _ in range(SCROLL_FRAMES):
        bar.setValue(rng.randint(0, max(0, bar.maximum())))
        t = time.perf_counter()
        view.viewport().repaint()
        out.append(time.perf_counter() - t)
    return out


def line(name: str, value_ms: float, floor_ms: float, budget: str) -> None:
    ratio = value_ms / floor_ms if floor_ms > 0 else float("inf")
    print(
        f"  {name:<34} {value_ms:9.1f} ms   floor {floor_ms:8.1f} ms   ×{ratio:6.1f}   ({budget})"
    )


def bench(app: QApplication, n: int, work: Path) -> None:
    from studio.core import datasets as core
    from studio.core.datasets.importing import import_file
    from studio.core.db.project import new_project
    from studio.ui.context import AppContext
    from studio.ui.datasets import DatasetsView

    print(f"\n== {n:,} examples ==")
    src = work / f"b77_{n}.csv"
    texts = make_csv(n, src)
    path = work / f"bench_{n}.studio"
    project = new_project(path)
    t = time.perf_counter()
    res = import_file(project, src, "banking77", None)
    imp = time.perf_counter() - t
    print(
        f"  import (core)                      {imp * 1000:9.1f} ms   ({res.imported:,} rows, "
        f"{res.imported / imp:,.0f} rows/s)"
    )

    rows = [(i + 1, t, "", "label", "needs review", "", "", "") for i, t in enumerate(texts)]
    floor_first, floor_scroll = floor_view(rows)

    ctx = AppContext()
    view = DatasetsView(ctx)
    view.resize(1400, 800)
    view.show()
    app.processEvents()
    done = {"q": 0}
    view.query_done.connect(lambda: done.__setitem__("q", done["q"] + 1))
    t0 = time.perf_counter()
    ctx.set_project(project)
    spin(app, lambda: done["q"] >= 1)
    view.table.viewport().repaint()
    first = time.perf_counter() - t0
    line("table first screen", first * 1000, floor_first * 1000, "≤ 300 ms at 100k")

    frames = scroll_frames(view.table)
    line("scroll repaint p95", p95(frames) * 1000, floor_scroll * 1000, "≤ 50 ms")
    print(f"  scroll repaint mean                {statistics.mean(frames) * 1000:9.1f} ms")

    # Search: from the filter change to the table showing the result
    ts = time.perf_counter()
    floor_ids = [i for i, t in enumerate(texts) if "card" in t.lower()]
    floor_search = time.perf_counter() - ts
    spin(app, lambda: not ctx.runner.busy)
    before = done["q"]
    t0 = time.perf_counter()
    view.filter_bar.search.setText("card")
    view.filter_bar.flush()
    spin(app, lambda: done["q"] > before)
    view.table.viewport().repaint()
    search = time.perf_counter() - t0
    line("search 'card' → table updated", search * 1000, floor_search * 1000, "≤ 500 ms")
    spin(app, lambda: not ctx.runner.busy)
    matches = view.model.rowCount()
    before = done["q"]
    t0 = time.perf_counter()
    view.filter_bar.status_buttons["needs_review"].setChecked(True)
    spin(app, lambda: done["q"] > before)
    view.table.viewport().repaint()
    line(
        "status filter → table updated",
        (time.perf_counter() - t0) * 1000,
        floor_search * 1000,
        "≤ 500 ms",
    )
    print(f"  ({matches:,} of {n:,} match 'card'; python list floor found {len(floor_ids):,})")
    spin(app, lambda: not ctx.runner.busy)
    view.filter_bar.clear()
    spin(app, lambda: not ctx.runner.busy)

    # Label keypress → row updated (synchronous path), median of 20
    view.select_row(0)
    view.table.setFocus()
    presses = []
    for _ in range(20):
        t0 = time.perf_counter()
        QTest.keyClick(view.table, Qt.Key.Key_2)
        view.table.viewport().repaint()
        presses.append(time.perf_counter() - t0)
    raw = sqlite3.connect(str(path))
    fl = []
    for i in range(20):
        t0 = time.perf_counter()
        raw.execute("UPDATE example SET label = ? WHERE id = ?", ("card_linking", i + 1))
        raw.commit()
        fl.append(time.perf_counter() - t0)
    line(
        "label keypress → row updated (med)",
        statistics.median(presses) * 1000,
        statistics.median(fl) * 1000,
        "< 100 ms at 2k",
    )
    print(f"  label keypress p95                 {p95(presses) * 1000:9.1f} ms")

    # Bulk-label everything matching the (empty) filter: one undoable step
    spin(app, lambda: not ctx.runner.busy)
    finished: list[Any] = []
    t0 = time.perf_counter()
    view.run_bulk("label", "card_arrival", flt=core.ExampleFilter(), on_finished=finished.append)
    spin(app, lambda: bool(finished))
    view.table.viewport().repaint()
    bulk = time.perf_counter() - t0
    t0 = time.perf_counter()
    raw.execute("UPDATE example SET label = ? WHERE dataset_id = 1", ("top_up_failed",))
    raw.commit()
    floor_bulk = time.perf_counter() - t0
    raw.close()
    changed = len(finished[0].example_ids) if finished and finished[0] else 0
    line(f"bulk-label all ({changed:,} changed)", bulk * 1000, floor_bulk * 1000, "≤ 2 s at 100k")
    spin(app, lambda: not ctx.runner.busy)
    # Undo of the same bulk edit (one step)
    t0 = time.perf_counter()
    ctx.undo_stack.undo()
    spin(app, lambda: not ctx.runner.busy)
    print(f"  undo bulk-label (one step)         {(time.perf_counter() - t0) * 1000:9.1f} ms")
    print(f"  RSS                                {rss_mb():9.1f} MB   (< 400 MB)")
    ctx.runner.shutdown()
    ctx.set_project(None)
    view.close()
    view.deleteLater()
    app.processEvents()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 100_000])
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    print(f"Datasets GUI benchmark, offscreen, PySide6, python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            bench(app, n, Path(tmp))  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
