"""The A/B runner against the loopback server with the real openai SDK."""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import SENTINEL_KEY, Fault, chat_items, dead_base_url, loopback, provider_for

from studio.core.errors import UserError
from studio.core.evals.cache import MemoryCache, SqliteCache
from studio.core.evals.calls import CallResult, MemorySink, RetryPolicy, RunProgress, WorkItem
from studio.core.evals.limiter import AdaptiveLimiter
from studio.core.evals.limits import RunLimits, RunStoppedError
from studio.core.evals.runner import run_items_blocking
from studio.core.llm.errors import ServerUnreachableError
from studio.core.progress import CancelToken

FAST = RetryPolicy(base_delay_s=0.01, max_delay_s=0.05)


def _price(model: str, tokens_in: int, tokens_out: int) -> float | None:
    return (tokens_in * 2 + tokens_out * 8) / 1e6 if model == "loopback-small" else None


def test_results_arrive_with_outputs_usage_and_cost() -> None:
    items = chat_items(10)
    with loopback(latency=0.01) as server:
        sink = MemorySink()
        summary = run_items_blocking(
            items, provider=provider_for(server), api_key=None, sink=sink, price_fn=_price
        )
    assert summary.completed == summary.succeeded == 20 and summary.errors == 0
    assert server.chat_requests == 20 and summary.http_requests == 20
    by_key = sink.by_key()
    result = by_key[("B", 7)]
    assert result.output == "echo: B question 7"
    assert result.tokens_in == 10 and result.tokens_out == 4  # word counts from the server
    assert result.cost_usd == pytest.approx((10 * 2 + 4 * 8) / 1e6)
    assert result.attempts == 1 and not result.cached and result.finish_reason == "stop"
    assert result.latency_ms is not None and result.latency_ms >= 10
    assert re.fullmatch(r"[0-9a-f]{64}", result.request_hash)
    assert len({r.request_hash for r in sink.results}) == 20


def test_sampling_params_reach_the_server_verbatim() -> None:
    item = WorkItem(
        "A",
        1,
        [{"role": "user", "content": "hi"}],
        "loopback-small",
        params={"temperature": 0.3, "seed": 7, "top_k": 5},
        response_format={"type": "json_object"},
    )
    with loopback(record_bodies=True) as server:
        run_items_blocking([item], provider=provider_for(server), api_key=None, sink=MemorySink())
    body = server.chat_bodies[0]
    assert body["temperature"] == 0.3 and body["seed"] == 7 and body["top_k"] == 5
    assert body["response_format"] == {"type": "json_object"}
    assert body["model"] == "loopback-small"


@pytest.mark.parametrize("n", [4, 16])
def test_keeps_exactly_n_requests_in_flight(n: int) -> None:
    items = chat_items(4 * n, variants=("A",))
    with loopback(latency=0.1) as server:
        summary = run_items_blocking(
            items, provider=provider_for(server), api_key=None, sink=MemorySink(), concurrency=n
        )
    assert server.max_in_flight == n
    assert summary.max_in_flight == n


def test_429_with_retry_after_is_honoured_then_succeeds() -> None:
    faults = [Fault("429", retry_after=0.4), Fault("429", retry_after=0.4)]
    with loopback(faults=faults) as server:
        sink = MemorySink()
        start = time.monotonic()
        summary = run_items_blocking(
            chat_items(1, variants=("A",)),
            provider=provider_for(server),
            api_key=None,
            sink=sink,
            retry=FAST,
        )
        elapsed = time.monotonic() - start
    assert sink.results[0].ok and sink.results[0].attempts == 3
    assert server.chat_requests == 3 and summary.retries == 2
    assert elapsed >= 0.8  # two waits of Retry-After 0.4 s (our base back-off is 0.01 s)


def test_retry_after_longer_than_120_s_gives_up_at_once() -> None:
    with loopback(faults=lambda i, body: Fault("429", retry_after=500)) as server:
        sink = MemorySink()
        run_items_blocking(
            chat_items(1, variants=("A",)), provider=provider_for(server), api_key=None, sink=sink
        )
    assert server.chat_requests == 1
    result = sink.results[0]
    assert result.error_kind == "rate_limit" and "500 s" in (result.error or "")


