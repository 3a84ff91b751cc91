"""Faults and limits the Tencent emulator puts in the way of its callers.

Tests turn faults on at runtime to see how jobctl copes with InternalError answers, slow
answers and lost connections; the limiter reproduces TerminateJob's documented 2 requests
per second. Both are thread-safe: the HTTP server answers on many threads.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Faults:
    internal_error_rate: float = 0.0
    delay: float = 0.0
    drop_rate: float = 0.0
    # Actions the faults apply to; None means every request.
    actions: frozenset[str] | None = None


@dataclass(frozen=True)
class FaultDecision:
    delay: float = 0.0
    drop: bool = False
    internal_error: bool = False


class FaultInjector:
    def __init__(self) -> None:
        self._faults = Faults()
        self._random = random.Random(0)
        self._lock = threading.Lock()

    def configure(self, faults: Faults, seed: int) -> None:
        for name, rate in (
            ("internal_error_rate", faults.internal_error_rate),
            ("drop_rate", faults.drop_rate),
        ):
            if not 0.0 <= rate <= 1.0:
                msg = f"{name} must be between 0 and 1, got {rate}"
                raise ValueError(msg)
        if faults.delay < 0:
            msg = f"delay must not be negative, got {faults.delay}"
            raise ValueError(msg)
        with self._lock:
            self._faults = faults
            self._random = random.Random(seed)

    def decide(self, action: str) -> FaultDecision:
        with self._lock:
            faults = self._faults
            if faults.actions is not None and action not in faults.actions:
                return FaultDecision()
            # Both draws always happen, so one seed gives one sequence whatever the rates are.
            drop = self._random.random() < faults.drop_rate
            error = self._random.random() < faults.internal_error_rate
            return FaultDecision(faults.delay, drop, error)


class SlidingWindowLimiter:
    """At most `rate` requests per second per key, over a sliding window of monotonic time.

    A rate below 1 becomes one request per 1/rate seconds; None turns the limit off.
    """

    def __init__(self, rate: float | None) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, deque[float]] = {}
        self.rate = rate

    @property
    def rate(self) -> float | None:
        return self._rate

    @rate.setter
    def rate(self, rate: float | None) -> None:
        if rate is not None and rate <= 0:
            msg = f"the rate must be positive or None, got {rate}"
            raise ValueError(msg)
        with self._lock:
            self._rate = rate
            self._windows.clear()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if self._rate is None:
                return True
            count = max(1, int(self._rate))
            window = count / self._rate
            stamps = self._windows.setdefault(key, deque())
            while stamps and now - stamps[0] >= window:
                stamps.popleft()
            if len(stamps) >= count:
                return False
            stamps.append(now)
            return True
