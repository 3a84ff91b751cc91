"""AWS Batch: CancelJob / TerminateJob, and their bulk forms CancelJobs / TerminateJobs.

The trap this adapter exists for: CancelJob answers 200 for a STARTING or RUNNING job and does
nothing. jobctl looks every job up first and refuses (or, with --force, escalates to
TerminateJob) instead of reporting a success that did not happen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from jobctl.errors import ProviderError
from jobctl.models import (
    Action,
    JobRef,
    JobState,
    Judgement,
    Outcome,
    Phase,
    Selection,
    SendResult,
    StopOptions,
    Verb,
)
from jobctl.providers._arn import job_arns
from jobctl.providers.base import BulkUnsupported, ProviderConfig, ProviderInfo, ReasonMode
from jobctl.providers.judging import not_seen, on_its_own, stopped_outcome

if TYPE_CHECKING:
    from jobctl.models import PlannedStop

Q, R, F = Phase.QUEUED, Phase.RUNNING, Phase.FINISHED

INFO = ProviderInfo(
    name="aws-batch",
    title="AWS Batch",
    state_map={
        "SUBMITTED": Q,
        "PENDING": Q,
        "RUNNABLE": Q,
        "STARTING": R,
        "RUNNING": R,
        "SUCCEEDED": F,
        "FAILED": F,
    },
    success_states=frozenset({"SUCCEEDED"}),
    # UUIDs, array children (uuid:N) and multi-node nodes (uuid#N).
    job_id_pattern=re.compile(
        r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
        r"(?:[:#][0-9]{1,5})?"
    ),
    job_id_hint="a UUID such as 1d828f65-7a6d-42a3-b5c6-8d2fa5b4e5e1, optionally :N or #N",
    reason_mode=ReasonMode.FIELD,
    reason_code_mode=ReasonMode.PREFIX,
    reason_limit=1024,
    reason_field="reason",
    reason_code_field=None,
    matrix={
        "cancel": {
            "queued": "CancelJob",
            "running": "refused (CancelJob would do nothing); --force: TerminateJob",
            "finished": "already-finished, no call",
        },
        "terminate": {
            "queued": "TerminateJob",
            "running": "TerminateJob",
            "finished": "already-finished, no call",
        },
    },
    limitations={
        "reason_code": "no reasonCode field: sent inside reason as 'CODE: reason'",
        "cancel_running": "CancelJob answers 200 and does nothing to a STARTING/RUNNING job",
        "queued_stop": "a cancelled PENDING/RUNNABLE job may stay there until its dependencies "
        "finish or it reaches the head of the queue (outcome: stopping)",
    },
    queues=True,
    describe_batch=100,
    send_batch=50,
    default_concurrency=8,
    regions=(
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "ca-central-1",
        "sa-east-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-central-1",
        "eu-north-1",
        "eu-south-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-south-1",
        "ap-east-1",
        "me-south-1",
        "af-south-1",
    ),
    region_env=("AWS_REGION", "AWS_DEFAULT_REGION"),
    profile_env=("AWS_PROFILE",),
    endpoint_env=("AWS_ENDPOINT_URL_BATCH", "AWS_ENDPOINT_URL"),
    references=job_arns("batch", "AWS Batch"),
)

CANCEL, TERMINATE = "CancelJob", "TerminateJob"
_BULK = {CANCEL: ("cancel_jobs", "CancelJobs"), TERMINATE: ("terminate_jobs", "TerminateJobs")}
_SINGLE = {CANCEL: "cancel_job", TERMINATE: "terminate_job"}
# ListJobs calls in flight at once: every queue x state of a listing, within the API's rate.
_LIST_FAN_OUT = 8
# Per-job error codes in a bulk answer that the API documents as "retry the request".
_RETRY_ALONE = frozenset({"ThrottlingException", "ServerException", "TooManyRequestsException"})


def native_reason(options: StopOptions) -> str:
    if options.reason_code is not None:
        return f"{options.reason_code}: {options.reason}"
    return options.reason


def plan(*, job: JobState, options: StopOptions) -> Action:
    """The aws-batch rows of the matrix (docs/ARCHITECTURE.md, "Plan and judge")."""
    request = {"jobId": job.job_id, "reason": native_reason(options)}
    if job.phase is Phase.FINISHED:
        return Action.noop(f"already {job.native_state}; nothing sent")
    if job.phase is Phase.UNKNOWN:
        return Action.refuse(f"unknown state {job.native_state!r}; nothing sent")
    if options.verb is Verb.TERMINATE:
        return Action.send(TERMINATE, request)
    if job.phase is Phase.QUEUED:
        return Action.send(CANCEL, request)
    if options.force:
        return Action.send(
            TERMINATE, request, f"{job.native_state}: cancel escalated to TerminateJob (--force)"
        )
    return Action.refuse(
        f"job is {job.native_state}: AWS Batch CancelJob would answer 200 and do nothing; "
        f"use --force or 'jobctl terminate -p {INFO.name} {job.job_id}'"
    )


def judge(
    *,
    before: JobState,
    after: JobState | None,
    operation: str,
    options: StopOptions,
    previous: str | None = None,
) -> Judgement:
    """What CancelJob/TerminateJob did, from the state after it (pure).

    CancelJob answers 200 for a job that started meanwhile and does nothing to it; a job that
    ended FAILED for a reason other than the one jobctl sent ended on its own.
    """
    if after is None:
        return not_seen()
    if after.phase is Phase.FINISHED:
        if after.succeeded:
            return on_its_own(after)
        return _judge_failed(after, operation, options)
    if after.phase is Phase.RUNNING and operation == CANCEL:
        return _started_before_cancel(after, options, previous)
    if after.native_state == "PENDING":
        message = "stop accepted; PENDING jobs are cancelled once their dependencies finish"
    elif after.native_state == "RUNNABLE":
        message = "stop accepted; a RUNNABLE job is cancelled when it reaches the queue's head"
    else:
        message = f"stop accepted; job is still {after.native_state}"
    if operation == TERMINATE and options.verb is Verb.CANCEL:
        # The row says what was sent and why, as --dry-run's does.
        message = f"cancel escalated to TerminateJob (--force); {message}"
    return Judgement(Outcome.STOPPING, message)


def _judge_failed(after: JobState, operation: str, options: StopOptions) -> Judgement:
    reason = after.extra.get("status_reason")
    # AWS sets statusReason to the reason of the stop that ended a job; none at all is rare
    # enough (and moto's and AWS's stops always set it) to count as this call's doing.
    ours = reason is None or str(reason) == native_reason(options)
    flags = [
        bool(after.extra[key]) for key in ("is_cancelled", "is_terminated") if key in after.extra
    ]
    if flags and any(flags) and not ours:
        return Judgement(
            Outcome.ALREADY_FINISHED,
            f"{after.native_state}: stopped by another request (statusReason: {reason}) "
            "before this stop took effect",
        )
    if (flags and not any(flags)) or not ours:
        return on_its_own(after, f"statusReason: {reason}" if reason else None)
    message = str(reason) if reason else f"{after.native_state} after {operation}"
    if operation == TERMINATE and options.verb is Verb.CANCEL:
        message = f"cancel escalated to TerminateJob (--force); {message}"
    return Judgement(stopped_outcome(options.verb), message)


def _started_before_cancel(
    after: JobState, options: StopOptions, previous: str | None
) -> Judgement:
    # `previous` set: it looked queued after CancelJob was accepted, and started all the same.
    when = "before CancelJob arrived" if previous is None else "before CancelJob took effect"
    if options.force:
        request = {"jobId": after.job_id, "reason": native_reason(options)}
        note = f"started {when}; escalated to TerminateJob (--force)"
        return Judgement(
            Outcome.FAILED,
            f"it started {when}; CancelJob does nothing to a started job: "
            "escalating to TerminateJob (--force)",
            escalate=Action.send(TERMINATE, request, note),
        )
    return Judgement(
        Outcome.FAILED,
        f"it started {when}; CancelJob does nothing to a started job: "
        f"run 'jobctl terminate -p {INFO.name} {after.job_id}'",
    )


def _all_failed(failure: Exception, count: int) -> list[SendResult]:
    code = getattr(failure, "code", type(failure).__name__)
    request_id = getattr(failure, "request_id", None)
    message = getattr(failure, "message", str(failure))
    return [SendResult(False, request_id, code, message) for _ in range(count)]


def _job_state(raw: Mapping[str, Any]) -> JobState:
    status = str(raw.get("status", ""))
    extra: dict[str, Any] = {}
    if raw.get("statusReason"):
        extra["status_reason"] = raw["statusReason"]
    # Newer endpoints say whether a stop ended the job; older ones and moto do not.
    for key, name in (("isCancelled", "is_cancelled"), ("isTerminated", "is_terminated")):
        if isinstance(raw.get(key), bool):
            extra[name] = raw[key]
    if raw.get("jobQueue"):
        extra["queue"] = str(raw["jobQueue"]).rsplit("/", 1)[-1]
    created = raw.get("createdAt")
    return JobState(
        job_id=str(raw["jobId"]),
        native_state=status,
        phase=INFO.phase_of(status),
        name=raw.get("jobName"),
        succeeded=status in INFO.success_states,
        created_at=created / 1000 if isinstance(created, int | float) else None,
        extra=extra,
    )


class AwsBatchProvider:
    info: ClassVar[ProviderInfo] = INFO

    def __init__(self, *, config: ProviderConfig) -> None:
        from jobctl.providers._aws import make_client

        self.client, self.region = make_client("batch", config)
        # Lowered to 1 once the endpoint turns out to have no CancelJobs/TerminateJobs.
        self.send_batch = INFO.send_batch

    def describe(self, *, refs: Sequence[JobRef]) -> Mapping[JobRef, JobState]:
        from jobctl.providers._aws import aws_errors, required

        found: dict[JobRef, JobState] = {}
        by_id = {ref.job_id: ref for ref in refs}
        ids = list(by_id)
        for start in range(0, len(ids), INFO.describe_batch):
            with aws_errors():
                answer = self.client.describe_jobs(jobs=ids[start : start + INFO.describe_batch])
            # An unreadable answer has no `jobs`: its jobs are unknown, not missing.
            for raw in required(answer, "jobs", "DescribeJobs"):
                state = _job_state(raw)
                if state.job_id in by_id:
                    found[by_id[state.job_id]] = state
        return found

    def list_jobs(self, *, selection: Selection) -> Sequence[JobState]:
        """ListJobs takes one queue and one status a call: fan out over both, merge, dedupe.

        The calls run concurrently (boto3 clients are thread-safe): one after another, a cold
        TAB's lookup of 3 queues x 5 states missed its 1 s deadline at a 25 ms round trip.
        """
        from concurrent.futures import ThreadPoolExecutor

        queues = [selection.queue] if selection.queue else self.queue_names()
        calls = [(queue, status) for queue in queues for status in sorted(selection.states)]
        found: dict[str, JobState] = {}
        with ThreadPoolExecutor(max_workers=min(_LIST_FAN_OUT, len(calls) or 1)) as pool:
            # map keeps the calls' order, so which duplicate wins does not depend on timing.
            for states in pool.map(lambda call: self._list_one(*call), calls):
                for state in states:
                    found.setdefault(state.job_id, state)
        return list(found.values())

    def _list_one(self, queue: str, status: str) -> list[JobState]:
        from jobctl.providers._aws import aws_errors, required

        states = []
        with aws_errors():
            for page in self.client.get_paginator("list_jobs").paginate(
                jobQueue=queue, jobStatus=status
            ):
                for raw in required(page, "jobSummaryList", "ListJobs"):
                    states.append(_job_state({**raw, "jobQueue": queue}))
        return states

    def queue_names(self) -> list[str]:
        """Every job queue's name (DescribeJobQueues): what `--queue` TAB offers."""
        from jobctl.providers._aws import aws_errors, required

        names: list[str] = []
        with aws_errors():
            for page in self.client.get_paginator("describe_job_queues").paginate():
                queues = required(page, "jobQueues", "DescribeJobQueues")
                names.extend(str(q["jobQueueName"]) for q in queues)
        return names

    def plan(self, *, ref: JobRef, job: JobState, options: StopOptions) -> Action:
        return plan(job=job, options=options)

    # The module's pure function, as the Provider protocol's method.
    judge = staticmethod(judge)

    def send(self, *, stops: Sequence[PlannedStop], options: StopOptions) -> Sequence[SendResult]:
        if len(stops) == 1:
            return [self._send_one(stops[0])]
        bulk = self._send_bulk(stops)
        if bulk is None:
            raise BulkUnsupported
        return bulk

    def _send_one(self, stop: PlannedStop) -> SendResult:
        from jobctl.providers._aws import aws_errors, request_id_of

        operation = str(stop.action.operation)
        method = getattr(self.client, _SINGLE[operation])
        try:
            with aws_errors():
                response = method(**stop.action.request)
        except ProviderError as exc:
            return SendResult(False, exc.request_id, exc.code, exc.message)
        return SendResult(True, request_id_of(response))

    def _send_bulk(self, stops: Sequence[PlannedStop]) -> list[SendResult] | None:
        """One CancelJobs/TerminateJobs call; None when the endpoint does not have it."""
        import botocore.exceptions

        from jobctl.providers._aws import is_missing_operation, request_id_of, translate
        from jobctl.ratelimit import current_pacing

        operation = str(stops[0].action.operation)
        method_name, _ = _BULK[operation]
        method = getattr(self.client, method_name, None)
        if method is None:
            self.send_batch = 1
            return None
        ids = [str(stop.action.request["jobId"]) for stop in stops]
        reason = str(stops[0].action.request["reason"])
        try:
            response = method(jobs=ids, reason=reason)
        except botocore.exceptions.ClientError as exc:
            if is_missing_operation(exc):
                self.send_batch = 1
                return None
            return _all_failed(translate(exc), len(stops))
        except botocore.exceptions.BotoCoreError as exc:
            return _all_failed(translate(exc), len(stops))
        request_id = request_id_of(response)
        errors = {str(e.get("job")): e for e in response.get("errors", [])}
        results = []
        for stop, job_id in zip(stops, ids, strict=True):
            err = errors.get(job_id)
            if err is None:
                results.append(SendResult(True, request_id))
            elif str(err.get("code")) in _RETRY_ALONE:
                # Throttled or failed on the server inside a 200 answer, where botocore's
                # retries cannot see it: the single call is retried by botocore as usual,
                # as one more request under --rate, and not at all once the run is interrupted.
                if current_pacing().acquire():
                    results.append(self._send_one(stop))
                else:
                    code, message = str(err.get("code")), str(err.get("message"))
                    message += " (not retried: interrupted)"
                    results.append(SendResult(False, request_id, code, message))
            else:
                results.append(
                    SendResult(False, request_id, str(err.get("code")), str(err.get("message")))
                )
        return results

    def notices(self, *, options: StopOptions, stops: Sequence[PlannedStop]) -> Sequence[str]:
        return []
