"""An AWS IoT jobs world inside moto's server, for the sandbox and the tests.

moto keeps a new job in a status IoT does not have (QUEUED), leaves executions alone when a job
is cancelled, never recounts `jobProcessDetails`, and answers a cancel of an unknown id with
HTTP 500. This module places jobs and their executions in any documented state through moto's
backend and plays IoT's part on a cancel: QUEUED executions are cancelled, IN_PROGRESS ones only
with force, the counts follow, and an unknown id is a ResourceNotFoundException.

It needs the `sandbox` extra (moto) and runs in the same process as the server.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from jobctl.sandbox.aws import ACCOUNT, sandbox_client

# JobExecutionStatus -> the jobProcessDetails counter AWS keeps for it.
_COUNTERS = {
    "QUEUED": "numberOfQueuedThings",
    "IN_PROGRESS": "numberOfInProgressThings",
    "SUCCEEDED": "numberOfSucceededThings",
    "FAILED": "numberOfFailedThings",
    "TIMED_OUT": "numberOfTimedOutThings",
    "REJECTED": "numberOfRejectedThings",
    "REMOVED": "numberOfRemovedThings",
    "CANCELED": "numberOfCanceledThings",
}
_FINAL_JOB_STATES = ("CANCELED", "COMPLETED", "DELETION_IN_PROGRESS")


def recount(backend: Any, job_id: str) -> None:
    """jobProcessDetails from the executions, as AWS reports it and moto does not."""
    counts = dict.fromkeys(_COUNTERS.values(), 0)
    for (owner, _), execution in backend.job_executions.items():
        if owner == job_id and execution.status in _COUNTERS:
            counts[_COUNTERS[execution.status]] += 1
    job = backend.jobs[job_id]
    job.job_process_details = {**job.job_process_details, **counts}


def _install_iot_semantics() -> None:
    """Patch moto's IoT backend (once per process) to cancel the way AWS IoT does."""
    from moto.iot.exceptions import ResourceNotFoundException
    from moto.iot.models import IoTBackend

    cancel_job = IoTBackend.cancel_job
    if getattr(cancel_job, "_jobctl_world", False):
        return
    cancel_execution = IoTBackend.cancel_job_execution

    def cancel_job_like_aws(
        backend: Any, job_id: str, reason_code: str, comment: str, force: bool
    ) -> Any:
        if job_id not in backend.jobs:
            raise ResourceNotFoundException()
        job = cancel_job(backend, job_id, reason_code, comment, force)
        for (owner, _), execution in backend.job_executions.items():
            if owner != job_id:
                continue
            if execution.status == "QUEUED" or (execution.status == "IN_PROGRESS" and force):
                execution.force_canceled = execution.status == "IN_PROGRESS"
                execution.status = "CANCELED"
        recount(backend, job_id)
        return job

    def cancel_execution_like_aws(backend: Any, job_id: str, thing_name: str, force: bool) -> None:
        if (job_id, thing_name) not in backend.job_executions:
            raise ResourceNotFoundException()
        cancel_execution(backend, job_id, thing_name, force)
        recount(backend, job_id)

    cancel_job_like_aws._jobctl_world = True  # type: ignore[attr-defined]
    setattr(IoTBackend, "cancel_job", cancel_job_like_aws)  # noqa: B010 - patching moto's class
    setattr(IoTBackend, "cancel_job_execution", cancel_execution_like_aws)  # noqa: B010


class IotWorld:
    """Things, jobs and their executions in one region of moto's IoT backend."""

    def __init__(self, *, endpoint: str, region: str = "us-east-1") -> None:

        self.region = region
        self.client = sandbox_client("iot", region=region, endpoint=endpoint)
        self._things: dict[str, str] = {}

    @property
    def backend(self) -> Any:
        from moto.iot.models import iot_backends

        return iot_backends[ACCOUNT][self.region]

    def start(self) -> IotWorld:
        _install_iot_semantics()
        return self

    def stop(self) -> None:
        """Nothing runs in the background; kept for BatchWorld's shape."""

    def __enter__(self) -> IotWorld:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def thing(self, name: str) -> str:
        """A thing, created once; returns its ARN."""
        if name not in self._things:
            self._things[name] = str(self.client.create_thing(thingName=name)["thingArn"])
        return self._things[name]

    def add_job(
        self,
        state: str = "IN_PROGRESS",
        *,
        executions: Mapping[str, str] | None = None,
        job_id: str | None = None,
        age: float = 0.0,
    ) -> str:
        """A job in `state` whose execution on each named thing is in the given state.

        `executions` maps thing name -> JobExecutionStatus (default: one QUEUED execution).
        Returns the job id.
        """
        job_id = job_id or f"job-{uuid.uuid4().hex[:12]}"
        wanted = dict(executions) if executions is not None else {"thing-1": "QUEUED"}
        targets = [self.thing(name) for name in wanted] or [self.thing("thing-1")]
        # moto's backend directly, as CreateJob's handler calls it: no request per job, so a
        # sandbox seeds thousands at once (`--extra-jobs`).
        self.backend.create_job(
            job_id=job_id, targets=targets, document="{}", document_source=None,
            description=None, presigned_url_config=None, target_selection=None,
            job_executions_rollout_config=None, document_parameters=None, abort_config=None,
            job_execution_retry_config=None, scheduling_config=None, timeout_config=None,
        )  # fmt: skip
        job = self.job(job_id)
        job.status = state
        job.created_at = job.created_at - dt.timedelta(seconds=age)
        if state in _FINAL_JOB_STATES:
            job.completed_at = job.last_updated_at
        if not wanted:
            self.backend.job_executions.pop((job_id, "thing-1"), None)
        for name, status in wanted.items():
            self.execution(job_id, name).status = status
        recount(self.backend, job_id)
        return job_id

    def job(self, job_id: str) -> Any:
        return self.backend.jobs[job_id]

    def execution(self, job_id: str, thing: str) -> Any:
        return self.backend.job_executions[(job_id, thing)]

    def set_state(self, job_id: str, state: str) -> None:
        self.job(job_id).status = state

    def set_execution_state(self, job_id: str, thing: str, state: str) -> None:
        self.execution(job_id, thing).status = state
        recount(self.backend, job_id)
