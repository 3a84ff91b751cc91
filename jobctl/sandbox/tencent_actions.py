"""The Batch actions the emulator answers: parameter checks and response bodies.

Field names follow tencentcloud/batch/v20170312/models.py so the SDK's _deserialize fills
its model objects; each function returns the Response object without its RequestId.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from jobctl.sandbox.tencent_state import JOB_ID_RE, ApiError, BatchJob, JobStore, TaskSpec

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

Json = dict[str, Any]

DESCRIBE_LIMIT_DEFAULT = 20
DESCRIBE_LIMIT_MAX = 100
_METRIC_KEYS = {
    "SUBMITTED": "SubmittedCount",
    "PENDING": "PendingCount",
    "RUNNABLE": "RunnableCount",
    "STARTING": "StartingCount",
    "RUNNING": "RunningCount",
    "SUCCEED": "SucceedCount",
    "FAILED_INTERRUPTED": "FailedInterruptedCount",
    "FAILED": "FailedCount",
}
_FILTERS = ("job-id", "job-name", "job-state", "zone", "tag-key", "tag-value")


def _iso(moment: float | None) -> str | None:
    if moment is None:
        return None
    return datetime.fromtimestamp(moment, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _metrics(job: BatchJob, count: Callable[[TaskSpec], int]) -> Json:
    # The emulator's tasks move with their job, so every count sits in the job's state.
    metrics = dict.fromkeys(_METRIC_KEYS.values(), 0)
    metrics[_METRIC_KEYS[job.state]] = sum(count(task) for task in job.tasks)
    return metrics


def _tags(job: BatchJob) -> list[Json]:
    return [{"Key": key, "Value": value} for key, value in job.tags]


def job_view(job: BatchJob) -> Json:
    """models.JobView, one row of DescribeJobs."""
    return {
        "JobId": job.job_id,
        "JobName": job.name,
        "JobState": job.state,
        "Priority": job.priority,
        "Placement": {"Zone": job.zone, "ProjectId": 0},
        "CreateTime": _iso(job.created_at),
        "EndTime": _iso(job.ended_at),
        "TaskMetrics": _metrics(job, lambda _task: 1),
        "Tags": _tags(job),
    }


def job_detail(job: BatchJob) -> Json:
    """models.DescribeJobResponse."""
    return {
        "JobId": job.job_id,
        "JobName": job.name,
        "Zone": job.zone,
        "Priority": job.priority,
        "JobState": job.state,
        "CreateTime": _iso(job.created_at),
        "EndTime": _iso(job.ended_at),
        "TaskSet": [
            {
                "TaskName": t.name,
                "TaskState": job.state,
                "CreateTime": _iso(job.created_at),
                "EndTime": _iso(job.ended_at),
            }
            for t in job.tasks
        ],
        "DependenceSet": [],
        "TaskMetrics": _metrics(job, lambda _task: 1),
        "TaskInstanceMetrics": _metrics(job, lambda task: task.instances),
        "StateReason": job.state_reason,
        "Tags": _tags(job),
        "NextAction": "",
    }


def _param(params: Json, name: str, kind: type, *, required: bool = False) -> Any:
    value = params.get(name)
    if value is None:
        if required:
            msg = f"The request is missing a required parameter `{name}`."
            raise ApiError("MissingParameter", msg)
        return None
    # bool is an int to Python but not to the API.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        msg = f"The value of parameter `{name}` must be of type {kind.__name__}."
        raise ApiError("InvalidParameter", msg)
    return value


def _job_id(value: object) -> str:
    if not isinstance(value, str) or JOB_ID_RE.fullmatch(value) is None:
        msg = f"The job id `{value}` is malformed."
        raise ApiError("InvalidParameter.JobIdMalformed", msg)
    return value


def _matches(job: BatchJob, name: str, values: list[str]) -> bool:
    if name == "job-id":
        return job.job_id in values
    if name == "job-name":
        return job.name in values
    if name == "job-state":
        return job.state in values
    if name == "zone":
        return job.zone in values
    if name == "tag-key":
        return any(key in values for key, _ in job.tags)
    if name == "tag-value":
        return any(value in values for _, value in job.tags)
    key = name.removeprefix("tag:")
    return any(k == key and v in values for k, v in job.tags)


def _filters(raw: list[Any]) -> list[tuple[str, list[str]]]:
    filters = []
    for item in raw:
        if not isinstance(item, dict):
            msg = "Each element of `Filters` must be an object with Name and Values."
            raise ApiError("InvalidParameter", msg)
        name = _param(item, "Name", str, required=True)
        values = _param(item, "Values", list, required=True)
        if name not in _FILTERS and not name.startswith("tag:"):
            supported = ", ".join((*_FILTERS, "tag:KEY"))
            msg = f"The filter name `{name}` is not supported; use one of {supported}."
            raise ApiError("InvalidParameterValue.InvalidFilter", msg)
        if not all(isinstance(v, str) for v in values):
            msg = f"The values of filter `{name}` must be strings."
            raise ApiError("InvalidParameter", msg)
        filters.append((name, values))
    return filters


def describe_jobs(store: JobStore, region: str, params: Json) -> Json:
    job_ids = _param(params, "JobIds", list)
    raw_filters = _param(params, "Filters", list)
    offset = _param(params, "Offset", int)
    limit = _param(params, "Limit", int)
    if job_ids is not None and raw_filters is not None:
        msg = "The parameters `JobIds` and `Filters` cannot be specified at the same time."
        raise ApiError("InvalidParameter", msg)
    offset = 0 if offset is None else offset
    limit = DESCRIBE_LIMIT_DEFAULT if limit is None else limit
    if offset < 0:
        msg = f"The value `{offset}` of parameter `Offset` must not be negative."
        raise ApiError("InvalidParameterValue", msg)
    if not 0 < limit <= DESCRIBE_LIMIT_MAX:
        msg = (
            f"The value `{limit}` of parameter `Limit` must be between 1 and {DESCRIBE_LIMIT_MAX}."
        )
        raise ApiError("InvalidParameterValue", msg)
    jobs = store.all(region)
    if job_ids is not None:
        if len(job_ids) > DESCRIBE_LIMIT_MAX:
            msg = f"At most {DESCRIBE_LIMIT_MAX} values are allowed in `JobIds`."
            raise ApiError("InvalidParameterValue", msg)
        wanted = list(dict.fromkeys(_job_id(v) for v in job_ids))
        by_id = {job.job_id: job for job in jobs}
        # Unknown ids are left out, not an error: the caller compares what came back.
        jobs = [by_id[job_id] for job_id in wanted if job_id in by_id]
    for name, values in _filters(raw_filters or []):
        jobs = [job for job in jobs if _matches(job, name, values)]
    return {
        "JobSet": [job_view(job) for job in jobs[offset : offset + limit]],
        "TotalCount": len(jobs),
    }


def describe_job(store: JobStore, region: str, params: Json) -> Json:
    job_id = _job_id(_param(params, "JobId", str, required=True))
    return job_detail(store.get(job_id, region))


def terminate_job(store: JobStore, region: str, params: Json, delay: float) -> Json:
    job_id = _job_id(_param(params, "JobId", str, required=True))
    store.terminate(job_id, region, delay)
    return {}


def delete_job(store: JobStore, region: str, params: Json) -> Json:
    job_id = _job_id(_param(params, "JobId", str, required=True))
    store.delete(job_id, region)
    return {}


def _tasks(raw: list[Any]) -> Iterable[TaskSpec]:
    if not raw:
        msg = "The request is missing a required parameter `Job.Tasks`."
        raise ApiError("MissingParameter", msg)
    names: set[str] = set()
    for item in raw:
        if not isinstance(item, dict):
            msg = "Each element of `Job.Tasks` must be an object."
            raise ApiError("InvalidParameter", msg)
        name = _param(item, "TaskName", str, required=True)
        instances = _param(item, "TaskInstanceNum", int) or 1
        if name in names:
            msg = f"The task name `{name}` is used twice in one job."
            raise ApiError("InvalidParameter.TaskName", msg)
        names.add(name)
        yield TaskSpec(name, instances)


def submit_job(store: JobStore, region: str, params: Json) -> Json:
    placement = _param(params, "Placement", dict, required=True)
    job = _param(params, "Job", dict, required=True)
    zone = _param(placement, "Zone", str, required=True)
    name = _param(job, "JobName", str) or ""
    if len(name) > 60:
        msg = "The job name is longer than 60 characters."
        raise ApiError("InvalidParameter.JobNameTooLong", msg)
    priority = _param(job, "Priority", int) or 0
    if not 0 <= priority <= 100:
        msg = f"The value `{priority}` of parameter `Job.Priority` must be between 0 and 100."
        raise ApiError("InvalidParameterValue", msg)
    tags = [
        (str(t.get("Key", "")), str(t.get("Value", "")))
        for t in _param(job, "Tags", list) or []
        if isinstance(t, dict)
    ]
    created = store.add(
        name=name,
        state="SUBMITTED",
        region=region,
        zone=zone,
        priority=priority,
        tasks=list(_tasks(_param(job, "Tasks", list, required=True))),
        tags=tags,
        client_token=_param(params, "ClientToken", str),
    )
    return {"JobId": created.job_id}


# Top-level parameters each action accepts; anything else is UnknownParameter, as on the API.
PARAMETERS: dict[str, frozenset[str]] = {
    "DescribeJob": frozenset({"JobId"}),
    "DescribeJobs": frozenset({"JobIds", "Filters", "Offset", "Limit"}),
    "TerminateJob": frozenset({"JobId"}),
    "DeleteJob": frozenset({"JobId"}),
    "SubmitJob": frozenset({"Placement", "Job", "ClientToken"}),
}


def dispatch(
    store: JobStore, action: str, region: str, params: Json, *, terminate_delay: float
) -> Json:
    unknown = sorted(set(params) - PARAMETERS[action])
    if unknown:
        msg = f"The parameter `{unknown[0]}` is not recognized by {action}."
        raise ApiError("UnknownParameter", msg)
    if action == "DescribeJob":
        return describe_job(store, region, params)
    if action == "DescribeJobs":
        return describe_jobs(store, region, params)
    if action == "TerminateJob":
        return terminate_job(store, region, params, terminate_delay)
    if action == "DeleteJob":
        return delete_job(store, region, params)
    return submit_job(store, region, params)
