"""Database errors in the evals arrive in the studio's words (core/db/transactions).

Another program holding the project's write lock is the common case (a second window,
the CLI): the run store's writes and the result sink's per-result commits both give a
DatabaseBusyError naming the project file, and leave nothing half-written.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.ab_project import build_ab_project

from studio.core.db import engine
from studio.core.db.project import Project, open_project
from studio.core.errors import DatabaseBusyError
from studio.core.evals import run_setup, run_store
from studio.core.evals.calls import CallResult
from studio.core.evals.store import ProjectCacheStore, ProjectResultSink
from studio.core.llm.providers import ProviderConfig


@pytest.fixture
def held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Project, int]]:
    """A project with one run, whose write lock another connection holds."""
    ab = build_ab_project(tmp_path / "p.studio", n_test=4)
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 50)  # SQLite waits this long first
    project = open_project(ab.path)
    spec = run_setup.RunSpec(
        dataset="intents",
        variants=[run_setup.VariantSpec("intent@1"), run_setup.VariantSpec("intent@2")],
        provider=ProviderConfig(name="x", base_url="http://127.0.0.1:9/v1", kind="compatible"),
    )
    run_id = run_setup.create_run(project, spec)
    other = sqlite3.connect(str(ab.path), timeout=0)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield project, run_id
    finally:
        other.rollback()
        other.close()
        project.close()


def test_run_store_writes_under_a_held_lock_say_the_file_is_busy(
    held: tuple[Project, int],
) -> None:
    project, run_id = held
    with pytest.raises(DatabaseBusyError) as caught:
        run_store.set_recorded_note(project, run_id, "recorded against a simulated model")
    assert str(project.path) in caught.value.message
    with pytest.raises(DatabaseBusyError):
        run_store.delete_run(project, run_id)


def test_the_result_sink_and_cache_say_the_file_is_busy(held: tuple[Project, int]) -> None:
    project, run_id = held
    variant_ids = {p.key: int(p.key) for p in run_store.prepared_variants(project, run_id)}
    key = next(iter(variant_ids))
    example_id = int(run_store.run_plan(project, run_id)["example_ids"][0])
    result = CallResult(
        variant_key=key,
        example_id=example_id,
        output="card_arrival",
        tool_calls=None,
        error=None,
        error_kind=None,
        latency_ms=1.0,
        tokens_in=1,
        tokens_out=1,
        cost_usd=None,
        cached=False,
        attempts=1,
        request_hash="h" * 64,
    )
    with ProjectResultSink(project, run_id, variant_ids) as sink:
        with pytest.raises(DatabaseBusyError) as caught:
            sink.save(result)
        assert str(project.path) in caught.value.message
        assert sink.saved == 0
    with ProjectCacheStore(project) as cache, pytest.raises(DatabaseBusyError):
        cache.put("k" * 64, {"response": {"model": "m"}})
