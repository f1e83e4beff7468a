"""Several processes finish one run together: ``studio runs resume RUN --join`` (ISSUE-14 §4).

Real ``python -m studio`` processes on one project file, or on one PostgreSQL database
(the "machines"), against a loopback server that records every request: each case is
asked for once, ``eval_result`` holds one row per case, and the figures equal a single
process's run over the same cases and the hand count. A worker killed with SIGKILL
leaves its claims to the other, which finishes the run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from helpers import loopback, provider_for
from helpers.ab_project import build_ab_project, query_index
from helpers.backends import BACKENDS, on_backend, other_connection
from helpers.distil_project import TeacherResponder, build_distil_project

from studio.core.db.project import open_project
from studio.core.distil.outputs import OutputsSpec, create_outputs_run
from studio.core.evals.run_setup import RunSpec, VariantSpec, create_run

N = 24  # test examples: 2 variants -> 48 cases
CASES = 2 * N
BIG_WRONG = {i for i in range(N) if i % 8 == 3}  # 3 wrong
SMALL_WRONG = {i for i in range(N) if i % 3 == 0}  # 8 wrong


class Responder:
    """Right unless the query is in the model's wrong set (as test_runs_cli's)."""

    def __init__(self, labels: dict[int, str]) -> None:
        self.labels = labels

    def __call__(self, body: dict[str, Any]) -> str:
        from helpers.ab_project import wrong_label

        i = query_index(body)
        wrong = BIG_WRONG if body.get("model") == "big" else SMALL_WRONG
        return wrong_label(self.labels[i]) if i in wrong else self.labels[i]


def _create_ab_run(location: str | Path, url: str) -> int:
    project = open_project(location)
    try:
        spec = RunSpec(
            dataset="intents",
            variants=[VariantSpec("intent@2", model="big"), VariantSpec("intent@2", model="small")],
            provider=provider_for(url),
            concurrency=2,
        )
        return create_run(project, spec)
    finally:
        project.close()


def _resume(location: str | Path, run_id: int, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "studio",
            "runs",
            "resume",
            str(run_id),
            "--project",
            str(location),
            "--no-cache",
            "--json",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    return dict(json.loads(out))


def _cases(bodies: list[dict[str, Any]]) -> Counter[tuple[str, int]]:
    return Counter((str(b["model"]), query_index(b)) for b in bodies)


def _rows_per_case(location: str | Path, run_id: int) -> Counter[tuple[int, int]]:
    with other_connection(location) as conn:
        rows = conn.execute(
            f"SELECT variant_id, example_id FROM eval_result WHERE run_id = {int(run_id)} "
            "AND error IS NULL"
        ).fetchall()
    return Counter((int(v), int(e)) for v, e in rows)


def _claim_workers(location: str | Path, run_id: int) -> int:
    with other_connection(location) as conn:
        row = conn.execute(
            f"SELECT count(DISTINCT worker) FROM run_claim WHERE run_id = {int(run_id)}"
        ).fetchone()
    return int(row[0])


def figures(doc: dict[str, Any]) -> Any:
    """What a run reports: per-variant score, CI, errors, tokens; n; the comparison."""
    return (
        [
            (v["prompt"], v["model"], v["score"], v["ci95"], v["errors"], v["tokens"])
            for v in doc["variants"]
        ],
        doc["n"],
        doc["comparison"],
    )


def _hand_count(doc: dict[str, Any]) -> None:
    assert doc["variants"][0]["score"] == pytest.approx((N - 3) / N)
    assert doc["variants"][1]["score"] == pytest.approx((N - 8) / N)
    assert [v["errors"] for v in doc["variants"]] == [0, 0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_joined_processes_ask_each_case_once(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str
) -> None:
    ab = build_ab_project(tmp_path / "joined.studio", n_test=N)
    single = build_ab_project(tmp_path / "single.studio", n_test=N)
    location = on_backend(request, ab.path, backend)
    with loopback(responder=Responder(ab.labels), record_bodies=True, latency=0.25) as server:
        run_id = _create_ab_run(location, server.base_url)
        t0 = time.monotonic()
        workers = [_resume(location, run_id, "--join"), _resume(location, run_id, "--join")]
        docs = [_finish(p) for p in workers]
        joined_s = time.monotonic() - t0
        joined_bodies = list(server.chat_bodies)

        # the same cases by one process, on an identical project
        ref_id = _create_ab_run(single.path, server.base_url)
        t0 = time.monotonic()
        reference = _finish(_resume(single.path, ref_id))
        single_s = time.monotonic() - t0
        single_bodies = list(server.chat_bodies)[len(joined_bodies) :]

    asked = _cases(joined_bodies)
    every = {(m, i) for m in ("big", "small") for i in range(N)}
    assert set(asked) == every and all(n == 1 for n in asked.values()), asked
    assert _cases(single_bodies) == asked
    rows = _rows_per_case(location, run_id)
    assert len(rows) == CASES and set(rows.values()) == {1}
    # both processes worked; together they claimed each case once
    claimed = [d["resumed"]["claimed"] for d in docs]
    assert all(c > 0 for c in claimed) and sum(claimed) == CASES, claimed
    assert sum(d["resumed"]["calls_made"] for d in docs) == CASES
    assert sorted(d["resumed"]["finished_here"] for d in docs) == [False, True]
    assert _claim_workers(location, run_id) == 2
    # the run's figures: the same in both processes' reports, as one process's, by hand
    assert figures(docs[0]) == figures(docs[1]) == figures(reference)
    _hand_count(docs[0])
    print(
        f"{backend}: {CASES} cases, requests per case {sorted(set(asked.values()))}, "
        f"claimed {claimed}; 2 workers {joined_s:.1f} s, 1 worker {single_s:.1f} s"
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_killed_worker_leaves_its_claims_to_the_other(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str
) -> None:
    ab = build_ab_project(tmp_path / "killed.studio", n_test=N)
    location = on_backend(request, ab.path, backend)
    with loopback(responder=Responder(ab.labels), record_bodies=True, latency=0.25) as server:
        run_id = _create_ab_run(location, server.base_url)
        victim = _resume(location, run_id, "--join")
        helper = _resume(location, run_id, "--join")
        deadline = time.monotonic() + 90
        # both claimed, and some answers are stored: kill one mid-run
        while (
            _claim_workers(location, run_id) < 2
            or sum(_rows_per_case(location, run_id).values()) < 8
        ):
            assert time.monotonic() < deadline, "the workers never got going"
            assert victim.poll() is None and helper.poll() is None
            time.sleep(0.05)
        os.kill(victim.pid, signal.SIGKILL)
        victim.communicate(timeout=30)
        assert victim.returncode == -signal.SIGKILL
        done = _finish(helper)
        bodies = list(server.chat_bodies)

    asked = _cases(bodies)
    every = {(m, i) for m in ("big", "small") for i in range(N)}
    assert set(asked) == every
    # asked twice: only calls the killed worker had in flight (its concurrency, 2)
    twice = [c for c, n in asked.items() if n > 1]
    assert len(twice) <= 2 and max(asked.values()) <= 2, asked
    assert done["resumed"]["taken_over"] >= 1
    assert done["resumed"]["finished_here"] is True
    rows = _rows_per_case(location, run_id)
    assert len(rows) == CASES and set(rows.values()) == {1}
    _hand_count(done)
    listed = subprocess.run(
        [sys.executable, "-m", "studio", "runs", "list", "--project", str(location), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    (run,) = json.loads(listed.stdout)
    assert run["status"] == "completed" and run["pending"] == 0
    print(
        f"{backend}: SIGKILL of one worker: {len(bodies)} requests for {CASES} cases, "
        f"{len(twice)} asked twice, {done['resumed']['taken_over']} claims taken over"
    )


def test_a_running_run_is_refused_without_join(tmp_path: Path) -> None:
    ab = build_ab_project(tmp_path / "refused.studio", n_test=N)
    with loopback(responder=Responder(ab.labels), latency=0.25) as server:
        run_id = _create_ab_run(ab.path, server.base_url)
        first = _resume(ab.path, run_id)
        deadline = time.monotonic() + 60
        while _claim_workers(ab.path, run_id) < 1:
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.05)
        second = _resume(ab.path, run_id)
        _out, err = second.communicate(timeout=120)
        _finish(first)
    assert second.returncode == 2, err
    assert f"studio runs resume {run_id} --join" in err and "Traceback" not in err


# A distil run's candidates are written with SQL that is ported to PostgreSQL elsewhere
# (ISSUE-14 §1); its claims are the A/B runs' above, tested on both backends.
@pytest.mark.parametrize("backend", ["sqlite"])
def test_two_processes_finish_a_distil_run(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str
) -> None:
    rows = 40
    dp = build_distil_project(tmp_path / "distil.studio", n_rows=rows, n_human=2, n_test=2)
    responder = TeacherResponder(dp.labels)
    with loopback(responder=responder, latency=0.2) as server:
        project = open_project(dp.path)
        try:
            spec = OutputsSpec(
                dataset="intents",
                prompt_ref="teacher@1",
                provider=provider_for(server),
                concurrency=2,
            )
            run_id = create_outputs_run(project, spec)
        finally:
            project.close()
        location = on_backend(request, dp.path, backend)
        workers = [_resume(location, run_id, "--join"), _resume(location, run_id, "--join")]
        docs = [_finish(p) for p in workers]
    # every row asked once in all (the teacher counts per query)
    assert sorted(responder.calls) == list(range(rows))
    assert set(responder.calls.values()) == {1}
    assert sum(d["calls"] for d in docs) == rows
    assert all(d["calls"] > 0 for d in docs)
    assert [d["stored"] for d in docs] == [rows, rows]
    with other_connection(location) as conn:
        per_example = conn.execute(
            f"SELECT example_id, count(*) FROM candidate WHERE run_id = {int(run_id)} "
            "GROUP BY example_id"
        ).fetchall()
    assert len(per_example) == rows and {int(n) for _e, n in per_example} == {1}
