"""AWS IoT jobs, the pure part: INFO, the state maps, and plan/judge (no I/O).

Split from jobctl/providers/aws_iot.py, which re-exports all of it; see that module for the
adapter and docs/ARCHITECTURE.md, "Plan and judge", for the matrix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from jobctl.models import (
    Action,
    JobRef,
    JobState,
    Judgement,
    Outcome,
    Phase,
    StopOptions,
    Verb,
)
from jobctl.providers._arn import job_arns
from jobctl.providers.base import ProviderInfo, ReasonMode
from jobctl.providers.judging import not_seen, on_its_own, stopped_outcome
from jobctl.validate import first_refused

Q, R, F = Phase.QUEUED, Phase.RUNNING, Phase.FINISHED
CANCEL_JOB, CANCEL_EXECUTION = "CancelJob", "CancelJobExecution"

# A job execution's status on one thing (JobExecutionStatus), normalized the same way.
EXECUTION_STATE_MAP: Mapping[str, Phase] = {
    "QUEUED": Q,
    "IN_PROGRESS": R,
    "SUCCEEDED": F,
    "FAILED": F,
    "TIMED_OUT": F,
    "REJECTED": F,
    "REMOVED": F,
    "CANCELED": F,
}

INFO = ProviderInfo(
    name="aws-iot",
    title="AWS IoT jobs",
    # Only the statuses the IoT API documents for a job; anything else is never acted on.
    state_map={
        "SCHEDULED": Q,
        "IN_PROGRESS": R,
        "CANCELED": F,
        "COMPLETED": F,
        "DELETION_IN_PROGRESS": F,
    },
    success_states=frozenset({"COMPLETED"}),
    job_id_pattern=re.compile(r"[a-zA-Z0-9_-]{1,64}"),
    job_id_hint="an AWS IoT job id: 1 to 64 of a-z, A-Z, 0-9, _ and - (e.g. firmware-rollout-42)",
    reason_mode=ReasonMode.FIELD,
    reason_code_mode=ReasonMode.FIELD,
    reason_limit=2028,
    reason_field="comment",
    reason_code_field="reasonCode",
    matrix={
        "cancel": {
            "queued": "CancelJob(force=false)",
            "running": "CancelJob(force=false); executions already IN_PROGRESS keep running "
            "(reported); --force: force=true",
            "finished": "already-finished, no call",
        },
        "terminate": {
            "queued": "CancelJob(force=true)",
            "running": "CancelJob(force=true)",
            "finished": "already-finished, no call",
        },
        "cancel --thing": {
            "queued": "execution QUEUED: CancelJobExecution(force=false)",
            "running": "execution IN_PROGRESS: refused (AWS rejects it without force); "
            "--force: CancelJobExecution(force=true)",
            "finished": "execution SUCCEEDED/FAILED/TIMED_OUT/REJECTED/REMOVED/CANCELED: "
            "already-finished, no call",
        },
        "terminate --thing": {
            "queued": "execution QUEUED: CancelJobExecution(force=true)",
            "running": "execution IN_PROGRESS: CancelJobExecution(force=true)",
            "finished": "already-finished, no call",
        },
    },
    limitations={
        "cancel_running": "CancelJob without force marks the job CANCELED but leaves executions "
        "already IN_PROGRESS running on their devices; jobctl reports how many",
        "force": "force=true cancels IN_PROGRESS executions: a device running one cannot report "
        "its status afterwards and must recover on its own",
        "execution_reason": "CancelJobExecution has no comment or reasonCode field: with --thing, "
        "--reason and --reason-code are kept in the audit log only",
        "names": "IoT jobs have no name apart from their id: --name matches the job id",
    },
    target_option="--thing",
    target_label="thing",
    target_state_map=EXECUTION_STATE_MAP,
    target_pattern=re.compile(r"[a-zA-Z0-9:_-]{1,128}"),
    # comment's pattern is [^\p{C}]+: no control, format, surrogate, private or unassigned.
    reason_refused_categories=frozenset({"Cc", "Cf", "Cs", "Co", "Cn"}),
    # DescribeJob and DescribeJobExecution take one job each; `describe` runs them concurrently.
    describe_batch=1,
    send_batch=1,
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
        "eu-south-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-5",
        "ap-south-1",
        "ap-east-1",
        "me-south-1",
        "me-central-1",
        "il-central-1",
    ),
    region_env=("AWS_REGION", "AWS_DEFAULT_REGION"),
    profile_env=("AWS_PROFILE",),
    endpoint_env=("AWS_ENDPOINT_URL_IOT", "AWS_ENDPOINT_URL"),
    references=job_arns("iot", "IoT"),
)

_LOOKUP_THREADS = 8
# A cancelled job's hint names at most this many things still running its executions.
_NAMED_THINGS = 10


def forced(options: StopOptions) -> bool:
    """`terminate` and `cancel --force` both send force=true."""
    return options.verb is Verb.TERMINATE or options.force


def plan(*, ref: JobRef, job: JobState, options: StopOptions) -> Action:
    """The aws-iot rows of the matrix; `ref.target` set means one thing's execution."""
    if ref.target is not None:
        return _plan_execution(ref, job, options)
    if job.phase is F:
        return Action.noop(f"already {job.native_state}; nothing sent")
    if job.phase is Phase.UNKNOWN:
        return Action.refuse(f"unknown state {job.native_state!r}; nothing sent")
    # The CLI refuses such a reason before any request; plan() stays safe on its own.
    bad = first_refused(options.reason, INFO.reason_refused_categories)
    if bad is not None:
        char = options.reason[bad]
        return Action.refuse(f"--reason contains {char!a}, which IoT's comment field does not take")
    force = forced(options)
    request: dict[str, Any] = {"jobId": ref.job_id, "force": force, "comment": options.reason}
    if options.reason_code is not None:
        request["reasonCode"] = options.reason_code
    message = ""
    if job.phase is R and not force:
        message = "executions already IN_PROGRESS keep running; --force would cancel them"
    return Action.send(CANCEL_JOB, request, message)


