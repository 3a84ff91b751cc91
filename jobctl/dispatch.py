"""Handing stop requests to worker threads: chunks of one operation, sized by the provider.

Chunks are formed as workers become free, not up front, so a provider that learns its
endpoint has no bulk API (BulkUnsupported) gets the same stops back one at a time, still
concurrent, still rate-limited, and still stoppable by Ctrl-C between requests.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from jobctl.models import PlannedStop, Result
from jobctl.providers.base import BulkUnsupported, Provider


class WorkQueue:
    """Stops not yet sent, by operation; knows how many chunks are out with workers.

    A worker finding the queue empty waits while other chunks are out, since one may come
    back (BulkUnsupported) to be sent one stop at a time by every free worker.
    """

    def __init__(self, stops: Sequence[PlannedStop]) -> None:
        self._queues: dict[str | None, deque[PlannedStop]] = {}
        for stop in stops:
            self._queues.setdefault(stop.action.operation, deque()).append(stop)
        self._out = 0
        self._changed = threading.Condition()

    def take(self, size: int, halt: threading.Event) -> list[PlannedStop]:
        """Up to `size` stops sharing one operation; empty when all is done or on halt."""
        with self._changed:
            while not halt.is_set():
                for queue in self._queues.values():
                    if queue:
                        self._out += 1
                        return [queue.popleft() for _ in range(min(max(size, 1), len(queue)))]
                if self._out == 0:
                    return []
                self._changed.wait(0.1)
        return []

    def done(self) -> None:
        with self._changed:
            self._out -= 1
            self._changed.notify_all()

    def put_back(self, chunk: Sequence[PlannedStop]) -> None:
        with self._changed:
            for stop in reversed(chunk):
                self._queues[stop.action.operation].appendleft(stop)
            self._out -= 1
            self._changed.notify_all()

    def drain(self) -> list[PlannedStop]:
        with self._changed:
            left = [stop for queue in self._queues.values() for stop in queue]
            for queue in self._queues.values():
                queue.clear()
        return left


def dispatch(
    stops: Sequence[PlannedStop],
    *,
    provider: Provider,
    concurrency: int,
    halt: threading.Event,
    send: Callable[[list[PlannedStop]], list[Result]],
    skip: Callable[[list[PlannedStop]], list[Result]],
) -> list[tuple[PlannedStop, Result]]:
    """Send every stop through `send`, at most `concurrency` at once; `skip` the rest on halt."""
    work = WorkQueue(stops)
    done: list[tuple[PlannedStop, Result]] = []
    lock = threading.Lock()

    def worker() -> None:
        # Read before every chunk: an instance lowers it once it knows its endpoint.
        while chunk := work.take(provider.send_batch, halt):
            try:
                results = send(chunk)
            except BulkUnsupported:
                work.put_back(chunk)
                continue
            except BaseException:
                work.done()
                raise
            with lock:
                done.extend(zip(chunk, results, strict=True))
            work.done()

    workers = max(1, min(concurrency, len(stops)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(worker) for _ in range(workers)]:
            future.result()
    left = work.drain()
    if left:
        done.extend(zip(left, skip(left), strict=True))
    return done
