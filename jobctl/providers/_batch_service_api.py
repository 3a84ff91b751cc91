"""AWS Batch service jobs, the calls: DescribeServiceJob, ListServiceJobs and the queues'
types, for `AwsBatchProvider` (jobctl/providers/aws_batch.py), which passes its boto3 client.

A plain id DescribeJobs does not know may be a service job's: each such id gets one
DescribeServiceJob, and only a job that call does not know either is not found. The pure
rules for service jobs are in `_batch_service.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from jobctl.models import JobState
from jobctl.providers._batch_rules import job_state
from jobctl.providers._batch_service import QUEUE_TYPE, SERVICE_JOB, SERVICE_STATES, UNCHECKED

# DescribeServiceJob calls in flight at once (one call per id: the API has no batch form).
_FAN_OUT = 8
# What DescribeServiceJob answers for an id it does not know: Batch reports a missing job as
# a ClientException (400); a malformed id as that or a ValidationException.
_UNKNOWN_CODES = frozenset(
    {"ClientException", "ValidationException", "ResourceNotFoundException", "NotFoundException"}
)


def service_job_state(raw: Mapping[str, Any], *, queue: str | None = None) -> JobState:
    """A DescribeServiceJob answer or a ListServiceJobs summary, as a JobState; an id
    DescribeServiceJob was denied for (UNCHECKED) as a lookup that failed for that id."""
    if raw.get(UNCHECKED):
        state = job_state({"jobId": raw["jobId"]})
        return replace(state, lookup_error=str(raw[UNCHECKED]))
    return job_state(raw, kind=SERVICE_JOB, queue=queue)


def _unchecked(error: Exception) -> str:
    return f"could not check whether it is a service job: {error}"


def could_be_service_job(job_id: str) -> bool:
    """Array children (ID:N) and multi-node nodes (ID#N) are container jobs' only."""
    return ":" not in job_id and "#" not in job_id


def describe_service_jobs(client: Any, ids: Sequence[str]) -> dict[str, JobState]:
    """The service jobs among `ids`, by id: one DescribeServiceJob each, a few at once."""
    if not ids:
        return {}
    with ThreadPoolExecutor(max_workers=min(_FAN_OUT, len(ids))) as pool:
        answers = list(pool.map(lambda job_id: _describe_one(client, job_id), ids))
    return {
        job_id: service_job_state(raw)
        for job_id, raw in zip(ids, answers, strict=True)
        if raw is not None
    }


def _describe_one(client: Any, job_id: str) -> Mapping[str, Any] | None:
    """The answer, or None when the endpoint knows no such service job (or no service jobs
    at all: an endpoint without the operation, such as moto's)."""
    import botocore.exceptions

    from jobctl.providers._aws import (
        DENIED_PREFIX,
        error_code,
        is_missing_operation,
        required,
        translate,
    )

    try:
        answer = client.describe_service_job(jobId=job_id)
    except botocore.exceptions.ClientError as exc:
        code = error_code(exc)
        if code in _UNKNOWN_CODES or is_missing_operation(exc):
            return None
        error = translate(exc)
        if code.startswith(DENIED_PREFIX):
            # A policy without batch:DescribeServiceJob costs this id only, not the run: it
            # is neither found nor missing, and nothing is sent to it (UNCHECKED).
            return {"jobId": job_id, UNCHECKED: _unchecked(error)}
        raise error from exc
    except botocore.exceptions.BotoCoreError as exc:
        raise translate(exc) from exc
    # An unreadable answer has no `status`: its job is unknown, not missing.
    required(answer, "status", "DescribeServiceJob")
    return {"jobId": job_id, **answer}


def list_service_jobs(client: Any, queue: str, status: str) -> list[JobState]:
    """One queue's service jobs in one state, every page (ListServiceJobs)."""
    from jobctl.providers._aws import aws_errors, required

    if status not in SERVICE_STATES:
        return []
    states = []
    with aws_errors():
        pages = client.get_paginator("list_service_jobs").paginate(jobQueue=queue, jobStatus=status)
        for page in pages:
            for raw in required(page, "jobSummaryList", "ListServiceJobs"):
                states.append(service_job_state(raw, queue=queue))
    return states


def queue_types(client: Any, queue: str | None = None) -> list[tuple[str, bool]]:
    """(name, holds service jobs) for `queue` (a name or an ARN) or every queue, from
    DescribeJobQueues' `jobQueueType`. A queue given that DescribeJobQueues does not know is
    listed as a container queue, so ListJobs says what is wrong with it, as before; so is one
    DescribeJobQueues is denied or fails for."""
    from jobctl.errors import ProviderError
    from jobctl.providers._aws import aws_errors, required

    found: list[tuple[str, bool]] = []
    asked = {"jobQueues": [queue]} if queue is not None else {}
    try:
        with aws_errors():
            for page in client.get_paginator("describe_job_queues").paginate(**asked):
                for raw in required(page, "jobQueues", "DescribeJobQueues"):
                    service = raw.get("jobQueueType") == QUEUE_TYPE
                    found.append((queue or str(raw["jobQueueName"]), service))
    except ProviderError:
        if queue is None:
            raise  # no queue to fall back on: every queue's name comes from this call
        # A policy without batch:DescribeJobQueues, or a call that failed: the queue is read
        # as a container queue with ListJobs, as before service jobs were known.
        return [(queue, False)]
    if queue is not None and not found:
        return [(queue, False)]
    return found
