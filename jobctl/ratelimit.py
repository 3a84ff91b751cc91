"""A token bucket shared by the threads that send one provider's stop requests."""

from __future__ import annotations

import threading
import time


class RateLimiter:
    def __init__(self, rate: float | None, *, burst: int = 1) -> None:
        self.rate = rate
        self._capacity = float(max(burst, 1))
        self._tokens = self._capacity
        self._updated = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self, stop: threading.Event | None = None) -> bool:
        """Wait for a token; False if `stop` was set while waiting."""
        if self.rate is None or self.rate <= 0:
            return not (stop is not None and stop.is_set())
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return True
                wait = (1 - self._tokens) / self.rate
            if stop is not None:
                if stop.wait(wait):
                    return False
            else:
                time.sleep(wait)
