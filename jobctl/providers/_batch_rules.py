"""AWS Batch, the pure part: INFO, the matrix, and plan/judge (no I/O).

Split from jobctl/providers/aws_batch.py, which re-exports it; see that module for the adapter
and docs/ARCHITECTURE.md, "Plan and judge", for the matrix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from jobctl.models import (
    Action,
    Children,
    JobState,
    Judgement,
    Outcome,
    Phase,
    StopOptions,
    Verb,
)
from jobctl.providers._arn import job_arns
from jobctl.providers._batch_arrays import INDEX, RANGES, UUID, children_of
from jobctl.providers._batch_service import (
    SERVICE_JOB,
    SERVICE_LIMITATIONS,
    SERVICE_MATRIX,
    SERVICE_STATES,
    TERMINATE_SERVICE,
    judge_service,
    plan_service,
)
from jobctl.providers.base import ProviderInfo, ReasonMode
from jobctl.providers.judging import not_seen, on_its_own, stop_not_taken, stopped_outcome

Q, R, F = Phase.QUEUED, Phase.RUNNING, Phase.FINISHED

INFO = ProviderInfo(
    name="aws-batch",
    title="AWS Batch",
    state_map={
        "SUBMITTED": Q,
        "PENDING": Q,
        "RUNNABLE": Q,
        # Service jobs only: handed to SageMaker AI, not started (_batch_service.py).
        "SCHEDULED": Q,
        "STARTING": R,
        "RUNNING": R,
        "SUCCEEDED": F,
        "FAILED": F,
    },
    success_states=frozenset({"SUCCEEDED"}),
    # UUIDs, array children (uuid:N) and multi-node nodes (uuid#N). Service jobs' ids are
    # UUIDs too (AWS's examples: service-job/a4d6c728-8ee8-4c65-8e2a-9a5e8f4b7c3d).
    job_id_pattern=re.compile(UUID + rf"(?::{INDEX}|#[0-9]{{1,5}})?"),
    job_id_hint="a UUID such as 1d828f65-7a6d-42a3-b5c6-8d2fa5b4e5e1, optionally :N (an "
    "array child, 0-9999) or #N (a multi-node node)",
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
        **SERVICE_MATRIX,
    },
    limitations={
        "reason_code": "no reasonCode field: sent inside reason as 'CODE: reason'",
        "cancel_running": "CancelJob answers 200 and does nothing to a STARTING/RUNNING job",
        "queued_stop": "a cancelled PENDING/RUNNABLE job may stay there until its dependencies "
        "finish or it reaches the head of the queue (outcome: stopping)",
        "array_parent": "CancelJob of an array job stops its children not started yet; running "
        "ones go on (--force: TerminateJob). A parent is final when its last child is",
        **SERVICE_LIMITATIONS,
    },
    job_kinds={SERVICE_JOB: SERVICE_STATES},
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
    references=job_arns("batch", "AWS Batch", ("job", SERVICE_JOB)),
    ranges=RANGES,
)

CANCEL, TERMINATE = "CancelJob", "TerminateJob"
# How a row begins when `cancel --force` sent TerminateJob, as --dry-run's says.
ESCALATED = "cancel escalated to TerminateJob (--force)"


def native_reason(options: StopOptions) -> str:
    if options.reason_code is not None:
        return f"{options.reason_code}: {options.reason}"
    return options.reason


def job_state(
    raw: Mapping[str, Any], *, kind: str | None = None, queue: str | None = None
) -> JobState:
    """A DescribeJobs / ListJobs job, or (`kind` SERVICE_JOB) a DescribeServiceJob answer or
    ListServiceJobs summary, as a JobState; `queue` when the listing's call named it."""
    status = str(raw.get("status", ""))
    extra: dict[str, Any] = {}
    if raw.get("statusReason"):
        extra["status_reason"] = raw["statusReason"]
    # Whether a stop was taken (judging.stop_not_taken): newer endpoints say, older ones and
    # moto do not; ListJobs / ListServiceJobs only when true. Service jobs have isTerminated.
    for key, name in (("isCancelled", "is_cancelled"), ("isTerminated", "is_terminated")):
        if isinstance(raw.get(key), bool):
            extra[name] = raw[key]
    queue = queue or raw.get("jobQueue")
    if queue:
        extra["queue"] = str(queue).rsplit("/", 1)[-1]
    created = raw.get("createdAt")
    return JobState(
        job_id=str(raw["jobId"]),
        native_state=status,
        phase=INFO.phase_of(status),
        name=raw.get("jobName"),
        succeeded=status in INFO.success_states,
        created_at=created / 1000 if isinstance(created, int | float) else None,
        extra=extra,
        children=children_of(raw, INFO.phase_of),
        kind=kind,
    )


