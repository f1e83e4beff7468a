"""A/B runs end to end: the real openai SDK against the loopback server, stored in a project."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from helpers import SENTINEL_KEY, files_containing, loopback, provider_for
from helpers.ab_project import (
    IntentResponder,
    correct_sets,
    query_index,
    variant_of,
)
from helpers.backends import other_connection
from helpers.loopback_server import dead_base_url

from studio.core.datasets.curation import update_example
from studio.core.db.project import open_project
from studio.core.errors import NotFoundError, UserError, ValidationError
from studio.core.evals import preferences, run_execute, run_results, run_setup, run_store
from studio.core.evals.calls import RetryPolicy, RunProgress
from studio.core.llm.providers import ProviderConfig
from studio.core.progress import CancelToken

N = 24
FAST = RetryPolicy(base_delay_s=0.01, max_delay_s=0.02)


def _spec(provider: ProviderConfig, **kw: Any) -> run_setup.RunSpec:
    return run_setup.RunSpec(
        dataset="intents",
        variants=[run_setup.VariantSpec("intent@1"), run_setup.VariantSpec("intent@2")],
        provider=provider,
        scorer="label",
        **kw,
    )


def _expected(ab: Any, correct: dict[int, set[int]]) -> tuple[float, float]:
    return len(correct[1]) / N, len(correct[2]) / N


def test_run_end_to_end_then_cached_rerun_is_free_and_identical(ab) -> None:  # type: ignore[no-untyped-def]
    correct = correct_sets(N)
    responder = IntentResponder(ab.labels, correct)
    with loopback(responder=responder, latency=0.002) as server:
        project = open_project(ab.path)
        try:
            spec = _spec(provider_for(server))
            estimate = run_setup.estimate_run(project, spec)
            assert estimate.n_calls == 2 * N and estimate.n_cached == 0
            assert estimate.input_tokens > 0 and estimate.output_tokens_estimated > 0
            assert estimate.cost_usd is None  # loopback-small has no price
            run_id = run_setup.create_run(project, spec)
            outcome = run_execute.execute_run(project, run_id, key=None)
            assert outcome.completed and not outcome.cancelled and outcome.failed_reason is None
            assert (outcome.calls_made, outcome.cached, outcome.failed) == (2 * N, 0, 0)
            assert server.chat_requests == 2 * N
            summary = run_results.run_summary(project, run_id)
            a, b = summary.variants
            assert (a.score, b.score) == pytest.approx(_expected(ab, correct))
            assert a.tokens_in is not None and a.tokens_out == N  # one word per answer
            assert summary.status == "completed" and summary.n == N
            assert summary.comparison is not None and summary.comparison.n == N
            assert summary.regressions == sorted(
                ab.test_ids[i] for i in range(N) if i in correct[1] and i not in correct[2]
            )
            # the test split is now locked
            with other_connection(ab.path) as conn:
                locked = conn.execute("SELECT count(*) FROM example WHERE split_locked = TRUE")
                assert locked.fetchone()[0] == N
            # a second run of the same comparison comes entirely from the cache
            server.reset_counters()
            assert run_setup.estimate_run(project, spec).n_cached == 2 * N
            rerun = run_setup.create_run(project, spec)
            again = run_execute.execute_run(project, rerun, key=None)
            assert server.chat_requests == 0
            assert (again.calls_made, again.cached) == (0, 2 * N)
            first = summary.to_cli_json()
            second = run_results.run_summary(project, rerun).to_cli_json()
            assert second["calls"] == {"made": 0, "cached": 2 * N, "failed": 0}
            assert second["variants"] == first["variants"]
            assert second["comparison"] == first["comparison"]
            runs = run_store.list_runs(project)
            assert [r.id for r in runs] == [rerun, run_id]
            assert runs[0].variants == ["intent@1", "intent@2"] and runs[0].n_results == 2 * N
            both = run_results.compare_runs(project, [run_id, rerun])
            assert len(both.rows) == 4 and both.rows[0]["score"] == a.score
        finally:
            project.close()


def test_results_are_stored_as_they_arrive_and_a_cancelled_run_resumes(ab) -> None:  # type: ignore[no-untyped-def]
    responder = IntentResponder(ab.labels, correct_sets(N))
    with loopback(responder=responder, latency=0.03, record_bodies=True) as server:
        project = open_project(ab.path)
        try:
            run_id = run_setup.create_run(project, _spec(provider_for(server), concurrency=2))
            cancel = CancelToken()
            seen_in_db: list[tuple[int, int]] = []

            def progress(p: RunProgress) -> None:
                with other_connection(ab.path) as other:
                    stored = other.execute("SELECT count(*) FROM eval_result").fetchone()[0]
                seen_in_db.append((p.done, stored))
                if p.done >= 10:
                    cancel.cancel()

            first = run_execute.execute_run(
                project, run_id, key=None, progress=progress, cancel=cancel
            )
            assert first.cancelled and not first.completed
            assert run_store.list_runs(project)[0].status == "cancelled"
            # every result counted by the progress was already committed to the file
            assert any(0 < done < 2 * N for done, _ in seen_in_db)
            assert all(stored >= done for done, stored in seen_in_db)
            with other_connection(ab.path) as conn:
                stored_keys = {
                    (int(pos) + 1, ab.test_ids.index(int(e)))
                    for pos, e in conn.execute(
                        "SELECT v.position, r.example_id FROM eval_result r "
                        "JOIN eval_variant v ON v.id = r.variant_id"
                    )
                }
            n_stored = len(stored_keys)
            assert 10 <= n_stored < 2 * N
            # a call the cancel abandoned after sending it may reach the server only now
            # (late on a busy machine): let it land in phase one, not after the reset
            server.settle()
            # A call abandoned by the cancel while its body was being sent reaches the
            # server as an empty request (no messages): it was never asked, so it is left
            # out (counting it made this check depend on where the cancel landed).
            phase_one = [
                (variant_of(b), query_index(b)) for b in server.chat_bodies if b.get("messages")
            ]
            assert len(set(phase_one)) == len(phase_one)  # nothing asked twice
            server.reset_counters()
            second = run_execute.execute_run(project, run_id, key=None)
            assert second.completed
            # no completed call is repeated: phase two asks exactly the missing ones
            asked = [(variant_of(b), query_index(b)) for b in server.chat_bodies]
            assert len(asked) == len(set(asked)) == 2 * N - n_stored
            assert not set(asked) & stored_keys
            assert second.calls_made == 2 * N - n_stored
            summary = run_results.run_summary(project, run_id)
            assert summary.calls == {"made": 2 * N, "cached": 0, "failed": 0}
            assert run_store.list_runs(project)[0].status == "completed"
        finally:
            project.close()


def test_missing_usage_gives_unknown_tokens_and_cost(ab) -> None:  # type: ignore[no-untyped-def]
    responder = IntentResponder(ab.labels, correct_sets(N))
    with loopback(responder=responder, include_usage=False) as server:
        project = open_project(ab.path)
        try:
            run_id = run_setup.create_run(project, _spec(provider_for(server)))
            run_execute.execute_run(project, run_id, key=None)
            summary = run_results.run_summary(project, run_id)
        finally:
            project.close()
    for v in summary.variants:
        assert v.tokens_in is None and v.tokens_out is None and v.cost_usd is None
        assert v.score is not None
    with other_connection(ab.path) as conn:
        assert (
            conn.execute(
                "SELECT count(*) FROM eval_result WHERE tokens_in = 0 OR cost_usd = 0"
            ).fetchone()[0]
            == 0
        )


def test_errors_are_counted_apart_and_never_scored(ab) -> None:  # type: ignore[no-untyped-def]
    correct = correct_sets(N)
    responder = IntentResponder(ab.labels, correct)
    broken = {3, 4, 5}  # v2 always fails on these queries

    def faults(index: int, body: dict[str, Any]) -> str | None:
        return "500" if variant_of(body) == 2 and query_index(body) in broken else None

    with loopback(responder=responder, faults=faults) as server:
        project = open_project(ab.path)
        try:
            run_id = run_setup.create_run(project, _spec(provider_for(server)))
            outcome = run_execute.execute_run(project, run_id, key=None, retry=FAST)
            assert outcome.completed and outcome.failed == 3
            summary = run_results.run_summary(project, run_id)
            errors = run_results.case_rows(project, run_id, "errors")
        finally:
            project.close()
    b = summary.variants[1]
    assert b.errors == 3 and b.answered == N - 3
    want = sum(1 for i in correct[2] if i not in broken)
    assert b.correct == want and b.score == pytest.approx(want / (N - 3))
    assert summary.comparison is not None and summary.comparison.excluded == 3
    assert summary.calls["failed"] == 3
    assert sorted(r.example_id for r in errors) == sorted(ab.test_ids[i] for i in broken)
    assert all(r.errors["intent@2"] and r.passed["intent@2"] is None for r in errors)
    with other_connection(ab.path) as conn:
        scored_errors = conn.execute(
            "SELECT count(*) FROM eval_result WHERE error IS NOT NULL AND "
            "(passed IS NOT NULL OR score IS NOT NULL OR score_detail != '')"
        ).fetchone()[0]
    assert scored_errors == 0


def test_rescore_after_a_label_fix_changes_the_score_without_calls(ab) -> None:  # type: ignore[no-untyped-def]
    correct = correct_sets(N)
    responder = IntentResponder(ab.labels, correct)
    with loopback(responder=responder) as server:
        project = open_project(ab.path)
        try:
            run_id = run_setup.create_run(project, _spec(provider_for(server)))
            run_execute.execute_run(project, run_id, key=None)
            before = run_results.run_summary(project, run_id)
            # query 1 is wrong for both versions: say the label was wrong, and the
            # models' (shared) answer is right
            wrong_case = next(
                r
                for r in run_results.case_rows(project, run_id, "all")
                if r.example_id == ab.test_ids[1]
            )
            answer = wrong_case.outputs["intent@1"]
            assert answer is not None and wrong_case.passed["intent@1"] is False
            update_example(project, ab.test_ids[1], label=answer, ideal_output=answer)
            server.reset_counters()
            after = run_results.rescore_run(project, run_id)
            assert server.chat_requests == 0
        finally:
            project.close()
    assert after.variants[0].correct == before.variants[0].correct + 1
    assert after.variants[0].score == pytest.approx((len(correct[1]) + 1) / N)


def test_a_dead_server_fails_fast_with_a_sentence(ab) -> None:  # type: ignore[no-untyped-def]
    url = dead_base_url()
    project = open_project(ab.path)
    try:
        run_id = run_setup.create_run(project, _spec(provider_for(url)))
        outcome = run_execute.execute_run(project, run_id, key=None)
        assert outcome.elapsed_s < 5.0
        assert outcome.failed_reason is not None
        assert outcome.failed_reason.lower().startswith(f"server unreachable at {url}")
        assert run_store.list_runs(project)[0].status == "failed"
        assert run_results.run_summary(project, run_id).failed_reason == outcome.failed_reason
    finally:
        project.close()


def test_bad_input_is_refused_before_anything_is_stored(ab) -> None:  # type: ignore[no-untyped-def]
    project = open_project(ab.path)
    provider = ProviderConfig(name="x", base_url="http://127.0.0.1:9/v1", kind="compatible")
    try:
        with pytest.raises(NotFoundError):
            run_setup.create_run(
                project,
                _spec(provider).__class__(
                    dataset="nope", variants=_spec(provider).variants, provider=provider
                ),
            )
        with pytest.raises(NotFoundError):
            run_setup.create_run(
                project,
                run_setup.RunSpec(
                    dataset="intents",
                    provider=provider,
                    variants=[run_setup.VariantSpec("intent@1"), run_setup.VariantSpec("intent@9")],
                ),
            )
        with pytest.raises(ValidationError, match="at least two"):
            run_setup.create_run(
                project,
                run_setup.RunSpec(
                    dataset="intents",
                    provider=provider,
                    variants=[run_setup.VariantSpec("intent@1")],
                ),
            )
        with pytest.raises(ValidationError, match="Split"):
            run_setup.create_run(project, _spec(provider, split="dev"))
        with pytest.raises(ValidationError, match="scorer"):
            run_setup.create_run(
                project,
                run_setup.RunSpec(
                    dataset="intents",
                    provider=provider,
                    scorer="vibes",
                    variants=_spec(provider).variants,
                ),
            )
        with pytest.raises(UserError, match="validation split"):
            run_setup.create_run(project, _spec(provider, split="validation"))
        assert run_store.list_runs(project) == []
    finally:
        project.close()


def test_sentinel_key_never_reaches_any_file(ab, studio_home: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    responder = IntentResponder(ab.labels, correct_sets(N))
    with loopback(responder=responder, require_key=SENTINEL_KEY) as server:
        project = open_project(ab.path)
        try:
            run_id = run_setup.create_run(project, _spec(provider_for(server)))
            outcome = run_execute.execute_run(project, run_id, key=SENTINEL_KEY)
            assert outcome.completed and outcome.failed == 0  # the key was sent
            assert server.last_authorization == f"Bearer {SENTINEL_KEY}"
            summary = run_results.run_summary(project, run_id)
            # while the project is open: the -wal holds the latest pages
            assert files_containing(tmp_path, SENTINEL_KEY) == []
        finally:
            project.close()
    if isinstance(ab.path, str):  # on PostgreSQL: every table's content, copied to a file
        from studio.core.db.copy import copy_project

        copy_project(ab.path, tmp_path / "server-content.studio")
    assert files_containing(tmp_path, SENTINEL_KEY) == []
    assert files_containing(studio_home, SENTINEL_KEY) == []
    assert SENTINEL_KEY not in repr(summary.to_json())


def test_blind_review_preferences_and_dpo_export(ab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    responder = IntentResponder(ab.labels, correct_sets(N))
    with loopback(responder=responder) as server:
        project = open_project(ab.path)
        try:
            run_id = run_setup.create_run(project, _spec(provider_for(server)))
            run_execute.execute_run(project, run_id, key=None)
            sides = set()
            reviewed = 0
            while (pair := preferences.next_review_pair(project, run_id, rater="ann")) is not None:
                again = preferences.next_review_pair(project, run_id, rater="ann")
                assert again is not None and again.shown_left == pair.shown_left  # stable
                sides.add(pair.shown_left)
                left_is_a = pair.shown_left == "a"
                # the reviewer always picks the correct answer when there is one
                case = next(
                    r
                    for r in run_results.case_rows(project, run_id)
                    if r.example_id == pair.example_id
                )
                a_right = bool(case.passed["intent@1"])
                side = "left" if a_right == left_is_a else "right"
                assert pair.choice_for(side) == ("a" if a_right else "b")  # type: ignore[arg-type]
                preferences.record_review(project, pair, side)  # type: ignore[arg-type]
                reviewed += 1
            assert reviewed == len(run_results.run_summary(project, run_id).disagreements)
            assert sides == {"a", "b"}  # sides really are randomised
            prefs = preferences.list_preferences(project, run_id, "human")
            assert len(prefs) == reviewed and {p.shown_left for p in prefs} == {"a", "b"}
            summary = run_results.run_summary(project, run_id)
            human = summary.preferences[0]
            assert human.source == "human" and human.b_wins + human.a_wins == reviewed
            pairs = preferences.preference_examples(project, run_id)
            assert len(pairs) == reviewed
            assert all(p.chosen == ab.labels[ab.test_ids.index(p.example_id or 0)] for p in pairs)
            out = tmp_path / "dpo.jsonl"
            assert preferences.export_preferences(project, run_id, "openai-dpo", out) == reviewed
            import json

            first = json.loads(out.read_text().splitlines()[0])
            assert first["input"]["messages"][0]["content"].startswith("V1")
            # re-recording replaces the earlier choice
            p0 = prefs[0]
            preferences.record_preference(
                project, run_id, p0.example_id, "tie", rater="ann", shown_left=p0.shown_left
            )
            assert len(preferences.list_preferences(project, run_id, "human")) == reviewed
        finally:
            project.close()


def test_judge_scorer_records_judge_preferences(ab) -> None:  # type: ignore[no-untyped-def]
    from studio.core.prompts import service as prompts
    from studio.core.prompts.spec import Message, PromptSpec

    correct = correct_sets(N)
    labels = ab.labels

    def responder(body: dict[str, Any]) -> str:
        system = body["messages"][0]["content"]
        if system.startswith("JUDGE"):
            user = body["messages"][1]["content"]
            q = int(user.split("query ", 1)[1].split(":", 1)[0])
            a_text = user.split("A: ", 1)[1].split("\n", 1)[0]
            return "[[A]]" if a_text == labels[q] else "[[B]]"
        return IntentResponder(labels, correct)(body)

    project = open_project(ab.path)
    try:
        prompts.save_version(
            project,
            "judge",
            PromptSpec(
                messages=(
                    Message("system", "JUDGE which answer is right."),
                    Message("user", "{{input}}\nA: {{output_a}}\nB: {{output_b}}"),
                ),
                model="loopback-small",
                params={"temperature": 0},
            ),
        )
    finally:
        project.close()
    with loopback(responder=responder) as server:
        project = open_project(ab.path)
        try:
            spec = run_setup.RunSpec(
                dataset="intents",
                provider=provider_for(server),
                scorer="judge",
                scorer_config={"judge_prompt": "judge@1"},
                variants=[run_setup.VariantSpec("intent@1"), run_setup.VariantSpec("intent@2")],
            )
            run_id = run_setup.create_run(project, spec)
            outcome = run_execute.execute_run(project, run_id, key=None)
            assert outcome.completed
            summary = run_results.run_summary(project, run_id)
        finally:
            project.close()
    judge = summary.preferences[0]
    b_only = sum(1 for i in range(N) if i in correct[2] and i not in correct[1])
    a_only = sum(1 for i in range(N) if i in correct[1] and i not in correct[2])
    assert (judge.b_wins, judge.a_wins) == (b_only, a_only)
    assert summary.comparison is not None and "sign test" in summary.comparison.test


def test_demo_run(tmp_path: Path) -> None:
    pytest.importorskip("studio.core.demo.dataset")
    from studio.core.db.project import new_project
    from studio.core.demo.dataset import add_demo_dataset
    from studio.core.demo.prompts import add_demo_prompts
    from studio.core.demo.run import DEMO_NOTE, add_demo_run

    project = new_project(tmp_path / "demo.studio")
    try:
        add_demo_prompts(project)
        add_demo_dataset(project)
        run_id = add_demo_run(project)
        summary = run_results.run_summary(project, run_id)
    finally:
        project.close()
    # (how long the demo run takes is measured in benchmarks/, not asserted here)
    assert summary.status == "completed" and summary.recorded_note == DEMO_NOTE
    v2, v4 = summary.variants
    assert (v2.prompt, v4.prompt) == ("banking-intent@2", "banking-intent@4")
    assert v2.score == pytest.approx(0.74, abs=0.03) and v4.score == pytest.approx(0.88, abs=0.03)
    assert v4.cost_usd is not None and v4.tokens_in is not None and v2.errors == 0
    assert summary.comparison is not None and summary.comparison.verdict.startswith(
        "banking-intent@4 beats banking-intent@2"
    )
    assert v4.confusion is not None and v4.latency_p50_ms is not None


def test_runs_are_listed_newest_first_and_deletable(ab) -> None:  # type: ignore[no-untyped-def]
    project = open_project(ab.path)
    provider = ProviderConfig(name="x", base_url="http://127.0.0.1:9/v1", kind="compatible")
    try:
        first = run_setup.create_run(project, _spec(provider))
        second = run_setup.create_run(project, _spec(provider))
        assert [r.id for r in run_store.list_runs(project, "intents")] == [second, first]
        run_store.delete_run(project, first)
        assert [r.id for r in run_store.list_runs(project)] == [second]
        with pytest.raises(NotFoundError):
            run_results.run_summary(project, first)
    finally:
        project.close()


def test_execute_from_a_worker_thread(ab) -> None:  # type: ignore[no-untyped-def]
    responder = IntentResponder(ab.labels, correct_sets(N))
    with loopback(responder=responder) as server:
        project = open_project(ab.path)
        try:
            run_id = run_setup.create_run(project, _spec(provider_for(server)))
            box: dict[str, Any] = {}
            worker = threading.Thread(
                target=lambda: box.update(out=run_execute.execute_run(project, run_id, key=None))
            )
            worker.start()
            worker.join(30)
            assert box["out"].completed
        finally:
            project.close()
