"""The reference provider: jobs kept in memory, the adapter a new provider author copies first.

Everything a provider module has is here, at its smallest: `INFO` (importable without the
"SDK"), a pure `plan` (the matrix as code), a pure `judge` (what a stop did, from the state
after it), the state map and error translation, and one class keeping the `Provider`
protocol. Its "cloud" (`_memory_cloud.py`) behaves like AWS Batch where it matters: Cancel
does nothing to a started job and is still accepted, stops may take effect later, and the
bulk call can be missing. The engine's tests run against it without any server.

It is registered as `memory` only while JOBCTL_ENABLE_MEMORY_PROVIDER=1; docs/providers.md
says how to write a provider from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
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
from jobctl.providers.base import (
    BulkSupport,
    BulkUnsupported,
    ProviderConfig,
    ProviderInfo,
    ReasonMode,
)
from jobctl.providers.judging import not_seen, on_its_own, stopped_outcome

if TYPE_CHECKING:
    from jobctl.models import PlannedStop
    from jobctl.providers._memory_cloud import MemoryCloud

Q, R, F = Phase.QUEUED, Phase.RUNNING, Phase.FINISHED
CANCEL, TERMINATE = "Cancel", "Terminate"

INFO = ProviderInfo(
    name="memory",
    title="In-memory reference provider",
    state_map={
        "QUEUED": Q,
        "RUNNING": R,
        "SUCCEEDED": F,
        "FAILED": F,
        "CANCELLED": F,
        "TERMINATED": F,
    },
    success_states=frozenset({"SUCCEEDED"}),
    job_id_pattern=re.compile(r"mem-[0-9a-f]{8}"),
    job_id_hint="a memory job id such as mem-0000002a",
    reason_mode=ReasonMode.FIELD,
    reason_code_mode=ReasonMode.PREFIX,
    reason_limit=256,
    reason_field="reason",
    reason_code_field=None,
    matrix={
        "cancel": {
            "queued": "Cancel",
            "running": "refused (Cancel would do nothing); --force: Terminate",
            "finished": "already-finished, no call",
        },
        "terminate": {
            "queued": "Terminate",
            "running": "Terminate",
            "finished": "already-finished, no call",
        },
    },
    limitations={
        "reason_code": "no reason code field: sent inside reason as 'CODE: reason'",
        "cancel_running": "Cancel is accepted and does nothing to a RUNNING job",
    },
    queues=True,
    describe_batch=100,
    send_batch=10,
    default_concurrency=4,
    regions=("memory-1", "memory-2"),
    region_env=("JOBCTL_MEMORY_REGION",),
)


def native_reason(options: StopOptions) -> str:
    if options.reason_code is not None:
        return f"{options.reason_code}: {options.reason}"
    return options.reason


def plan(*, job: JobState, options: StopOptions) -> Action:
    """The matrix in INFO, as code: pure, and tested against INFO.matrix by jobctl.testing."""
    request = {"jobId": job.job_id, "reason": native_reason(options)}
    if job.phase is F:
        return Action.noop(f"already {job.native_state}; nothing sent")
    if job.phase is Phase.UNKNOWN:
        return Action.refuse(f"unknown state {job.native_state!r}; nothing sent")
    if options.verb is Verb.TERMINATE:
        return Action.send(TERMINATE, request)
    if job.phase is Q:
        return Action.send(CANCEL, request)
    if options.force:
        return Action.send(TERMINATE, request, f"{job.native_state}: cancel escalated (--force)")
    return Action.refuse(
        f"job is {job.native_state}: Cancel would be accepted and do nothing; "
        "use --force or 'jobctl terminate'"
    )


def judge(
    *,
    before: JobState,
    after: JobState | None,
    operation: str,
    options: StopOptions,
    previous: str | None = None,
) -> Judgement:
    """What Cancel/Terminate did, from the state after it (pure).

    Only a stop carrying this run's reason is this run's doing; a job that finished any other
    way finished on its own, and a job that started before Cancel landed was not stopped.
    """
    if after is None:
        return not_seen()
    if after.native_state in ("CANCELLED", "TERMINATED"):
        reason = after.extra.get("status_reason")
        if reason is not None and reason != native_reason(options):
            return Judgement(
                Outcome.ALREADY_FINISHED,
                f"{after.native_state} by another request (reason: {reason}) "
                "before this stop took effect",
            )
        return Judgement(stopped_outcome(options.verb), str(reason or after.native_state))
    if after.phase is F:
        return on_its_own(after)
    if after.phase is R and operation == CANCEL:
        when = "before Cancel arrived" if previous is None else "before Cancel took effect"
        message = f"it started {when}; Cancel does nothing to a started job"
        if not options.force:
            return Judgement(Outcome.FAILED, f"{message}: run 'jobctl terminate'")
        request = {"jobId": after.job_id, "reason": native_reason(options)}
        escalate = Action.send(TERMINATE, request, f"started {when}; escalated (--force)")
        return Judgement(Outcome.FAILED, f"{message}: escalating", escalate=escalate)
    return Judgement(Outcome.STOPPING, f"stop accepted; job is still {after.native_state}")


def job_state(raw: Mapping[str, Any]) -> JobState:
    """One job of the cloud's answer as jobctl's JobState; the rest goes in `extra`."""
    if "error" in raw:
        error = f"{raw['error']}: not allowed to look at this job"
        return JobState(str(raw["jobId"]), "", Phase.UNKNOWN, lookup_error=error)
    status = str(raw["status"])
    extra: dict[str, Any] = {"queue": raw["jobQueue"]}
    if raw.get("statusReason"):
        extra["status_reason"] = raw["statusReason"]
    return JobState(
        job_id=str(raw["jobId"]),
        native_state=status,
        phase=INFO.phase_of(status),
        name=raw.get("jobName"),
        succeeded=status in INFO.success_states,
        created_at=float(raw["createdAt"]),
        extra=extra,
    )


@contextmanager
def memory_errors() -> Iterator[None]:
    """The SDK's exceptions as jobctl's, at the adapter boundary (most specific first)."""
    from jobctl.providers._memory_cloud import MemoryCloudError

    try:
        yield
    except MemoryCloudError as exc:
        raise ProviderError(exc.message, code=exc.code) from exc


class MemoryProvider:
    info: ClassVar[ProviderInfo] = INFO

    def __init__(self, *, config: ProviderConfig) -> None:
        # Where a real provider imports its SDK: here, never at module top.
        from jobctl.providers._memory_cloud import DEFAULT_REGION, cloud

        self.region = config.region or DEFAULT_REGION
        self.client: MemoryCloud = cloud(self.region)
        # Whether the cloud takes many stops in one call, learned by one probe (SendsInBulk).
        self.bulk = BulkSupport.of(INFO.name, self.client.endpoint)

    @property
    def send_batch(self) -> int:
        """10 while the cloud may take many stops in one call; 1 once it is known not to."""
        return INFO.send_batch if self.bulk.known is not False else 1

    def bulk_action(self, *, stops: Sequence[PlannedStop]) -> Action:
        """The one request `send` makes for `stops`, as --dry-run shows it (SendsInBulk)."""
        operation = str(stops[0].action.operation)
        request = {
            "jobIds": [str(stop.action.request["jobId"]) for stop in stops],
            "reason": str(stops[0].action.request["reason"]),
        }
        if self.bulk.known:
            return Action.send(operation, request)
        note = f"one {operation} a job instead if this cloud has no multi-job {operation}"
        return Action.send(operation, request, note)

    def describe(self, *, refs: Sequence[JobRef]) -> Mapping[JobRef, JobState]:
        by_id = {ref.job_id: ref for ref in refs}
        ids = list(by_id)
        found: dict[JobRef, JobState] = {}
        for start in range(0, len(ids), INFO.describe_batch):
            with memory_errors():
                answer = self.client.describe_jobs(ids[start : start + INFO.describe_batch])
            for raw in answer:
                state = job_state(raw)
                found[by_id[state.job_id]] = state
        return found

    def list_jobs(self, *, selection: Selection) -> Sequence[JobState]:
        with memory_errors():
            answer = self.client.list_jobs(states=sorted(selection.states), queue=selection.queue)
        return [job_state(raw) for raw in answer]

    def plan(self, *, ref: JobRef, job: JobState, options: StopOptions) -> Action:
        return plan(job=job, options=options)

    judge = staticmethod(judge)

    def send(self, *, stops: Sequence[PlannedStop], options: StopOptions) -> Sequence[SendResult]:
        from jobctl.providers._memory_cloud import MemoryCloudError

        operation = str(stops[0].action.operation)
        ids = [str(stop.action.request["jobId"]) for stop in stops]
        reason = str(stops[0].action.request["reason"])
        try:
            errors = self.client.stop_jobs(operation, ids, reason)
        except MemoryCloudError as exc:
            if exc.code == "UnknownOperation":
                self.bulk.settle(False)  # the engine hands them back, to go one by one
                raise BulkUnsupported from exc
            return [SendResult(False, None, exc.code, exc.message) for _ in stops]
        if len(stops) > 1:
            self.bulk.settle(True)
        failed = {str(e["jobId"]): e for e in errors}
        return [
            SendResult(True)
            if job_id not in failed
            else SendResult(
                False,
                None,
                str(failed[job_id]["code"]),
                str(failed[job_id]["message"]),
                not_found=failed[job_id]["code"] == "JobNotFound",
            )
            for job_id in ids
        ]

    def notices(self, *, options: StopOptions, stops: Sequence[PlannedStop]) -> Sequence[str]:
        return []
