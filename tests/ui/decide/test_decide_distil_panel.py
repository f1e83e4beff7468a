"""The Decide panel shows the distillation evidence: its rows in the evidence table and its
reasons (figures by hand: 2 of 4 rows; 120 of 130 reviewed = 92.3 %)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot
from scipy.stats import binomtest

from studio.core.decide.decision import Decision
from studio.core.decide.distil_facts import distil_reasons
from studio.core.decide.evidence import Evidence
from studio.ui.decide.results import DecisionPanel


def test_panel_shows_distil_rows_and_reasons(qtbot: QtBot) -> None:
    ci = binomtest(2, 4).proportion_ci(method="wilson")
    ev = Evidence(
        distil_reviewed=130,
        distil_accepted=120,
        teacher_correct=2,
        teacher_compared=4,
        teacher_ci_low=ci.low,
        teacher_ci_high=ci.high,
        human_ideals=40,
        teacher_ideals=120,
        synthetic_inputs=30,
    )
    d = Decision(
        recommendation="fine_tune_small_model",
        headline="Fine-tune.",
        reasons=distil_reasons(ev),
        what_would_change=[],
        cost=None,
        evidence=ev,
        warnings=[],
    )
    panel = DecisionPanel()
    qtbot.addWidget(panel)
    panel.resize(1000, 900)
    panel.show_decision(d)
    table = panel.evidence_table
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    acc = f"2 of 4 rows (50.0 %, 95 % CI {100 * ci.low:.1f} %–{100 * ci.high:.1f} %)"
    assert rows["Teacher accuracy vs human ideals"] == acc
    assert rows["Teacher answers accepted"] == "120 of 130 reviewed (92.3 %)"
    assert rows["Ideal outputs: human / teacher"] == "40 / 120"
    assert rows["Synthetic inputs"] == "30"
    assert acc in panel.reasons_label.text()
