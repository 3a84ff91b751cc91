"""Service jobs (SageMaker Training through AWS Batch) in the sandbox, which moto lacks.

A `ServiceJobs` store hangs on moto's Batch backend of one region, so moto's reset clears it
with everything else. `batch_api.py` routes SubmitServiceJob, DescribeServiceJob,
ListServiceJobs, TerminateServiceJob and TerminateServiceJobs here; `BatchWorld` places jobs
in any state (`add_service_job`) and plays the scheduler (`tick`): a terminated service job
moves to FAILED after the world's `stop_delay`, as a container job does. Shapes and limits
are botocore's service model for batch (ServiceJobSummary, DescribeServiceJobResponse);
docs/ARCHITECTURE.md, "The sandbox".
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

# The order a service job goes through; SCHEDULED is where SageMaker has taken it.
STATES = ("SUBMITTED", "PENDING", "RUNNABLE", "SCHEDULED", "STARTING", "RUNNING")
FINISHED = ("SUCCEEDED", "FAILED")
ALL_STATES = STATES + FINISHED
SERVICE_JOB_TYPE = "SAGEMAKER_TRAINING"
MAX_RESULTS = 100
FILTERS = (
    "JOB_NAME",
    "BEFORE_CREATED_AT",
    "AFTER_CREATED_AT",
    "SHARE_IDENTIFIER",
    "QUOTA_SHARE_NAME",
)


class ServiceError(Exception):
    """A ClientException (HTTP 400) as AWS answers it; `batch_api` writes the body."""

    def __init__(self, message: str, code: str = "ClientException") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class ServiceJob:
    job_id: str
    name: str
    queue_arn: str
    region: str
    account: str
    status: str
    created_at: int
    payload: str = "{}"
    tags: dict[str, str] = field(default_factory=dict)
    share_identifier: str | None = None
    scheduling_priority: int | None = None
    status_reason: str | None = None
    scheduled_at: int | None = None
    started_at: int | None = None
    stopped_at: int | None = None
    # A TerminateServiceJob(s) request was taken (botocore: "a termination request has been
    # accepted"); `flagged` is when, on the monotonic clock, for the scheduler's delay.
    is_terminated: bool = False
    flagged: float | None = None
    # Moving on by itself: (when next, seconds per state).
    moving: tuple[float, float] | None = None

    @property
    def arn(self) -> str:
        return f"arn:aws:batch:{self.region}:{self.account}:service-job/{self.job_id}"

    @property
    def training_job_arn(self) -> str:
        where = f"{self.region}:{self.account}"
        return f"arn:aws:sagemaker:{where}:training-job/{self.name}-{self.job_id[:8]}"

    def _attempt(self) -> dict[str, Any] | None:
        if self.started_at is None:
            return None
        return {"serviceResourceId": {"name": "TrainingJobArn", "value": self.training_job_arn}}

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "jobArn": self.arn,
            "jobId": self.job_id,
            "jobName": self.name,
            "serviceJobType": SERVICE_JOB_TYPE,
            "status": self.status,
            "createdAt": self.created_at,
        }
        for key, value in (
            ("statusReason", self.status_reason),
            ("scheduledAt", self.scheduled_at),
            ("startedAt", self.started_at),
            ("stoppedAt", self.stopped_at),
            ("shareIdentifier", self.share_identifier),
            ("latestAttempt", self._attempt()),
        ):
            if value is not None:
                out[key] = value
        if self.is_terminated:  # botocore: "only present when the value is true"
            out["isTerminated"] = True
        return out

    def detail(self) -> dict[str, Any]:
        out = self.summary()
        out.update(
            jobQueue=self.queue_arn,
            serviceRequestPayload=self.payload,
            retryStrategy={"attempts": 1},
            tags=dict(self.tags),
            isTerminated=self.is_terminated,
        )
        if self.scheduling_priority is not None:
            out["schedulingPriority"] = self.scheduling_priority
        attempt = self._attempt()
        if attempt is not None:
            done: dict[str, Any] = {"startedAt": self.started_at}
            if self.stopped_at is not None:
                done["stoppedAt"] = self.stopped_at
            if self.status_reason is not None:
                done["statusReason"] = self.status_reason
            out["attempts"] = [{**attempt, **done}]
        else:
            out["attempts"] = []
        return out

    def move_to(self, status: str) -> None:
        """Into `status`, with the timestamps AWS would have set on the way."""
        self.status = status
        stamp = now_ms()
        if status in ("SCHEDULED", "STARTING", "RUNNING", "SUCCEEDED"):
            self.scheduled_at = self.scheduled_at or stamp
        if status in ("STARTING", "RUNNING", "SUCCEEDED"):
            self.started_at = self.started_at or stamp
        if status in FINISHED:
            self.stopped_at = self.stopped_at or stamp
            self.moving = None


class ServiceJobs:
    """The service jobs and SAGEMAKER_TRAINING queues of one region of moto's backend."""

    def __init__(self, *, region: str, account: str) -> None:
        self.region = region
        self.account = account
        self.lock = threading.RLock()
        self.jobs: dict[str, ServiceJob] = {}
        # SAGEMAKER_TRAINING job queues: ARN -> name.
        self.queues: dict[str, str] = {}

    # ---- what BatchWorld and the handlers share ----

    def queue_arn(self, ref: str) -> str:
        """The ARN of a SAGEMAKER_TRAINING queue named or ARN'd by `ref`."""
        for arn, name in self.queues.items():
            if ref in (arn, name):
                return arn
        msg = f"Job queue {ref} does not exist or is not a SAGEMAKER_TRAINING job queue"
        raise ServiceError(msg)

    def add(
        self,
        *,
        name: str,
        queue: str,
        status: str = "SUBMITTED",
        created_at: int | None = None,
        payload: str = "{}",
        tags: dict[str, str] | None = None,
        share_identifier: str | None = None,
        scheduling_priority: int | None = None,
    ) -> ServiceJob:
        if status not in ALL_STATES:
            msg = f"service job status {status!r} is not one of {', '.join(ALL_STATES)}"
            raise ValueError(msg)
        with self.lock:
            job = ServiceJob(
                job_id=str(uuid.uuid4()),
                name=name,
                queue_arn=self.queue_arn(queue),
                region=self.region,
                account=self.account,
                status="SUBMITTED",
                created_at=created_at if created_at is not None else now_ms(),
                payload=payload,
                tags=dict(tags or {}),
                share_identifier=share_identifier,
                scheduling_priority=scheduling_priority,
            )
            job.move_to(status)
            if status == "FAILED":
                job.status_reason = "Training job failed"
            self.jobs[job.job_id] = job
            return job

    def get(self, job_id: str) -> ServiceJob | None:
        if job_id.startswith("arn:"):
            job_id = job_id.rsplit("/", 1)[-1]
        return self.jobs.get(job_id)

    def terminate(self, job_id: str, reason: str, *, stop_delay: float | None) -> bool:
        """TerminateServiceJob's effect; False when there is no such job.

        An unfinished job is flagged (`isTerminated`); with no world (`stop_delay` None) it stays
        flagged, with a zero delay it is FAILED at once, else the scheduler moves it later.
        """
        with self.lock:
            job = self.get(job_id)
            if job is None:
                return False
            if job.status in FINISHED or job.is_terminated:
                return True
            job.is_terminated = True
            job.status_reason = reason
            job.flagged = time.monotonic()
            job.moving = None
            if stop_delay is not None and stop_delay <= 0:
                job.move_to("FAILED")
            return True

    def tick(self, now: float, stop_delay: float) -> None:
        """The scheduler's part, called by BatchWorld's thread."""
        with self.lock:
            for job in self.jobs.values():
                if job.status in FINISHED:
                    continue
                if job.is_terminated and job.flagged is not None:
                    if now - job.flagged >= stop_delay:
                        job.move_to("FAILED")
                elif job.moving is not None and now >= job.moving[0]:
                    step = job.moving[1]
                    index = ALL_STATES.index(job.status)
                    job.move_to("SUCCEEDED" if job.status == "RUNNING" else ALL_STATES[index + 1])
                    if job.status not in FINISHED:
                        job.moving = (now + step, step)

    # ---- ListServiceJobs ----

    def list(self, body: dict[str, Any]) -> dict[str, Any]:
        queue = body.get("jobQueue")
        if not queue:
            raise ServiceError("jobQueue must be provided")
        filters = body.get("filters") or []
        status = body.get("jobStatus")
        max_results = body.get("maxResults")
        if max_results is not None and not (
            isinstance(max_results, int) and 1 <= max_results <= MAX_RESULTS
        ):
            raise ServiceError(f"maxResults must be between 1 and {MAX_RESULTS}")
        if status is not None and status not in ALL_STATES:
            raise ServiceError(f"jobStatus must be one of {' | '.join(ALL_STATES)}")
        if len(filters) > 1:
            raise ServiceError("Only one filter can be used at a time")
        with self.lock:
            arn = self.queue_arn(str(queue))
            jobs = [job for job in self.jobs.values() if job.queue_arn == arn]
            test = _filter_test(filters[0]) if filters else None
            name = str(filters[0].get("name")) if filters else ""
            if test is None or name in ("SHARE_IDENTIFIER", "QUOTA_SHARE_NAME"):
                # With no filter, only RUNNING jobs (botocore's doc of jobStatus).
                wanted = status or ("RUNNING" if test is None else None)
                jobs = [job for job in jobs if wanted is None or job.status == wanted]
            if test is not None:
                jobs = [job for job in jobs if test(job)]
            jobs.sort(key=lambda job: (-job.created_at, job.job_id))
            start = _offset(body.get("nextToken"), arn)
            size = max_results or MAX_RESULTS
            page = jobs[start : start + size]
            out: dict[str, Any] = {"jobSummaryList": [job.summary() for job in page]}
            if start + size < len(jobs):
                out["nextToken"] = _token(start + size, arn)
            return out