def _plan_execution(ref: JobRef, job: JobState, options: StopOptions) -> Action:
    where = f"execution on thing {ref.target}"
    if job.phase is F:
        return Action.noop(f"{where} already {job.native_state}; nothing sent")
    if job.phase is Phase.UNKNOWN:
        return Action.refuse(f"{where}: unknown state {job.native_state!r}; nothing sent")
    force = forced(options)
    if job.phase is R and not force:
        return Action.refuse(
            f"{where} is IN_PROGRESS: AWS rejects CancelJobExecution without force "
            "(InvalidStateTransition); use --force or "
            f"'jobctl terminate -p {INFO.name} --thing {ref.target} {ref.job_id}'"
        )
    # No expectedVersion: a device updating its progress meanwhile must not void the stop.
    request = {"jobId": ref.job_id, "thingName": ref.target, "force": force}
    # CancelJobExecution has no field for them: the result (and audit log) keeps them.
    unsent: dict[str, Any] = {"reason": options.reason}
    if options.reason_code is not None:
        unsent["reason_code"] = options.reason_code
    return Action.send(CANCEL_EXECUTION, request, where, extra=unsent)


def judge(
    *,
    before: JobState,
    after: JobState | None,
    operation: str,
    options: StopOptions,
    previous: str | None = None,
) -> Judgement:
    """What CancelJob/CancelJobExecution did, from the state after it (pure).

    Only CANCELED is this call's doing; a job COMPLETED or an execution SUCCEEDED, FAILED,
    TIMED_OUT... meanwhile ended on its own. A job CANCELED without force may still have
    executions running on their devices: said, and counted in the result.
    """
    if after is None:
        return not_seen()
    if operation == CANCEL_EXECUTION:
        return _judge_execution(after, options)
    if after.native_state == "CANCELED":
        running = int(after.extra.get("in_progress_executions") or 0)
        if running:
            return Judgement(
                stopped_outcome(options.verb),
                _left_running(after, running, options),
                still_running={"executions": running},
                extra={"in_progress_executions": running},
            )
        return Judgement(stopped_outcome(options.verb), _canceled(after, options))
    if after.native_state == "DELETION_IN_PROGRESS":
        return Judgement(
            Outcome.ALREADY_FINISHED,
            "DELETION_IN_PROGRESS: another request deleted the job before the stop took effect",
        )
    if after.phase is F:
        return on_its_own(after)
    return Judgement(Outcome.STOPPING, f"stop accepted; job is still {after.native_state}")


