"""Tencent Cloud Batch: TerminateJob, the only stop its API has.

Three things make it more than one call. Tencent refuses to terminate a SUBMITTED job
(ResourceInUse.Job), so jobctl waits for the job to leave SUBMITTED and asks again, within
--timeout. TerminateJob takes 2 requests a second, so every request, retries included, goes
through the engine's rate limiter. And the SDK retries nothing, so throttling, InternalError
and network failures are retried here with jittered backoff. Termination itself is
asynchronous: right after the call the job is usually still running (outcome `stopping`).
"""

from __future__ import annotations

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
    Phase,
    Selection,
    SendResult,
    StopOptions,
)
from jobctl.providers._tencent_rules import (
    _NO_REASON_FIELD,
    IN_USE,
    INFO,
    SUBMITTED,
    TERMINATE,
    audit_extra,
    judge,
    plan,
)
from jobctl.providers.base import ProviderConfig, ProviderInfo

# The rules live in _tencent_rules.py; tests and the registry find them here as before.
__all__ = [
    "INFO",
    "IN_USE",
    "SUBMITTED",
    "TERMINATE",
    "TencentProvider",
    "audit_extra",
    "judge",
    "plan",
    "submitted_notice",
]

if TYPE_CHECKING:
    from jobctl.models import PlannedStop
    from jobctl.providers._tencent import Backoff
    from jobctl.ratelimit import Pacing


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
        from jobctl.providers._tencent import Backoff, ClientPool, make_client, resolve_region

        self.region = resolve_region(config)
        self.send_batch = INFO.send_batch
        self.clients = ClientPool(make_client(config))
        self.timeout = config.timeout
        self.backoff: Backoff = Backoff()
        # How often to look whether a SUBMITTED job has moved on: soon at first, then calmly.
        self.poll: Backoff = Backoff(base=0.5, cap=5.0)

    def _send_once(self, method: str, request: Any) -> Any:
        with self.clients.lend() as client:
            return getattr(client, method)(request)

    # -- lookups ------------------------------------------------------------------------------

    def _call(self, method: str, request: Any, *, pacing: Pacing, deadline: float) -> Any:
        from jobctl.providers._tencent import with_retries

        return with_retries(
            lambda: self._send_once(method, request),
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
        from jobctl.ratelimit import paged

        pages = [
            ids[start : start + INFO.describe_batch]
            for start in range(0, len(ids), INFO.describe_batch)
        ]
        found: dict[JobRef, JobState] = {}
        for page in paged(self._describe_chunk, pages):
            for job_id, state in page:
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
