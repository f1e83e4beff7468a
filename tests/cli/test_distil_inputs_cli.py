"""``studio distil inputs``: plan out, edit, run against a loopback server; bad input."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import loopback
from helpers.synthetic_inputs import CopyingModel, InputsProject, build_inputs_project


def studio(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m studio ARGS`` in a fresh process (no terminal on stdin)."""
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def built(tmp_path: Path) -> InputsProject:
    return build_inputs_project(tmp_path / "p.studio")


def _synthetic(path: Path) -> list[tuple[str, str | None, str | None]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT search_text, label, split FROM example WHERE source = 'synthetic'"
        ).fetchall()
    finally:
        conn.close()


def test_plan_out_edit_and_run(built: InputsProject, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    p = str(built.path)
    r = studio(
        "distil", "inputs", "--project", p, "--dataset", "bank", "--model", "loopback-small",
        "--count", "16", "--per-label", "--instructions", "short", "long",
        "--plan-out", str(plan_file),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    # The grid as printed: exchange_rate 5 + 4, lost 3 + 3, card 1 + 0 (hand count in
    # tests/core/distil/test_distil_inputs.py)
    assert "exchange_rate" in r.stdout and "(has 2)" in r.stdout
    plan = json.loads(plan_file.read_text())
    assert sum(c["count"] for c in plan["cells"]) == 16
    # The user edits the plan: one more instruction row the model will not answer
    plan["cells"].append({"label": "exchange_rate", "instruction": "broken", "count": 2})
    plan_file.write_text(json.dumps(plan))

    model = CopyingModel([t for t, _ in built.test.values()])
    with loopback(responder=model) as server:
        no = studio("distil", "inputs", "--project", p, "--plan", str(plan_file),
                    "--base-url", server.base_url)  # fmt: skip
        assert no.returncode == 2 and "--yes" in no.stderr
        assert server.chat_requests == 0  # nothing was called without a confirmation
        run = studio("distil", "inputs", "--project", p, "--plan", str(plan_file),
                     "--base-url", server.base_url, "--yes", "--json")  # fmt: skip
        out = json.loads(run.stdout)
        # Hand count: the 16 as in the core test (added 5, near-duplicates 5, test leaks
        # 6) plus the edited row: 2 asked in 1 call answered with prose, both failed.
        assert out["requested"] == 18 and out["generated"] == 16
        assert (out["added"], out["near_duplicates"], out["test_leaks"]) == (5, 5, 6)
        assert (out["failed"], out["failed_calls"], out["calls"]) == (2, 1, 6)
        assert run.returncode == 1  # some asked-for inputs did not come back
        assert "Calls: 6" in run.stderr  # the plan went to stderr with --json
        again = studio("distil", "inputs", "--project", p, "--plan", str(plan_file),
                       "--base-url", server.base_url, "--yes")  # fmt: skip
        assert "added 0, near-duplicates dropped 10, test leaks refused 6" in again.stdout
        assert server.chat_requests == 6  # the re-run came from the cache
    rows = _synthetic(built.path)
    assert sorted(r[0] for r in rows) == sorted(model.novel)
    assert all(r[2] is None for r in rows)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (["--count", "0", "--model", "m"], "count"),
        (["--count", "3"], "--model"),
        (["--count", "3", "--model", "m", "--examples", "99"], "Examples per call"),
        (["--count", "3", "--model", "m", "--per-label", "--temperature", "3"], "temperature"),
    ],
)
def test_bad_input_exits_2_naming_the_field(
    built: InputsProject, extra: list[str], field: str
) -> None:
    r = studio("distil", "inputs", "--project", str(built.path), "--dataset", "bank", *extra,
               "--base-url", "http://127.0.0.1:9/v1", "--yes")  # fmt: skip
    assert r.returncode == 2
    assert field in r.stderr and "Traceback" not in r.stderr


def test_bad_plan_file_names_line_and_field(built: InputsProject, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"dataset": "bank",\n "model": ')
    r = studio("distil", "inputs", "--project", str(built.path), "--plan", str(bad), "--yes")
    assert r.returncode == 2 and "line 2" in r.stderr
    bad.write_text(json.dumps({"dataset": "bank", "model": "m", "cells": [{"label": None,
                   "instruction": "x", "count": "many"}]}))  # fmt: skip
    r = studio("distil", "inputs", "--project", str(built.path), "--plan", str(bad), "--yes")
    assert r.returncode == 2 and "cells[0].count" in r.stderr and "Traceback" not in r.stderr
