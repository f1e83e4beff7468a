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
        (approved_train,) = conn.execute(
            "SELECT count(*) FROM example e JOIN dataset d ON d.id = e.dataset_id "
            "WHERE d.name = ? AND e.split = 'train' AND e.status = 'approved'",
            (DATASET,),
        ).fetchone()
    finally:
        conn.close()
    assert by_status == {"accepted": accepted, "pending": below}
    assert unanimous == accepted and accepted + below == asked
    lines = (tmp_path / "out" / "train.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == exported == approved_train
    assert all(
        json.loads(json.loads(ln)["messages"][-1]["content"])["confidence"] == "high"
        for ln in lines
    )
