"""The A/B runner: send prepared chat requests to a model, fast, safely, resumably.

The caller builds :class:`WorkItem` s (one per variant x example x repeat); the runner
sends them with bounded, adaptive concurrency and hands every :class:`CallResult` to a
:class:`ResultSink` as it arrives, so a crash or a cancel loses at most the calls in
flight and a resume skips what the sink already holds.

Design decisions (docs/engineering-facts.md "Bars we should set" 3, 4, 8-13):

* **Exactly N in flight.** A feeder takes a slot from :class:`.limiter.AdaptiveLimiter` before it
  starts each call; a call gives its slot back as soon as its HTTP exchange ends (also
  before a retry back-off, so back-off sleeps don't starve the pipe).
* **Adaptive concurrency** (promptfoo's scheme): halve on a 429 (floor 1), +50 % after 5
  consecutive successes, never above the initial value. A burst of 429s from requests that
  were all sent before the last cut counts once (one cut per "window", like TCP), else 16
  simultaneous 429s would collapse N to 1.
* **One retry layer.** The SDK client is built with ``max_retries=0``; we retry connection
  errors, timeouts, 408/409/429/5xx and unparseable bodies, never 400/401/403/404/422, at
  most 3 attempts, honouring ``Retry-After``/``retry-after-ms`` up to 120 s (more = give up
  now and say so), else exponential back-off with jitter.
* **Fail fast.** 3 consecutive failures to even connect (no HTTP answer in between) abort
  the run with "Server unreachable at URL" (promptfoo takes 84 s for 4 calls).
* **Stop when the server falls silent** (:mod:`.limits`): per-request timeout 60 s by
  default, an optional run deadline, and a stop rule: requests in flight with no answer
  at all for 1.25 x the timeout (75 s) stop the run with a sentence naming the server; unanswered
  calls are not saved (they stay pending for a resume).
* **Stop when every call is refused alike.** 8 answers of 401/403 before any success (the
  key is wrong), or 8 answers of 404 for one model before any success for it (the model
  does not exist there), abort the run with the server's sentence instead of spending the
  whole test split on the same error.
* **Cheap cache hits.** Cached items never take a slot, and the openai client (0.9 s to
  import) is built only when the first cache miss needs it.
* We post the raw body with ``client.post(..., cast_to=bytes)`` and parse with orjson
  (:mod:`.completion`):
  unknown server-specific params pass through untouched and we skip pydantic's parse
  (~3.75 ms CPU per call in the SDK) since we need the JSON dict for the cache anyway.
* Missing ``usage`` means tokens and cost are None (unknown), never 0.

The runner's inputs and outputs (:class:`~.calls.WorkItem`, :class:`~.calls.CallResult`,
sinks, retry policy, progress) live in :mod:`.calls`.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import orjson

from studio.core.errors import UserError
from studio.core.evals.cache import CacheStore, request_hash
from studio.core.evals.calls import (
    CallResult,
    PriceFn,
    ResultSink,
    RetryPolicy,
    RunProgress,
    RunSummary,
    WorkItem,
)
from studio.core.evals.completion import BadResponse, int_or_none, parse_completion
from studio.core.evals.limiter import AdaptiveLimiter
from studio.core.evals.limits import (
    RunLimits,
    RunStoppedError,
    deadline_message,
    stalled_message,
)
from studio.core.llm.client import (
    DEFAULT_CONNECT_TIMEOUT_S,
    make_async_client,
)
from studio.core.llm.errors import (
    MappedError,
    ProviderRefusedError,
    ServerUnreachableError,
    map_exception,
    unreachable_message,
)
from studio.core.llm.providers import ProviderConfig
from studio.core.progress import CancelToken

if TYPE_CHECKING:
    from openai import AsyncOpenAI

DEFAULT_CONCURRENCY = 8
MIN_CONCURRENCY = 1
MAX_CONCURRENCY = 64
REFUSALS_BEFORE_ABORT = 8  # refusals alike (401/403, or 404 for one model) that stop a run
CLAIM_POLL_S = 0.25  # how often a worker with nothing to claim looks again (run_claims)

# ``claimer(n) -> (keys, more, settled)``: claim up to n cases before sending them; ``more``
# says cases remain unsettled with live workers; ``settled``: cases done by every worker
# (studio.core.evals.run_claims.RunClaims.claim)
ClaimFn = Callable[[int], tuple[list[tuple[str, int]], bool, int]]


# --------------------------------------------------------------------------- runner
class _Halt(Exception):
    pass


class _Run:
    def __init__(
        self,
        *,
        provider: ProviderConfig,
        api_key: str | None,
        sink: ResultSink,
        cache: CacheStore | None,
        concurrency: int,
        retry: RetryPolicy,
        price_fn: PriceFn | None,
        progress: Callable[[RunProgress], None] | None,
        cancel: CancelToken | None,
        read_timeout_s: float,
        connect_timeout_s: float,
        cache_read: bool,
        cache_write: bool,
        progress_interval_s: float,
        unreachable_after: int,
        client_factory: Callable[[], AsyncOpenAI] | None,
        limits: RunLimits,
        claimer: ClaimFn | None = None,
    ) -> None:
        self.provider = provider
        self.claimer = claimer
        self.api_key = api_key
        self.sink = sink
        self.cache = cache
        self.retry = retry
        self.price_fn = price_fn
        self.progress = progress
        self.cancel = cancel
        self.read_timeout_s = read_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.cache_read = cache_read
        self.cache_write = cache_write
        self.progress_interval_s = progress_interval_s
        self.unreachable_after = unreachable_after
        self.client_factory = client_factory
        self.limits = limits
        self.http_in_flight = 0  # HTTP exchanges waiting for the server right now
        self.silent_s = 0.0  # seconds with requests in flight and no answer (stop rule)
        self.abort_kind: str | None = None  # "stalled" / "deadline" (RunStoppedError)
        self.limiter = AdaptiveLimiter(concurrency)
        self.rng = random.Random()
        self.client: AsyncOpenAI | None = None
        self.cache_extra = provider.api_version or ""

        self.total = 0
        self.done = 0
        self.done_elsewhere = 0  # cases other workers of the run settled (progress only)
        self.succeeded = 0
        self.errors = 0
        self.cached = 0
        self.http_requests = 0
        self.retries = 0
        self.connect_failures = 0
        self.refused: dict[str, int] = {}  # "auth" or "model:<name>" -> refusals seen
        self.succeeded_models: set[str] = set()
        self.abort_class: type[ServerUnreachableError] = ServerUnreachableError
        self.abort_message: str | None = None
        self.failure: BaseException | None = None
        self.cancelled = False
        self.tasks: set[asyncio.Task[None]] = set()
        self.main_task: asyncio.Task[None] | None = None
        self._last_progress = 0.0

    # -- helpers -----------------------------------------------------------------------
    def _get_client(self) -> AsyncOpenAI:
        if self.client is None:
            if self.client_factory is not None:
                self.client = self.client_factory()
            else:
                self.client = make_async_client(
                    self.provider,
                    self.api_key,
                    read_timeout_s=self.read_timeout_s,
                    connect_timeout_s=self.connect_timeout_s,
                )
        return self.client

    def _emit(self, force: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if not force and now - self._last_progress < self.progress_interval_s:
            return
        self._last_progress = now
        self.progress(
            RunProgress(
                done=min(self.total, self.done + self.done_elsewhere),
                total=self.total,
                errors=self.errors,
                cached=self.cached,
                in_flight=self.limiter.in_use,
                concurrency=self.limiter.limit,
            )
        )

    def _record(self, result: CallResult) -> None:
        self.sink.save(result)
        self.done += 1
        if result.error is None:
            self.succeeded += 1
        else:
            self.errors += 1
        if result.cached:
            self.cached += 1
        self._emit()

    def _halt(self) -> None:
        """Stop everything: the feeder and every call in flight."""
        if self.main_task is not None and not self.main_task.done():
            self.main_task.cancel()
        for task in list(self.tasks):
            task.cancel()

    def _cost(self, model: str, tokens_in: int | None, tokens_out: int | None) -> float | None:
        if self.price_fn is None or tokens_in is None or tokens_out is None:
            return None
        return self.price_fn(model, tokens_in, tokens_out)

    def _result_from_response(
        self,
        item: WorkItem,
        digest: str,
        data: dict[str, Any],
        latency_ms: float | None,
        *,
        cached: bool,
        attempts: int,
    ) -> CallResult:
        output, tool_calls, finish = parse_completion(data)
        usage = data.get("usage")
        tokens_in = tokens_out = None
        if isinstance(usage, dict):
            tokens_in = int_or_none(usage.get("prompt_tokens"))
            tokens_out = int_or_none(usage.get("completion_tokens"))
        return CallResult(
            variant_key=item.variant_key,
            example_id=item.example_id,
            output=output,
            tool_calls=tool_calls,
            error=None,
            error_kind=None,
            latency_ms=latency_ms,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=self._cost(item.model, tokens_in, tokens_out),
            cached=cached,
            attempts=attempts,
            request_hash=digest,
            finish_reason=finish,
            response_id=str(data.get("id") or "")[:200],
        )

    # -- the work ------------------------------------------------------------------------
    def _heard(self) -> None:
        """The server answered (any HTTP status): it is alive, restart the silent clock."""
        self.silent_s = 0.0

    def _stop(self, kind: str, message: str) -> None:
        if self.abort_message is None:
            self.abort_kind = kind
            self.abort_message = message
        self._halt()

    async def _watch(self, started: float) -> None:
        """Cancel token, run deadline and the stop rule for a silent server."""
        stall_s = self.limits.effective_stall_s
        deadline_s = self.limits.deadline_s
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            if self.http_in_flight > 0:
                # At most one tick's worth: time the event loop was blocked by our own
                # work (the SDK's first-request set-up) is not the server's silence.
                self.silent_s += min(now - last, 0.5)
            last = now
            if self.cancel is not None and self.cancel.cancelled:
                self.cancelled = True
                self._halt()
                return
            pending = self.total - self.done
            if deadline_s is not None and now - started >= deadline_s:
                self._stop(
                    "deadline", deadline_message(self.provider.base_url, deadline_s, pending)
                )
                return
            if self.silent_s >= stall_s:
                self._stop(
                    "stalled",
                    stalled_message(
                        self.provider.base_url,
                        self.silent_s,
                        self.limits.request_timeout_s,
                        pending,
                    ),
                )
                return

    def prepare(self, items: list[WorkItem]) -> list[tuple[WorkItem, dict[str, Any], str]]:
        """Bodies and cache keys for every item, so a bad item fails before any request."""
        prepared = []
        for item in items:
            body = item.request_body()
            digest = request_hash(self.provider.base_url, body, item.repeat, self.cache_extra)
            prepared.append((item, body, digest))
        return prepared

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None and self.failure is None:
            # A bug or a sink that cannot save: stop the run and re-raise it from execute().
            self.failure = task.exception()
            self._halt()

    async def _feed(self, prepared: list[tuple[WorkItem, dict[str, Any], str]]) -> None:
        if self.claimer is None:
            for item, body, digest in prepared:
                await self._dispatch(item, body, digest)
        else:
            await self._feed_claimed(prepared)
        while self.tasks:
            await asyncio.wait(list(self.tasks))

    async def _feed_claimed(self, prepared: list[tuple[WorkItem, dict[str, Any], str]]) -> None:
        """Send only cases claimed first, a batch (the concurrency) at a time, until every
        case is settled; with nothing to claim while cases remain with live workers (this
        one's calls in flight included), wait and look again: a dead worker's claims
        become claimable."""
        assert self.claimer is not None
        by_key = {entry[0].key: entry for entry in prepared}
        batch = max(1, self.limiter.initial)
        while True:
            keys, more, settled = self.claimer(batch)
            self.done_elsewhere = max(0, settled - self.done)
            self._emit()
            if keys:
                for key in keys:
                    entry = by_key.get(key)
                    if entry is not None:
                        await self._dispatch(*entry)
                continue
            if not more:
                return
            if self.tasks:
                await asyncio.wait(
                    list(self.tasks), timeout=CLAIM_POLL_S, return_when=asyncio.FIRST_COMPLETED
                )
            else:
                await asyncio.sleep(CLAIM_POLL_S)

    async def _dispatch(self, item: WorkItem, body: dict[str, Any], digest: str) -> None:
        """Answer ``item`` from the cache, or start its call once a slot is free."""
        if self.cache is not None and self.cache_read:
            entry = self.cache.get(digest)
            if entry is not None and isinstance(entry.get("response"), dict):
                try:
                    result = self._result_from_response(
                        item,
                        digest,
                        entry["response"],
                        entry.get("latency_ms"),
                        cached=True,
                        attempts=0,
                    )
                except BadResponse:
                    pass  # a corrupt entry: ask the server again
                else:
                    self._record(result)
                    return
        epoch = await self.limiter.acquire()
        task = asyncio.create_task(self._call(item, body, digest, epoch))
        self.tasks.add(task)
        task.add_done_callback(self._task_done)

    async def _call(self, item: WorkItem, body: dict[str, Any], digest: str, epoch: int) -> None:
        holding = True
        attempt = 0
        try:
            client = self._get_client()
            while True:
                attempt += 1
                self.http_requests += 1
                if attempt > 1:
                    self.retries += 1
                start = time.perf_counter()
                mapped: MappedError | None = None
                data: Any = None
                self.http_in_flight += 1
                try:
                    raw = await client.post("/chat/completions", body=body, cast_to=bytes)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    mapped = map_exception(exc, base_url=self.provider.base_url, model=item.model)
                finally:
                    self.http_in_flight -= 1
                if mapped is None or mapped.status is not None:
                    self._heard()
                latency_ms = (time.perf_counter() - start) * 1000.0
                self.limiter.release()
                holding = False

                if mapped is None:
                    self.connect_failures = 0
                    try:
                        data = orjson.loads(raw)
                        result = self._result_from_response(
                            item, digest, data, latency_ms, cached=False, attempts=attempt
                        )
                    except (orjson.JSONDecodeError, BadResponse):
                        mapped = MappedError(
                            "bad_response",
                            f"The server at {self.provider.base_url} sent a response that is "
                            "not a chat completion.",
                            retryable=True,
                        )
                    else:
                        self.succeeded_models.add(item.model)
                        self.limiter.on_success()
                        if self.cache is not None and self.cache_write:
                            self.cache.put(digest, {"response": data, "latency_ms": latency_ms})
                        self._record(result)
                        return
                if mapped.connect_failed:
                    self.connect_failures += 1
                    if self.connect_failures >= self.unreachable_after:
                        self.abort_message = unreachable_message(self.provider.base_url)
                        self._halt()
                        return
                elif mapped.status is not None:
                    self.connect_failures = 0
                if self._refused_alike(mapped, item.model):
                    return
                if mapped.kind == "rate_limit":
                    self.limiter.on_rate_limited(epoch)

                too_long = (
                    mapped.retry_after_s is not None
                    and mapped.retry_after_s > self.retry.max_retry_after_s
                )
                if mapped.retryable and attempt < self.retry.max_attempts and not too_long:
                    await asyncio.sleep(self.retry.delay(attempt, mapped.retry_after_s, self.rng))
                    epoch = await self.limiter.acquire()
                    holding = True
                    continue
                message = mapped.message
                if too_long:
                    message += (
                        f" It asked to wait {mapped.retry_after_s:.0f} s, longer than "
                        f"{self.retry.max_retry_after_s:.0f} s, so the call was given up."
                    )
                elif mapped.retryable and attempt > 1:
                    message += f" Gave up after {attempt} attempts."
                self._record(
                    CallResult.failure(
                        item.variant_key,
                        item.example_id,
                        message,
                        mapped.kind,
                        latency_ms=latency_ms,
                        attempts=attempt,
                        request_hash=digest,
                    )
                )
                return
        finally:
            if holding:
                self.limiter.release()

    def _refused_alike(self, mapped: MappedError, model: str) -> bool:
        """Count a refusal; halt the run (True) once every call is bound to fail alike."""
        if mapped.kind in ("auth", "permission") and not self.succeeded:
            key = "auth"
        elif mapped.kind == "not_found" and model not in self.succeeded_models:
            key = f"model:{model}"
        else:
            return False
        self.refused[key] = self.refused.get(key, 0) + 1
        if self.refused[key] < REFUSALS_BEFORE_ABORT or self.abort_message is not None:
            return False
        self.abort_class = ProviderRefusedError
        self.abort_message = (
            f"{mapped.message} The run stopped after {self.refused[key]} refused calls, "
            "since every other call would be refused the same way."
        )
        self._halt()
        return True

    async def execute(self, items: list[WorkItem], total: int, skipped: int) -> RunSummary:
        started = time.monotonic()
        prepared = self.prepare(items)
        self.total = total
        self.done = skipped
        watcher = asyncio.create_task(self._watch(started))
        self.main_task = asyncio.create_task(self._feed(prepared))
        try:
            try:
                await self.main_task
            except asyncio.CancelledError:
                # Our own _halt (cancel / unreachable / failure). An outside cancel of
                # run_items also lands here; re-raise that one.
                if not (self.cancelled or self.abort_message or self.failure):
                    raise
        finally:
            # Whatever happened, no call may outlive the run.
            for task in list(self.tasks):
                task.cancel()
            if self.tasks:
                await asyncio.gather(*self.tasks, return_exceptions=True)
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
            if self.client is not None:
                await self.client.close()
        if self.failure is not None:
            raise self.failure
        self._emit(force=True)
        if self.abort_message is not None and not self.cancelled:
            if self.abort_kind is not None:
                raise RunStoppedError(
                    self.abort_message, kind=self.abort_kind, where=self.provider.base_url
                )
            raise self.abort_class(self.abort_message, where=self.provider.base_url)
        return RunSummary(
            total=total,
            skipped=skipped,
            completed=self.done - skipped,
            succeeded=self.succeeded,
            errors=self.errors,
            cached=self.cached,
            http_requests=self.http_requests,
            retries=self.retries,
            cancelled=self.cancelled,
            elapsed_s=time.monotonic() - started,
            min_concurrency=self.limiter.min_limit,
            final_concurrency=self.limiter.limit,
            max_in_flight=self.limiter.max_in_use,
        )


async def run_items(
    items: Iterable[WorkItem],
    *,
    provider: ProviderConfig,
    api_key: str | None,
    sink: ResultSink,
    cache: CacheStore | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    retry: RetryPolicy | None = None,
    price_fn: PriceFn | None = None,
    progress: Callable[[RunProgress], None] | None = None,
    cancel: CancelToken | None = None,
    read_timeout_s: float | None = None,
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
    cache_read: bool = True,
    cache_write: bool = True,
    progress_interval_s: float = 0.1,
    unreachable_after: int = 3,
    client_factory: Callable[[], AsyncOpenAI] | None = None,
    limits: RunLimits | None = None,
    claimer: ClaimFn | None = None,
) -> RunSummary:
    """Run ``items`` against ``provider``; every result goes to ``sink.save`` as it arrives.

    Args:
        items: the requests; those whose key is in ``sink.already_done()`` are skipped.
        provider: where to send them.
        api_key: the key (None for local servers); never stored or hashed.
        sink: receives each :class:`CallResult`.
        cache: response cache (None = no caching).
        concurrency: requests in flight, 1-64 (default 8); halves on 429s.
        retry: the retry policy (default :class:`RetryPolicy`).
        price_fn: ``(model, tokens_in, tokens_out) -> USD or None``.
        progress: called with :class:`RunProgress` at most every ``progress_interval_s``
            and once at the end.
        cancel: stops the run within ~0.1 s; calls in flight are abandoned, not saved.
        read_timeout_s / connect_timeout_s: per-request timeouts (``read_timeout_s``
            overrides ``limits.request_timeout_s``).
        cache_read / cache_write: use / fill the cache.
        unreachable_after: consecutive connect failures that abort the run.
        client_factory: build the AsyncOpenAI client yourself (tests, custom transports).
        limits: request timeout, run deadline and stop rule (default :class:`RunLimits`).
        claimer: send only the pending items it hands out (cases claimed for this process
            among several executing one run, :mod:`.run_claims`), until it says none remain.

    Returns:
        A :class:`RunSummary` (``cancelled=True`` when the token stopped it).

    Raises:
        ServerUnreachableError: nothing accepted connections (results so far are saved).
        RunStoppedError: the server fell silent or the deadline passed (``.kind``).
        UserError: bad arguments (concurrency out of range, params clashing with fields).
    """
    if not MIN_CONCURRENCY <= concurrency <= MAX_CONCURRENCY:
        raise UserError(
            f"Concurrency must be between {MIN_CONCURRENCY} and {MAX_CONCURRENCY}, "
            f"not {concurrency}.",
            where="concurrency",
        )
    limits = limits or RunLimits()
    if read_timeout_s is not None:
        limits = RunLimits(read_timeout_s, limits.deadline_s, limits.stall_s)
    all_items = list(items)
    done_keys = sink.already_done()
    pending = [item for item in all_items if item.key not in done_keys]
    # Passes run_items' parameters on by keyword; pairs by shape with decide/decision's
    # Context(...), prompts/service's LabelEvent(...) and _result_from_response's CallResult(...)
    # (duplicates report): different records, nothing to share.
    run = _Run(
        provider=provider,
        api_key=api_key,
        sink=sink,
        cache=cache,
        concurrency=concurrency,
        retry=retry or RetryPolicy(),
        price_fn=price_fn,
        progress=progress,
        cancel=cancel,
        read_timeout_s=limits.request_timeout_s,
        connect_timeout_s=connect_timeout_s,
        cache_read=cache_read,
        cache_write=cache_write,
        progress_interval_s=progress_interval_s,
        unreachable_after=unreachable_after,
        client_factory=client_factory,
        limits=limits,
        claimer=claimer,
    )
    return await run.execute(pending, total=len(all_items), skipped=len(all_items) - len(pending))


def run_items_blocking(items: Iterable[WorkItem], **kwargs: Any) -> RunSummary:
    """:func:`run_items` in a fresh event loop: call it from a worker thread (GUI, CLI)."""
    return asyncio.run(run_items(items, **kwargs))
