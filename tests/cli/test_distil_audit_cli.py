"""``studio distil outputs --audit N`` and ``studio distil stats`` in fresh processes.

A real loopback server through the openai SDK. The project is
:func:`helpers.distil_project.build_distil_project` (10 approved human train rows, human
row j labelled ``LABELS[(j + 1) % 4]``); :class:`helpers.distil_project.TeacherResponder`
answers ``LABELS[0]`` on every human row, so the teacher is right on human rows 3 and 7
only: 2 of 10, by hand.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

from helpers import loopback
from helpers.ab_project import LABELS
from helpers.distil_project import TeacherResponder, build_distil_project
from sqlalchemy import text

from studio.core.db.project import open_project
from studio.core.db.transactions import read_conn

N_ROWS = 30


def studio(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _outputs(path: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return studio(
        "distil", "outputs", "--project", str(path), "--dataset", "intents",
        "--prompt", "teacher@1", "--base-url", url, *extra,
    )  # fmt: skip


def _sql(path: Path, sql: str) -> Any:
    project = open_project(path)
    try:
        with read_conn(project) as conn:
            return conn.execute(text(sql)).one()
    finally:
        project.close()


def test_audit_json_stats_line_and_accept_skips_audit(tmp_path: Path) -> None:
    dp = build_distil_project(tmp_path / "c.studio", n_rows=N_ROWS)
    with loopback(responder=TeacherResponder(dp.labels)) as server:
        done = _outputs(dp.path, server.base_url, "--audit", "12", "--yes", "--json")
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout)
        # 10 human rows, not 12: all of them, and the plan says so
        assert out["audit"] == 10 and out["rows"] == N_ROWS and out["stored"] == N_ROWS
        assert out["calls"] == N_ROWS + 10 and server.chat_requests == N_ROWS + 10
        assert "Audit: 10 rows with a human ideal" in done.stderr
        assert "Only 10 row(s) of the dataset have an approved human ideal" in done.stderr
    n_audit, on_humans = _sql(
        dp.path,
        "SELECT count(*), sum(example_id IN ("
        + ",".join(map(str, dp.human_ids))
        + ")) FROM candidate WHERE status = 'audit'",
    )
    assert (n_audit, on_humans) == (10, 10)

    acc = studio("distil", "accept", "intents", "--project", str(dp.path), "--json")
    assert acc.returncode == 0, acc.stderr
    (still, approved_teacher) = _sql(
        dp.path,
        "SELECT (SELECT count(*) FROM candidate WHERE status = 'audit'), "
        "(SELECT count(*) FROM example WHERE ideal_source = 'teacher')",
    )
    assert still == 10 and approved_teacher == N_ROWS  # only the query rows were accepted

    # By hand: human rows 3 and 7 are labelled LABELS[0], the teacher's answer on all
    k, n = 2, 10
    assert sum(1 for j in range(10) if LABELS[(j + 1) % 4] == LABELS[0]) == k
    z = 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low, high = 100 * (centre - half), 100 * (centre + half)
    stats = studio("distil", "stats", "intents", "--project", str(dp.path))
    assert stats.returncode == 0, stats.stderr
    assert (
        f"Teacher vs human ideals: 2/10 = 20.0 % (95 % CI {low:.1f} %–{high:.1f} %), "
        "from 10 audit rows and 0 reviewed rows." in stats.stdout
    )
    js_out = studio("distil", "stats", "intents", "--project", str(dp.path), "--json")
    js = json.loads(js_out.stdout)
    assert js["audit"] == 10 and js["teacher"]["from_audit"] == 10
    assert (js["teacher"]["correct"], js["teacher"]["compared"]) == (2, 10)


def test_negative_audit_exits_2_naming_the_flag(tmp_path: Path) -> None:
    dp = build_distil_project(tmp_path / "n.studio", n_rows=3, n_human=2, n_test=1)
    done = _outputs(dp.path, "http://127.0.0.1:9/v1", "--audit", "-1", "--yes", "--json")
    assert done.returncode == 2
    assert "--audit" in done.stderr and "Traceback" not in done.stderr
    assert _sql(dp.path, "SELECT count(*) FROM eval_run")[0] == 0


def test_audit_only_run_when_every_row_already_has_a_candidate(tmp_path: Path) -> None:
    dp = build_distil_project(tmp_path / "o.studio", n_rows=3, n_human=10, n_test=1)
    with loopback(responder=TeacherResponder(dp.labels)) as server:
        first = _outputs(dp.path, server.base_url, "--yes", "--json")
        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout)["audit"] == 0 and server.chat_requests == 3
        only = _outputs(dp.path, server.base_url, "--audit", "4", "--yes", "--json")
        assert only.returncode == 0, only.stderr
        out = json.loads(only.stdout)
        assert (out["rows"], out["stored"], out["audit"], out["calls"]) == (0, 0, 4, 4)
        assert server.chat_requests == 3 + 4
        # Asked again: the 4 audited rows count towards N, nothing is sent
        again = _outputs(dp.path, server.base_url, "--audit", "4", "--yes", "--json")
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["calls"] == 0 and server.chat_requests == 7


def test_the_audit_draws_on_the_whole_dataset_whatever_the_selection(tmp_path: Path) -> None:
    # `--ids` picks two rows to label; the approved human rows are outside that
    # selection by definition, and the audit still measures the teacher on them
    dp = build_distil_project(tmp_path / "s.studio", n_rows=6, n_human=8, n_test=1)
    picked = dp.row_ids[:2]
    with loopback(responder=TeacherResponder(dp.labels)) as server:
        done = _outputs(
            dp.path, server.base_url, "--ids", ",".join(map(str, picked)),
            "--audit", "5", "--yes", "--json",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout)
        assert (out["rows"], out["stored"], out["audit"]) == (2, 2, 5)
        assert server.chat_requests == 2 + 5
    asked, audited_humans = _sql(
        dp.path,
        "SELECT (SELECT count(*) FROM candidate WHERE status = 'pending' AND example_id IN ("
        + ",".join(map(str, picked))
        + ")), (SELECT count(*) FROM candidate WHERE status = 'audit' AND example_id IN ("
        + ",".join(map(str, dp.human_ids))
        + "))",
    )
    assert (asked, audited_humans) == (2, 5)
