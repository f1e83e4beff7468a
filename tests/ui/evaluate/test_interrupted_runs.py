"""A run whose process was killed (kill -9) shows as interrupted in the app, and Resume
finishes it without asking the model again for any stored answer (ISSUE-10 section 3)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.loopback_server import LoopbackServer
from PySide6.QtCore import Qt

from studio.core.evals import run_results
from studio.ui.context import AppContext
from studio.ui.evaluate.view import EvaluateView

pytestmark = pytest.mark.gui

# A real process that starts an A/B run of the demo prompt and SIGKILLs itself once
# 10 answers are stored: what a crash or a kill -9 leaves behind.
KILLED_RUN = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from sqlalchemy import text
    from studio.core.db.project import open_project
    from studio.core.evals import run_execute, run_setup
    from studio.core.llm.providers import ProviderConfig

    project = open_project(Path(sys.argv[1]))
    with project.engine.connect() as conn:
        dataset = conn.execute(text(
            "SELECT dataset_id FROM example WHERE split = 'test' LIMIT 1")).scalar()
    spec = run_setup.RunSpec(
        dataset=int(dataset),
        variants=[run_setup.VariantSpec("banking-intent@2"),
                  run_setup.VariantSpec("banking-intent@3")],
        provider=ProviderConfig(name="loopback", base_url=sys.argv[2], kind="compatible"),
        split="test", concurrency=2)
    run_id = run_setup.create_run(project, spec)

    def progress(p):
        if p.done >= 10:
            os.kill(os.getpid(), signal.SIGKILL)

    run_execute.execute_run(project, run_id, key=None, progress=progress)
""")


def test_killed_run_shows_interrupted_and_resume_finishes_it(
    qtbot: object,
    project_file: Path,
    context: AppContext,
    banking_server_factory: Callable[..., LoopbackServer],
    wait_idle: Callable[..., None],
) -> None:
    from studio.core.db.project import open_project

    server = banking_server_factory(latency=0.05)
    done = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, str(project_file), server.base_url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    # what the killed process had sent may sit unread in the server's socket buffer: let
    # it be counted now, not after the reset before the resume
    server.settle()
    sent_before = server.chat_requests

    context.set_project(open_project(project_file))
    view = EvaluateView(context)
    qtbot.addWidget(view)  # type: ignore[attr-defined]
    view.resize(1200, 800)
    view.show()
    qtbot.waitUntil(lambda: bool(view.runs.entries), timeout=10000)  # type: ignore[attr-defined]
    (entry,) = view.runs.entries
    run_id = entry.info.id
    assert entry.info.status == "interrupted"
    assert view.runs.table.item(0, 1).text() == "⚠ interrupted"
    assert "Interrupted" in entry.verdict

    stored = run_results.run_summary(context.project, run_id)  # type: ignore[arg-type]
    assert stored.status == "interrupted"
    answered = sum(v.answered for v in stored.variants)
    total = 2 * stored.n
    assert 10 <= answered < total and sent_before < total

    # shown: the summary says what happened
    view.show_run(run_id)
    qtbot.waitUntil(lambda: view.loaded is not None and view.run_id == run_id, timeout=10000)  # type: ignore[attr-defined]
    assert "interrupted" in view.summary.title.text()
    assert "was interrupted" in view.summary.warnings.text()

    # Resume from Past Runs: only the calls without a stored answer go to the model
    server.reset_counters()
    view.runs.select_run(run_id)
    assert view.runs.resume_button.isEnabled()
    with qtbot.waitSignal(view.run_finished, timeout=60000) as blocker:  # type: ignore[attr-defined]
        qtbot.mouseClick(view.runs.resume_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    outcome = blocker.args[0]
    assert outcome.completed and outcome.run_id == run_id
    assert server.chat_requests == total - answered
    wait_idle(context)
    final = run_results.run_summary(context.project, run_id)  # type: ignore[arg-type]
    assert final.status == "completed"
    assert sum(v.answered for v in final.variants) == total
    qtbot.waitUntil(  # type: ignore[attr-defined]
        lambda: (
            view.runs.entry(run_id) is not None
            and view.runs.entry(run_id).info.status == "completed"
        ),
        timeout=10000,
    )
    wait_idle(context)


def test_silent_server_stops_the_app_run_and_resume_finishes_it(
    qtbot: object,
    open_context: AppContext,
    banking_server_factory: Callable[..., LoopbackServer],
    wait_idle: Callable[..., None],
) -> None:
    from helpers.silent_server import SilentServer
    from test_evaluate_view import _configure_provider, _setup_ab, _view

    silent = SilentServer()
    try:
        view = _view(qtbot, open_context)
        _configure_provider(qtbot, view, silent)  # type: ignore[arg-type]
        _setup_ab(qtbot, view)
        # the setting a user lowers for a quick local test: 1 s per request
        view.setup.limits_row.timeout_spin.setValue(1)
        assert view.setup.build_spec().limits.effective_stall_s == 1.25  # type: ignore[union-attr]
        with qtbot.waitSignal(view.run_finished, timeout=30000) as blocker:  # type: ignore[attr-defined]
            started = time.monotonic()
            qtbot.mouseClick(view.setup.run_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
        elapsed = time.monotonic() - started
        outcome = blocker.args[0]
    finally:
        silent.close()
    print(f"app run against a silent server stopped after {elapsed:.1f} s")
    assert outcome.stop_kind == "stalled" and not outcome.completed
    assert elapsed < 1.0 + 1.25 + 5  # probe (1 s) + stop rule (1.25 s) + slack
    assert f"127.0.0.1:{silent.port}" in view.progress.status.text()
    assert "Resume" in view.progress.status.text()
    wait_idle(open_context)
    stored = run_results.run_summary(open_context.project, outcome.run_id)  # type: ignore[arg-type]
    assert stored.status == "failed" and sum(v.answered for v in stored.variants) == 0
    assert outcome.pending == 2 * stored.n

    # the server comes back (same run, now pointed at a live one): Resume sends every case
    from sqlalchemy import text

    server = banking_server_factory()
    with open_context.project.engine.begin() as conn:  # type: ignore[union-attr]
        conn.execute(
            text(
                "UPDATE eval_run SET provider_json = json_set(provider_json, "
                "'$.base_url', :u) WHERE id = :r"
            ),
            {"u": server.base_url, "r": outcome.run_id},
        )
    view.reload_runs(select=outcome.run_id)
    qtbot.waitUntil(lambda: view.runs.entry(outcome.run_id) is not None, timeout=5000)  # type: ignore[attr-defined]
    view.runs.select_run(outcome.run_id)
    assert view.runs.resume_button.isEnabled()
    with qtbot.waitSignal(view.run_finished, timeout=60000) as blocker:  # type: ignore[attr-defined]
        qtbot.mouseClick(view.runs.resume_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    assert blocker.args[0].completed
    assert server.chat_requests == 2 * stored.n
    wait_idle(open_context)
