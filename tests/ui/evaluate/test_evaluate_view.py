"""The Evaluate view end to end: real project file, loopback server, real openai SDK.

A newcomer's path: configure a provider pointing at a local server, A/B two versions of
the demo's banking-intent prompt on the test split, read the verdict, filter the
disagreements, open an example, re-score, re-run from cache, review pairs blind.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.loopback_server import LoopbackServer
from PySide6.QtCore import Qt, QTimer

from studio.core.evals import run_execute, run_results, run_setup, run_store
from studio.core.evals.preferences import list_preferences
from studio.core.llm.provider_store import load_providers, providers_path
from studio.core.llm.providers import ProviderConfig
from studio.ui.context import AppContext
from studio.ui.evaluate.cases import mark
from studio.ui.evaluate.view import EvaluateView

pytestmark = pytest.mark.gui

RUN_TIMEOUT_MS = 60000


def _view(qtbot: object, context: AppContext) -> EvaluateView:
    view = EvaluateView(context)
    qtbot.addWidget(view)  # type: ignore[attr-defined]
    view.resize(1200, 800)
    view.show()
    qtbot.waitUntil(lambda: bool(view.setup.lists.prompts), timeout=10000)  # type: ignore[attr-defined]
    return view


def _configure_provider(qtbot: object, view: EvaluateView, server: LoopbackServer) -> None:
    """Add a provider through the dialog, as a user would."""
    dialog = view.setup.open_provider_dialog(edit=False)
    dialog.name_edit.setText("Local loopback")
    dialog.select_preset("OpenAI-compatible: other")
    dialog.url_edit.setText(server.base_url)
    dialog.model_combo.setEditText("loopback-small")
    dialog.accept()
    qtbot.waitUntil(lambda: view.setup.current_provider() is not None, timeout=5000)  # type: ignore[attr-defined]


def _setup_ab(qtbot: object, view: EvaluateView, *, concurrency: int = 8) -> None:
    view.setup.set_variants([("banking-intent", 2, ""), ("banking-intent", 3, "")])
    view.setup.concurrency.setValue(concurrency)
    view.setup.refresh_estimate()
    qtbot.waitUntil(lambda: view.setup.run_button.isEnabled(), timeout=20000)  # type: ignore[attr-defined]


def _run(qtbot: object, view: EvaluateView) -> run_execute.RunOutcome:
    with qtbot.waitSignal(view.run_finished, timeout=RUN_TIMEOUT_MS) as blocker:  # type: ignore[attr-defined]
        qtbot.mouseClick(view.setup.run_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    outcome = blocker.args[0]
    assert isinstance(outcome, run_execute.RunOutcome)
    qtbot.waitUntil(
        lambda: (
            view.run_id == outcome.run_id
            and view.loaded is not None  # type: ignore[attr-defined]
            and view.loaded.summary.status == "completed"
        ),
        timeout=10000,
    )
    return outcome


def test_ab_run_from_the_gui_shows_verdict_and_filters_disagreements(
    qtbot: object,
    open_context: AppContext,
    banking_server_factory: Callable[..., LoopbackServer],
    wait_idle: Callable[..., None],
) -> None:
    server = banking_server_factory()
    view = _view(qtbot, open_context)
    _configure_provider(qtbot, view, server)

    # the provider is saved without any key
    saved = json.loads(providers_path().read_text(encoding="utf-8"))
    assert saved["providers"][0]["base_url"] == server.base_url
    assert not {"key", "api_key"} & set(saved["providers"][0])
    assert load_providers().get("Local loopback") is not None

    _setup_ab(qtbot, view)
    estimate = view.setup.estimate
    assert estimate is not None and estimate.n_calls == 2 * estimate.n_examples
    assert estimate.input_tokens > 0
    assert "Input tokens (exact)" in view.setup.estimate_table.horizontalHeaderItem(4).text()
    assert "Prices as of" in view.setup.estimate_label.text()

    outcome = _run(qtbot, view)
    assert outcome.completed and outcome.failed == 0
    assert outcome.calls_made == estimate.n_calls
    assert server.chat_requests == estimate.n_calls
    assert server.max_in_flight <= 8

    summary = view.loaded.summary  # type: ignore[union-attr]
    assert view.tabs.currentWidget() is view.summary
    verdict = view.summary.verdict.text()
    assert verdict == summary.verdict_text
    # v3 (few-shot) is right far more often than v2 on this "model"
    assert "banking-intent@3 beats banking-intent@2" in verdict, verdict
    assert summary.variants[1].score > summary.variants[0].score  # type: ignore[operator]
    assert view.summary.score_chart.bars[0].ci is not None
    assert [b.label for b in view.summary.latency_chart.bars] == [
        "banking-intent@2",
        "banking-intent@3",
    ]
    assert view.summary.table.item(0, 5).text() == "0"  # errors counted apart: none
    assert "0 from cache" in view.summary.calls.text()
    assert "recorded against a local server" in view.summary.note.text()

    # the case table: all rows, then only the disagreements
    assert view.cases.model.rowCount() == summary.n
    view.cases.set_filter("disagreements")
    shown = view.cases.visible_ids()
    assert shown and shown == [i for i in summary.disagreements]
    for row in view.cases.model.rows:
        assert mark(row, "banking-intent@2") != mark(row, "banking-intent@3")
    # the detail pane shows the selected example and diffs the two answers
    first = view.cases.model.rows[0]
    assert view.cases.current_row() == first
    assert first.input_preview[:20] in view.cases.detail.toPlainText()
    detail = view.cases.detail_html(first)
    assert "#f9d0cd" in detail and "#c9ecd0" in detail
    view.cases.set_filter("errors")
    assert view.cases.model.rowCount() == 0
    view.cases.set_filter("regressions")
    assert view.cases.visible_ids() == summary.regressions

    # past runs list the run with n, verdict and the local-server note
    qtbot.waitUntil(lambda: bool(view.runs.entries), timeout=5000)  # type: ignore[attr-defined]
    entry = view.runs.entry(outcome.run_id)
    assert entry is not None and entry.n == summary.n and entry.verdict == verdict
    assert "local server" in entry.info.recorded_note
    wait_idle(open_context)


def test_cancel_mid_run_stops_within_a_second_and_resume_completes(
    qtbot: object,
    open_context: AppContext,
    banking_server_factory: Callable[..., LoopbackServer],
    wait_idle: Callable[..., None],
) -> None:
    server = banking_server_factory(latency=0.2)
    view = _view(qtbot, open_context)
    _configure_provider(qtbot, view, server)
    _setup_ab(qtbot, view)
    total = view.setup.estimate.n_calls  # type: ignore[union-attr]

    # the window never freezes: a 20 ms GUI timer keeps ticking while calls are in flight
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    qtbot.mouseClick(view.setup.run_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: view.progress.bar.value() >= 24, timeout=20000)  # type: ignore[attr-defined]
    timer.stop()
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    print(f"longest GUI gap {max(gaps):.3f} s at tick {gaps.index(max(gaps))} of {len(gaps)}")
    assert len(ticks) > 20 and max(gaps) < 0.5, f"GUI stalled {max(gaps):.3f} s"
    assert view.running and view.progress.cancel_button.isEnabled()
    assert "of" in view.progress.done_label.text()
    with qtbot.waitSignal(view.run_finished, timeout=5000) as blocker:  # type: ignore[attr-defined]
        started = time.monotonic()
        qtbot.mouseClick(view.progress.cancel_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    stopped_after = time.monotonic() - started
    outcome = blocker.args[0]
    assert outcome.cancelled and not outcome.completed
    print(f"cancel took {stopped_after:.3f} s")
    assert stopped_after < 1.0, f"cancel took {stopped_after:.2f} s"
    assert "Resume" in view.progress.status.text()
    wait_idle(open_context)

    stored = run_results.run_summary(open_context.project, outcome.run_id)  # type: ignore[arg-type]
    answered = sum(v.answered for v in stored.variants)
    assert 0 < answered < total
    assert stored.status == "cancelled"

    # resume from Past Runs: only the missing calls are made
    server.settle()  # a call the cancel abandoned may reach the server late: not after the reset
    server.reset_counters()
    server.latency = 0.002
    qtbot.waitUntil(lambda: view.runs.entry(outcome.run_id) is not None, timeout=5000)  # type: ignore[attr-defined]
    view.runs.select_run(outcome.run_id)
    assert view.runs.resume_button.isEnabled()
    with qtbot.waitSignal(view.run_finished, timeout=RUN_TIMEOUT_MS) as blocker:  # type: ignore[attr-defined]
        qtbot.mouseClick(view.runs.resume_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    resumed = blocker.args[0]
    assert resumed.completed and resumed.run_id == outcome.run_id
    assert server.chat_requests == total - answered
    wait_idle(open_context)
    final = run_results.run_summary(open_context.project, outcome.run_id)  # type: ignore[arg-type]
    assert sum(v.answered for v in final.variants) == total


def test_rerun_is_served_from_cache_with_zero_requests(
    qtbot: object,
    open_context: AppContext,
    banking_server_factory: Callable[..., LoopbackServer],
    wait_idle: Callable[..., None],
) -> None:
    server = banking_server_factory()
    view = _view(qtbot, open_context)
    _configure_provider(qtbot, view, server)
    _setup_ab(qtbot, view)
    first = _run(qtbot, view)
    wait_idle(open_context)
    first_verdict = view.summary.verdict.text()

    server.reset_counters()
    view.show_tab("cases")
    with qtbot.waitSignal(view.run_finished, timeout=RUN_TIMEOUT_MS) as blocker:  # type: ignore[attr-defined]
        qtbot.mouseClick(view.cases.rerun_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    again = blocker.args[0]
    assert again.run_id != first.run_id and again.completed
    assert again.calls_made == 0 and again.cached == first.calls_made
    assert server.requests_total == 0  # not even a probe
    assert "all from cache, nothing sent" in view.progress.status.text()
    qtbot.waitUntil(
        lambda: (
            view.run_id == again.run_id
            and view.loaded is not None  # type: ignore[attr-defined]
            and view.loaded.summary.run_id == again.run_id
            and view.loaded.summary.status == "completed"
        ),
        timeout=10000,
    )
    assert f"{first.calls_made} from cache" in view.summary.calls.text()
    assert view.summary.verdict.text() == first_verdict.replace(
        f"Run {first.run_id}", f"Run {again.run_id}"
    )
    wait_idle(open_context)

    # the two runs side by side
    view.reload_runs()
    qtbot.waitUntil(lambda: len(view.runs.entries) == 2, timeout=5000)  # type: ignore[attr-defined]
    view.runs.table.selectAll()
    assert view.runs.compare_button.isEnabled()
    qtbot.mouseClick(view.runs.compare_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: view.compare.table.rowCount() == 4, timeout=5000)  # type: ignore[attr-defined]
    assert view.tabs.currentWidget() is view.compare
    assert f"Run {first.run_id}" in view.compare.verdicts.text()
    assert f"Run {again.run_id}" in view.compare.verdicts.text()
    scores = {view.compare.table.item(r, 4).text() for r in range(4)}
    assert len(scores) == 2  # the cached run reproduces the first run's scores exactly
    wait_idle(open_context)


def test_open_example_and_rescore_after_a_label_fix(
    qtbot: object,
    open_context: AppContext,
    banking_server_factory: Callable[..., LoopbackServer],
    wait_idle: Callable[..., None],
) -> None:
    from studio.core.datasets import curation

    server = banking_server_factory()
    view = _view(qtbot, open_context)
    _configure_provider(qtbot, view, server)
    _setup_ab(qtbot, view)
    _run(qtbot, view)
    wait_idle(open_context)
    view.show_tab("cases")
    view.cases.set_filter("disagreements")
    row = view.cases.model.rows[0]
    dataset_id = view.loaded.meta.dataset_id  # type: ignore[union-attr]
    with qtbot.waitSignal(open_context.navigate_requested, timeout=2000) as blocker:  # type: ignore[attr-defined]
        qtbot.mouseClick(view.cases.open_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    assert blocker.args == ["datasets", {"dataset_id": dataset_id, "example_id": row.example_id}]

    # "fix" the label to what B answered: B is now right there, and Re-score makes no calls
    b_answer = row.outputs["banking-intent@3"]
    assert b_answer
    curation.update_example(open_context.project, row.example_id, label=b_answer)  # type: ignore[arg-type]
    server.reset_counters()
    with qtbot.waitSignal(view.run_shown, timeout=10000):  # type: ignore[attr-defined]
        qtbot.mouseClick(view.cases.rescore_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    wait_idle(open_context)
    assert server.requests_total == 0
    fixed = next(r for r in view.cases.all_rows if r.example_id == row.example_id)
    assert fixed.passed["banking-intent@3"] is True
    assert fixed.ideal == b_answer


def test_blind_review_keys_record_preferences_with_randomised_sides(
    qtbot: object,
    open_context: AppContext,
    banking_server_factory: Callable[..., LoopbackServer],
    wait_idle: Callable[..., None],
) -> None:
    server = banking_server_factory()
    view = _view(qtbot, open_context)
    _configure_provider(qtbot, view, server)
    _setup_ab(qtbot, view)
    outcome = _run(qtbot, view)
    wait_idle(open_context)
    view.show_tab("review")
    panel = view.review
    queue = [panel.current, *panel.queue]
    assert len(queue) >= 8 and all(p is not None for p in queue)
    total = len(queue)
    # sides are randomised across pairs, and the left text really is that variant's answer
    assert {p.shown_left for p in queue} == {"a", "b"}  # type: ignore[union-attr]
    assert panel.progress.text() == f"0 of {total} reviewed"

    pressed = {}
    for key in (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_Equal, Qt.Key.Key_S, Qt.Key.Key_1):
        pair = panel.current
        assert pair is not None
        if key != Qt.Key.Key_S:
            pressed[pair.example_id] = (
                pair,
                {Qt.Key.Key_1: "left", Qt.Key.Key_2: "right", Qt.Key.Key_Equal: "tie"}[key],
            )
        qtbot.keyClick(panel, key)  # type: ignore[attr-defined]
    assert panel.progress.text() == f"4 of {total} reviewed, 1 skipped"
    wait_idle(open_context)

    stored = {
        p.example_id: p
        for p in list_preferences(
            open_context.project,
            outcome.run_id,  # type: ignore[arg-type]
            "human",
        )
    }
    assert set(stored) == set(pressed)
    for example_id, (pair, side) in pressed.items():
        pref = stored[example_id]
        assert pref.shown_left == pair.shown_left
        assert pref.choice == pair.choice_for(side)  # type: ignore[arg-type]
        # "left" means the variant that was shown on the left
        if side == "left":
            assert pref.choice == pair.shown_left

    # the summary shows the sign test of the human preferences
    with qtbot.waitSignal(view.run_shown, timeout=10000):  # type: ignore[attr-defined]
        view.show_run(outcome.run_id)
    assert view.summary.preferences.isVisibleTo(view.summary)
    assert "sign test" in view.summary.preferences.text()
    wait_idle(open_context)


def test_provider_without_key_is_refused_before_any_call(
    qtbot: object,
    open_context: AppContext,
    wait_idle: Callable[..., None],
    tmp_path: Path,
) -> None:
    view = _view(qtbot, open_context)
    view.setup.save_provider(
        ProviderConfig("OpenAI", "https://api.openai.com/v1", "openai", default_model="gpt-4o-mini")
    )
    _setup_ab(qtbot, view)
    errors: list[str] = []
    open_context.error_requested.connect(lambda message, _details: errors.append(message))
    qtbot.mouseClick(view.setup.run_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    assert errors and "No API key" in errors[0] and "OPENAI_API_KEY" in errors[0]
    assert not view.running
    assert run_store.list_runs(open_context.project) == []  # type: ignore[arg-type]
    wait_idle(open_context)


def test_variants_across_models_use_the_per_variant_override(
    qtbot: object,
    open_context: AppContext,
    banking_server_factory: Callable[..., LoopbackServer],
    wait_idle: Callable[..., None],
) -> None:
    server = banking_server_factory(record_bodies=True)
    view = _view(qtbot, open_context)
    _configure_provider(qtbot, view, server)
    view.setup.set_variants([("banking-intent", 3, ""), ("banking-intent", 3, "loopback-large")])
    view.setup.refresh_estimate()
    qtbot.waitUntil(lambda: view.setup.run_button.isEnabled(), timeout=20000)  # type: ignore[attr-defined]
    assert [v.model for v in view.setup.estimate.variants] == [  # type: ignore[union-attr]
        "loopback-small",
        "loopback-large",
    ]
    outcome = _run(qtbot, view)
    assert outcome.completed
    models = {body["model"] for body in server.chat_bodies}
    assert models == {"loopback-small", "loopback-large"}
    labels = [v.prompt for v in view.loaded.summary.variants]  # type: ignore[union-attr]
    assert labels == ["banking-intent@3 on loopback-small", "banking-intent@3 on loopback-large"]
    # same prompt, same deterministic "model": nothing to tell apart, and the view says so
    assert "not distinguishable" in view.summary.verdict.text()
    wait_idle(open_context)


def test_main_window_lists_evaluate_and_navigates_to_a_run(
    qtbot: object,
    open_context: AppContext,
    banking_server_factory: Callable[..., LoopbackServer],
    wait_idle: Callable[..., None],
) -> None:
    from studio.ui.main_window import MainWindow
    from studio.ui.settings import AppSettings

    server = banking_server_factory()
    project = open_context.project
    assert project is not None
    provider = ProviderConfig("loop", server.base_url, "compatible")
    spec = run_setup.RunSpec(
        "Banking intents (demo)",
        [
            run_setup.VariantSpec("banking-intent@2", "loopback-small"),
            run_setup.VariantSpec("banking-intent@3", "loopback-small"),
        ],
        provider,
        scorer="label",
    )
    run_id = run_setup.create_run(project, spec)
    assert run_execute.execute_run(project, run_id, key=None).completed

    window = MainWindow(open_context, settings=AppSettings())
    qtbot.addWidget(window)  # type: ignore[attr-defined]
    window.show()
    assert "Evaluate" in [window.nav.item(i).text() for i in range(window.nav.count())]
    window.navigate("evaluate", {"run_id": run_id})
    view = window.view("evaluate")
    assert isinstance(view, EvaluateView) and window.current_view_name() == "evaluate"
    qtbot.waitUntil(lambda: view.run_id == run_id and view.loaded is not None, timeout=10000)  # type: ignore[attr-defined]
    assert view.tabs.currentWidget() is view.summary
    assert view.summary.verdict.text() == run_results.run_summary(project, run_id).verdict_text
    wait_idle(open_context)


def test_errors_are_counted_apart_and_small_n_is_flagged(
    qtbot: object,
    open_context: AppContext,
    banking_server_factory: Callable[..., LoopbackServer],
    wait_idle: Callable[..., None],
) -> None:
    from sqlalchemy import text

    project = open_context.project
    assert project is not None
    with project.engine.connect() as conn:
        ids = [
            int(r[0])
            for r in conn.execute(
                text(
                    "SELECT id FROM example WHERE split = 'validation' AND status != 'rejected' "
                    "ORDER BY id LIMIT 2"
                )
            ).all()
        ]
    broken = {str(next(iter(e.inputs.values()))) for e in run_store.load_examples(project, ids)}
    assert len(broken) == 2

    def fault(_index: int, body: dict) -> str | None:
        return "500" if body["messages"][-1]["content"] in broken else None

    server = banking_server_factory(faults=fault)
    view = _view(qtbot, open_context)
    _configure_provider(qtbot, view, server)
    view.setup.set_variants([("banking-intent", 2, ""), ("banking-intent", 3, "")])
    view.setup.split_combo.setCurrentIndex(view.setup.split_combo.findData("validation"))
    view.setup.refresh_estimate()
    qtbot.waitUntil(lambda: view.setup.run_button.isEnabled(), timeout=20000)  # type: ignore[attr-defined]
    with qtbot.waitSignal(view.run_finished, timeout=RUN_TIMEOUT_MS) as blocker:  # type: ignore[attr-defined]
        qtbot.mouseClick(view.setup.run_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    outcome = blocker.args[0]
    qtbot.waitUntil(
        lambda: (
            view.loaded is not None
            and view.loaded.summary.run_id  # type: ignore[attr-defined]
            == outcome.run_id
            and view.loaded.summary.status == "completed"
        ),
        timeout=10000,
    )
    summary = view.loaded.summary  # type: ignore[union-attr]
    errored = len(summary.errors)
    assert errored == 2 and outcome.failed == 4
    assert summary.split == "validation" and summary.n < 100
    warnings = view.summary.warnings.text()
    assert f"Only {summary.n - errored} paired examples" in warnings
    assert view.summary.table.item(0, 5).text() == "2"
    assert "counted apart" in warnings
    view.cases.set_filter("errors")
    assert sorted(view.cases.visible_ids()) == sorted(ids)
    assert mark(view.cases.model.rows[0], "banking-intent@2") == "⚠"
    # an error is not a wrong answer: the score's denominator leaves it out
    assert summary.variants[0].answered == summary.n - errored
    wait_idle(open_context)