def test_adaptive_concurrency_halves_on_429_and_recovers() -> None:
    seen_in_flight: list[tuple[int, int]] = []
    # The first 8 requests are held until all 8 have arrived, then all refused: so they
    # were all sent before any 429 came back (one window). Refusing "the first 8 to
    # arrive" without the barrier made this timing-dependent: on a loaded machine a
    # retry sent after the first cut could arrive among them and cut again, to 2.
    first_wave = threading.Barrier(8, timeout=30)

    def faults(index: int, body: dict[str, Any]) -> Fault | None:
        if index >= 8:
            return None
        first_wave.wait()
        return Fault("429", retry_after_ms=50)

    with loopback(latency=0.05, faults=faults) as server:

        def responder(body: dict[str, Any]) -> str:
            with server.lock:
                seen_in_flight.append((server.chat_requests, server.in_flight))
            return "ok"

        server.responder = responder
        summary = run_items_blocking(
            chat_items(60, variants=("A",)),
            provider=provider_for(server),
            api_key=None,
            sink=MemorySink(),
            concurrency=8,
            retry=FAST,
        )
    assert summary.succeeded == 60
    # The first wave of 8 was all refused; those 429s came from one window: one cut, to 4.
    assert summary.min_concurrency == 4
    # The first 5 successes happen before any recovery step: at most 4 in flight.
    early = [inflight for _, inflight in seen_in_flight[:5]]
    assert len(early) == 5 and max(early) <= 4
    assert summary.final_concurrency == 8  # recovered stepwise: 4 -> 6 -> 8


def test_limiter_follows_promptfoos_recovery_steps() -> None:
    limiter = AdaptiveLimiter(10)
    for _ in range(4):
        limiter.on_rate_limited(limiter.epoch)
    assert limiter.limit == 1 and limiter.min_limit == 1
    limiter.on_rate_limited(limiter.epoch - 1)  # a stale 429 does not cut again
    assert limiter.limit == 1
    steps = []
    for _ in range(25):
        limiter.on_success()
        steps.append(limiter.limit)
    assert steps[4::5] == [2, 3, 5, 8, 10]  # 25 successes from 1 back to 10


def test_always_500_makes_exactly_three_requests_per_call() -> None:
    with loopback(faults=lambda i, body: "500") as server:
        sink = MemorySink()
        summary = run_items_blocking(
            chat_items(3, variants=("A",)),
            provider=provider_for(server),
            api_key=None,
            sink=sink,
            retry=FAST,
        )
    assert server.chat_requests == 9
    assert summary.errors == 3 and summary.succeeded == 0
    for result in sink.results:
        assert result.error_kind == "server" and result.attempts == 3
        assert result.output is None and "500" in (result.error or "")
        assert "3 attempts" in (result.error or "")


@pytest.mark.parametrize(
    ("server_kwargs", "kind"),
    [
        ({"known_models_only": True}, "not_found"),
        ({"require_key": "sk-the-right-key-000000000000"}, "auth"),
    ],
)
def test_client_errors_are_never_retried(server_kwargs: dict[str, Any], kind: str) -> None:
    with loopback(**server_kwargs) as server:
        sink = MemorySink()
        run_items_blocking(
            chat_items(2, variants=("A",), model="no-such-model"),
            provider=provider_for(server),
            api_key="sk-wrong-key-0000000000000000",
            sink=sink,
        )
    assert server.chat_requests == 2
    assert {r.error_kind for r in sink.results} == {kind}
    if kind == "not_found":
        assert "no-such-model" in (sink.results[0].error or "")


def test_a_stall_beyond_the_read_timeout_is_retried() -> None:
    with loopback(faults=[Fault("stall", stall_s=30)]) as server:
        sink = MemorySink()
        start = time.monotonic()
        run_items_blocking(
            chat_items(1, variants=("A",)),
            provider=provider_for(server),
            api_key=None,
            sink=sink,
            retry=FAST,
            limits=RunLimits(request_timeout_s=0.3, stall_s=5),  # the retry is what's tested
        )
        elapsed = time.monotonic() - start
    # attempt 1 timed out after 0.3 s (it did not wait for the 30 s stall), attempt 2 answered
    assert sink.results[0].ok and sink.results[0].attempts == 2
    assert 0.3 <= elapsed < 10.0


