"""The app shows what the JSON scores mean (ISSUE-10 §1): per-field agreement in the
cases view equals a hand count, the scorer list explains each scorer with a passing and
a failing answer, and json-schema takes the prompt's schema, a schema file, or refuses.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import loopback
from helpers.json_task import build_json_task, hand_count, kind_of, responder
from helpers.loopback_server import LoopbackServer

from studio.core.db.project import open_project
from studio.core.evals import run_execute, run_setup
from studio.core.evals.run_scoring import SCORER_HELP
from studio.core.llm.providers import ProviderConfig
from studio.ui.context import AppContext
from studio.ui.evaluate.cases import FAIL_MARK, PASS_MARK
from studio.ui.evaluate.setup import SCORERS
from studio.ui.evaluate.view import EvaluateView

pytestmark = pytest.mark.gui
N = 20


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with loopback(responder=responder) as s:
        yield s


@pytest.fixture
def json_context(context: AppContext, tmp_path: Path) -> AppContext:
    task = build_json_task(tmp_path / "tickets.studio", n=N)
    context.set_project(open_project(task.path))
    return context


def _view(qtbot: object, context: AppContext) -> EvaluateView:
    view = EvaluateView(context)
    qtbot.addWidget(view)  # type: ignore[attr-defined]
    view.resize(1200, 800)
    view.show()
    qtbot.waitUntil(lambda: bool(view.setup.lists.prompts), timeout=10000)  # type: ignore[attr-defined]
    return view


def test_cases_view_shows_per_field_agreement_equal_to_the_hand_count(
    qtbot: object,
    json_context: AppContext,
    server: LoopbackServer,
    wait_idle: Callable[..., None],
) -> None:
    project = json_context.project
    assert project is not None
    spec = run_setup.RunSpec(
        "tickets",
        [run_setup.VariantSpec("triage@1"), run_setup.VariantSpec("triage@2")],
        ProviderConfig("loop", server.base_url, "compatible"),
        scorer="json-equal",
    )
    run_id = run_setup.create_run(project, spec)
    assert run_execute.execute_run(project, run_id, key=None).completed
    view = _view(qtbot, json_context)
    view.show_run(run_id)
    qtbot.waitUntil(
        lambda: view.run_id == run_id and view.loaded is not None,  # type: ignore[attr-defined]
        timeout=10000,
    )
    # the run summary shows the same figures as the cases view
    view.show_tab("summary")
    assert view.summary.scorer_figures.isVisible()
    summary_lines = view.summary.scorer_figures.text().splitlines()
    view.show_tab("cases")
    label = view.cases.agreement_label
    assert label.isVisible()
    h1, h2 = hand_count(1, N), hand_count(2, N)
    assert label.text().splitlines() == [
        f"Field agreement, A: triage@1: intents {h1['intents']}/{N} "
        f"({h1['intents'] / N * 100:.0f}%), urgent {h1['urgent']}/{N} "
        f"({h1['urgent'] / N * 100:.0f}%)",
        f"Field agreement, B: triage@2: intents {h2['intents']}/{N} "
        f"({h2['intents'] / N * 100:.0f}%), urgent {h2['urgent']}/{N} "
        f"({h2['urgent'] / N * 100:.0f}%)",
    ]
    assert summary_lines == label.text().splitlines()
    assert label.wordWrap() and label.height() >= label.heightForWidth(label.width())
    # the detail pane marks each field: ticket 7 is "wrong_urgent" for v1
    assert kind_of(1, 7) == "wrong_urgent"
    rows = view.cases.model.rows
    row = rows[7]
    assert row.input_preview.startswith("ticket 7:")
    for i in range(len(rows)):
        if view.cases.model.rows[i] is row:
            view.cases.table.selectRow(i)
    text = view.cases.detail.toPlainText()
    assert f"Fields: intents {PASS_MARK}, urgent {FAIL_MARK}" in text
    summary = view.loaded.summary  # type: ignore[union-attr]
    assert [v.correct for v in summary.variants] == [h1["json-equal"], h2["json-equal"]]
    wait_idle(json_context)


def test_scorer_list_explains_each_scorer_and_json_schema_needs_a_schema(
    qtbot: object,
    json_context: AppContext,
    server: LoopbackServer,
    tmp_path: Path,
    wait_idle: Callable[..., None],
) -> None:
    from PySide6.QtCore import Qt

    view = _view(qtbot, json_context)
    setup = view.setup
    combo = setup.scorer_combo
    names = [combo.itemData(i) for i in range(combo.count())]
    assert names == [n for n, _ in SCORERS] and {"json-equal", "label-strict"} <= set(names)
    for i, name in enumerate(names):
        tip = combo.itemData(i, Qt.ItemDataRole.ToolTipRole)
        h = SCORER_HELP[name]
        assert "passes" in tip and "fails" in tip, name
        assert html.escape(repr(h.passing)) in tip and html.escape(repr(h.failing)) in tip

    dialog = setup.open_provider_dialog(edit=False)
    dialog.name_edit.setText("Local loopback")
    dialog.select_preset("OpenAI-compatible: other")
    dialog.url_edit.setText(server.base_url)
    dialog.model_combo.setEditText("loopback-small")
    dialog.accept()
    qtbot.waitUntil(lambda: setup.current_provider() is not None, timeout=5000)  # type: ignore[attr-defined]
    combo.setCurrentIndex(combo.findData("json-schema"))
    assert "response_schema" in combo.toolTip()

    # prompt versions without a schema and no file: refused before any call
    setup.set_variants([("plain", 1, ""), ("plain", 2, "")])
    setup.refresh_estimate()
    qtbot.waitUntil(
        lambda: "no response_schema" in setup.problem_label.text(),  # type: ignore[attr-defined]
        timeout=20000,
    )
    assert not setup.run_button.isEnabled()
    # a schema file in the option field: the estimate goes through
    schema = tmp_path / "schema.json"
    schema.write_text('{"type": "object", "required": ["intents"]}', "utf-8")
    assert setup.scorer_option.isVisible()
    setup.scorer_option.setText(str(schema))
    setup.refresh_estimate()
    qtbot.waitUntil(lambda: setup.run_button.isEnabled(), timeout=20000)  # type: ignore[attr-defined]
    assert setup.build_spec().scorer_config == {"schema_file": str(schema)}
    # the prompt's own schema: no file needed
    setup.scorer_option.setText("")
    setup.set_variants([("triage", 1, ""), ("triage", 2, "")])
    setup.refresh_estimate()
    qtbot.waitUntil(lambda: setup.run_button.isEnabled(), timeout=20000)  # type: ignore[attr-defined]
    assert setup.problem_label.text() == ""
    assert server.chat_requests == 0
    wait_idle(json_context)