def plan(*, job: JobState, options: StopOptions) -> Action:
    """The aws-batch rows of the matrix (docs/ARCHITECTURE.md, "Plan and judge")."""
    if job.kind == SERVICE_JOB:
        reason = native_reason(options)
        return plan_service(job=job, options=options, reason=reason, provider=INFO.name)
    if job.children is not None:
        return _plan_array_parent(job, job.children, options)
    return _plan_job(job, options)


def _plan_job(job: JobState, options: StopOptions) -> Action:
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
        return Action.send(TERMINATE, request, f"{job.native_state}: {ESCALATED}")
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
    ended FAILED for a reason other than the one jobctl sent ended on its own. An array
    parent is judged by its children.
    """
    if operation == TERMINATE_SERVICE:
        reason = native_reason(options)
        return judge_service(
            before=before, after=after, options=options, reason=reason, provider=INFO.name
        )
    if after is None:
        return not_seen()
    if after.children is not None:
        return _judge_array_parent(after, after.children, before.children, operation, options)
    return _judge_job(after, operation, options, previous)


def _judge_job(
    after: JobState, operation: str, options: StopOptions, previous: str | None
) -> Judgement:
    if after.phase is Phase.FINISHED:
        if after.succeeded:
            return on_its_own(after)
        return _judge_failed(after, operation, options)
    if after.phase is Phase.RUNNING and operation == CANCEL:
        return _started_before_cancel(after, options, previous)
    unchanged = stop_not_taken(after, operation, _retry(after, options))
    if unchanged is not None:
        return unchanged
    if after.native_state == "PENDING":
        message = "stop accepted; PENDING jobs are cancelled once their dependencies finish"
    elif after.native_state == "RUNNABLE":
        message = "stop accepted; a RUNNABLE job is cancelled when it reaches the queue's head"
    else:
        message = f"stop accepted; job is still {after.native_state}"
    if operation == TERMINATE and options.verb is Verb.CANCEL:
        # The row says what was sent and why, as --dry-run's does.
        message = f"{ESCALATED}; {message}"
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
        message = f"{ESCALATED}; {message}"
    return Judgement(stopped_outcome(options.verb), message)


def _started_before_cancel(
    after: JobState, options: StopOptions, previous: str | None
) -> Judgement:
    # `previous` set: it looked queued after CancelJob was accepted, and started all the same.
    when = "before CancelJob arrived" if previous is None else "before CancelJob took effect"
    if options.force:
        note = f"started {when}; escalated to TerminateJob (--force)"
        return Judgement(
            Outcome.FAILED,
            f"it started {when}; CancelJob does nothing to a started job: "
            "escalating to TerminateJob (--force)",
            escalate=_terminate(after, options, note),
        )
    return Judgement(
        Outcome.FAILED,
        f"it started {when}; CancelJob does nothing to a started job: "
        f"run 'jobctl terminate -p {INFO.name} {after.job_id}'",
    )


# -- array parents (jobctl/providers/_batch_arrays.py has the rest) -----------------------------


def _plan_array_parent(job: JobState, children: Children, options: StopOptions) -> Action:
    """A parent's row, by its own state and its children's, which lead its message.

    CancelJob of a PENDING parent cancels the children that have not started and leaves the
    running ones be; with --force a parent with running children gets TerminateJob.
    """
    words = children.words()
    if children.done and job.phase is not Phase.FINISHED:
        return Action.noop(f"{words}; the array is done (it still says {job.native_state})")
    running = children.running
    if options.verb is Verb.CANCEL and job.phase is Phase.QUEUED and running and options.force:
        return _terminate(job, options, f"{words}; {ESCALATED}: {_running(running)}")
    action = _plan_job(job, options)
    if options.verb is Verb.CANCEL and action.operation == CANCEL and running:
        also = (
            f"CancelJob stops only the children not started yet, not the {_running(running)} "
            "(--force stops them too)"
        )
        return replace(action, message=f"{words}; {also}")
    return replace(action, message=f"{words}; {action.message}" if action.message else words)


def _judge_array_parent(
    after: JobState,
    children: Children,
    before_children: Children | None,
    operation: str,
    options: StopOptions,
) -> Judgement:
    """Final when every child is, whatever the parent's own status says meanwhile: AWS ends a
    cancelled parent only once its last child has ended."""
    escalated = operation == TERMINATE and options.verb is Verb.CANCEL
    words = children.words()
    if not children.done and children.unknown:
        # Unknown is not finished, so the parent stays stopping; say that --wait cannot see
        # those children end, or a wait that runs to its --timeout says nothing of why.
        words += (
            f" (a state jobctl does not know: --wait cannot tell when "
            f"{'it ends' if children.unknown == 1 else 'they end'}; see them with "
            f"'jobctl status -p {INFO.name} {after.job_id}')"
        )
    if not children.done:
        unchanged = stop_not_taken(after, operation, _retry(after, options))
        if unchanged is not None and after.phase is not Phase.FINISHED:
            return replace(unchanged, message=f"{words}; {unchanged.message}")
        running = children.running
        if operation != CANCEL or not running:
            said = f"{ESCALATED}; " if escalated else ""
            return Judgement(Outcome.STOPPING, f"{said}stop accepted; {words}")
        if options.force:
            note = f"{_running(running)} left by CancelJob; escalated to TerminateJob (--force)"
            return Judgement(
                Outcome.STOPPING,
                f"{words}; CancelJob does not stop running children: "
                "escalating to TerminateJob (--force)",
                escalate=_terminate(after, options, note),
                still_running={"children": running},
            )
        return Judgement(
            Outcome.STOPPING,
            f"stop accepted; {words}; CancelJob does not stop the {_running(running)}: "
            f"run 'jobctl terminate -p {INFO.name} {after.job_id}'",
            still_running={"children": running},
        )
    # Every child final. A stop ends a child FAILED, so it is this stop's doing only if some
    # child reached FAILED after it; else they all finished on their own, whatever the parent
    # (which lags) says meanwhile.
    failed_before = before_children.states.get("FAILED", 0) if before_children else 0
    if children.states.get("SUCCEEDED", 0) >= children.total:
        judged = Judgement(
            Outcome.ALREADY_FINISHED, "every child succeeded on its own before the stop took effect"
        )
    elif children.states.get("FAILED", 0) <= failed_before:
        judged = Judgement(
            Outcome.ALREADY_FINISHED,
            "every child finished on its own before the stop took effect (none failed after it)",
        )
    elif after.phase is Phase.FINISHED:
        judged = _judge_job(after, operation, options, None)
    else:
        # The parent still says PENDING: its children are final, and it will be.
        said = f"{ESCALATED}; " if escalated else ""
        judged = Judgement(
            stopped_outcome(options.verb),
            f"{said}every child finished (the parent still says {after.native_state})",
        )
    return replace(judged, message=f"{words}; {judged.message}")


def _terminate(job: JobState, options: StopOptions, note: str) -> Action:
    """The TerminateJob that `cancel --force` escalates to, and why (`note`)."""
    return Action.send(TERMINATE, {"jobId": job.job_id, "reason": native_reason(options)}, note)


def _retry(after: JobState, options: StopOptions) -> str:
    return f"'jobctl {options.verb} -p {INFO.name} {after.job_id}'"


def _running(count: int) -> str:
    return f"{count} running {'child' if count == 1 else 'children'}"