def test_a_server_that_always_stalls_gives_a_timeout_error() -> None:
    # the stop rule set far away: each call times out and is retried on its own
    with loopback(faults=lambda i, body: Fault("stall", stall_s=30)) as server:
        sink = MemorySink()
        start = time.monotonic()
        run_items_blocking(
            chat_items(1, variants=("A",)),
            provider=provider_for(server),
            api_key=None,
            sink=sink,
            retry=FAST,
            limits=RunLimits(request_timeout_s=0.2, stall_s=60),
        )
        elapsed = time.monotonic() - start
    result = sink.results[0]
    assert result.error_kind == "timeout" and result.attempts == 3
    assert "did not answer in time" in (result.error or "")
    assert elapsed < 10.0  # 3 x 0.2 s plus back-off, not 3 x the 30 s stall


@pytest.mark.parametrize("concurrency", [1, 8])
def test_a_silent_server_stops_the_run_by_the_stop_rule(concurrency: int) -> None:
    with loopback(faults=lambda i, body: Fault("stall", stall_s=30)) as server:
        port = server.port
        sink = MemorySink()
        start = time.monotonic()
        with pytest.raises(RunStoppedError) as info:
            run_items_blocking(
                chat_items(10, variants=("A",)),
                provider=provider_for(server),
                api_key=None,
                sink=sink,
                retry=FAST,
                concurrency=concurrency,
                read_timeout_s=0.4,
            )
        elapsed = time.monotonic() - start
    # silence of 1.25 x 0.4 = 0.5 s with calls in flight stops it, whatever the concurrency
    assert info.value.kind == "stalled"
    assert f"127.0.0.1:{port}" in info.value.message
    assert "sent no answer for" in info.value.message and "10 calls" in info.value.message
    assert 0.5 <= elapsed < 3.0, elapsed
    assert sink.results == []  # unanswered calls are not stored: they stay pending


def test_a_slow_server_that_answers_is_not_stopped() -> None:
    # every answer takes 0.3 s and the stop rule fires after 1.25 s of silence (1.25 x the
    # 1 s timeout): the silent clock restarts at each answer, so 8 calls one at a time
    # (2.4 s in all, twice the stop limit) all complete. The timeout leaves room for a
    # loaded machine; a server that answers must never be stopped.
    with loopback(latency=0.3) as server:
        sink = MemorySink()
        summary = run_items_blocking(
            chat_items(8, variants=("A",)),
            provider=provider_for(server),
            api_key=None,
            sink=sink,
            retry=FAST,
            concurrency=1,
            read_timeout_s=1.0,
        )
    assert summary.succeeded == 8 and server.chat_requests == 8


def test_the_deadline_stops_the_run() -> None:
    with loopback(latency=0.2) as server:
        sink = MemorySink()
        with pytest.raises(RunStoppedError) as info:
            run_items_blocking(
                chat_items(20, variants=("A",)),
                provider=provider_for(server),
                api_key=None,
                sink=sink,
                retry=FAST,
                concurrency=1,
                limits=RunLimits(request_timeout_s=5, deadline_s=0.7),
            )
    assert info.value.kind == "deadline" and "deadline of 0.7 s" in info.value.message
    assert 1 <= len(sink.results) <= 4 and all(r.ok for r in sink.results)


@pytest.mark.parametrize("kind", ["garbage", "drop"])
def test_garbage_and_dropped_connections_are_retried(kind: str) -> None:
    with loopback(faults=[kind, kind]) as server:
        sink = MemorySink()
        summary = run_items_blocking(
            chat_items(3, variants=("A",)),
            provider=provider_for(server),
            api_key=None,
            sink=sink,
            retry=FAST,
            concurrency=1,
        )
    assert summary.succeeded == 3 and summary.errors == 0
    assert server.chat_requests == 5
    assert sum(r.attempts for r in sink.results) == 5


