"""AWS Batch service jobs (SageMaker Training through Batch), the pure part: their states,
their matrix rows, and plan/judge for them (no I/O).

A service job has an API of its own: DescribeServiceJob, ListServiceJobs, TerminateServiceJob
and its bulk form TerminateServiceJobs (at most 50 ids, HTTP 200 with a per-job `errors[]`).
There is no CancelServiceJob, so `cancel` of a queued service job sends TerminateServiceJob,
the one stop call a service job has (it takes a started job too); `cancel` of a started one is
refused without --force, as for a container job, because terminating it stops the training.
`_batch_rules.plan` and `judge` hand service jobs here (docs/ARCHITECTURE.md, "Plan and
judge"); this module imports nothing of Batch's, so it takes the reason and the provider's
name from its caller.
"""

from __future__ import annotations

from jobctl.models import Action, JobState, Judgement, Outcome, Phase, StopOptions, Verb
from jobctl.providers.judging import not_seen, on_its_own, stop_not_taken, stopped_outcome

# `JobState.kind` of a service job, as its ARN says it (`service-job/ID`).
SERVICE_JOB = "service-job"
TERMINATE_SERVICE = "TerminateServiceJob"
# The native states of a service job (botocore's ServiceJobStatus): SCHEDULED is the container
# jobs' states' only addition, a job handed to SageMaker AI that has not started.
SERVICE_STATES = frozenset(
    {"SUBMITTED", "PENDING", "RUNNABLE", "SCHEDULED", "STARTING", "RUNNING", "SUCCEEDED", "FAILED"}
)
# States a container job never has: ListJobs is not asked for them.
ONLY_SERVICE_STATES = frozenset({"SCHEDULED"})
# `JobState.extra` key of an id DescribeJobs does not know and DescribeServiceJob was denied
# for: which kind it is, and whether it exists, is not known; `plan` sends it nothing.
UNCHECKED = "unchecked"
# The queue type (DescribeJobQueues' `jobQueueType`) whose jobs are service jobs.
QUEUE_TYPE = "SAGEMAKER_TRAINING"

SERVICE_MATRIX = {
    f"cancel {SERVICE_JOB}": {
        "queued": f"{TERMINATE_SERVICE}; there is no CancelServiceJob, and TerminateServiceJob "
        "stops the job even if it starts meanwhile",
        "running": "refused (TerminateServiceJob would stop the training); "
        f"--force: {TERMINATE_SERVICE}",
        "finished": "already-finished, no call",
    },
    f"terminate {SERVICE_JOB}": {
        "queued": TERMINATE_SERVICE,
        "running": f"{TERMINATE_SERVICE}; SageMaker AI stops the training job",
        "finished": "already-finished, no call",
    },
}
SERVICE_LIMITATIONS = {
    "service_job_cancel": "service jobs have no CancelServiceJob: cancel of a queued one sends "
    "TerminateServiceJob",
}


def plan_service(*, job: JobState, options: StopOptions, reason: str, provider: str) -> Action:
    """The service-job rows of the matrix; `reason` is the native one (`native_reason`)."""
    if job.phase is Phase.FINISHED:
        return Action.noop(f"already {job.native_state}; nothing sent")
    if job.phase is Phase.UNKNOWN:
        return Action.refuse(f"unknown state {job.native_state!r}; nothing sent")
    request = {"jobId": job.job_id, "reason": reason}
    if options.verb is Verb.TERMINATE:
        return Action.send(TERMINATE_SERVICE, request)
    if job.phase is Phase.QUEUED:
        return Action.send(
            TERMINATE_SERVICE, request, "service jobs have no CancelServiceJob: terminated instead"
        )
    if options.force:
        return Action.send(
            TERMINATE_SERVICE,
            request,
            f"{job.native_state}: cancel escalated to {TERMINATE_SERVICE} (--force)",
        )
    return Action.refuse(
        f"job is {job.native_state}: TerminateServiceJob would stop its training, which cancel "
        f"does not do; use --force or 'jobctl terminate -p {provider} {job.job_id}'"
    )


def judge_service(
    *,
    before: JobState,
    after: JobState | None,
    options: StopOptions,
    reason: str,
    provider: str,
) -> Judgement:
    """What TerminateServiceJob did, from the state after it (pure).

    It stops a service job whatever its state, asynchronously: one still unfinished is
    `stopping`. FAILED with `isTerminated` or the reason jobctl sent is this call's doing;
    SUCCEEDED, or FAILED for another reason without `isTerminated`, ended on its own.
    """
    if after is None:
        return not_seen()
    escalated = options.verb is Verb.CANCEL and before.phase is Phase.RUNNING
    said = f"cancel escalated to {TERMINATE_SERVICE} (--force); " if escalated else ""
    if after.phase is not Phase.FINISHED:
        retry = f"'jobctl {options.verb} -p {provider} {after.job_id}'"
        unchanged = stop_not_taken(after, TERMINATE_SERVICE, retry)
        if unchanged is not None:
            return unchanged
        return Judgement(
            Outcome.STOPPING, f"{said}stop accepted; service job is still {after.native_state}"
        )
    if after.succeeded:
        return on_its_own(after)
    status_reason = after.extra.get("status_reason")
    ours = status_reason is None or str(status_reason) == reason
    terminated = after.extra.get("is_terminated")
    if terminated is True and not ours:
        return Judgement(
            Outcome.ALREADY_FINISHED,
            f"{after.native_state}: stopped by another request (statusReason: {status_reason}) "
            "before this stop took effect",
        )
    if not ours:
        return on_its_own(after, f"statusReason: {status_reason}")
    if terminated is False:
        return on_its_own(after, "isTerminated is false")
    message = (
        str(status_reason) if status_reason else f"{after.native_state} after TerminateServiceJob"
    )
    return Judgement(stopped_outcome(options.verb), f"{said}{message}")
