"""The project as result sink and response cache."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from helpers.ab_project import build_ab_project
from helpers.backends import BACKENDS, on_backend, other_connection

from studio.core.db.project import open_project
from studio.core.evals import run_execute, run_results, run_setup, run_store
from studio.core.evals.calls import CallResult
from studio.core.evals.store import ProjectCacheStore, ProjectResultSink, Scored
from studio.core.llm.providers import ProviderConfig


def _result(
    key: str, example_id: int, output: str | None = "card_arrival", error: str | None = None
) -> CallResult:
    return CallResult(
        variant_key=key,
        example_id=example_id,
        output=output,
        tool_calls=None,
        error=error,
        error_kind="server" if error else None,
        latency_ms=12.5,
        tokens_in=10,
        tokens_out=2,
        cost_usd=None,
        cached=False,
        attempts=1,
        request_hash="h" * 64,
    )


@pytest.fixture(params=BACKENDS)
def run(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A run of an A/B project on a file or (a copy) on PostgreSQL."""
    ab = build_ab_project(tmp_path / "p.studio", n_test=8)
    ab.path = on_backend(request, ab.path, request.param)  # the tests read ab.path back
    project = open_project(ab.path)
    spec = run_setup.RunSpec(
        dataset="intents",
        variants=[run_setup.VariantSpec("intent@1"), run_setup.VariantSpec("intent@2")],
        provider=ProviderConfig(name="x", base_url="http://127.0.0.1:9/v1", kind="compatible"),
    )
    run_id = run_setup.create_run(project, spec)
    variant_ids = [int(v.key) for v in run_store.prepared_variants(project, run_id)]
    yield project, run_id, variant_ids, ab
    project.close()


def test_each_saved_result_is_committed_before_save_returns(run) -> None:  # type: ignore[no-untyped-def]
    project, run_id, (va, vb), ab = run
    calls: list[int] = []

    def score(r: CallResult) -> Scored:
        calls.append(r.example_id)
        return Scored(True, 1.0, "ok")

    with ProjectResultSink(project, run_id, {"A": va, "B": vb}, score) as sink:
        sink.save(_result("A", ab.test_ids[0]))
        # another connection (another process, after a crash) already sees it
        with other_connection(ab.path) as other:
            rows = other.execute(
                "SELECT output, passed, score_detail, latency_ms FROM eval_result"
            ).fetchall()
        assert rows == [("card_arrival", True, "ok", 12.5)]  # SQLite's 1 == True
        sink.save(_result("B", ab.test_ids[0], output=None, error="Server error 500"))
        assert calls == [ab.test_ids[0]]  # the scorer never sees errors
        # errors are retried on resume: only the answer counts as done
        assert sink.already_done() == {("A", ab.test_ids[0])}
        sink.save(_result("B", ab.test_ids[0]))  # the retry replaces the error
        assert sink.already_done() == {("A", ab.test_ids[0]), ("B", ab.test_ids[0])}
    with other_connection(ab.path) as other:
        n, errors = other.execute("SELECT count(*), count(error) FROM eval_result").fetchone()
    assert (n, errors) == (2, 0)


def test_a_scorer_bug_does_not_lose_the_answer(run) -> None:  # type: ignore[no-untyped-def]
    project, run_id, (va, _vb), ab = run

    def broken(r: CallResult) -> Scored:
        raise RuntimeError("boom")

    with ProjectResultSink(project, run_id, {"A": va}, broken) as sink:
        sink.save(_result("A", ab.test_ids[1]))
    with other_connection(ab.path) as other:
        row = other.execute("SELECT output, passed, score_detail FROM eval_result").fetchone()
    assert row[0] == "card_arrival" and row[1] is None and "boom" in row[2]


def test_sink_commits_every_one_of_400_results(run) -> None:  # type: ignore[no-untyped-def]
    project, run_id, (va, vb), ab = run
    with ProjectResultSink(project, run_id, {"A": va, "B": vb}) as sink:
        for i in range(400):
            sink.save(_result("A" if i % 2 else "B", 10_000 + i))
    with other_connection(ab.path) as other:
        assert other.execute("SELECT count(*) FROM eval_result").fetchone()[0] == 400


def test_cache_round_trip_and_ttl(run) -> None:  # type: ignore[no-untyped-def]
    project = run[0]
    entry = {"response": {"model": "m", "choices": []}, "latency_ms": 5.0}
    with ProjectCacheStore(project) as cache:
        assert cache.get("k" * 64) is None
        cache.put("k" * 64, entry)
        assert cache.get("k" * 64) == entry and len(cache) == 1
    with ProjectCacheStore(project, ttl_s=0.0) as expired:
        time.sleep(0.01)
        assert expired.get("k" * 64) is None
        assert expired.prune() == 1 and len(expired) == 0


_CHILD = """
import sys
from studio.core.db.project import open_project
from studio.core.evals import run_execute, run_results, run_setup, run_store
project = open_project(sys.argv[1])
def progress(p):
    print(p.done, flush=True)
run_execute.execute_run(project, int(sys.argv[2]), key=None, progress=progress)
"""


def test_kill_9_mid_run_loses_no_acknowledged_result(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    from helpers import loopback, provider_for
    from helpers.ab_project import IntentResponder, correct_sets, query_index, variant_of

    n = 30
    ab = build_ab_project(tmp_path / "k.studio", n_test=n, n_train=0)
    responder = IntentResponder(ab.labels, correct_sets(n))
    with loopback(responder=responder, latency=0.1, record_bodies=True) as server:
        project = open_project(ab.path)
        spec = run_setup.RunSpec(
            dataset="intents",
            provider=provider_for(server),
            scorer="label",
            concurrency=2,
            variants=[run_setup.VariantSpec("intent@1"), run_setup.VariantSpec("intent@2")],
        )
        run_id = run_setup.create_run(project, spec)
        project.close()
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(ab.path), str(run_id)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ},
        )
        acknowledged = 0
        assert child.stdout is not None
        for line in child.stdout:
            acknowledged = max(acknowledged, int(line))
            if acknowledged >= 12:
                break
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        child.stdout.close()
        with sqlite3.connect(ab.path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            stored = conn.execute("SELECT count(*) FROM eval_result").fetchone()[0]
        assert acknowledged <= stored < 2 * n
        # a request the kill cut off while its body was being sent arrives empty: not asked;
        # one it had sent whole may be read late: let it land before the reset
        server.settle()
        before = {(variant_of(b), query_index(b)) for b in server.chat_bodies if b.get("messages")}
        server.reset_counters()
        project = open_project(ab.path)
        try:
            outcome = run_execute.execute_run(project, run_id, key=None)
            summary = run_results.run_summary(project, run_id)
        finally:
            project.close()
        asked = [(variant_of(b), query_index(b)) for b in server.chat_bodies]
        assert outcome.completed and len(asked) == 2 * n - stored
        assert len(before | set(asked)) == 2 * n
        assert summary.calls["made"] == 2 * n
