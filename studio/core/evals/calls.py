"""What the A/B runner is given and gives back: work items, results, sinks, progress.

A :class:`WorkItem` is one chat request (variant x example x repeat); a
:class:`CallResult` is its stored outcome, handed to a :class:`ResultSink` as it arrives
(:class:`MemorySink` for tests and the judge, the project's sink in :mod:`.store`).
:class:`RetryPolicy` says how failed attempts are retried, :class:`RunProgress` what the
runner reports while it works and :class:`RunSummary` how a call batch went. The runner
itself is :mod:`.runner`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from studio.core.errors import UserError
from studio.core.progress import Progress

PriceFn = Callable[[str, int, int], "float | None"]


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One chat request to send.

    Attributes:
        variant_key: which prompt version / arm ("A", "B", "v3", ...). With repeats, make it
            unique per repeat (e.g. "B#2"): resume keys on ``(variant_key, example_id)``.
        example_id: the test-set example.
        messages: the rendered chat messages.
        model: model id (Azure: deployment name).
        params: sampling parameters passed verbatim (temperature, max_tokens, seed, ...).
        response_format: OpenAI ``response_format`` (JSON mode / schema), if any.
        tools: OpenAI ``tools``, if any.
        repeat: repeat index; part of the cache key so repeats are real new samples.
    """

    variant_key: str
    example_id: int
    messages: list[dict[str, Any]]
    model: str
    params: dict[str, Any] = field(default_factory=dict)
    response_format: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    repeat: int = 0

    @property
    def key(self) -> tuple[str, int]:
        """The resume key ``(variant_key, example_id)``."""
        return (self.variant_key, self.example_id)

    def request_body(self) -> dict[str, Any]:
        """The JSON body of ``POST /chat/completions``."""
        clash = {"model", "messages", "tools", "response_format", "stream"} & set(self.params)
        if clash:
            raise UserError(
                f"Sampling parameters must not set {', '.join(sorted(clash))}: "
                "they are fields of the work item.",
                where=f"{self.variant_key}/{self.example_id}",
            )
        body: dict[str, Any] = {"model": self.model, "messages": self.messages, **self.params}
        if self.tools is not None:
            body["tools"] = self.tools
        if self.response_format is not None:
            body["response_format"] = self.response_format
        return body


@dataclass(slots=True)
class CallResult:
    """What one work item produced. Exactly one of ``output``/``tool_calls`` or ``error``.

    ``error`` is set when there is no answer (after retries); such results are never
    scored (an error is not a wrong answer). ``tokens_*`` and ``cost_usd`` are None when
    unknown (no ``usage`` from the server, or no price). For a cache hit ``cached`` is
    True, ``attempts`` 0, and latency/tokens/cost are those of the original call.
    """

    variant_key: str
    example_id: int
    output: str | None
    tool_calls: list[dict[str, Any]] | None
    error: str | None
    error_kind: str | None
    latency_ms: float | None
    tokens_in: int | None
    tokens_out: int | None
    cost_usd: float | None
    cached: bool
    attempts: int
    request_hash: str
    finish_reason: str | None = None
    response_id: str = ""  # the provider's response id ("" when it sent none)

    @property
    def ok(self) -> bool:
        """True when the call produced an answer."""
        return self.error is None

    @classmethod
    def failure(
        cls,
        variant_key: str,
        example_id: int,
        error: str,
        error_kind: str,
        *,
        latency_ms: float | None = None,
        attempts: int = 0,
        request_hash: str = "",
    ) -> CallResult:
        """A result with no answer: the runner's given-up call, or a prompt that did not render."""
        return cls(
            variant_key=variant_key,
            example_id=example_id,
            output=None,
            tool_calls=None,
            error=error,
            error_kind=error_kind,
            latency_ms=latency_ms,
            tokens_in=None,
            tokens_out=None,
            cost_usd=None,
            cached=False,
            attempts=attempts,
            request_hash=request_hash,
        )


class ResultSink(Protocol):
    """Where results go (the project DB in the app; a list in tests)."""

    def already_done(self) -> set[tuple[str, int]]:
        """Keys ``(variant_key, example_id)`` to skip. Return only successful ones to
        retry errors on resume."""
        ...

    def save(self, result: CallResult) -> None:
        """Persist one result; called on the runner's event-loop thread as each arrives."""
        ...


class MemorySink:
    """A :class:`ResultSink` that keeps results in a list (tests, CLI dry runs)."""

    def __init__(self, done: Iterable[tuple[str, int]] = ()) -> None:
        self.results: list[CallResult] = []
        self._done = set(done)

    def already_done(self) -> set[tuple[str, int]]:
        return set(self._done) | {(r.variant_key, r.example_id) for r in self.results if r.ok}

    def save(self, result: CallResult) -> None:
        self.results.append(result)

    def by_key(self) -> dict[tuple[str, int], CallResult]:
        """The latest result per key."""
        return {(r.variant_key, r.example_id): r for r in self.results}


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """The runner's (only) retry layer.

    Attributes:
        max_attempts: attempts per item including the first (3 = 2 retries).
        base_delay_s: first back-off; doubles per attempt (0.5, 1, 2, ...).
        max_delay_s: cap of the exponential back-off.
        max_retry_after_s: a longer ``Retry-After`` is not waited for; the item fails.
        jitter: back-off is multiplied by a random factor in [1 - jitter, 1].
    """

    max_attempts: int = 3
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    max_retry_after_s: float = 120.0
    jitter: float = 0.25

    def delay(self, attempt: int, retry_after_s: float | None, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        if retry_after_s is not None and retry_after_s > 0:
            # Server's wish plus up to 20 % so a crowd of clients doesn't return in lockstep.
            return retry_after_s * (1.0 + 0.2 * rng.random())
        backoff = float(min(self.base_delay_s * 2.0 ** (attempt - 1), self.max_delay_s))
        return backoff * (1.0 - self.jitter * rng.random())


@dataclass(frozen=True, slots=True)
class RunProgress:
    """A progress snapshot: ``done`` of ``total`` items, of which errors / cache hits."""

    done: int
    total: int
    errors: int
    cached: int
    in_flight: int
    concurrency: int

    def to_progress(self) -> Progress:
        """As the core's generic :class:`Progress`."""
        return Progress(
            done=self.done,
            total=self.total,
            errors=self.errors,
            message=f"{self.cached} cached, {self.in_flight} in flight",
        )


@dataclass(frozen=True, slots=True)
class RunSummary:
    """How a run went.

    Attributes:
        total: items given. skipped: already in the sink (resume).
        completed: results saved this run (succeeded + errors, cached included).
        cached: results served from the cache. http_requests: attempts sent (0 if all cached).
        retries: attempts beyond the first. cancelled: stopped by the cancel token.
        min_concurrency / final_concurrency: the adaptive limit's low point and end value.
        max_in_flight: most requests in flight at once (client side).
    """

    total: int
    skipped: int
    completed: int
    succeeded: int
    errors: int
    cached: int
    http_requests: int
    retries: int
    cancelled: bool
    elapsed_s: float
    min_concurrency: int
    final_concurrency: int
    max_in_flight: int
