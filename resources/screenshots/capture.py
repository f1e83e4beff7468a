"""Capture the README screenshots from the real window on the demo project.

Run under a virtual X server so the real xcb platform (fonts, style) is used:

    xvfb-run -s "-screen 0 1920x1080x24" .venv/bin/python resources/screenshots/capture.py

Every shot is the whole main window at the same size (1280 x 800 unless
STUDIO_SHOT_SIZE says otherwise) on a fresh demo
project, walked through as a newcomer would: ``prompts.png`` (the editor with a live
preview), ``prompt-diff.png`` (history and a word-level diff), ``dataset-table.png``
(table and detail editor), ``dataset-overview.png``, ``validate.png`` (a JSONL file full
of problems, the invalid-JSON line shown), ``evaluate-summary.png`` and
``evaluate-cases.png`` (the demo's recorded A/B), ``distil.png`` (the demo's teacher
outputs, or when it has none, three samples each for the rows without an approved ideal
from a simulated teacher; a few reviewed) and ``decide.png`` (the decision report).
Settings and the demo project go to a temporary STUDIO_HOME.
``STUDIO_SHOT_EXTRA=DIR`` also writes the parameter and schema tabs and the duplicates
dialog to DIR, for a look.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

OUT = Path(__file__).resolve().parent
REPO = OUT.parents[1]
# The README shots are taken at 1280 x 800 (the smallest screen the app is laid out for,
# ISSUE-11 §6); STUDIO_SHOT_SIZE=1920x1080 and STUDIO_SHOT_OUT=DIR check other sizes.
WIDTH, HEIGHT = (int(v) for v in os.environ.get("STUDIO_SHOT_SIZE", "1280x800").split("x"))
OUT = Path(os.environ.get("STUDIO_SHOT_OUT", str(OUT)))


def _problem_file(folder: Path) -> Path:
    """A JSONL file full of problems: the test suite's, when the repository is checked out."""
    tests = REPO / "tests" / "ui" / "validate"
    if (tests / "problem_file.py").exists():
        sys.path.insert(0, str(tests))
        from problem_file import write_problem_file

        return Path(write_problem_file(folder / "support-chats.jsonl"))
    path = folder / "support-chats.jsonl"
    path.write_text(
        '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", '
        '"content": "Hello"},]}\n\n{"messages": [{"role": "customer", "content": "Hi"}]}\n',
        encoding="utf-8",
    )
    return path


def _teacher_outputs(project: object) -> None:
    """Teacher outputs for the demo rows without an approved ideal: banking-intent v4,
    three samples each, from a simulated teacher that knows the rows' labels and errs
    now and then (so that the agreement column shows more than 100%)."""
    import random

    import orjson
    from sqlalchemy import text

    from studio.core.db.transactions import read_conn
    from studio.core.demo.simulated_server import SimulatedModelServer
    from studio.core.distil.outputs import OutputsSpec, create_outputs_run, execute_outputs_run
    from studio.core.llm.providers import ProviderConfig

    with read_conn(project) as conn:  # type: ignore[arg-type]
        rows = conn.execute(text("SELECT search_text, label FROM example")).all()
    truth = {" ".join(str(t).split()): str(lab) for t, lab in rows if lab}
    labels = sorted(set(truth.values()))
    rng = random.Random(7)

    def teacher(body: dict[str, object]) -> str:
        messages = body.get("messages") or []
        query = " ".join(str(messages[-1].get("content", "")).split()) if messages else ""  # type: ignore[index, union-attr]
        label = truth.get(query, labels[0])
        if rng.random() < 0.15:
            label = rng.choice(labels)
        return orjson.dumps({"intent": label, "confidence": "high"}).decode()

    with SimulatedModelServer(responder=teacher, latency=0.002) as server:
        spec = OutputsSpec(
            dataset=1,
            prompt_ref="banking-intent@4",
            provider=ProviderConfig("Local (simulated teacher)", server.base_url, "compatible"),
            samples=3,
            temperature=0.7,
        )
        run_id = create_outputs_run(project, spec)  # type: ignore[arg-type]
        execute_outputs_run(project, run_id, key=None, cache=False)  # type: ignore[arg-type]


