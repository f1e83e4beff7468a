"""The runner's adaptive concurrency limit (promptfoo's scheme, one cut per window).

Halve on a 429 (floor 1), +50 % after 5 consecutive successes, never above the initial
value; a burst of 429s from requests all sent before the last cut counts once (like TCP),
else 16 simultaneous 429s would collapse N to 1. See :mod:`.runner` for how the feeder
takes and returns slots.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import deque


class AdaptiveLimiter:
    """A semaphore whose size halves on rate limits and recovers stepwise.

    Args:
        initial: starting (and maximum) number of slots.
        recover_after: consecutive successes before growing by ``growth``.
        growth: multiplicative recovery step (1.5 = +50 %, rounded up).
    """

    def __init__(self, initial: int, *, recover_after: int = 5, growth: float = 1.5) -> None:
        self.initial = initial
        self.limit = initial
        self.min_limit = initial
        self.in_use = 0
        self.max_in_use = 0
        self.epoch = 0  # bumped at every cut; see on_rate_limited
        self._recover_after = recover_after
        self._growth = growth
        self._successes = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self) -> int:
        """Wait for a slot; returns the epoch at which it was granted."""
        if self.in_use < self.limit and not self._waiters:
            self._take()
            return self.epoch
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.release()  # granted just as we were cancelled: give it back
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(fut)
            raise
        return self.epoch

    def _take(self) -> None:
        self.in_use += 1
        if self.in_use > self.max_in_use:
            self.max_in_use = self.in_use

    def release(self) -> None:
        """Return a slot and wake waiters while there is room."""
        self.in_use -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.in_use < self.limit:
            fut = self._waiters.popleft()
            if not fut.done():
                self._take()
                fut.set_result(None)

    def on_rate_limited(self, epoch: int) -> None:
        """A 429 for a request granted at ``epoch``: halve, once per epoch."""
        self._successes = 0
        if epoch != self.epoch:
            return  # sent before the last cut: that cut already accounted for it
        self.limit = max(1, self.limit // 2)
        self.min_limit = min(self.min_limit, self.limit)
        self.epoch += 1

    def on_success(self) -> None:
        """A success: after ``recover_after`` in a row, grow by 50 % up to the initial value."""
        if self.limit >= self.initial:
            return
        self._successes += 1
        if self._successes >= self._recover_after:
            self._successes = 0
            self.limit = min(self.initial, math.ceil(self.limit * self._growth))
            self._wake()
