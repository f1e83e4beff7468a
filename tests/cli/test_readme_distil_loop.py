"""README's "distil loop on the command line" block, run line by line as a new user would.

The fenced block is parsed from README.md; each ``studio …`` line runs as a subprocess in
a scratch folder against a real ``studio demo-model`` (the block's port replaced by the
one it picked), must exit 0, and must print every fragment its ``#   …`` lines show
(fragments are separated by ``...``). The counts README quotes are then recounted from
the project file with sqlite3 and from the exported JSONL, so README stays true.
"""

from __future__ import annotations

import json
import re
import shlex
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from helpers.demo_model import REPO, demo_model, studio_env

README = REPO / "README.md"
HEADING = "**The distil loop on the command line**"
PORT_IN_README = "127.0.0.1:8077"
DATASET = "Banking intents (demo)"


@dataclass
class Step:
    command: str
    expected: list[str] = field(default_factory=list)


def readme_loop() -> list[Step]:
    """The block's commands (continuations joined) with the output fragments shown after each."""
    text = README.read_text(encoding="utf-8")
    start = text.index(HEADING)
    fence = text.index("```\n", start) + 4
    block = text[fence : text.index("```", fence)]
    steps: list[Step] = []
    pending = ""
    for raw in block.splitlines():
        line = raw.rstrip()
        if line.startswith("#"):
            shown = line.lstrip("#").strip()
            steps[-1].expected += [f.strip() for f in shown.split("...") if f.strip()]
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        steps.append(Step((pending + line.strip()).strip()))
        pending = ""
    return steps


def _figure(steps: list[Step], pattern: str) -> int:
    for step in steps:
        for fragment in step.expected:
            match = re.search(pattern, fragment)
            if match:
                return int(match.group(1))
    raise AssertionError(f"README's loop shows no {pattern!r}")


def test_the_readme_distil_loop_runs_as_written(demo_template: Path, tmp_path: Path) -> None:
    steps = readme_loop()
    commands = [s.command for s in steps]
    assert commands[0].startswith("studio demo-model") and commands[-1] == "kill %1"
    assert any("distil outputs" in c and "--samples 3" in c for c in commands)
    assert any("distil judge" in c and "--judge intent-judge@2" in c for c in commands)
    assert any("distil accept" in c and "--min-judge 0.8" in c for c in commands)
    assert any("ft:gpt-4.1-nano:studio-demo:student" in c for c in commands)

    with demo_model() as server:
        for step in steps[1:-1]:
            assert step.command.startswith("studio "), step.command
            line = step.command.replace(PORT_IN_README, f"127.0.0.1:{server.port}")
            argv = [sys.executable, "-m", "studio", *shlex.split(line, comments=True)[1:]]
            done = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                timeout=300,
                cwd=tmp_path,
                env=studio_env(),
            )
            said = done.stdout + done.stderr
            assert done.returncode == 0, (step.command, said)
            for fragment in step.expected:
                assert fragment in said, (step.command, fragment, said)
    assert server.returncode == 0, server.stderr

    # The counts README quotes, recounted from the files
    asked = _figure(steps, r"(\d+) rows, \d+ candidates stored")
    skipped = _figure(steps, r"(\d+) skipped")
    accepted = _figure(steps, r"(\d+) accepted")
    below = _figure(steps, r"(\d+) below the agreement")
    judged = _figure(steps, r"Judge: (\d+) scored")
    below_judge = _figure(steps, r"(\d+) below the judge score")
    exported = _figure(steps, r"train\.jsonl\s+(\d+) records")
    before = sqlite3.connect(demo_template)
    try:
        waiting = dict(
            before.execute(
                "SELECT e.split = 'test', count(*) FROM example e JOIN dataset d "
                "ON d.id = e.dataset_id WHERE d.name = ? AND e.status = 'needs_review' "
                "GROUP BY e.split = 'test'",
                (DATASET,),
            ).fetchall()
        )
    finally:
        before.close()
    assert (waiting[0], waiting[1]) == (asked, skipped)

    conn = sqlite3.connect(tmp_path / "loop.studio")
    try:
        (run_id,) = conn.execute(
            "SELECT max(id) FROM eval_run WHERE kind = 'distil' AND recorded_note = ''"
        ).fetchone()
        by_status = dict(
            conn.execute(
                "SELECT status, count(*) FROM candidate WHERE run_id = ? GROUP BY status",
                (run_id,),
            ).fetchall()
        )
        (unanimous,) = conn.execute(
            "SELECT count(*) FROM candidate WHERE run_id = ? AND agreement = 1.0 AND samples = 3",
            (run_id,),
        ).fetchone()
        # Every candidate's judge score with who gave it, its label and the row's human label
        graded = conn.execute(
            "SELECT c.status, c.agreement, c.judge_score, c.judge_ref, c.judge_model, "
            "c.judged_at, c.label, e.label FROM candidate c JOIN example e "
            "ON e.id = c.example_id WHERE c.run_id = ?",
            (run_id,),
        ).fetchall()
        (approved_train,) = conn.execute(
            "SELECT count(*) FROM example e JOIN dataset d ON d.id = e.dataset_id "
            "WHERE d.name = ? AND e.split = 'train' AND e.status = 'approved'",
            (DATASET,),
        ).fetchone()
    finally:
        conn.close()
    assert by_status == {"accepted": accepted, "pending": below + below_judge}
    assert unanimous == accepted + below_judge and accepted + below + below_judge == asked
    # The judge step scored every candidate of the run, and says who did
    assert judged == asked == len(graded)
    assert {(g[3], g[4]) for g in graded} == {("intent-judge@2", "gpt-4.1-mini")}
    assert all(g[2] is not None and g[5] for g in graded)
    # Hand count of --min-judge 0.8 over the unanimous candidates
    assert accepted == sum(1 for g in graded if g[1] == 1.0 and g[2] >= 0.8)
    assert below_judge == sum(1 for g in graded if g[1] == 1.0 and g[2] < 0.8)
    assert all(g[0] == "accepted" for g in graded if g[1] == 1.0 and g[2] >= 0.8)
    # The judge grades against the rows' human labels: a high score only for the right
    # intent, a low one only for a wrong one (its hedged 0.5-0.7 either way)
    assert all(g[6] == g[7] for g in graded if g[2] >= 0.8)
    assert all(g[6] != g[7] for g in graded if g[2] <= 0.3)
    assert sum(1 for g in graded if 0.3 < g[2] < 0.8) < len(graded) * 0.2
    lines = (tmp_path / "out" / "train.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == exported == approved_train
    assert all(
        json.loads(json.loads(ln)["messages"][-1]["content"])["confidence"] == "high"
        for ln in lines
    )
