"""Tencent Cloud Batch: TerminateJob, the only stop its API has.

Three things make it more than one call. Tencent refuses to terminate a SUBMITTED job
(ResourceInUse.Job), so jobctl waits for the job to leave SUBMITTED and asks again, within
--timeout. TerminateJob takes 2 requests a second, so every request, retries included, goes
through the engine's rate limiter. And the SDK retries nothing, so throttling, InternalError
and network failures are retried here with jittered backoff. Termination itself is
asynchronous: right after the call the job is usually still running (outcome `stopping`).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from jobctl.errors import CredentialsRejected, NotFoundError, ProviderError
from jobctl.models import (
    Action,
    ActionKind,
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
from jobctl.providers.base import ProviderConfig, ProviderInfo, ReasonMode
from jobctl.providers.judging import not_seen, on_its_own, stopped_outcome

if TYPE_CHECKING:
    from jobctl.models import PlannedStop
    from jobctl.providers._tencent import Backoff
    from jobctl.ratelimit import Pacing

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


def submitted_notice(job_id: str, deadline: float) -> str:
    """What a run waiting on a SUBMITTED job says, once: what for, and until when (local)."""
    until = datetime.now() + timedelta(seconds=max(deadline - time.monotonic(), 0.0))
    return (
        f"tencent: job {job_id} is SUBMITTED; Tencent refuses to terminate it until it leaves "
        f"SUBMITTED: retrying until {until:%H:%M:%S}, Ctrl-C to stop"
    )


def _seconds(value: float) -> str:
    return f"{value:g}s"


class TencentProvider:
    info: ClassVar[ProviderInfo] = INFO

    def __init__(self, *, config: ProviderConfig) -> None:
        from jobctl.providers._tencent import Backoff, make_client, resolve_region

        self.region = resolve_region(config)
        self.send_batch = INFO.send_batch
        self._new_client = make_client(config)
        self._local = threading.local()
        self.timeout = config.timeout
        self.backoff: Backoff = Backoff()
        # How often to look whether a SUBMITTED job has moved on: soon at first, then calmly.
        self.poll: Backoff = Backoff(base=0.5, cap=5.0)

    def _client(self) -> Any:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self._new_client()
        return client

    # -- lookups ------------------------------------------------------------------------------

    def _call(self, method: str, request: Any, *, pacing: Pacing, deadline: float) -> Any:
        from jobctl.providers._tencent import with_retries

        return with_retries(
            lambda: getattr(self._client(), method)(request),
            backoff=self.backoff,
            deadline=deadline,
            sleep=pacing.sleep,
            # A TerminateJob retry takes a token too, but never waits for one past the deadline.
            before_retry=pacing.acquire if method == TERMINATE else (lambda deadline: True),
        )

    def _describe_ids(
        self, ids: Sequence[str], deadline: float | None = None, pacing: Pacing | None = None
    ) -> dict[str, JobState]:
        from tencentcloud.batch.v20170312 import models

        from jobctl.providers._tencent import job_state
        from jobctl.ratelimit import Pacing

        request = models.DescribeJobsRequest()
        request.JobIds = list(ids)
        request.Limit = INFO.describe_batch
        answer = self._call(
            "DescribeJobs",
            request,
            pacing=pacing or Pacing(),
            deadline=deadline if deadline is not None else time.monotonic() + self.timeout,
        )
        states = (job_state(view, INFO) for view in answer.JobSet or [])
        return {state.job_id: state for state in states}

    def describe(self, *, refs: Sequence[JobRef]) -> Mapping[JobRef, JobState]:
        by_id = {ref.job_id: ref for ref in refs}
        ids = list(by_id)
        found: dict[JobRef, JobState] = {}
        for start in range(0, len(ids), INFO.describe_batch):
            for job_id, state in self._describe_chunk(ids[start : start + INFO.describe_batch]):
                found[by_id[job_id]] = state
        return found

    def _describe_chunk(self, ids: list[str]) -> list[tuple[str, JobState]]:
        try:
            states = self._describe_ids(ids)
        except NotFoundError:
            # The emulator leaves unknown ids out of the answer; should the real API refuse
            # the whole batch instead, one id at a time tells the known from the unknown.
            if len(ids) == 1:
                return []
            return [pair for job_id in ids for pair in self._describe_chunk([job_id])]
        return [(job_id, states[job_id]) for job_id in ids if job_id in states]

    def list_jobs(self, *, selection: Selection) -> Sequence[JobState]:
        """DescribeJobs narrowed by state (and exact name) on the server, every page."""
        from tencentcloud.batch.v20170312 import models

        from jobctl.providers._tencent import job_state
        from jobctl.ratelimit import Pacing

        filters: list[tuple[str, list[str]]] = []
        if selection.states:
            filters.append(("job-state", sorted(selection.states)))
        glob = selection.name_glob
        if glob and not any(char in glob for char in "*?["):
            filters.append(("job-name", [glob]))
        found: dict[str, JobState] = {}
        offset = 0
        while True:
            request = models.DescribeJobsRequest()
            request.Filters = []
            for name, values in filters:
                item = models.Filter()
                item.Name, item.Values = name, values
                request.Filters.append(item)
            request.Offset, request.Limit = offset, INFO.describe_batch
            answer = self._call(
                "DescribeJobs",
                request,
                pacing=Pacing(),
                deadline=time.monotonic() + self.timeout,
            )
            page = answer.JobSet or []
            for view in page:
                state = job_state(view, INFO)
                # Newest first: a job created while paging shifts the pages by one.
                found.setdefault(state.job_id, state)
            offset += len(page)
            if not page or offset >= (answer.TotalCount or 0):
                return list(found.values())

    # -- stopping -----------------------------------------------------------------------------

    def plan(self, *, ref: JobRef, job: JobState, options: StopOptions) -> Action:
        return plan(job=job, options=options)

    # The module's pure function, as the Provider protocol's method.
    judge = staticmethod(judge)

    def send(self, *, stops: Sequence[PlannedStop], options: StopOptions) -> Sequence[SendResult]:
        from jobctl.ratelimit import current_pacing

        pacing = current_pacing()
        return [
            self._terminate(str(stop.action.request["JobId"]), pacing, options) for stop in stops
        ]

    def _terminate(self, job_id: str, pacing: Pacing, options: StopOptions) -> SendResult:
        """TerminateJob until it is accepted, refused for good, or out of time."""
        from tencentcloud.batch.v20170312 import models

        from jobctl.providers._tencent import failure

        deadline = time.monotonic() + self.timeout
        request = models.TerminateJobRequest()
        request.JobId = job_id
        while True:
            try:
                response = self._call(TERMINATE, request, pacing=pacing, deadline=deadline)
            except ProviderError as exc:
                if exc.code != IN_USE:
                    return failure(exc, pacing)
                waited = self._wait_out_submitted(job_id, exc, deadline, pacing)
                if isinstance(waited, SendResult):
                    return waited
                replanned = plan(job=waited, options=options)
                if replanned.kind is ActionKind.REFUSE:
                    # `cancel` without --force never stops a started job, however it started.
                    message = f"{replanned.message} (it started while jobctl waited)"
                    return SendResult(False, None, None, message, refused=True)
                if waited.phase is Phase.FINISHED:
                    # TerminateJob on a finished job is accepted and does nothing: claiming it
                    # would report a stop that never happened.
                    message = (
                        f"{waited.native_state} on its own while jobctl waited; nothing more sent"
                    )
                    return SendResult(False, None, None, message, already_finished=True)
                if not pacing.acquire(deadline):
                    if pacing.stop.is_set():
                        return failure(exc, pacing)
                    message = (
                        f"the job left SUBMITTED, but {_seconds(self.timeout)} ran out before "
                        "the rate limit let TerminateJob go again: run again or raise --timeout"
                    )
                    return SendResult(False, exc.request_id, exc.code, message)
                continue
            return SendResult(True, response.RequestId)

    def _wait_out_submitted(
        self, job_id: str, refused: ProviderError, deadline: float, pacing: Pacing
    ) -> JobState | SendResult:
        """The job once it has left SUBMITTED; else the result to report for it."""
        from jobctl.providers._tencent import failure

        pacing.notice(submitted_notice(job_id, deadline))
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                message = (
                    f"the job was still SUBMITTED after {_seconds(self.timeout)}, and Tencent "
                    "does not terminate a SUBMITTED job: run again later or raise --timeout"
                )
                return SendResult(False, refused.request_id, refused.code, message)
            if not pacing.sleep(min(self.poll.delay(attempt), remaining)):
                return failure(refused, pacing)
            attempt += 1
            try:
                state = self._describe_ids([job_id], deadline, pacing).get(job_id)
            except NotFoundError:
                state = None
            except CredentialsRejected as exc:
                return failure(exc, pacing)  # no later look would be let in either
            except ProviderError:
                continue  # the next look, or the deadline, decides
            if state is None:
                message = "the job disappeared while jobctl waited for it to leave SUBMITTED"
                return SendResult(False, None, "ResourceNotFound.Job", message, not_found=True)
            if state.native_state != SUBMITTED:
                return state

    def notices(self, *, options: StopOptions, stops: Sequence[PlannedStop]) -> Sequence[str]:
        if options.reason_is_default and options.reason_code is None:
            return []
        return [_NO_REASON_FIELD]
