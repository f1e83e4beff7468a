"""The app keeps up (ISSUE-11 §6): outside changes show within 2 s keeping the selection,
File ▸ New starts clean, Open Example selects the example asked for the first time.

Real project files (the demo project), the real main window, offscreen Qt; the outside
change is made by the real ``studio`` command line in another process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QFileDialog

from studio.core import datasets as core
from studio.core.db.project import open_project
from studio.ui.context import AppContext
from studio.ui.main_window import MainWindow

REPO = Path(__file__).resolve().parents[2]


def _open(qtbot, window: MainWindow, path: Path) -> None:
    with qtbot.waitSignal(window.project_opened, timeout=15000):
        window.open_path(path)


def _datasets(qtbot, window: MainWindow, wait_idle: Callable[[AppContext], None]):
    window.navigate("datasets")
    view = window.view("datasets")
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=15000)
    wait_idle(window.context)
    return view


def test_open_example_selects_the_row_asked_for_the_first_time(
    qtbot, main_window: MainWindow, project_file: Path, wait_idle
) -> None:
    with open_project(project_file) as p:
        ds = core.list_datasets(p)[0].id
        ids = core.query_ids(p, ds)
    target = ids[len(ids) * 2 // 3]  # far from the first row the view would show
    _open(qtbot, main_window, project_file)
    assert "datasets" not in main_window._views  # the view is built by this request
    main_window.context.navigate_requested.emit(
        "datasets", {"dataset_id": ds, "example_id": target}
    )
    view = main_window.view("datasets")
    qtbot.waitUntil(lambda: view.current_id() == target, timeout=15000)
    wait_idle(main_window.context)
    assert view.current_id() == target
    assert view.selected_ids() == [target]
    qtbot.waitUntil(lambda: view.detail.detail is not None and view.detail.detail.id == target)
    assert view.dataset_combo.count() >= 1 and view.dataset_combo.currentData() == ds


def test_file_new_starts_clean(
    qtbot, main_window: MainWindow, project_file: Path, tmp_path: Path, monkeypatch, wait_idle
) -> None:
    _open(qtbot, main_window, project_file)
    # Visit the views that show the project's numbers first
    main_window.navigate("evaluate")
    evaluate = main_window.view("evaluate")
    qtbot.waitUntil(lambda: evaluate.run_id is not None, timeout=15000)
    main_window.navigate("decide")
    decide = main_window.view("decide")
    qtbot.waitUntil(lambda: decide.decision is not None, timeout=30000)
    view = _datasets(qtbot, main_window, wait_idle)
    qtbot.waitUntil(lambda: view.last_counts is not None)
    assert view.filter_bar.summary.text().endswith("examples")
    target = tmp_path / "fresh.studio"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    with qtbot.waitSignal(main_window.project_opened, timeout=15000):
        main_window.new_action.trigger()
    wait_idle(main_window.context)
    assert main_window.context.project.path == target
    # Nothing of the previous project is left on screen
    assert view.dataset is None and view.model.rowCount() == 0
    assert view.dataset_combo.count() == 0
    assert view.filter_bar.summary.text() == ""
    assert all(
        b.text() == b.property("base")
        for b in (*view.filter_bar.status_buttons.values(), *view.filter_bar.split_buttons.values())
    )
    assert view.overview.title.text() == ""
    assert view.detail.detail is None
    assert view.empty_hint.isVisibleTo(view)
    assert evaluate.run_id is None
    assert decide.decision is None


def test_a_change_made_by_the_cli_shows_within_2_s_keeping_the_selection(
    qtbot, main_window: MainWindow, project_file: Path, wait_idle
) -> None:
    _open(qtbot, main_window, project_file)
    view = _datasets(qtbot, main_window, wait_idle)
    ds_name = view.dataset.name
    # Select three rows, the middle one current
    view.select_row(10)
    sm = view.table.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for r in (12, 14):
        sm.select(view.model.index(r, 0), flags)
    wait_idle(main_window.context)
    selected = view.selected_ids()
    current = view.current_id()
    before_total = view.model.rowCount()
    # Another process imports two new rows into the same dataset (real CLI)
    extra = project_file.parent / "extra.csv"
    extra.write_text(
        "text,category\nmy brand new card will not arrive,card_arrival\n"
        "why was I charged twice for one transfer,transfer_fee_charged\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "studio",
            "dataset",
            "import",
            "--project",
            str(project_file),
            "--name",
            ds_name,
            str(extra),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 0, done.stderr
    start = time.monotonic()
    qtbot.waitUntil(lambda: view.model.rowCount() == before_total + 2, timeout=4000)
    shown_after = time.monotonic() - start
    assert shown_after <= 2.0, f"outside change took {shown_after:.2f} s to show"
    wait_idle(main_window.context)
    assert view.selected_ids() == selected
    assert view.current_id() == current
    combo = view.dataset_combo.currentText()
    assert f"({before_total + 2:,})" in combo