def _filter_test(spec: dict[str, Any]) -> Any:
    name, values = spec.get("name"), spec.get("values") or []
    if name not in FILTERS:
        raise ServiceError(f"filter name must be one of {' | '.join(FILTERS)}")
    if not values:
        raise ServiceError(f"filter {name} needs a value")
    value = str(values[0])
    if name == "JOB_NAME":
        if value.endswith("*"):
            prefix = value[:-1].lower()
            return lambda job: job.name.lower().startswith(prefix)
        return lambda job: job.name.lower() == value.lower()
    if name in ("BEFORE_CREATED_AT", "AFTER_CREATED_AT"):
        try:
            when = int(value)
        except ValueError as exc:
            msg = f"filter {name} takes milliseconds since the epoch, not {value!r}"
            raise ServiceError(msg) from exc
        if name == "BEFORE_CREATED_AT":
            return lambda job: job.created_at < when
        return lambda job: job.created_at > when
    if name == "SHARE_IDENTIFIER":
        return lambda job: job.share_identifier == value
    return lambda job: False  # QUOTA_SHARE_NAME: no quota shares in the sandbox


def _token(offset: int, queue_arn: str) -> str:
    raw = json.dumps({"offset": offset, "queue": queue_arn}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _offset(token: object, queue_arn: str) -> int:
    if token is None:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(str(token).encode()))
        offset = int(data["offset"])
        if data["queue"] != queue_arn or offset < 0:
            raise ValueError
    except (ValueError, KeyError, TypeError) as exc:
        raise ServiceError("The nextToken is not valid for this request") from exc
    return offset


def store_of(backend: Any) -> ServiceJobs:
    """The service-job store of a moto Batch backend (gone with the backend at moto's reset)."""
    store = backend.__dict__.get("_jobctl_service_jobs")
    if store is None:
        store = backend.__dict__.setdefault(
            "_jobctl_service_jobs",
            ServiceJobs(region=backend.region_name, account=backend.account_id),
        )
    return store  # type: ignore[no-any-return]
