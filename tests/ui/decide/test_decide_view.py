"""The Decide view on real project files: form saved and reloaded, recompute, export."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from helpers.decide_project import BuiltProject
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from studio.core.db.project import open_project
from studio.core.decide.answers import CHANGE_KINDS
from studio.core.decide.store import load_report, load_saved_answers, save_answers
from studio.core.demo.decision import demo_answers
from studio.ui.context import AppContext
from studio.ui.decide import DecideView
from studio.ui.decide.form import hint_labels

TODAY = date(2026, 11, 22)
TIMEOUT = 30000


@pytest.fixture
def path(tmp_path: Path, decision_template: BuiltProject) -> Path:
    dest = tmp_path / "team.studio"
    shutil.copyfile(decision_template.path, dest)
    return dest


def make_view(qtbot: QtBot, context: AppContext) -> DecideView:
    view = DecideView(context)
    view.today = TODAY
    view.resize(1200, 800)
    qtbot.addWidget(view)
    view.show()
    return view


def wait_idle(qtbot: QtBot, context: AppContext) -> None:
    qtbot.waitUntil(lambda: not context.runner.busy, timeout=TIMEOUT)


def test_without_a_project_nothing_can_be_done(qtbot: QtBot, context: AppContext) -> None:
    view = make_view(qtbot, context)
    assert not view.recompute_button.isEnabled()
    assert not view.save_button.isEnabled()
    assert not view.export_button.isEnabled()
    assert "Open a project" in view.panel.empty_label.text()
    # every kind of change has its one-line explanation
    assert len(view.form.change_boxes) == len(CHANGE_KINDS)
    assert len(hint_labels(view.form)) == len(CHANGE_KINDS)


def test_form_is_saved_in_the_project_and_reloaded(
    qtbot: QtBot, context: AppContext, path: Path
) -> None:
    view = make_view(qtbot, context)
    with qtbot.waitSignal(view.answers_loaded, timeout=TIMEOUT) as loaded:
        context.set_project(open_project(path))
    assert loaded.args == [None]
    assert "No answers saved" in view.status_label.text()

    form = view.form
    form.change_boxes["narrow_high_volume"].setChecked(True)
    form.change_boxes["format_structure"].setChecked(True)
    form.knowledge.setCurrentIndex(form.knowledge.findData("weekly"))
    form.calls.setValue(20000)
    form.latency.setValue(900)
    form.quality.setValue(0.9)
    form.sensitivity.setCurrentIndex(form.sensitivity.findData("confidential"))
    form.residency.setCurrentIndex(form.residency.findData("eu"))
    form.platform_boxes["vertex"].setChecked(True)
    form.platform_boxes["local"].setChecked(True)
    assert form.openai_access.currentData() == "unknown"  # the default answer
    form.openai_access.setCurrentIndex(form.openai_access.findData("no"))
    form.current_model.setEditText("gpt-4.1")
    form.candidate_model.setEditText("gpt-4.1-mini")
    with qtbot.waitSignal(view.answers_saved, timeout=TIMEOUT):
        qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, context)
    assert context.project is not None
    saved = load_saved_answers(context.project)
    assert saved is not None
    assert saved.must_change == {"narrow_high_volume", "format_structure"}
    assert saved.calls_per_day == 20000 and saved.latency_target_p95_ms == 900
    assert saved.quality_target == pytest.approx(0.9)
    assert saved.residency == "eu" and saved.allowed_platforms == ("vertex", "local")
    assert saved.knowledge_changes == "weekly"
    assert saved.openai_fine_tuning_access == "no"
    assert (saved.current_model, saved.candidate_model) == ("gpt-4.1", "gpt-4.1-mini")

    # reopening the file shows the same answers (and decides from them at once)
    form.calls.setValue(5)
    with qtbot.waitSignal(view.answers_loaded, timeout=TIMEOUT) as loaded:
        context.set_project(open_project(path))
    assert loaded.args[0] == saved
    assert form.calls.value() == 20000
    assert form.platform_boxes["local"].isChecked()
    assert not form.platform_boxes["openai"].isChecked()
    assert form.residency.currentData() == "eu"
    assert form.openai_access.currentData() == "no"
    assert form.candidate_model.currentText() == "gpt-4.1-mini"
    assert form.answers() == saved
    qtbot.waitUntil(lambda: view.decision is not None, timeout=TIMEOUT)
    wait_idle(qtbot, context)


def test_recompute_shows_the_recommendation(qtbot: QtBot, context: AppContext, path: Path) -> None:
    with open_project(path) as p:
        save_answers(p, demo_answers())
    view = make_view(qtbot, context)
    with qtbot.waitSignal(view.decision_shown, timeout=TIMEOUT) as shown:
        context.set_project(open_project(path))
    decision = shown.args[0]
    assert decision.recommendation == "collect_more_data"
    panel = view.panel
    assert panel.title_label.text() == "Collect more data first"
    assert panel.headline_label.text() == decision.headline
    assert "computed for 2026-11-22" in panel.dates_label.text()
    reasons = panel.reasons_label.text()
    assert reasons.count("<p") == len(decision.reasons)
    assert "measured in the project: test_set_size" in reasons  # number and source
    assert "your answer: must_change" in reasons
    assert "more approved examples" in panel.change_label.text()
    assert not panel.warnings_label.isHidden()
    assert "60 examples" in panel.warnings_label.text()
    charts = panel.chart_widgets()
    assert len(charts) == 3  # scores, cost by volume, label balance
    assert all(c.renderer().isValid() for c in charts)
    assert any("target 0.85" in c.svg for c in charts)
    assert panel.cost_table.rowCount() >= 8 and not panel.cost_table.isHidden()
    evidence = [
        panel.evidence_table.item(r, 1).text() for r in range(panel.evidence_table.rowCount())
    ]
    assert "banking-intent@2" in evidence
    assert view.export_button.isEnabled()
    wait_idle(qtbot, context)
    assert context.project is not None
    report = load_report(context.project)
    assert report is not None and report["recommendation"] == "collect_more_data"

    # the form's current answers are what Recompute decides on (and saves)
    view.form.change_boxes["knowledge_facts"].setChecked(True)
    view.form.calls.setValue(100)
    assert "press Recompute" in view.status_label.text()
    with qtbot.waitSignal(view.decision_shown, timeout=TIMEOUT) as shown:
        qtbot.mouseClick(view.recompute_button, Qt.MouseButton.LeftButton)
    assert shown.args[0].recommendation == "retrieval"
    assert panel.title_label.text() == "Use retrieval"
    wait_idle(qtbot, context)
    saved = load_saved_answers(context.project)
    assert saved is not None and saved.calls_per_day == 100
    assert saved.wants("knowledge_facts")

    # other areas changing the data make the numbers stale until the next recompute
    assert panel.stale_label.isHidden()
    context.data_changed.emit("datasets")
    assert not panel.stale_label.isHidden()
    context.data_changed.emit("decide")  # our own signal does not count
    with qtbot.waitSignal(view.decision_shown, timeout=TIMEOUT):
        view.recompute()
    assert panel.stale_label.isHidden()
    wait_idle(qtbot, context)

    context.set_project(None)
    assert "Open a project" in panel.empty_label.text()
    assert not view.export_button.isEnabled()


@pytest.mark.parametrize(
    ("name", "chosen_filter", "written", "start"),
    [
        ("report.html", "HTML report (*.html)", "report.html", "<!DOCTYPE html>"),
        ("for-the-manager", "Markdown report (*.md)", "for-the-manager.md", "#"),
    ],
)
def test_export_writes_the_report(
    qtbot: QtBot,
    context: AppContext,
    path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    chosen_filter: str,
    written: str,
    start: str,
) -> None:
    with open_project(path) as p:
        save_answers(p, demo_answers())
    view = make_view(qtbot, context)
    with qtbot.waitSignal(view.decision_shown, timeout=TIMEOUT):
        context.set_project(open_project(path))
    asked: list[str] = []

    def fake_dialog(*args: object) -> tuple[str, str]:
        asked.append(str(args[2]))
        return str(tmp_path / name), chosen_filter

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake_dialog))
    with qtbot.waitSignal(view.report_written, timeout=TIMEOUT) as done:
        qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
    assert done.args == [str(tmp_path / written)]
    assert asked and asked[0].endswith("decision-report.html")
    text = (tmp_path / written).read_text(encoding="utf-8")
    assert text.startswith(start)
    assert "banking-intent@2" in text
    assert "Report written to" in view.status_label.text()
    wait_idle(qtbot, context)


def test_cancelled_export_writes_nothing(
    qtbot: QtBot,
    context: AppContext,
    path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with open_project(path) as p:
        save_answers(p, demo_answers())
    view = make_view(qtbot, context)
    with qtbot.waitSignal(view.decision_shown, timeout=TIMEOUT):
        context.set_project(open_project(path))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a: ("", "")))
    view.export_report()
    wait_idle(qtbot, context)
    assert not context.runner.busy
    assert list(tmp_path.glob("*.html")) == [] and list(tmp_path.glob("*.md")) == []


def test_errors_reach_the_user_as_sentences(
    qtbot: QtBot,
    context: AppContext,
    path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with open_project(path) as p:
        save_answers(p, demo_answers())
    view = make_view(qtbot, context)
    with qtbot.waitSignal(view.decision_shown, timeout=TIMEOUT):
        context.set_project(open_project(path))
    errors: list[str] = []
    context.error_requested.connect(lambda message, details: errors.append(message))
    target = tmp_path / "gone" / "report.html"
    monkeypatch.setattr(
        QFileDialog,
        "getSaveFileName",
        staticmethod(lambda *a: (str(target), "HTML report (*.html)")),
    )
    view.export_report()
    qtbot.waitUntil(lambda: bool(errors), timeout=TIMEOUT)
    assert "does not exist" in errors[0] and str(target) in errors[0]
    # an unknown candidate model is reported as such in the decision, not a crash
    view.form.candidate_model.setEditText("no-such-model")
    with qtbot.waitSignal(view.decision_shown, timeout=TIMEOUT) as shown:
        view.recompute()
    assert shown.args[0].recommendation
    assert view.recompute_button.isEnabled()
    wait_idle(qtbot, context)


def test_a_hidden_view_decides_when_first_shown(
    qtbot: QtBot, context: AppContext, path: Path
) -> None:
    with open_project(path) as p:
        save_answers(p, demo_answers())
    view = DecideView(context)
    view.today = TODAY
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.answers_loaded, timeout=TIMEOUT):
        context.set_project(open_project(path))
    wait_idle(qtbot, context)
    assert view.decision is None  # nothing heavy ran for a view nobody looks at
    assert "computed when shown" in view.status_label.text()
    with qtbot.waitSignal(view.decision_shown, timeout=TIMEOUT):
        view.show()
    wait_idle(qtbot, context)


def test_registered_in_the_main_window(qtbot: QtBot, context: AppContext) -> None:
    from studio.ui.main_window import registered_views

    spec = next(v for v in registered_views() if v.name == "decide")
    view = spec.build(context)
    qtbot.addWidget(view)
    assert isinstance(view, DecideView)
    assert spec.title == "Decide"


def test_platforms_are_priced_and_an_unknown_openai_access_rules_it_out(
    qtbot: QtBot, context: AppContext, path: Path
) -> None:
    with open_project(path) as p:
        save_answers(p, demo_answers())  # the demo team answered "yes"
    view = make_view(qtbot, context)
    with qtbot.waitSignal(view.decision_shown, timeout=TIMEOUT):
        context.set_project(open_project(path))
    panel = view.panel
    rows = {
        panel.platform_table.item(r, 0).text(): panel.platform_table.item(r, 2).text()
        for r in range(panel.platform_table.rowCount())
    }
    assert rows["OpenAI fine-tuning"].startswith("chosen")
    assert not panel.platform_table.isHidden()

    form = view.form
    form.openai_access.setCurrentIndex(form.openai_access.findData("unknown"))
    for box in form.platform_boxes.values():  # none ticked: every platform is weighed
        box.setChecked(False)
    with qtbot.waitSignal(view.decision_shown, timeout=TIMEOUT) as shown:
        qtbot.mouseClick(view.recompute_button, Qt.MouseButton.LeftButton)
    decision = shown.args[0]
    assert decision.platform != "openai"
    rows = {
        panel.platform_table.item(r, 0).text(): panel.platform_table.item(r, 2).text()
        for r in range(panel.platform_table.rowCount())
    }
    from studio.core.decide.platforms import load_platforms

    assert len(rows) == len(load_platforms().platforms)  # all of resources/platforms.json
    assert rows["OpenAI fine-tuning"].startswith("ruled out: ")
    assert "it is not known whether yours can" in rows["OpenAI fine-tuning"]
    assert panel.cheapest_label.text().startswith(("Cheapest usable platform", "No usable"))
    wait_idle(qtbot, context)
