"""The distil commands with ``--project postgresql://…`` (ISSUE-14 §1), in fresh processes.

One smoke test per command family on a real PostgreSQL server (tests/helpers/pg_server.py):
``distil outputs`` against a loopback teacher (the openai SDK), ``runs list``, ``distil
stats``, ``distil list``, ``distil accept|reject``, ``dataset rows``, ``dataset undo`` and
``distil inputs``. The project is built as a file (helpers/distil_project.py,
helpers/synthetic_inputs.py) and copied to a fresh database;
the command-line tests of each command's options stay on SQLite (tests/cli/test_distil_*).
Expected figures are hand counts from the builder and the responder's rules.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import loopback
from helpers.ab_project import wrong_label
from helpers.backends import on_backend, other_connection
from helpers.distil_project import TeacherResponder, build_distil_project
from helpers.synthetic_inputs import CopyingModel, build_inputs_project

N = 24  # rows asked; + 4 approved human rows and 3 test rows the run skips
WRONG = {5, 11}  # the teacher answers these two with another label


def studio(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def ok_json(*args: str) -> Any:
    done = studio(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _statuses(where: str) -> dict[str, int]:
    """Candidate status -> count, read on a connection of the test's own."""
    with other_connection(where) as conn:
        rows = conn.execute("SELECT status, count(*) FROM candidate GROUP BY status").fetchall()
    return {str(s): int(n) for s, n in rows}


def test_outputs_stats_review_and_undo_on_a_server(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    dp = build_distil_project(tmp_path / "d.studio", n_rows=N, n_human=4, n_test=3)
    url = str(on_backend(request, dp.path, "postgresql"))
    assert url.startswith("postgresql://")
    with loopback(responder=TeacherResponder(dp.labels, wrong=WRONG)) as server:
        out = ok_json(
            "distil", "outputs", "--project", url, "--dataset", "intents",
            "--prompt", "teacher@1", "--base-url", server.base_url, "--yes",
        )  # fmt: skip
        assert server.chat_requests == N
    assert out == {
        "run": 1,
        "rows": N,
        "stored": N,
        "failed": 0,
        "skipped": 4 + 3,
        "calls": N,
        "cost": None,
        "audit": 0,
    }
    assert _statuses(url) == {"pending": N}
    assert [r["kind"] for r in ok_json("runs", "list", "--project", url)] == ["distil"]

    stats = ok_json("distil", "stats", "intents", "--project", url)
    assert [stats[k] for k in ("accepted", "rejected", "pending", "failed")] == [0, 0, N, 0]
    listed = ok_json("distil", "list", "intents", "--project", url)
    assert len(listed) == N and {c["status"] for c in listed} == {"pending"}

    # One sample each: every answer is valid and read as a label, so all N are accepted
    accepted = ok_json("distil", "accept", "intents", "--project", url)
    assert accepted["changed"] == N and accepted["examples"] == N
    assert _statuses(url) == {"accepted": N}
    rows = {r["id"]: r for r in ok_json("dataset", "rows", "intents", "--project", url)}
    for i, ex_id in enumerate(dp.row_ids):
        want = wrong_label(dp.labels[i]) if i in WRONG else dp.labels[i]
        assert rows[ex_id]["label"] == want, i
        assert rows[ex_id]["status"] == "approved" and rows[ex_id]["candidate"]["valid"] is True
    stats = ok_json("distil", "stats", "intents", "--project", url)
    assert [stats[k] for k in ("accepted", "pending")] == [N, 0]
    assert stats["ideals"]["teacher"] == N and stats["ideals"]["human"] == 4

    undone = ok_json("dataset", "undo", "intents", "--project", url)
    assert [u["id"] for u in undone] == [accepted["op_id"]]
    assert _statuses(url) == {"pending": N}
    rejected = ok_json("distil", "reject", "intents", "--all", "--project", url)
    assert rejected["changed"] == N and _statuses(url) == {"rejected": N}


def test_inputs_on_a_server(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """``distil inputs`` with ``--project postgresql://…``: the hand count of
    tests/core/distil/test_distil_inputs.py (16 asked: 5 added, 5 near-duplicates, 6 test
    leaks), the added rows read back from the server."""
    built = build_inputs_project(tmp_path / "p.studio")
    url = str(on_backend(request, built.path, "postgresql"))
    model = CopyingModel([t for t, _ in built.test.values()])
    with loopback(responder=model) as server:
        out = ok_json(
            "distil", "inputs", "--project", url, "--dataset", "bank", "--model",
            "loopback-small", "--count", "16", "--per-label", "--instructions", "short",
            "long", "--base-url", server.base_url, "--yes",
        )  # fmt: skip
    assert (out["requested"], out["generated"]) == (16, 16)
    assert (out["added"], out["near_duplicates"], out["test_leaks"]) == (5, 5, 6)
    with other_connection(url) as conn:
        rows = conn.execute(
            "SELECT split, status FROM example WHERE source = 'synthetic'"
        ).fetchall()
    assert len(rows) == 5 and all(split != "test" for split, _ in rows)
