"""AWS Batch and IoT worlds inside moto's server, for the sandbox and the tests.

moto without Docker marks Batch jobs SUCCEEDED at submit and only flags a cancelled or
terminated job. This module places jobs in any state through moto's backend and plays the
scheduler's part: a job flagged stopped moves to FAILED after `stop_delay` seconds, the way
AWS moves a RUNNABLE job once it reaches the head of its queue.

It needs the `sandbox` extra (moto) and runs in the same process as the server.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from jobctl.sandbox.batch_world import WorldExtras

ACCOUNT = "123456789012"
ACCESS_KEY = "AKIAJOBCTLSANDBOX000"
SECRET_KEY = "jobctl-sandbox-secret-not-a-real-key"


@dataclass(frozen=True)
class MotoServer:
    host: str
    port: int
    server: Any

    @property
    def api(self) -> Any:
        """The BatchApi in front of moto (`api.bulk = False`: the old API, no bulk calls)."""
        return self.server.api

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def sandbox_client(service: str, *, region: str, endpoint: str) -> Any:
    """A boto3 client for moto's server with the sandbox's throwaway credentials."""
    import boto3

    return boto3.client(  # type: ignore[call-overload]
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


@contextmanager
def moto_server(port: int = 0, *, bulk: bool = True) -> Iterator[MotoServer]:
    """moto's threaded server on 127.0.0.1 and `port` (0: a free one), Batch without Docker,
    with the Batch operations moto lacks (`batch_api.py`); `bulk=False`: no CancelJobs,
    TerminateJobs or TerminateServiceJobs (404, as moto alone answers)."""
    import logging

    from moto.core.config import default_user_config
    from moto.moto_api import state_manager

    from jobctl.sandbox.batch_api import threaded_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    default_user_config["batch"] = {"use_docker": False}
    # Job states are ours to set: no automatic progression.
    state_manager.set_transition(
        model_name="batch::job", transition={"progression": "manual", "times": 10**9}
    )
    server = threaded_server(port=port, bulk=bulk)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield MotoServer(host, port, server)
    finally:
        server.stop()


_NEXT = {
    "SUBMITTED": "PENDING",
    "PENDING": "RUNNABLE",
    "RUNNABLE": "STARTING",
    "STARTING": "RUNNING",
    "RUNNING": "SUCCEEDED",
}

# The world in charge of each region's scheduling (one per region per process).
_WORLDS: dict[str, BatchWorld] = {}


def world_of(region: str) -> BatchWorld | None:
    """The world scheduling `region`, if one is running."""
    return _WORLDS.get(region)


class BatchWorld(WorldExtras):
    """Queues and jobs in one region of moto's Batch backend, with a scheduler thread;
    service jobs and injected faults from `WorldExtras` (`sandbox/batch_world.py`)."""

    def __init__(
        self, *, endpoint: str, region: str = "us-east-1", stop_delay: float = 0.0
    ) -> None:

        self.region = region
        self.stop_delay = stop_delay
        self.client = sandbox_client("batch", region=region, endpoint=endpoint)
        self._flagged: dict[str, float] = {}
        # job id -> (when it next moves on, seconds per state)
        self._moving: dict[str, tuple[float, float]] = {}
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._schedule, name="batch-scheduler", daemon=True)
        self._queues: dict[str, str] = {}
        self._job_definition: str | None = None
        self._role: str | None = None
        self._endpoint = endpoint
        # False: the server answers the bulk operations with 404 (jobctl's fallback).
        self.bulk = True
        self._faults: dict[str, list[tuple[str, str, str | None]]] = {}
        self._faults_lock = threading.Lock()

    @property
    def backend(self) -> Any:
        from moto.batch.models import batch_backends

        return batch_backends[ACCOUNT][self.region]

    def start(self) -> BatchWorld:
        from moto.batch.models import Job

        _WORLDS[self.region] = self
        original = Job.terminate
        if not getattr(original, "_jobctl_scheduler", False):

            def terminate(job: Any, reason: str) -> None:
                newly = not job.stop
                original(job, reason)
                # With no delay the scheduler acts at once, inside the request: the next
                # DescribeJobs sees FAILED, as it would a moment later on AWS. An array parent
                # waits for its children.
                world = _WORLDS.get(job.backend.region_name)
                if world is None or job.job_stopped:
                    return
                if newly:
                    world._flagged[job.job_id] = time.monotonic()
                if world.stop_delay <= 0 and not _children_running(job):
                    _end_by_stop(job)

            terminate._jobctl_scheduler = True  # type: ignore[attr-defined]
            setattr(Job, "terminate", terminate)  # noqa: B010 - patching moto's class
        self._thread.start()
        return self

    def stop(self) -> None:
        self._halt.set()
        self._thread.join(timeout=5)
        if _WORLDS.get(self.region) is self:
            del _WORLDS[self.region]

    def __enter__(self) -> BatchWorld:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def queue(self, name: str = "jobctl-q") -> str:
        """A job queue (and its compute environment), created once."""
        if name in self._queues:
            return self._queues[name]
        env = self.client.create_compute_environment(
            computeEnvironmentName=f"{name}-env",
            type="UNMANAGED",
            state="ENABLED",
            serviceRole=self._service_role(),
        )
        arn = self.client.create_job_queue(
            jobQueueName=name,
            state="ENABLED",
            priority=1,
            computeEnvironmentOrder=[
                {"order": 1, "computeEnvironment": env["computeEnvironmentArn"]}
            ],
        )["jobQueueArn"]
        self._queues[name] = str(arn)
        return self._queues[name]

    def _service_role(self) -> str:
        if self._role is None:
            iam = sandbox_client("iam", region=self.region, endpoint=self._endpoint)
            try:
                self._role = iam.get_role(RoleName="jobctl-batch")["Role"]["Arn"]
            except iam.exceptions.NoSuchEntityException:
                self._role = iam.create_role(
                    RoleName="jobctl-batch", AssumeRolePolicyDocument="{}"
                )["Role"]["Arn"]
        return self._role

    def _definition(self) -> str:
        if self._job_definition is None:
            self._job_definition = self.client.register_job_definition(
                jobDefinitionName="jobctl-def",
                type="container",
                containerProperties={"image": "busybox", "vcpus": 1, "memory": 128},
            )["jobDefinitionArn"]
        return self._job_definition

    def add_job(
        self,
        state: str,
        *,
        name: str = "job",
        queue: str = "jobctl-q",
        age: float = 0.0,
        array_size: int | None = None,
        step: float | None = None,
    ) -> str:
        """A job placed directly in `state`; `age` seconds old. Returns its id.

        With `step`, the job moves on by itself, one state every `step` seconds, to SUCCEEDED.
        """
        from moto.batch.models import Job

        backend = self.backend
        self.queue(queue)
        job_queue = backend.get_job_queue(queue)
        job_def = backend.get_job_definition(self._definition())
        job = self._new_job(
            Job,
            backend,
            name,
            job_def,
            job_queue,
            array={} if array_size is None else {"size": array_size},
        )
        job.status = state
        job.job_created_at = dt.datetime.now() - dt.timedelta(seconds=age)
        if state in ("STARTING", "RUNNING", "SUCCEEDED", "FAILED"):
            job.job_started_at = dt.datetime.now()
        if state in ("SUCCEEDED", "FAILED"):
            job.job_stopped = True
            job.job_stopped_at = dt.datetime.now()
        if array_size:
            children = []
            for index in range(array_size):
                child = self._new_job(
                    Job,
                    backend,
                    name,
                    job_def,
                    job_queue,
                    array={"statusSummary": {}, "index": index},
                    job_id=f"{job.job_id}:{index}",
                )
                # AWS lists array children only under their parent (arrayJobId), not the queue.
                job_queue.jobs.remove(child)
                child.status = state
                children.append(child)
            job._child_jobs = children
        if step is not None:
            self._moving[job.job_id] = (time.monotonic() + step, step)
        return str(job.job_id)

    @staticmethod
    def _new_job(
        job_cls: Any,
        backend: Any,
        name: str,
        job_def: Any,
        job_queue: Any,
        *,
        array: dict[str, Any],
        job_id: str | None = None,
    ) -> Any:
        job = job_cls(
            name,
            job_def,
            job_queue,
            backend,
            log_backend=backend.logs_backend,
            container_overrides=None,
            eks_properties_override=None,
            depends_on=None,
            all_jobs=backend._jobs,
            timeout=None,
            array_properties=array,
            provided_job_id=job_id,
            parameters=None,
        )
        backend._jobs[job.job_id] = job
        return job

    def job(self, job_id: str) -> Any:
        return self.backend._jobs[job_id]

    def set_state(self, job_id: str, state: str) -> None:
        self.job(job_id).status = state

    def _schedule(self) -> None:
        from jobctl.sandbox.batch_service import store_of

        while not self._halt.wait(0.02):
            now = time.monotonic()
            for job_id, (due, step) in list(self._moving.items()):
                job = self.job(job_id)
                if job.stop or job.job_stopped or job.status not in _NEXT:
                    del self._moving[job_id]
                elif now >= due:
                    job.status = _NEXT[job.status]
                    if job.status == "SUCCEEDED":
                        job._mark_stopped(success=True)
                    self._moving[job_id] = (now + step, step)
            for job_id, flagged in list(self._flagged.items()):
                job = self.backend._jobs.get(job_id)
                if job is None or job.job_stopped or not job.stop:
                    del self._flagged[job_id]  # gone, ended, or unflagged (a test's doing)
                elif now - flagged >= self.stop_delay and not _children_running(job):
                    _end_by_stop(job)
            store_of(self.backend).tick(now, self.stop_delay)


def _end_by_stop(job: Any) -> None:
    """FAILED because a stop request was taken: DescribeJobs' isCancelled / isTerminated say so
    (`batch_api.py`); a job that fails any other way has them false."""
    job._jobctl_ended_by_stop = True
    job._mark_stopped(success=False)


def _children_running(job: Any) -> bool:
    """An array parent is finished only once every child is (AWS's array-job docs)."""
    return any(not child.job_stopped for child in job._child_jobs or [])
