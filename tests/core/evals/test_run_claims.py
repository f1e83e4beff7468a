"""Cases claimed in a transaction by the workers of one run (ISSUE-14 §4), both backends."""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from helpers import loopback, provider_for
from helpers.ab_project import AbProject
from helpers.backends import other_connection
from sqlalchemy import text

from studio.core.db.project import open_project
from studio.core.db.transactions import write_tx
from studio.core.evals import run_setup
from studio.core.evals.calls import RunProgress
from studio.core.evals.run_claims import RunClaims, elect_finisher
from studio.core.evals.run_execute import RunOutcome, execute_run
from studio.core.evals.run_lock import run_is_alive
from studio.core.evals.run_workers import acquire_worker_lock
from studio.core.progress import CancelToken

N = 12  # test examples: 2 variants -> 24 cases


def _run(location: str | Path, ab: AbProject, url: str) -> int:
    project = open_project(location)
    try:
        spec = run_setup.RunSpec(
            dataset=ab.dataset_id,
            variants=[run_setup.VariantSpec("intent@1"), run_setup.VariantSpec("intent@2")],
            provider=provider_for(url),
            concurrency=2,
        )
        return run_setup.create_run(project, spec)
    finally:
        project.close()


def _keys(location: str | Path, run_id: int, ids: list[int]) -> list[tuple[str, int]]:
    with other_connection(location) as conn:
        variants = [
            int(r[0])
            for r in conn.execute(
                f"SELECT id FROM eval_variant WHERE run_id = {run_id} ORDER BY position"
            ).fetchall()
        ]
    return [(str(v), e) for v in variants for e in sorted(ids)]


def test_two_workers_claim_disjoint_cases_and_take_over_a_dead_ones(ab: AbProject) -> None:
    run_id = _run(ab.path, ab, "http://127.0.0.1:9/v1")
    keys = _keys(ab.path, run_id, ab.test_ids)
    project = open_project(ab.path)
    try:
        with acquire_worker_lock(project, run_id) as one:
            two = acquire_worker_lock(project, run_id)
            a, b = RunClaims(project, run_id, one, keys), RunClaims(project, run_id, two, keys)
            got_a = a.claim(5)
            got_b = b.claim(5)
            # in order, disjoint: the second worker gets the next five
            assert got_a.keys == keys[:5] and got_b.keys == keys[5:10]
            assert got_a.more and got_b.more
            # the second worker dies with its five claims open: they are taken over
            two.release()
            got = a.claim(100)
            assert set(got.keys) == set(keys[5:])
            assert a.taken_over == 5 and a.claimed == len(keys)
            assert a.claim(5).keys == [] and a.unsettled() == len(keys)
            # nothing settled yet: no finisher; a released claim is claimable again
            assert a.release() == len(keys)
            assert b.claim(3).keys == keys[:3]  # released: claimable again, in order
    finally:
        project.close()


def test_only_one_finisher(ab: AbProject) -> None:
    run_id = _run(ab.path, ab, "http://127.0.0.1:9/v1")
    project = open_project(ab.path)
    try:
        with write_tx(project) as conn:
            conn.execute(
                text("UPDATE eval_run SET status = 'running', finished_at = NULL WHERE id = :r"),
                {"r": run_id},
            )
        assert [elect_finisher(project, run_id) for _ in range(3)] == [True, False, False]
    finally:
        project.close()


def test_cancelling_one_worker_leaves_the_run_to_the_other(ab: AbProject) -> None:
    with loopback(record_bodies=True, latency=0.1) as server:
        run_id = _run(ab.path, ab, server.base_url)
        cancel = CancelToken()
        helper_started = threading.Event()
        outcomes: dict[str, RunOutcome] = {}
        errors: list[BaseException] = []

        def cancelled_after_three(p: RunProgress) -> None:
            if p.done >= 3 and helper_started.is_set():
                cancel.cancel()

        helper_seen: list[RunProgress] = []

        def helper_progress(p: RunProgress) -> None:
            helper_seen.append(p)
            if p.done >= 1:
                helper_started.set()

        def work(name: str, **kwargs: Any) -> None:
            project = open_project(ab.path)
            try:
                outcomes[name] = execute_run(project, run_id, key=None, join=True, **kwargs)
            except BaseException as exc:
                errors.append(exc)
            finally:
                project.close()

        first = threading.Thread(
            target=work,
            args=("first",),
            kwargs={"cancel": cancel, "progress": cancelled_after_three},
        )
        second = threading.Thread(
            target=work, args=("second",), kwargs={"progress": helper_progress}
        )
        first.start()
        second.start()
        first.join(120)
        second.join(120)
        bodies = list(server.chat_bodies)
    assert not errors, errors
    assert outcomes["first"].cancelled and not outcomes["first"].finished_here
    assert outcomes["second"].completed and outcomes["second"].finished_here
    # the helper's progress counts the other worker's answers too: it ends at every case
    assert helper_seen[-1].done == helper_seen[-1].total == 2 * N
    # every case asked; twice only for the calls the cancel abandoned in flight (as a
    # cancel always does: at most the concurrency, 2); the run completed, once
    asked = Counter(json.dumps(b["messages"], sort_keys=True) for b in bodies)
    assert len(asked) == 2 * N and max(asked.values()) <= 2
    assert sum(1 for n in asked.values() if n == 2) <= 2
    with other_connection(ab.path) as conn:
        status = conn.execute(f"SELECT status FROM eval_run WHERE id = {run_id}").fetchone()[0]
        rows = conn.execute(
            f"SELECT count(*), count(DISTINCT variant_id * 100000 + example_id) "
            f"FROM eval_result WHERE run_id = {run_id} AND error IS NULL"
        ).fetchone()
    assert status == "completed" and tuple(rows) == (2 * N, 2 * N)
    project = open_project(ab.path)
    try:
        assert not run_is_alive(project, run_id)
    finally:
        project.close()