def _canceled(after: JobState, options: StopOptions) -> str:
    # IoT's own record of the cancel (reasonCode: comment), else its state.
    message = str(after.extra.get("status_reason") or f"job {after.native_state}")
    if forced(options) and after.extra.get("force_canceled"):
        message += "; forceCanceled: executions in progress were cancelled too"
    return message


def _left_running(after: JobState, running: int, options: StopOptions) -> str:
    if forced(options):
        return (
            f"job {after.native_state}; {_executions(running)} still IN_PROGRESS "
            "while IoT force-cancels them"
        )
    things = [str(name) for name in after.extra.get("in_progress_things") or ()]
    if things:
        named = " ".join(f"--thing {name}" for name in things)
        now = f"now: jobctl cancel -p {INFO.name} --force {named} {after.job_id}"
        if running > len(things):
            now += f", then again for the other {running - len(things)}"
    else:
        now = (
            f"now, for each thing running it: jobctl cancel -p {INFO.name} --force "
            f"--thing THING {after.job_id}"
        )
    return (
        f"job {after.native_state}, but {_executions(running)} still IN_PROGRESS on "
        "their devices: cancel without --force leaves started executions running; "
        f"--force would cancel them ({now})"
    )


def _judge_execution(after: JobState, options: StopOptions) -> Judgement:
    where = f"execution on thing {after.extra.get('thing')}"
    if after.native_state == "CANCELED":
        message = f"{where} CANCELED"
        if after.extra.get("force_canceled"):
            message += " (forceCanceled)"
        return Judgement(stopped_outcome(options.verb), message)
    if after.phase is F:
        return Judgement(
            Outcome.ALREADY_FINISHED,
            f"{where} {after.native_state} on its own before the stop took effect",
        )
    return Judgement(Outcome.STOPPING, f"stop accepted; {where} is still {after.native_state}")


def _epoch(value: Any) -> float | None:
    timestamp = getattr(value, "timestamp", None)
    return float(timestamp()) if callable(timestamp) else None


def job_state(raw: Mapping[str, Any]) -> JobState:
    """A Job (DescribeJob) or JobSummary (ListJobs) as jobctl's JobState."""
    status = str(raw.get("status", ""))
    phase = INFO.phase_of(status)
    extra: dict[str, Any] = {}
    details = raw.get("jobProcessDetails") or {}
    in_progress = details.get("numberOfInProgressThings")
    if isinstance(in_progress, int):
        extra["in_progress_executions"] = in_progress
        extra["queued_executions"] = int(details.get("numberOfQueuedThings") or 0)
    if raw.get("isConcurrent") is not None:
        extra["is_concurrent"] = bool(raw["isConcurrent"])
    if raw.get("forceCanceled"):
        extra["force_canceled"] = True
    why = [str(raw[key]) for key in ("reasonCode", "comment") if raw.get(key)]
    if status == "CANCELED" and why:
        extra["status_reason"] = ": ".join(why)
    return JobState(
        job_id=str(raw["jobId"]),
        native_state=status,
        phase=phase,
        # An IoT job's id is the name its owner gave it; there is no other.
        name=str(raw["jobId"]),
        succeeded=status in INFO.success_states,
        created_at=_epoch(raw.get("createdAt")),
        extra=extra,
    )


def execution_state(raw: Mapping[str, Any], *, job_id: str, thing: str) -> JobState:
    """A JobExecution (DescribeJobExecution) on one thing as jobctl's JobState."""
    status = str(raw.get("status", ""))
    extra: dict[str, Any] = {"thing": thing}
    if raw.get("versionNumber") is not None:
        extra["version"] = raw["versionNumber"]
    if raw.get("forceCanceled"):
        extra["force_canceled"] = True
    return JobState(
        job_id=job_id,
        native_state=status,
        phase=EXECUTION_STATE_MAP.get(status, Phase.UNKNOWN),
        name=job_id,
        succeeded=status == "SUCCEEDED",
        created_at=_epoch(raw.get("queuedAt")),
        extra=extra,
    )


def _executions(count: int) -> str:
    return "1 execution is" if count == 1 else f"{count} executions are"