@pytest.mark.parametrize(
    ("kind", "error_kind"), [("garbage", "bad_response"), ("drop", "connection")]
)
def test_persistent_garbage_or_drops_become_errors_not_an_abort(kind: str, error_kind: str) -> None:
    with loopback(faults=lambda i, body: kind) as server:
        sink = MemorySink()
        summary = run_items_blocking(
            chat_items(4, variants=("A",)),
            provider=provider_for(server),
            api_key=None,
            sink=sink,
            retry=FAST,
        )
    assert summary.errors == 4
    assert {r.error_kind for r in sink.results} == {error_kind}
    assert server.chat_requests == 12


@pytest.mark.parametrize("n_items", [1, 40])
def test_a_dead_server_is_reported_within_5_seconds(n_items: int) -> None:
    url = dead_base_url()
    sink = MemorySink()
    start = time.monotonic()
    with pytest.raises(ServerUnreachableError) as info:
        run_items_blocking(
            chat_items(n_items, variants=("A",)),
            provider=provider_for(url),
            api_key=None,
            sink=sink,  # default retry policy: the real back-off
        )
    assert time.monotonic() - start <= 5.0
    assert f"Server unreachable at {url}" in str(info.value)
    assert sink.results == []  # nothing saved: a resume will send them all


def test_cancel_takes_effect_within_one_second() -> None:
    token = CancelToken()
    with loopback(latency=10) as server:
        sink = MemorySink()
        timer = threading.Timer(0.3, token.cancel)
        timer.start()
        start = time.monotonic()
        summary = run_items_blocking(
            chat_items(20),
            provider=provider_for(server),
            api_key=None,
            sink=sink,
            cancel=token,
            concurrency=8,
        )
        elapsed = time.monotonic() - start
        timer.join()
    assert summary.cancelled
    assert elapsed < 0.3 + 1.0
    assert sink.results == [] and summary.completed == 0
    assert server.max_in_flight == 8


class _CancellingSink(MemorySink):
    def __init__(self, token: CancelToken, after: int) -> None:
        super().__init__()
        self.token, self.after = token, after

    def save(self, result: CallResult) -> None:
        super().save(result)
        if len(self.results) >= self.after:
            self.token.cancel()


def test_resume_does_not_repeat_completed_calls() -> None:
    items = chat_items(30, variants=("A",))
    token = CancelToken()
    with loopback(latency=0.03, record_bodies=True) as server:
        sink = _CancellingSink(token, after=10)
        first = run_items_blocking(
            items,
            provider=provider_for(server),
            api_key=None,
            sink=sink,
            cancel=token,
            concurrency=4,
        )
        assert first.cancelled and 10 <= first.completed < 30
        done_first = {r.example_id for r in sink.results}
        server.settle()  # a call the cancel abandoned may be read late: not after the reset
        server.reset_counters()
        server.record_bodies = True
        resumed = MemorySink(done={("A", i) for i in done_first})
        second = run_items_blocking(
            items, provider=provider_for(server), api_key=None, sink=resumed, concurrency=4
        )
    # A call the cancel abandoned while its body was being sent reaches the server as an
    # empty request, possibly only after reset_counters(): it was never asked, skip it.
    bodies = [b for b in server.chat_bodies if b.get("messages")]
    asked = {int(b["messages"][-1]["content"].split()[-1]) for b in bodies}
    assert asked.isdisjoint(done_first)
    assert asked | done_first == set(range(30))
    assert second.skipped == len(done_first) and second.completed == 30 - len(done_first)
    assert len(bodies) == 30 - len(done_first)


