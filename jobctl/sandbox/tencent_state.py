"""Jobs of the Tencent Cloud Batch emulator and the clock that moves them.

Jobs are immutable records; every change replaces the record. A job's state is settled lazily
from the clock whenever it is read, so the manual clock used by tests and the wall clock used
by the interactive sandbox go through the same code and no background thread is needed.
"""

from __future__ import annotations

import re
import secrets
import string
import threading
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterable

# The life of a job that is left alone, in order; the last step goes to the job's final_state.
PROGRESSION: tuple[str, ...] = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING")
FINISHED: frozenset[str] = frozenset({"SUCCEED", "FAILED", "FAILED_INTERRUPTED"})
ALL_STATES: tuple[str, ...] = (*PROGRESSION, "SUCCEED", "FAILED", "FAILED_INTERRUPTED")
JOB_ID_RE = re.compile(r"job-[a-z0-9]{8}")
_ID_ALPHABET = string.ascii_lowercase + string.digits


class ApiError(Exception):
    """An error answer of the API: its code and message go into the Response.Error object."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Clock(Protocol):
    """What the emulator asks of a clock: seconds since the epoch, as a float."""

    def now(self) -> float: ...


class ManualClock:
    """A clock that only moves when told to, so tests decide when jobs change state."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            msg = f"a clock cannot go back: advance({seconds})"
            raise ValueError(msg)
        with self._lock:
            self._now += seconds


class RealClock:
    """The wall clock, for the interactive sandbox where jobs move on their own."""

    def now(self) -> float:
        return time.time()


@dataclass(frozen=True)
class TaskSpec:
    name: str
    instances: int = 1


@dataclass(frozen=True)
class BatchJob:
    """One job as the emulator holds it; also the snapshot that emu.job() hands out."""

    job_id: str
    name: str
    state: str
    region: str
    zone: str
    priority: int
    created_at: float
    # Clock time the job entered its current state; the next step is due state_seconds later.
    state_since: float
    ended_at: float | None
    # A pinned job never moves on by itself; a TerminateJob still lands on it.
    pinned: bool
    # Where the job ends if nobody stops it: SUCCEED or FAILED.
    final_state: str
    tasks: tuple[TaskSpec, ...]
    tags: tuple[tuple[str, str], ...]
    state_reason: str = ""
    terminate_requested_at: float | None = None
    # Clock time the accepted TerminateJob turns the job FAILED (unless it finished first).
    terminate_at: float | None = None

    @property
    def terminate_requested(self) -> bool:
        return self.terminate_requested_at is not None

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


def settle(job: BatchJob, now: float, state_seconds: float) -> BatchJob:
    """Apply, in time order, every transition due by `now`."""
    while job.state not in FINISHED:
        natural = None if job.pinned else job.state_since + state_seconds
        term = job.terminate_at
        if term is not None and term <= now and (natural is None or term <= natural):
            return replace(
                job,
                state="FAILED",
                state_since=term,
                ended_at=term,
                state_reason="Terminated by user",
            )
        if natural is None or natural > now:
            return job
        index = PROGRESSION.index(job.state)
        if index + 1 < len(PROGRESSION):
            job = replace(job, state=PROGRESSION[index + 1], state_since=natural)
        else:
            job = replace(job, state=job.final_state, state_since=natural, ended_at=natural)
    return job


def check_state(state: str, allowed: Iterable[str] = ALL_STATES) -> str:
    if state not in allowed:
        msg = f"unknown job state {state!r}; expected one of {', '.join(allowed)}"
        raise ValueError(msg)
    return state


