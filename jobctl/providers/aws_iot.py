"""AWS IoT jobs: CancelJob, and CancelJobExecution for one thing's execution (`--thing`).

The trap this adapter exists for: CancelJob without force marks the job CANCELED at once, yet
every execution a device has already started stays IN_PROGRESS. jobctl says how many are left
running and that --force would cancel them, instead of a bare "cancelled".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from jobctl.errors import NotFoundError, ProviderError, UsageError
from jobctl.models import (
    Action,
    JobRef,
    JobState,
    Selection,
    SendResult,
    StopOptions,
)
from jobctl.providers.base import ProviderConfig, ProviderInfo

if TYPE_CHECKING:
    from jobctl.models import PlannedStop

from jobctl.providers._iot_rules import (
    _LOOKUP_THREADS,
    _NAMED_THINGS,
    CANCEL_EXECUTION,
    EXECUTION_STATE_MAP,
    INFO,
    execution_state,
    forced,
    job_state,
    judge,
    plan,
)

# INFO and the pure plan/judge live in jobctl/providers/_iot_rules.py; imported from here as before.
__all__ = [
    "EXECUTION_STATE_MAP",
    "INFO",
    "AwsIotProvider",
    "execution_state",
    "forced",
    "job_state",
    "judge",
    "plan",
]


class AwsIotProvider:
    info: ClassVar[ProviderInfo] = INFO

    def __init__(self, *, config: ProviderConfig) -> None:
        from jobctl.providers._aws import make_client

        self.client, self.region = make_client("iot", config)
        self.send_batch = INFO.send_batch

    def describe(self, *, refs: Sequence[JobRef]) -> Mapping[JobRef, JobState]:
        unique = list(dict.fromkeys(refs))
        if not unique:
            return {}
        workers = min(_LOOKUP_THREADS, len(unique))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="iot-describe") as pool:
            answers = list(pool.map(self._describe_one, unique))
        return {ref: state for ref, state in zip(unique, answers, strict=True) if state is not None}

    def _describe_one(self, ref: JobRef) -> JobState | None:
        """One lookup; None when IoT does not know the job (or the thing's execution)."""
        from jobctl.providers._aws import aws_errors, required

        thing = ref.target
        try:
            with aws_errors():
                if thing is None:
                    answer = self.client.describe_job(jobId=ref.job_id)
                    return self._with_things(job_state(required(answer, "job", "DescribeJob")))
                answer = self.client.describe_job_execution(jobId=ref.job_id, thingName=thing)
        except NotFoundError:
            return None
        execution = required(answer, "execution", "DescribeJobExecution")
        return execution_state(execution, job_id=ref.job_id, thing=thing)

    def _with_things(self, state: JobState) -> JobState:
        """A cancelled job with executions still running: which things run them, for a hint
        that runs as printed (`--thing NAME` for each); up to _NAMED_THINGS of them."""
        from jobctl.providers._aws import aws_errors

        if state.native_state != "CANCELED" or not state.extra.get("in_progress_executions"):
            return state
        try:
            with aws_errors():
                answer = self.client.list_job_executions_for_job(
                    jobId=state.job_id, status="IN_PROGRESS", maxResults=_NAMED_THINGS
                )
        except ProviderError:
            return state  # the hint then says how to name them; the lookup stands
        things = [
            str(item["thingArn"]).rsplit("/", 1)[-1]
            for item in answer.get("executionSummaries", [])
            if item.get("thingArn")
        ]
        return replace(state, extra={**state.extra, "in_progress_things": things})

    def list_jobs(self, *, selection: Selection) -> Sequence[JobState]:
        """ListJobs once per wanted status, every page; jobs are listed without executions."""
        from jobctl.providers._aws import aws_errors, required

        if selection.queue is not None:
            msg = "--queue applies to aws-batch only: IoT jobs have no queue"
            raise UsageError(msg)
        found: dict[str, JobState] = {}
        paginator = self.client.get_paginator("list_jobs")
        for status in sorted(s for s in selection.states if s in INFO.state_map):
            with aws_errors():
                for page in paginator.paginate(status=status):
                    for raw in required(page, "jobs", "ListJobs"):
                        state = job_state(raw)
                        if state.native_state in selection.states:
                            found.setdefault(state.job_id, state)
        return list(found.values())

    def plan(self, *, ref: JobRef, job: JobState, options: StopOptions) -> Action:
        return plan(ref=ref, job=job, options=options)

    # The module's pure function, as the Provider protocol's method.
    judge = staticmethod(judge)

    def send(self, *, stops: Sequence[PlannedStop], options: StopOptions) -> Sequence[SendResult]:
        return [self._send_one(stop) for stop in stops]

    def _send_one(self, stop: PlannedStop) -> SendResult:
        import botocore.exceptions

        from jobctl.providers._aws import failed_send, request_id_of

        if stop.action.operation == CANCEL_EXECUTION:
            method = self.client.cancel_job_execution
        else:
            method = self.client.cancel_job
        try:
            response = method(**stop.action.request)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            return failed_send(exc)
        return SendResult(True, request_id_of(response))

    def notices(self, *, options: StopOptions, stops: Sequence[PlannedStop]) -> Sequence[str]:
        notices = []
        if any(stop.action.request.get("force") for stop in stops):
            notices.append(
                "force=true: a device running a force-cancelled job execution cannot report "
                "its status afterwards; make sure it can recover on its own"
            )
        user_given = not options.reason_is_default or options.reason_code is not None
        if user_given and any(stop.action.operation == CANCEL_EXECUTION for stop in stops):
            notices.append(
                "CancelJobExecution has no comment or reasonCode field: "
                "--reason and --reason-code are kept in the audit log only"
            )
        return notices