def test_a_fully_cached_rerun_sends_nothing_and_builds_no_client(tmp_path: Path) -> None:
    items = chat_items(50)
    cache_path = tmp_path / "cache" / "responses.sqlite"
    with loopback(latency=0.01) as server:
        provider = provider_for(server)
        with SqliteCache(cache_path) as cache:
            first = MemorySink()
            run_items_blocking(items, provider=provider, api_key=None, sink=first, cache=cache)
        assert server.chat_requests == 100
        server.reset_counters()

        def no_client() -> Any:
            raise AssertionError("a client was built for a fully cached run")

        with SqliteCache(cache_path) as cache:
            second = MemorySink()
            summary = run_items_blocking(
                items,
                provider=provider,
                api_key=None,
                sink=second,
                cache=cache,
                client_factory=no_client,
            )
    assert server.requests_total == 0
    # speed is measured in benchmarks/bench_ab.py; here: nothing went to the network
    assert summary.cached == 100 and summary.http_requests == 0
    before, after = first.by_key(), second.by_key()
    for key, result in after.items():
        assert result.cached and result.attempts == 0
        assert result.output == before[key].output
        assert result.tokens_in == before[key].tokens_in
        assert result.latency_ms == pytest.approx(before[key].latency_ms)
        assert result.request_hash == before[key].request_hash


def test_cache_key_changes_with_params_and_repeat_but_not_the_key() -> None:
    cache = MemoryCache()
    base = chat_items(1, variants=("A",))[0]
    with loopback() as server:
        provider = provider_for(server)
        run_items_blocking(
            [base],
            provider=provider,
            api_key="sk-one-000000000000000000",
            sink=MemorySink(),
            cache=cache,
        )
        server.reset_counters()
        # A different key: still a hit.
        run_items_blocking(
            [base],
            provider=provider,
            api_key="sk-two-000000000000000000",
            sink=MemorySink(),
            cache=cache,
        )
        assert server.chat_requests == 0
        hotter = dataclasses.replace(base, params={"temperature": 0.7})
        again = dataclasses.replace(base, repeat=1)
        run_items_blocking(
            [hotter, again], provider=provider, api_key=None, sink=MemorySink(), cache=cache
        )
        assert server.chat_requests == 2
    assert len(cache) == 3


def test_errors_are_not_cached() -> None:
    cache = MemoryCache()
    with loopback(faults=lambda i, body: "500") as server:
        run_items_blocking(
            chat_items(2, variants=("A",)),
            provider=provider_for(server),
            api_key=None,
            sink=MemorySink(),
            cache=cache,
            retry=FAST,
        )
    assert len(cache) == 0


def test_missing_usage_means_unknown_tokens_and_cost_not_zero() -> None:
    with loopback(include_usage=False) as server:
        sink = MemorySink()
        run_items_blocking(
            chat_items(3, variants=("A",)),
            provider=provider_for(server),
            api_key=None,
            sink=sink,
            price_fn=_price,
        )
    for result in sink.results:
        assert result.ok
        assert result.tokens_in is None and result.tokens_out is None and result.cost_usd is None


def test_key_is_sent_but_never_stored(tmp_path: Path) -> None:
    cache_path = tmp_path / "cache.sqlite"
    with loopback(require_key=SENTINEL_KEY) as server:
        provider = provider_for(server, kind="openai", name="openai-test")
        sink = MemorySink()
        with SqliteCache(cache_path) as cache:
            run_items_blocking(
                chat_items(5), provider=provider, api_key=SENTINEL_KEY, sink=sink, cache=cache
            )
            assert server.last_authorization == f"Bearer {SENTINEL_KEY}"
            # Read the files while the connection is open: the WAL holds the rows.
            on_disk = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
            assert b"echo: A question 1" in on_disk or len(cache) == 10
    assert all(r.ok for r in sink.results)
    assert SENTINEL_KEY.encode() not in on_disk
    dumped = json.dumps([dataclasses.asdict(r) for r in sink.results])
    assert SENTINEL_KEY not in dumped and SENTINEL_KEY not in repr(sink.results)
    assert "SENTINEL" not in "".join(r.request_hash for r in sink.results)


def test_an_auth_error_message_does_not_echo_the_key() -> None:
    with loopback(require_key="sk-another-key-0000000000000000") as server:
        sink = MemorySink()
        run_items_blocking(
            chat_items(1, variants=("A",)),
            provider=provider_for(server, kind="openai"),
            api_key=SENTINEL_KEY,
            sink=sink,
        )
    assert sink.results[0].error_kind == "auth"
    assert SENTINEL_KEY not in (sink.results[0].error or "")