class JobStore:
    """The emulator's jobs, behind one lock; every read settles the jobs it returns."""

    def __init__(self, clock: Clock, state_seconds: float) -> None:
        self.clock = clock
        self.state_seconds = state_seconds
        self._jobs: dict[str, BatchJob] = {}
        self._client_tokens: dict[str, str] = {}
        self._lock = threading.RLock()

    def add(
        self,
        *,
        name: str,
        state: str,
        region: str,
        zone: str,
        pinned: bool = False,
        priority: int = 0,
        created_at: float | None = None,
        final_state: str = "SUCCEED",
        tasks: Iterable[TaskSpec] = (TaskSpec("task-1"),),
        tags: Iterable[tuple[str, str]] = (),
        client_token: str | None = None,
    ) -> BatchJob:
        check_state(state)
        check_state(final_state, ("SUCCEED", "FAILED"))
        with self._lock:
            known = None if client_token is None else self._client_tokens.get(client_token)
            if known is not None and known in self._jobs:
                # ClientToken makes SubmitJob idempotent: a retry gets the job the first call made.
                return self._settled(known)
            now = self.clock.now()
            job = BatchJob(
                job_id=self._new_id(),
                name=name,
                state=state,
                region=region,
                zone=zone,
                priority=priority,
                created_at=now if created_at is None else created_at,
                state_since=now,
                ended_at=now if state in FINISHED else None,
                pinned=pinned,
                final_state=final_state,
                tasks=tuple(tasks),
                tags=tuple(tags),
            )
            self._jobs[job.job_id] = job
            if client_token is not None:
                self._client_tokens[client_token] = job.job_id
            return job

    def get(self, job_id: str, region: str | None = None) -> BatchJob:
        """The settled job; ResourceNotFound.Job if unknown or (with region) in another region."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or (region is not None and job.region != region):
                msg = f"The job `{job_id}` does not exist."
                raise ApiError("ResourceNotFound.Job", msg)
            return self._settled(job_id)

    def all(self, region: str | None = None) -> list[BatchJob]:
        """Settled jobs, newest first (the order the console and DescribeJobs show)."""
        with self._lock:
            jobs = [self._settled(job_id) for job_id in self._jobs]
        return [job for job in reversed(jobs) if region is None or job.region == region]

    def terminate(self, job_id: str, region: str, delay: float) -> BatchJob:
        with self._lock:
            job = self.get(job_id, region)
            if job.state == "SUBMITTED":
                msg = f"The job `{job_id}` is in state SUBMITTED and cannot be terminated yet."
                raise ApiError("ResourceInUse.Job", msg)
            if job.finished or job.terminate_at is not None:
                # Documented: no effect on a finished job; a second request keeps the first timer.
                return job
            now = self.clock.now()
            job = replace(job, terminate_requested_at=now, terminate_at=now + max(delay, 0.0))
            self._jobs[job_id] = job
            return job

    def delete(self, job_id: str, region: str) -> None:
        with self._lock:
            job = self.get(job_id, region)
            if job.state not in ("SUCCEED", "FAILED"):
                msg = f"The job `{job_id}` is {job.state}; only a SUCCEED or FAILED job is deleted."
                raise ApiError("UnsupportedOperation", msg)
            del self._jobs[job_id]

    def set_state(self, job_id: str, state: str, *, pinned: bool | None = None) -> BatchJob:
        """Force a state (tests and demos); a pending termination is dropped with it."""
        check_state(state)
        with self._lock:
            job = self.get(job_id)
            now = self.clock.now()
            job = replace(
                job,
                state=state,
                state_since=now,
                ended_at=now if state in FINISHED else None,
                pinned=job.pinned if pinned is None else pinned,
                terminate_at=None,
                terminate_requested_at=None,
                state_reason="",
            )
            self._jobs[job_id] = job
            return job

    def pin(self, job_id: str, pinned: bool) -> BatchJob:
        with self._lock:
            job = self.get(job_id)
            # Unpinning restarts the state's timer, so the job does not jump several states at once.
            job = replace(job, pinned=pinned, state_since=self.clock.now())
            self._jobs[job_id] = job
            return job

    def _settled(self, job_id: str) -> BatchJob:
        job = settle(self._jobs[job_id], self.clock.now(), self.state_seconds)
        self._jobs[job_id] = job
        return job

    def _new_id(self) -> str:
        while True:
            job_id = "job-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))
            if job_id not in self._jobs:
                return job_id
