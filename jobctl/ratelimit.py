"""A token bucket shared by the threads that send one provider's stop requests, and how many
pages a lookup may have in flight.

The engine takes one token per `send` call. A provider that sends more than once inside one
call (Tencent's own retries) takes a token per extra request from the same bucket through
`current_pacing()`, and stops retrying when the run is interrupted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Tokens come this much slower than the rate asked for. A server that counts requests over a
# sliding window (Tencent's 2 TerminateJob a second) refuses a request that arrives a few
# milliseconds early, and requests spaced exactly 1/rate apart here do not arrive exactly so;
# 3% is 15 ms at 2/s, which bench/tencent_rate.py shows is enough to never be refused.
HEADROOM = 0.97


def pause(seconds: float, stop: threading.Event | None) -> bool:
    """Wait `seconds`; False (at once) if `stop` is set meanwhile."""
    if stop is None:
        time.sleep(seconds)
        return True
    return not stop.wait(seconds)


class RateLimiter:
    def __init__(
        self,
        rate: float | None,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        wait: Callable[[float, threading.Event | None], bool] = pause,
    ) -> None:
        # Requests per second never to exceed; None or <= 0: no limit.
        self.rate = rate
        self._capacity = float(max(burst, 1))
        self._clock = clock
        self._wait = wait
        self._tokens = self._capacity
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(
        self, stop: threading.Event | None = None, *, deadline: float | None = None
    ) -> bool:
        """Wait for a token; False if `stop` was set while waiting, or, given a `deadline`
        (on the limiter's clock), as soon as the token would come after it."""
        if self.rate is None or self.rate <= 0:
            return not (stop is not None and stop.is_set())
        refill = self.rate * HEADROOM
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self._capacity, self._tokens + (now - self._updated) * refill)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return True
                wait = (1 - self._tokens) / refill
            if deadline is not None and now + wait > deadline:
                return False
            if not self._wait(wait, stop):
                return False


@dataclass(frozen=True)
class Pacing:
    """The rate limit and the interrupt flag a `send` in progress must honour."""

    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(None))
    stop: threading.Event = field(default_factory=threading.Event)
    # The run's notice hook: what a provider wants said while its send waits (Tencent's
    # SUBMITTED retries), said by whoever runs the engine, never printed by the provider.
    notice: Callable[[str], None] = field(default=lambda text: None)

    def acquire(self, deadline: float | None = None) -> bool:
        """A token for one more request; False if the run was interrupted meanwhile, or if
        none would come before `deadline` (time.monotonic)."""
        return not self.stop.is_set() and self.limiter.acquire(self.stop, deadline=deadline)

    def sleep(self, seconds: float) -> bool:
        """Wait; False (at once) if the run is interrupted."""
        return not self.stop.wait(max(seconds, 0.0))


_PACING: ContextVar[Pacing | None] = ContextVar("jobctl_pacing", default=None)


@contextmanager
def pacing(
    limiter: RateLimiter,
    stop: threading.Event,
    notice: Callable[[str], None] | None = None,
) -> Iterator[Pacing]:
    """Make `limiter`, `stop` and `notice` the current pacing for the calls made inside."""
    current = Pacing(limiter, stop) if notice is None else Pacing(limiter, stop, notice)
    token = _PACING.set(current)
    try:
        yield current
    finally:
        _PACING.reset(token)


def current_pacing() -> Pacing:
    """The engine's pacing for this thread's send; outside one, no limit and no interrupt."""
    return _PACING.get() or Pacing()


# Pages one lookup may have in flight at once: set by the engine to the group's --concurrency.
_WIDTH: ContextVar[int] = ContextVar("jobctl_lookup_width", default=1)


@contextmanager
def lookups(width: int) -> Iterator[None]:
    """Let the lookups made inside send up to `width` pages at once (docs/ARCHITECTURE.md,
    "The engine"); outside, a provider's pages go one after another."""
    token = _WIDTH.set(max(width, 1))
    try:
        yield
    finally:
        _WIDTH.reset(token)


def paged(call: Callable[[T], R], pages: Sequence[T]) -> list[R]:
    """`call(page)` for every page, up to the current lookup width at once; answers in the
    pages' order whatever order they come in, and the first page's error (in that order)
    raised once all are back."""
    width = min(_WIDTH.get(), len(pages))
    if width <= 1:
        return [call(page) for page in pages]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=width) as pool:
        return list(pool.map(call, pages))
