"""The cloud the memory provider talks to: jobs in a dict, behind an SDK-like client.

It stands in for a cloud's API and its SDK, so `memory.py` reads like an adapter for a real
one: a batched lookup, a paged listing, bulk stop calls with per-job errors. Like AWS Batch,
a Cancel does nothing to a started job and is still answered "accepted"; a stop takes effect
at once or, with `stop_after_looks`, only after that many lookups have seen the job (no
clock: tests move the world by counting requests). Tests reach in through `before_stop`,
`fail_next` and `calls`; nothing here is part of the provider contract.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

DEFAULT_REGION = "memory-1"
FINAL = frozenset({"SUCCEEDED", "FAILED", "CANCELLED", "TERMINATED"})


class MemoryCloudError(Exception):
    """An error answer, as an SDK raises it: a code and a message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass
class MemoryJob:
    job_id: str
    name: str
    state: str
    queue: str
    created_at: float
    status_reason: str | None = None
    # A stop accepted and not yet in effect: (final state, reason, lookups still to see it).
    pending: tuple[str, str, int] | None = None

    def view(self) -> dict[str, Any]:
        return {
            "jobId": self.job_id,
            "jobName": self.name,
            "status": self.state,
            "jobQueue": self.queue,
            "createdAt": self.created_at,
            "statusReason": self.status_reason,
        }


# Each cloud's endpoint name: a fresh cloud (after `reset`) is an endpoint no probe has seen.
_ENDPOINTS = itertools.count(1)


@dataclass
class MemoryCloud:
    """One region's jobs. `bulk=False` makes it an endpoint without the bulk stop call."""

    bulk: bool = True
    stop_after_looks: int = 0
    # Called with (operation, job ids) before a stop request is applied: tests start a job
    # or set the run's stop event there.
    before_stop: Callable[[str, Sequence[str]], None] | None = None
    # Every request as (operation, job ids), in the order the cloud saw them.
    calls: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    jobs: dict[str, MemoryJob] = field(default_factory=dict)
    _failures: dict[str, list[str]] = field(default_factory=dict)
    # Jobs the caller may not look at, with the error code a lookup of each gets.
    _denied: dict[str, str] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    # What names this cloud as an endpoint (BulkSupport's key): a fresh cloud is a new one.
    endpoint: str = field(default_factory=lambda: f"memory://{next(_ENDPOINTS)}")

    # -- the world, as a test or the sandbox sets it up -----------------------------------------

    def add(self, state: str, *, name: str = "job", queue: str = "default", age: float = 0) -> str:
        with self._lock:
            job_id = f"mem-{next(self._ids):08x}"
            self.jobs[job_id] = MemoryJob(job_id, name, state, queue, time.time() - age)
        return job_id

    def set_state(self, job_id: str, state: str, reason: str | None = None) -> None:
        with self._lock:
            job = self.jobs[job_id]
            job.state, job.status_reason, job.pending = state, reason, None

    def fail_next(self, operation: str, code: str) -> None:
        """The next `operation` request is answered with the error `code`."""
        with self._lock:
            self._failures.setdefault(operation, []).append(code)

    def deny(self, job_id: str, code: str) -> None:
        """Lookups answer for `job_id` with the error `code` in its place, the rest as usual
        (a permission the caller lacks for one kind of job)."""
        with self._lock:
            self._denied[job_id] = code

    def count(self, *operations: str) -> int:
        with self._lock:
            return sum(1 for operation, _ in self.calls if operation in operations)

    # -- the API ------------------------------------------------------------------------------

    def describe_jobs(self, job_ids: Sequence[str]) -> list[dict[str, Any]]:
        with self._lock:
            self._call("DescribeJobs", job_ids)
            found = [self.jobs[j] for j in dict.fromkeys(job_ids) if j in self.jobs]
            for job in found:
                if job.job_id not in self._denied:
                    self._look(job)
            return [
                {"jobId": job.job_id, "error": self._denied[job.job_id]}
                if job.job_id in self._denied
                else job.view()
                for job in found
            ]

    def list_jobs(self, *, states: Sequence[str], queue: str | None) -> list[dict[str, Any]]:
        with self._lock:
            self._call("ListJobs", ())
            return [
                job.view()
                for job in self.jobs.values()
                if job.state in states and (queue is None or job.queue == queue)
            ]

    def stop_jobs(
        self, operation: str, job_ids: Sequence[str], reason: str
    ) -> list[dict[str, Any]]:
        """Cancel or Terminate `job_ids`; the answer lists the jobs it could not take."""
        if len(job_ids) > 1 and not self.bulk:
            with self._lock:
                self.calls.append((operation, tuple(job_ids)))
            raise MemoryCloudError("UnknownOperation", f"this endpoint has no {operation}")
        if self.before_stop is not None:
            self.before_stop(operation, job_ids)
        with self._lock:
            self._call(operation, job_ids)
            errors = []
            for job_id in job_ids:
                job = self.jobs.get(job_id)
                if job is None:
                    errors.append({"jobId": job_id, "code": "JobNotFound", "message": "no job"})
                elif self._stoppable(job, operation):
                    final = "TERMINATED" if operation == "Terminate" else "CANCELLED"
                    job.pending = (final, reason, self.stop_after_looks)
                    self._look(job, seen=False)
            return errors

    @staticmethod
    def _stoppable(job: MemoryJob, operation: str) -> bool:
        """Cancel reaches queued jobs only, and answers "accepted" all the same."""
        if job.state in FINAL or job.pending is not None:
            return False
        return operation == "Terminate" or job.state == "QUEUED"

    def _call(self, operation: str, job_ids: Sequence[str]) -> None:
        self.calls.append((operation, tuple(job_ids)))
        queued = self._failures.get(operation)
        if queued:
            code = queued.pop(0)
            raise MemoryCloudError(code, f"{operation} failed ({code}), as the test asked")

    def _look(self, job: MemoryJob, *, seen: bool = True) -> None:
        if job.pending is None:
            return
        final, reason, looks = job.pending
        if looks > 0:
            job.pending = (final, reason, looks - 1) if seen else job.pending
            return
        job.state, job.status_reason, job.pending = final, reason, None


_CLOUDS: dict[str, MemoryCloud] = {}
_CLOUDS_LOCK = threading.Lock()


def cloud(region: str = DEFAULT_REGION) -> MemoryCloud:
    """The process's cloud for `region`, made on first use (fsspec's memory store, per region)."""
    with _CLOUDS_LOCK:
        return _CLOUDS.setdefault(region, MemoryCloud())


def reset() -> None:
    """Forget every region's jobs: a fresh cloud for the next test."""
    with _CLOUDS_LOCK:
        _CLOUDS.clear()
