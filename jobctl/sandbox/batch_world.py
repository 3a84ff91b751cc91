"""What BatchWorld adds to moto beyond placing container jobs: injected per-job faults for the
stop operations `batch_api.py` serves, and service jobs (`batch_service.py`) in SAGEMAKER_TRAINING
queues (docs/ARCHITECTURE.md, "The sandbox").
"""

from __future__ import annotations

import threading
import time
from typing import Any

FAULT_CODES = ("ValidationException", "ClientException", "ThrottlingException", "ServerException",
               "AccessDenied")  # fmt: skip
_FAULT_TEXT = {
    "ValidationException": "A job identifier in the request is malformed or isn't valid",
    "ClientException": "The request failed because of a client error",
    "ThrottlingException": "Rate exceeded",
    "ServerException": "An internal error occurred",
    "AccessDenied": "The caller isn't authorized to perform the action on the specified job",
}


class WorldExtras:
    """Mixed into BatchWorld, whose `backend`, `queue` and scheduler these use."""

    region: str
    _faults: dict[str, list[tuple[str, str, str | None]]]
    _faults_lock: threading.Lock

    @property
    def backend(self) -> Any:
        raise NotImplementedError

    def queue(self, name: str = "jobctl-q") -> str:
        raise NotImplementedError

    def fail_next(
        self, job_id: str, code: str, message: str | None = None, *, operation: str | None = None
    ) -> None:
        """The next stop request naming `job_id` fails with `code` (one of FAULT_CODES).

        In a bulk answer the job is in `errors[]` with that code; a single call answers with it
        as an HTTP error. `operation` ("CancelJobs", "TerminateJob", ...) limits it to one
        operation. Called again, the faults queue up, one per request.
        """
        if code not in FAULT_CODES:
            msg = f"fault code {code!r} is not one of {', '.join(FAULT_CODES)}"
            raise ValueError(msg)
        with self._faults_lock:
            queue = self._faults.setdefault(job_id, [])
            queue.append((code, message or f"{_FAULT_TEXT[code]}: {job_id}", operation))

    def take_fault(self, job_id: str, operation: str) -> tuple[str, str] | None:
        with self._faults_lock:
            queue = self._faults.get(job_id, [])
            for index, (code, message, only) in enumerate(queue):
                if only is None or only == operation:
                    del queue[index]
                    return code, message
        return None

    def service_queue(self, name: str = "jobctl-sm-q") -> str:
        """A job queue of type SAGEMAKER_TRAINING (DescribeJobQueues says so), created once."""
        from jobctl.sandbox.batch_service import store_of

        arn = self.queue(name)
        store_of(self.backend).queues[arn] = name
        return arn

    def add_service_job(
        self,
        state: str,
        *,
        name: str = "training",
        queue: str = "jobctl-sm-q",
        age: float = 0.0,
        step: float | None = None,
        share_identifier: str | None = None,
    ) -> str:
        """A service job placed directly in `state`, `age` seconds old; returns its id.

        With `step`, it moves on by itself, one state every `step` seconds, to SUCCEEDED.
        """
        from jobctl.sandbox.batch_service import now_ms, store_of

        self.service_queue(queue)
        job = store_of(self.backend).add(
            name=name,
            queue=queue,
            status=state,
            created_at=now_ms() - int(age * 1000),
            share_identifier=share_identifier,
        )
        if step is not None:
            job.moving = (time.monotonic() + step, step)
        return job.job_id

    def service_job(self, job_id: str) -> Any:
        """The sandbox's record of a service job (`batch_service.ServiceJob`)."""
        from jobctl.sandbox.batch_service import store_of

        job = store_of(self.backend).get(job_id)
        if job is None:
            raise KeyError(job_id)
        return job
