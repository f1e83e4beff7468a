"""The demo judge's simulated model answers each version of ``intent-judge`` in the form
that version asks for, readably, from the demo's banking77 truth (the CSV, read here)."""

from __future__ import annotations

import csv
from pathlib import Path

from studio.core.db.project import open_project
from studio.core.demo.model import build_demo_model
from studio.core.distil.judge_scores import read_judge_score
from studio.core.distil.judging import load_judge

CSV = Path(__file__).resolve().parents[3] / "resources" / "demo" / "banking77_distil.csv"


def test_every_intent_judge_version_gets_a_readable_grade(demo_template: Path) -> None:
    with CSV.open(newline="", encoding="utf-8") as fh:
        rows = [(r["text"], r["category"]) for r in csv.DictReader(fh)][:40]
    others = sorted({c for _, c in rows})
    project = open_project(demo_template)
    try:
        judges = {v: load_judge(project, f"intent-judge@{v}") for v in (1, 2, 3)}
    finally:
        project.close()
    model = build_demo_model()
    for version, judge in judges.items():
        for i, (text, truth) in enumerate(rows):
            wrong = next(c for c in others if c != truth)
            for chosen, right in ((truth, True), (wrong, False)):
                # the teacher's JSON answer, or a bare name; no reference half of the time
                output = f'{{"intent": "{chosen}", "confidence": "high"}}' if i % 2 else chosen
                ideal = truth if i % 3 == 0 else ""
                body = judge.work_item(i, text, output, ideal).request_body()
                answer = model(body)
                score = read_judge_score(answer).score
                assert score is not None, (version, answer)
                if version == 1:  # the pass/fail draft
                    assert answer == ("pass" if right else "fail")
                else:  # "Score: N/10": 0.7 and more when right, 0.4 and less when wrong
                    assert answer.splitlines()[-1].startswith("Score: ")
                    assert (score >= 0.7) if right else (score <= 0.4), answer
    # Not a judge request: the model answers as the demo's intent models
    assert not model.judge.is_judge_request(
        {"model": "gpt-4.1", "messages": [{"role": "user", "content": rows[0][0]}]}
    )
