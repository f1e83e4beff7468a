"""Fixtures for the datasets view: a real project file with a banking77 slice imported."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from studio.core.datasets.importing import import_file
from studio.core.db.project import Project, new_project
from studio.ui.context import AppContext
from studio.ui.datasets import DatasetsView

PER_LABEL = 10
LABELS = 5


def banking_slice(banking77_dir: Path, dest: Path, per_label: int = PER_LABEL) -> Path:
    """A CSV of ``per_label`` banking77 test queries for each of the first labels."""
    taken: dict[str, int] = {}
    with (banking77_dir / "test.csv").open(newline="", encoding="utf-8") as fh:
        rows = []
        for r in csv.DictReader(fh):
            cat = r["category"]
            if cat not in taken and len(taken) >= LABELS:
                continue
            if taken.get(cat, 0) < per_label:
                taken[cat] = taken.get(cat, 0) + 1
                rows.append(r)
    with dest.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["text", "category"])
        w.writeheader()
        w.writerows(rows)
    return dest


@pytest.fixture
def project(tmp_path: Path, banking77_dir: Path) -> Iterator[Project]:
    """A project file holding dataset "banking77" (50 examples, 5 labels)."""
    proj = new_project(tmp_path / "p.studio")
    src = banking_slice(banking77_dir, tmp_path / "slice.csv")
    result = import_file(proj, src, "banking77", None)
    assert result.imported == PER_LABEL * LABELS
    yield proj
    proj.close()


def wait_idle(qtbot: QtBot, ctx: AppContext) -> None:
    """Let background tasks finish and their callbacks run on the GUI thread."""
    qtbot.waitUntil(lambda: not ctx.runner.busy, timeout=10000)


@pytest.fixture
def idle(qtbot: QtBot, context: AppContext) -> Callable[[], None]:
    """Call to wait until the view's background work is done."""
    return lambda: wait_idle(qtbot, context)


@pytest.fixture
def view(qtbot: QtBot, context: AppContext, project: Project) -> DatasetsView:
    v = DatasetsView(context)
    qtbot.addWidget(v)
    v.resize(1300, 800)
    v.show()
    context.set_project(project)
    wait_idle(qtbot, context)
    assert v.model.rowCount() == PER_LABEL * LABELS
    v.table.setFocus()
    return v
