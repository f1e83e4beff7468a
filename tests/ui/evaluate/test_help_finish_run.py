"""The app helps finish a run another process is executing (ISSUE-14 §4): Past Runs
offers "Help finish it" on it, and the two processes ask the model once per case."""

from __future__ import annotations

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

# A real process that starts an A/B run of the demo prompt and executes it.
OTHER_PROCESS = textwrap.dedent("""
    import sys
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
    out = run_execute.execute_run(project, run_id, key=None, cache=False, join=True)
    print(out.claimed, out.finished_here, out.completed)
""")


def test_help_finish_a_run_executing_elsewhere(
    qtbot: object,
    project_file: Path,
    context: AppContext,
    banking_server_factory: Callable[..., LoopbackServer],
    wait_idle: Callable[..., None],
) -> None:
    import sqlite3

    from studio.core.db.project import open_project

    server = banking_server_factory(latency=0.1)
    other = subprocess.Popen(
        [sys.executable, "-c", OTHER_PROCESS, str(project_file), server.base_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while server.chat_requests < 4:
        assert time.monotonic() < deadline and other.poll() is None, "the run never started"
        time.sleep(0.05)

    context.set_project(open_project(project_file))
    view = EvaluateView(context)
    qtbot.addWidget(view)  # type: ignore[attr-defined]
    view.resize(1200, 800)
    view.show()
    qtbot.waitUntil(lambda: bool(view.runs.entries), timeout=10000)  # type: ignore[attr-defined]
    (entry,) = view.runs.entries
    run_id = entry.info.id
    assert entry.info.status == "running"
    view.runs.select_run(run_id)
    assert view.runs.resume_button.isEnabled()
    assert view.runs.resume_button.text() == "Help finish it"
    with qtbot.waitSignal(view.run_finished, timeout=120000) as blocker:  # type: ignore[attr-defined]
        qtbot.mouseClick(view.runs.resume_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    outcome = blocker.args[0]
    out, err = other.communicate(timeout=120)
    assert other.returncode == 0, err
    other_claimed, other_finished, other_completed = out.split()
    assert outcome.completed and other_completed == "True"
    assert outcome.claimed > 0 and int(other_claimed) > 0
    assert outcome.finished_here != (other_finished == "True")  # the run completed once
    wait_idle(context)
    final = run_results.run_summary(context.project, run_id)  # type: ignore[arg-type]
    total = 2 * final.n
    assert final.status == "completed" and sum(v.answered for v in final.variants) == total
    # each case asked once in all: as many requests as cases, one stored row each
    assert server.chat_requests == total == outcome.claimed + int(other_claimed)
    with sqlite3.connect(project_file) as conn:
        rows = conn.execute(
            "SELECT count(*), count(DISTINCT variant_id || ':' || example_id) FROM eval_result "
            "WHERE run_id = ?",
            (run_id,),
        ).fetchone()
    assert rows == (total, total)
    qtbot.waitUntil(  # type: ignore[attr-defined]
        lambda: (
            view.runs.entry(run_id) is not None
            and view.runs.entry(run_id).info.status == "completed"
        ),
        timeout=10000,
    )
    assert view.runs.resume_button.text() == "Resume"
    wait_idle(context)
