"""The Evaluate screen's reads: run meta (re-run spec), the review queue with skip, run lists."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import loopback, provider_for
from helpers.ab_project import IntentResponder, correct_sets
from helpers.backends import other_connection

from studio.core.db.project import open_project
from studio.core.errors import NotFoundError
from studio.core.evals import preferences, review, run_execute, run_results, run_setup
from studio.core.llm.providers import ProviderConfig

N = 12


def _spec(provider: ProviderConfig, **kw: Any) -> run_setup.RunSpec:
    return run_setup.RunSpec(
        dataset="intents",
        variants=[
            run_setup.VariantSpec("intent@1"),
            run_setup.VariantSpec("intent@2", params={"temperature": 0.5}),
        ],
        provider=provider,
        scorer="label",
        **kw,
    )


def test_run_meta_rebuilds_a_spec_that_reruns_from_the_cache(ab) -> None:  # type: ignore[no-untyped-def]
    with loopback(responder=IntentResponder(ab.labels, correct_sets(N))) as server:
        project = open_project(ab.path)
        try:
            spec = _spec(provider_for(server), concurrency=3, split="test")
            run_id = run_setup.create_run(project, spec)
            run_execute.execute_run(project, run_id, key=None)
            meta = review.run_meta(project, run_id)
            assert meta.run_id == run_id and meta.dataset == "intents"
            assert meta.status == "completed" and meta.dataset_id is not None
            assert meta.provider is not None and meta.provider.base_url == spec.provider.base_url
            assert meta.spec is not None
            assert [v.prompt_ref for v in meta.spec.variants] == ["intent@1", "intent@2"]
            assert meta.spec.variants[1].params.get("temperature") == 0.5
            assert (meta.spec.split, meta.spec.scorer, meta.spec.concurrency) == (
                "test",
                "label",
                3,
            )
            assert meta.spec.dataset == meta.dataset_id
            # the rebuilt spec asks exactly the same calls: all of them are cached
            assert run_setup.estimate_run(project, meta.spec).n_cached == 2 * N
        finally:
            project.close()


def test_run_meta_without_dataset_or_run(ab) -> None:  # type: ignore[no-untyped-def]
    project = open_project(ab.path)
    provider = ProviderConfig(name="x", base_url="http://127.0.0.1:9/v1", kind="compatible")
    try:
        run_id = run_setup.create_run(project, _spec(provider))
        with pytest.raises(NotFoundError):
            review.run_meta(project, run_id + 100)
    finally:
        project.close()
    # a damaged provider row: still shown, but cannot be re-run
    with other_connection(ab.path) as conn:  # autocommit, either backend
        conn.execute(f"UPDATE eval_run SET provider_json = '{{\"bogus\": 1' WHERE id = {run_id}")
    project = open_project(ab.path)
    try:
        meta = review.run_meta(project, run_id)
        assert meta.provider is None and meta.spec is None and meta.dataset == "intents"
    finally:
        project.close()


def test_pending_pairs_match_next_pair_and_allow_skip(ab) -> None:  # type: ignore[no-untyped-def]
    with loopback(responder=IntentResponder(ab.labels, correct_sets(N))) as server:
        project = open_project(ab.path)
        try:
            run_id = run_setup.create_run(project, _spec(provider_for(server)))
            run_execute.execute_run(project, run_id, key=None)
            pending = review.pending_review_pairs(project, run_id, rater="ann")
            disagreements = run_results.run_summary(project, run_id).disagreements
            assert len(pending) == len(disagreements) >= 2
            first = preferences.next_review_pair(project, run_id, rater="ann")
            assert first is not None and pending[0].example_id == first.example_id
            assert (pending[0].left, pending[0].right, pending[0].shown_left) == (
                first.left,
                first.right,
                first.shown_left,
            )
            assert [p.remaining for p in pending] == list(range(len(pending) - 1, -1, -1))
            assert all(p.rater == "ann" and p.left != p.right for p in pending)
            assert review.review_counts(project, run_id, "ann") == 0
            # skip the first, judge the second: the first stays in the queue
            preferences.record_review(project, pending[1], "left")
            after = review.pending_review_pairs(project, run_id, rater="ann")
            assert [p.example_id for p in after] == [
                p.example_id for p in pending if p.example_id != pending[1].example_id
            ]
            assert review.review_counts(project, run_id, "ann") == 1
            # another rater's queue is untouched
            assert len(review.pending_review_pairs(project, run_id, rater="bob")) == len(pending)
            assert review.review_counts(project, run_id, "bob") == 0
            # a run id with no variants has nothing to review
            assert review.pending_review_pairs(project, run_id + 100) == []
        finally:
            project.close()


def test_runs_with_verdicts(ab) -> None:  # type: ignore[no-untyped-def]
    with loopback(responder=IntentResponder(ab.labels, correct_sets(N))) as server:
        project = open_project(ab.path)
        try:
            done = run_setup.create_run(project, _spec(provider_for(server)))
            run_execute.execute_run(project, done, key=None)
            pending = run_setup.create_run(project, _spec(provider_for(server)))
            entries = review.runs_with_verdicts(project)
            assert [e.info.id for e in entries] == [pending, done]
            assert entries[0].n is None and entries[0].verdict == ""  # not run yet
            summary = run_results.run_summary(project, done)
            assert entries[1].n == N and entries[1].verdict == summary.verdict_text
            assert entries[1].verdict
            assert [e.info.id for e in review.runs_with_verdicts(project, limit=1)] == [pending]
        finally:
            project.close()