def main() -> int:
    os.environ["STUDIO_HOME"] = tempfile.mkdtemp(prefix="studio-shots-")
    os.environ.setdefault("STUDIO_USER", "alice")
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from studio.ui.context import AppContext
    from studio.ui.main_window import MainWindow
    from studio.ui.settings import AppSettings
    from studio.ui.widgets.icons import app_icon

    app = QApplication(sys.argv[:1])
    app.setApplicationName("Prompt & Dataset Studio")
    app.setWindowIcon(app_icon())
    context = AppContext()
    window = MainWindow(context, settings=AppSettings())
    window.resize(WIDTH, HEIGHT)
    window.move(0, 0)
    window.show()
    extra = os.environ.get("STUDIO_SHOT_EXTRA")  # a folder for extra shots to look at

    def settle(ms: int = 300) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def wait(condition: Callable[[], object], ms: int = 30000) -> None:
        deadline = time.monotonic() + ms / 1000
        while time.monotonic() < deadline:
            if condition() and not context.runner.busy:
                break
            settle(20)
        else:
            raise SystemExit(f"timed out waiting for {condition}")
        settle(300)

    def shot(name: str, folder: Path = OUT) -> None:
        settle(300)
        window.grab().save(str(folder / f"{name}.png"))
        print(f"wrote {folder / name}.png")

    window.open_demo()
    wait(lambda: context.project is not None)

    # -- Prompts: an edit in progress with the live preview ------------------------------
    view = window.view("prompts")
    view.list_panel.select("support-reply")
    wait(lambda: view.current == "support-reply")
    editor = view.editor
    editor.tabs.setCurrentWidget(editor.preview)
    editor.preview.set_value("customer_name", "Priya Shah")
    editor.preview.set_value("account_notes", "Premium account; card ending 4417 frozen yesterday")
    editor.preview.set_value(
        "customer_message", "My card was declined twice at the supermarket today. Why?"
    )
    card = editor.messages.cards[1]
    card.text.setPlainText(card.text.toPlainText() + " Keep it under 100 words.")
    shot("prompts")
    if extra:
        editor.tabs.setCurrentWidget(editor.params)
        shot("params", Path(extra))
    editor.discard_changes()
    if extra:
        view.list_panel.select("ticket-extract")
        wait(lambda: view.current == "ticket-extract")
        editor.tabs.setCurrentWidget(editor.schema.parentWidget())
        shot("schema", Path(extra))
        view.list_panel.select("support-reply")
        wait(lambda: view.current == "support-reply")

    # -- History and diff ------------------------------------------------------------------
    view.tabs.setCurrentWidget(view.history)
    view.history.select_versions([2, 1])
    wait(lambda: view.history.diff.diff is not None)
    shot("prompt-diff")

    # -- Datasets: table + detail editor, overview ---------------------------------------
    window.navigate("datasets")
    datasets = window.view("datasets")
    wait(lambda: datasets.model.rowCount() > 0)
    datasets.select_row(3)
    shot("dataset-table")
    datasets.tabs.setCurrentWidget(datasets.overview)
    settle(1500)
    wait(lambda: True)
    shot("dataset-overview")
    datasets.tabs.setCurrentIndex(0)
    if extra:

        def grab_dialog() -> None:
            for widget in app.topLevelWidgets():
                if type(widget).__name__ == "DuplicatesDialog" and widget.isVisible():
                    widget.grab().save(str(Path(extra) / "duplicates.png"))
                    widget.reject()

        QTimer.singleShot(4000, grab_dialog)
        datasets.open_duplicates_dialog()

    # -- Validate a file full of problems, the invalid-JSON line shown ---------------------
    window.navigate("validate")
    validate = window.view("validate")
    validate.open_file(_problem_file(Path(tempfile.mkdtemp(prefix="studio-shot-file-"))))
    wait(lambda: validate.report is not None)
    for leaf in validate.findings.leaves():
        finding = validate.findings.finding_of(leaf)
        if finding is not None and finding.code == "invalid_json":
            validate.findings.setCurrentItem(leaf)
            validate.go_to(finding)
            break
    shot("validate")

    # -- Evaluate: the demo's recorded A/B ---------------------------------------------------
    window.navigate("evaluate")
    evaluate = window.view("evaluate")
    wait(lambda: evaluate.run_id is not None)
    # The first recorded run compares two prompt versions (the second, two models)
    from studio.core.evals.run_store import list_runs

    first = min(r.id for r in list_runs(context.project))
    evaluate.show_run(first)
    wait(lambda: evaluate.run_id == first)
    evaluate.show_tab("summary")
    shot("evaluate-summary")
    evaluate.show_tab("cases")
    shot("evaluate-cases")

    # -- Distil: teacher outputs beside their inputs, a few reviewed ----------------------
    from studio.core.distil.candidates import candidate_counts

    if candidate_counts(context.project, 1).total == 0:  # the demo has no distillation
        _teacher_outputs(context.project)
    window.navigate("distil")
    distil = window.view("distil")
    wait(lambda: distil.review.model.rowCount() > 0)
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    distil.review.table.setFocus()
    for key in (Qt.Key.Key_A, Qt.Key.Key_A, Qt.Key.Key_R, Qt.Key.Key_A):
        QTest.keyClick(distil.review.table, key)
        wait(lambda: True)
    shot("distil")
    if extra:  # the teacher-outputs dialog with its plan
        from studio.core.llm.providers import ProviderConfig

        dialog = distil.open_outputs_dialog()
        wait(lambda: dialog.prompt_combo.count() > 0)
        dialog.provider.save(
            ProviderConfig("Local server", "http://127.0.0.1:8080/v1", "compatible")
        )
        dialog.set_ref("banking-intent", 4)
        dialog.samples_spin.setValue(3)
        dialog.temperature_spin.setValue(0.7)
        dialog.refresh_plan()
        wait(lambda: dialog.plan is not None)
        dialog.grab().save(str(Path(extra) / "distil-outputs-dialog.png"))
        print(f"wrote {Path(extra) / 'distil-outputs-dialog.png'}")
        dialog.reject()

    # -- Decide ----------------------------------------------------------------------------
    window.navigate("decide")
    decide = window.view("decide")
    wait(lambda: decide.decision is not None)
    shot("decide")
    if extra:  # the report's charts, scrolled into view
        from PySide6.QtWidgets import QScrollArea

        for area in decide.findChildren(QScrollArea):
            if area.widget() is decide.panel:
                area.verticalScrollBar().setValue(area.verticalScrollBar().maximum())
        shot("decide-charts", Path(extra))
        for i, chart in enumerate(decide.panel.chart_widgets()):
            chart.grab().save(str(Path(extra) / f"decide-chart-{i}.png"))

    window.close()
    context.runner.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
