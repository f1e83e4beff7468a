"""Render the datasets screenshots from a realistic banking77 project (offscreen).

``python -m studio.ui.datasets.demo_screenshots OUT_DIR`` writes ``dataset-table.png``
and ``dataset-overview.png``. The data is a slice of banking77 (PolyAI, CC BY 4.0):
20 queries for each of the 77 intents, curated the way a reviewer would leave it
(most approved, some flagged or rejected, a few tagged and rated) and split 70/15/15.
"""

from __future__ import annotations

import csv
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

BANKING77 = Path(__file__).resolve().parents[3].parent / "shared" / "datasets" / "banking77"


def build_project(folder: Path) -> tuple[object, int]:
    """A project file with a curated banking77 slice; returns (project, dataset id)."""
    from studio.core.datasets import curation
    from studio.core.datasets.importing import import_file
    from studio.core.datasets.splits import split_dataset
    from studio.core.db.project import new_project
    from studio.ui.datasets import data_access as da

    per: dict[str, int] = {}
    rows = []
    with (BANKING77 / "train.csv").open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if per.get(r["category"], 0) < 20:
                per[r["category"]] = per.get(r["category"], 0) + 1
                rows.append(r)
    src = folder / "banking77_slice.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["text", "category"])
        w.writeheader()
        w.writerows(rows)
    project = new_project(folder / "demo.studio")
    result = import_file(project, src, "banking77 intents", None)
    ds = int(result.dataset_id or 0)
    ids = da.query_ids(project, ds)
    rng = random.Random(3)
    approved = [i for i in ids if rng.random() < 0.62]
    rejected = [i for i in ids if i not in set(approved) and rng.random() < 0.12]
    curation.set_status(project, ds, approved, "approved")
    curation.set_status(project, ds, rejected, "rejected")
    curation.add_tag(project, ds, [i for i in ids if rng.random() < 0.05], "ambiguous")
    curation.add_tag(project, ds, [i for i in ids if rng.random() < 0.03], "typo")
    split_dataset(project, ds, test=0.15, validation=0.15, seed=42, stratify=True)
    for i in ids[:40]:
        if rng.random() < 0.5:
            curation.set_rating(project, ds, [i], rng.choice([3, 4, 5]))
    da.update_example(
        project,
        ids[5],
        notes="Asks about tracking, not arrival: kept as card_arrival "
        "(the customer wants the card).",
        tags=["ambiguous"],
        rating=4,
    )
    return project, ds


def main(out_dir: str) -> int:
    from PySide6.QtWidgets import QApplication

    from studio.ui.context import AppContext
    from studio.ui.datasets import DatasetsView
    from studio.ui.datasets import data_access as da

    app = QApplication.instance() or QApplication(sys.argv)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        project, ds = build_project(Path(tmp))
        ctx = AppContext()
        view = DatasetsView(ctx)
        view.resize(1440, 860)
        view.show()
        ctx.set_project(project)

        def settle(seconds: float = 0.6) -> None:
            end = time.perf_counter() + seconds
            while time.perf_counter() < end or ctx.runner.busy:
                app.processEvents()
                time.sleep(0.01)

        settle()
        ids = da.query_ids(project, ds)
        view.reveal(ds, ids[5])
        settle()
        view.table.setFocus()
        settle(0.2)
        view.grab().save(str(out / "dataset-table.png"))
        view.tabs.setCurrentWidget(view.overview)
        settle(1.5)
        view.grab().save(str(out / "dataset-overview.png"))
        ctx.runner.shutdown()
        ctx.set_project(None)
        view.close()
    print(f"wrote {out / 'dataset-table.png'} and {out / 'dataset-overview.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "resources/screenshots"))
