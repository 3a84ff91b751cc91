"""Tencent Cloud Batch's rules, pure: its facts (INFO), the matrix as code (`plan`), and what a
TerminateJob did (`judge`). No SDK, no I/O; `jobctl.providers.tencent` is the adapter that
acts on them (docs/ARCHITECTURE.md, "Plan and judge").
"""

from __future__ import annotations

import re
from typing import Any

from jobctl.models import Action, JobState, Judgement, Outcome, Phase, StopOptions, Verb
from jobctl.providers.base import ProviderInfo, ReasonMode
from jobctl.providers.judging import not_seen, on_its_own, stopped_outcome

Q, R, F = Phase.QUEUED, Phase.RUNNING, Phase.FINISHED
TERMINATE = "TerminateJob"
SUBMITTED = "SUBMITTED"
# The answer to TerminateJob for a job still SUBMITTED.
IN_USE = "ResourceInUse.Job"

INFO = ProviderInfo(
    name="tencent",
    title="Tencent Cloud Batch",
    state_map={
        "SUBMITTED": Q,
        "PENDING": Q,
        "RUNNABLE": Q,
        "STARTING": R,
        "RUNNING": R,
        "SUCCEED": F,
        "FAILED": F,
        "FAILED_INTERRUPTED": F,
    },
    success_states=frozenset({"SUCCEED"}),
    job_id_pattern=re.compile(r"job-[a-z0-9]{8}"),
    job_id_hint="a Tencent Cloud Batch job id such as job-rybewp57",
    reason_mode=ReasonMode.AUDIT,
    reason_code_mode=ReasonMode.AUDIT,
    reason_limit=None,
    reason_field=None,
    reason_code_field=None,
    matrix={
        "cancel": {
            "queued": "TerminateJob (SUBMITTED: retried until it leaves SUBMITTED, "
            "within --timeout)",
            "running": "refused (no cancel for a started job); --force: TerminateJob",
            "finished": "already-finished, no call",
        },
        "terminate": {
            "queued": "TerminateJob (SUBMITTED: retried as for cancel)",
            "running": "TerminateJob",
            "finished": "already-finished, no call",
        },
    },
    limitations={
        "reason": "TerminateJob has no reason field: --reason and --reason-code are kept in "
        "the audit log and the results only",
        "submitted": "Tencent refuses to terminate a SUBMITTED job (ResourceInUse.Job); jobctl "
        "retries until it leaves SUBMITTED, within --timeout",
        "asynchronous": "termination is asynchronous: a job is 'stopping' until it is FAILED; "
        "--wait waits for that",
        "rate": "TerminateJob takes 2 requests per second; jobctl holds itself to --rate",
        "profile": "--profile does not apply: the SDK reads TENCENTCLOUD_SECRET_ID/_KEY, the "
        "[default] section of ~/.tencentcloud/credentials, or the CVM role named in "
        "TENCENTCLOUD_CAM_ROLE_NAME",
    },
    describe_batch=100,
    send_batch=1,
    # More workers than the rate needs: a worker waiting for a job to leave SUBMITTED holds
    # no token, and the others keep sending meanwhile.
    default_concurrency=8,
    default_rate=2.0,
    regions=(
        "ap-guangzhou",
        "ap-shanghai",
        "ap-nanjing",
        "ap-beijing",
        "ap-chengdu",
        "ap-chongqing",
        "ap-hongkong",
        "ap-singapore",
        "ap-jakarta",
        "ap-bangkok",
        "ap-mumbai",
        "ap-seoul",
        "ap-tokyo",
        "na-siliconvalley",
        "na-ashburn",
        "na-toronto",
        "sa-saopaulo",
        "eu-frankfurt",
    ),
    region_env=("TENCENTCLOUD_REGION",),
    endpoint_env=("TENCENTCLOUD_ENDPOINT_URL",),
    # The SDK sends user-info as the Host header and as HTTP Basic authorization in place of
    # its request signature, and drops a path or a query without a word.
    endpoint_host_only="Tencent signs requests with TENCENTCLOUD_SECRET_ID/KEY",
)

_NO_REASON_FIELD = (
    "tencent: TerminateJob has no reason field, so --reason and --reason-code are not sent; "
    "jobctl keeps them in its audit log and its results"
)


def audit_extra(options: StopOptions) -> dict[str, Any]:
    """The reason the API cannot take, carried in the result instead."""
    extra: dict[str, Any] = {"reason": options.reason}
    if options.reason_code is not None:
        extra["reason_code"] = options.reason_code
    return extra


def plan(*, job: JobState, options: StopOptions) -> Action:
    """The tencent rows of the matrix (docs/ARCHITECTURE.md, "Plan and judge")."""
    request = {"JobId": job.job_id}
    extra = audit_extra(options)
    if job.phase is Phase.FINISHED:
        return Action.noop(f"already {job.native_state}; nothing sent")
    if job.phase is Phase.UNKNOWN:
        return Action.refuse(f"unknown state {job.native_state!r}; nothing sent")
    if job.native_state == SUBMITTED:
        note = "SUBMITTED: Tencent refuses TerminateJob until the job leaves SUBMITTED; retried"
        return Action.send(TERMINATE, request, note, extra=extra)
    if options.verb is Verb.TERMINATE or job.phase is Phase.QUEUED:
        return Action.send(TERMINATE, request, extra=extra)
    if options.force:
        note = f"{job.native_state}: cancel escalated to TerminateJob (--force)"
        return Action.send(TERMINATE, request, note, extra=extra)
    return Action.refuse(
        f"job is {job.native_state}: Tencent Cloud Batch has no cancel for a started job; "
        f"use --force or 'jobctl terminate -p {INFO.name} {job.job_id}'"
    )


_STARTED = "it had started before TerminateJob landed"


def judge(
    *,
    before: JobState,
    after: JobState | None,
    operation: str,
    options: StopOptions,
    previous: str | None = None,
) -> Judgement:
    """What TerminateJob did, from the state after it (pure).

    TerminateJob stops a job whatever its state, asynchronously: RUNNING after it is
    `stopping`. A job queued at lookup that is seen started afterwards (now, or by an earlier
    look during --wait) had started before the request landed, which `cancel` never means to
    stop: the result says so. A job that SUCCEEDs meanwhile finished on its own.
    """
    if after is None:
        return not_seen()
    started = before.phase is Phase.QUEUED and (
        after.phase is Phase.RUNNING or INFO.phase_of(previous or "") is Phase.RUNNING
    )
    if after.phase is Phase.FINISHED:
        if after.succeeded:
            return on_its_own(after)
        message = f"{after.native_state} after {operation}"
        reason = after.extra.get("status_reason")
        if reason:
            message += f" ({reason})"
        if started:
            message += f"; {_STARTED}"
        return Judgement(stopped_outcome(options.verb), message)
    message = (
        "termination accepted; Tencent terminates asynchronously: the job is still "
        f"{after.native_state}, and FAILED once terminated"
    )
    if options.verb is Verb.CANCEL and before.phase is Phase.RUNNING:
        # The row says what was sent and why, as --dry-run's does.
        message = f"cancel escalated to TerminateJob (--force); {message}"
    return Judgement(Outcome.STOPPING, f"{_STARTED}; {message}" if started else message)
