"""Handing stop requests to worker threads: chunks of one operation, sized by the provider.

`chunks` is the one place a run's requests are planned: the real run sends these, and
--dry-run shows these (docs/ARCHITECTURE.md, "The engine"). A provider that learns its
endpoint has no bulk API (BulkUnsupported) gets the chunk back and the stops left are planned
again one a request, still concurrent, still rate-limited, and still stoppable by Ctrl-C
between requests. Where the provider shares what its endpoint takes (`BulkSupport`), the
first multi-job request is a probe the other workers wait for, so it is made once.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from jobctl.models import PlannedStop, Result
from jobctl.providers.base import BulkSupport, BulkUnsupported, Provider

# Told each request's answers, by the worker that got them (`dispatch`'s `answered`).
Answered = Callable[[list[tuple[PlannedStop, Result]]], None]


def chunks(stops: Sequence[PlannedStop], size: int) -> list[list[PlannedStop]]:
    """The requests `stops` go out as: each operation's stops in their order (operations in
    order of first appearance), `size` a request, the last one of each operation shorter."""
    size = max(size, 1)
    by_operation: dict[str | None, list[PlannedStop]] = {}
    for stop in stops:
        by_operation.setdefault(stop.action.operation, []).append(stop)
    return [
        same[start : start + size]
        for same in by_operation.values()
        for start in range(0, len(same), size)
    ]


class WorkQueue:
    """Chunks not yet sent; knows how many are out with workers.

    A worker finding the queue empty waits while other chunks are out, since one may come
    back (BulkUnsupported) to be sent one stop at a time by every free worker.
    """

    def __init__(self, stops: Sequence[PlannedStop], size: int) -> None:
        self._chunks: deque[list[PlannedStop]] = deque(chunks(stops, size))
        self._out = 0
        self._changed = threading.Condition()

    def take(self, halt: threading.Event) -> list[PlannedStop]:
        """The next chunk; empty when all is done or on halt."""
        with self._changed:
            while not halt.is_set():
                if self._chunks:
                    self._out += 1
                    return self._chunks.popleft()
                if self._out == 0:
                    return []
                self._changed.wait(0.1)
        return []

    def done(self) -> None:
        with self._changed:
            self._out -= 1
            self._changed.notify_all()

    def put_back(self, chunk: Sequence[PlannedStop]) -> None:
        """The endpoint took no multi-job request: this chunk and all left go one a request."""
        with self._changed:
            left = [*chunk, *(stop for queued in self._chunks for stop in queued)]
            self._chunks = deque(chunks(left, 1))
            self._out -= 1
            self._changed.notify_all()

    def drain(self) -> list[PlannedStop]:
        with self._changed:
            left = [stop for queued in self._chunks for stop in queued]
            self._chunks.clear()
        return left


def dispatch(
    stops: Sequence[PlannedStop],
    *,
    provider: Provider,
    concurrency: int,
    halt: threading.Event,
    send: Callable[[list[PlannedStop]], list[Result]],
    skip: Callable[[list[PlannedStop]], list[Result]],
    answered: Answered | None = None,
) -> list[tuple[PlannedStop, Result]]:
    """Send every stop through `send`, at most `concurrency` at once; `skip` the rest on halt.

    `answered` gets each chunk's results in the worker that sent it, before that worker takes
    another chunk: what it sends there holds the worker's place, so `concurrency` bounds it too.
    """
    support: BulkSupport | None = getattr(provider, "bulk", None)
    work = WorkQueue(stops, provider.send_batch)
    done: list[tuple[PlannedStop, Result]] = []
    lock = threading.Lock()

    def worker() -> None:
        while True:
            # While the endpoint's bulk call is being probed (by any worker, group or instance
            # sharing the endpoint), wait for the answer rather than probe again.
            probe = support if support is not None and support.claim(halt) is None else None
            chunk = work.take(halt)
            if probe is not None and len(chunk) <= 1:
                probe.release()  # one stop goes alone: no probe
                probe = None
            if not chunk:
                return
            if len(chunk) > provider.send_batch:
                # Sized before the endpoint was known to lack the bulk call (another group's
                # probe): one a request from here, before anything is sent or recorded.
                if probe is not None:
                    probe.release()
                work.put_back(chunk)
                continue
            try:
                results = send(chunk)
            except BulkUnsupported:
                work.put_back(chunk)
                continue
            except BaseException:
                work.done()
                raise
            finally:
                if probe is not None:
                    probe.release()
            pairs = list(zip(chunk, results, strict=True))
            with lock:
                done.extend(pairs)
            work.done()
            if answered is not None:
                answered(pairs)

    workers = max(1, min(concurrency, len(stops)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(worker) for _ in range(workers)]:
            future.result()
    left = work.drain()
    if left:
        done.extend(zip(left, skip(left), strict=True))
    return done