def test_progress_is_throttled_and_ends_complete() -> None:
    updates: list[RunProgress] = []
    with loopback(latency=0.01) as server:
        summary = run_items_blocking(
            chat_items(40),
            provider=provider_for(server),
            api_key=None,
            sink=MemorySink(),
            progress=updates.append,
            progress_interval_s=0.05,
            concurrency=4,
        )
    assert updates[-1].done == updates[-1].total == 80 and updates[-1].errors == 0
    assert len(updates) <= summary.elapsed_s / 0.05 + 3
    assert [u.done for u in updates] == sorted(u.done for u in updates)
    assert updates[-1].to_progress().fraction == 1.0


def test_runs_in_a_worker_threads_own_event_loop() -> None:
    out: dict[str, Any] = {}
    with loopback() as server:

        def work() -> None:
            out["summary"] = run_items_blocking(
                chat_items(5), provider=provider_for(server), api_key=None, sink=MemorySink()
            )

        worker = threading.Thread(target=work)
        worker.start()
        worker.join(timeout=20)
    assert out["summary"].succeeded == 10


def test_tool_calls_are_returned_with_string_arguments() -> None:
    def responder(body: dict[str, Any]) -> dict[str, Any]:
        return {
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "lookup", "arguments": {"city": "Oslo"}},
                }
            ]
        }

    with loopback(responder=responder) as server:
        sink = MemorySink()
        run_items_blocking(
            [
                WorkItem(
                    "A",
                    1,
                    [{"role": "user", "content": "weather?"}],
                    "m",
                    tools=[{"type": "function", "function": {"name": "lookup", "parameters": {}}}],
                )
            ],
            provider=provider_for(server),
            api_key=None,
            sink=sink,
        )
    result = sink.results[0]
    assert result.output is None and result.finish_reason == "tool_calls"
    assert result.tool_calls is not None
    assert json.loads(result.tool_calls[0]["function"]["arguments"]) == {"city": "Oslo"}


def test_bad_arguments_are_user_errors() -> None:
    with pytest.raises(UserError, match="between 1 and 64"):
        run_items_blocking(
            [],
            provider=provider_for("http://127.0.0.1:9/v1"),
            api_key=None,
            sink=MemorySink(),
            concurrency=65,
        )
    bad = WorkItem("A", 1, [{"role": "user", "content": "x"}], "m", params={"model": "other"})
    with pytest.raises(UserError, match="must not set model"):
        run_items_blocking(
            [bad], provider=provider_for("http://127.0.0.1:9/v1"), api_key=None, sink=MemorySink()
        )


def test_azure_provider_routes_to_the_deployment() -> None:
    with loopback(record_bodies=True) as server:
        sink = MemorySink()
        run_items_blocking(
            chat_items(1, variants=("A",), model="my-deployment"),
            provider=provider_for(server, kind="azure"),
            api_key=SENTINEL_KEY,
            sink=sink,
        )
    assert sink.results[0].ok
    assert "POST /openai/deployments/my-deployment/chat/completions" in server.path_counts
    assert server.last_api_key_header == SENTINEL_KEY


class _BrokenSink(MemorySink):
    def save(self, result: CallResult) -> None:
        if len(self.results) == 3:
            raise OSError("disk full")
        super().save(result)


def test_a_sink_that_cannot_save_stops_the_run_with_its_error() -> None:
    with loopback(latency=0.05) as server:
        sink = _BrokenSink()
        with pytest.raises(OSError, match="disk full"):
            run_items_blocking(
                chat_items(50),
                provider=provider_for(server),
                api_key=None,
                sink=sink,
                concurrency=4,
            )
        # the calls in flight when the run failed were sent before it: let a late one land
        # (a busy machine reads it late) so that only sending after the failure is caught
        server.settle()
        sent = server.chat_requests
        time.sleep(0.2)
        assert server.chat_requests == sent < 20  # nothing keeps sending after the failure
    assert len(sink.results) == 3
