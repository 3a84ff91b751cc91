"""The data that flows through jobctl: references, job states, plans and results.

All frozen: each stage of the pipeline (docs/ARCHITECTURE.md, "Data flow") builds new values
instead of mutating.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Verb(StrEnum):
    CANCEL = "cancel"
    TERMINATE = "terminate"


class Phase(StrEnum):
    """A provider's native state, normalized (docs/ARCHITECTURE.md, "Plan and judge")."""

    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    UNKNOWN = "unknown"


class Outcome(StrEnum):
    """What happened to one job (docs/ARCHITECTURE.md, "Outcomes and exit codes")."""

    CANCELLED = "cancelled"
    TERMINATED = "terminated"
    STOPPING = "stopping"
    ALREADY_FINISHED = "already-finished"
    REFUSED = "refused"
    NOT_FOUND = "not-found"
    FAILED = "failed"
    PLANNED = "planned"
    SKIPPED = "skipped"

    @property
    def ok(self) -> bool:
        return self in _OK_OUTCOMES


_OK_OUTCOMES = frozenset(
    {
        Outcome.CANCELLED,
        Outcome.TERMINATED,
        Outcome.STOPPING,
        Outcome.ALREADY_FINISHED,
        Outcome.PLANNED,
    }
)


@dataclass(frozen=True)
class JobRef:
    """One job the user asked for, resolved to a provider."""

    provider: str
    job_id: str
    # None: the provider's configured region applies. Set when the reference was an ARN, or a
    # row of `list`/`status` on standard input.
    region: str | None = None
    # A sub-target within the job, e.g. an IoT thing name with `--thing`; part of identity.
    target: str | None = None

    @property
    def key(self) -> tuple[str, str | None, str, str | None]:
        return (self.provider, self.region, self.job_id, self.target)


@dataclass(frozen=True)
class Children:
    """The child jobs a job is made of (an AWS Batch array job's), counted by phase.

    A job with children is finished only when every child is (docs/ARCHITECTURE.md, "Jobs made
    of jobs"); its own state may say otherwise for a while.
    """

    # What the provider calls such a job, for messages: "array" gives "array of 100: ...".
    label: str
    # How many children the job has.
    total: int
    queued: int = 0
    running: int = 0
    finished: int = 0
    # Children in a state the provider maps to no phase.
    unknown: int = 0
    # The provider's own count per native state, as it gave them (nonzero counts only).
    states: Mapping[str, int] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        """Every child is finished."""
        return self.finished >= self.total

    def words(self) -> str:
        """The counts in words: "array of 100: 40 queued, 10 running, 50 finished"."""
        counts = f"{self.queued} queued, {self.running} running, {self.finished} finished"
        if self.unknown:
            counts += f", {self.unknown} in an unknown state"
        return f"{self.label} of {self.total}: {counts}"

    def as_dict(self) -> dict[str, Any]:
        """The `children` object of the JSON envelope's rows (schema_version 1)."""
        return {
            "kind": self.label,
            "total": self.total,
            "queued": self.queued,
            "running": self.running,
            "finished": self.finished,
            "unknown": self.unknown,
            "states": dict(self.states),
        }


@dataclass(frozen=True)
class JobState:
    """A job as its provider describes it."""

    job_id: str
    native_state: str
    phase: Phase
    name: str | None = None
    # The state counts as success (SUCCEEDED, COMPLETED...): a job that ends here after a stop
    # request finished on its own; jobctl must not claim it cancelled it.
    succeeded: bool = False
    # When the job was created, seconds since the epoch (for --older-than); None if unknown.
    created_at: float | None = None
    # Provider-specific details worth showing (status reason, queue, executions in progress).
    extra: Mapping[str, Any] = field(default_factory=dict)
    # The job's children by phase, when it is made of child jobs (a Batch array parent).
    children: Children | None = None
    # Which of its provider's kinds of job this is (`ProviderInfo.job_kinds`, e.g. Batch's
    # "service-job"); None: the provider's ordinary job. Results carry it as `target_kind`.
    kind: str | None = None
    # Why the provider could not look this one job up (a permission it lacks for this job's
    # kind), while the rest of the lookup worked: the job is `failed` ("lookup failed: ...")
    # and nothing is sent to it. The other fields say nothing then.
    lookup_error: str | None = None


@dataclass(frozen=True)
class StopOptions:
    """The user's normalized request, the same for every provider."""

    verb: Verb
    # The reason as the user gave it, or jobctl's default one; never empty.
    reason: str
    # True when `reason` is jobctl's default, not the user's words.
    reason_is_default: bool = False
    reason_code: str | None = None
    force: bool = False


@dataclass(frozen=True)
class Selection:
    """Jobs chosen by filter instead of by id; all fields narrow the set.

    See docs/ARCHITECTURE.md, "References and selections".
    """

    # Native states to match, already expanded from phases and upper-cased.
    states: frozenset[str]
    # A queue name or ARN (providers with `ProviderInfo.queues`); None: every queue in scope.
    queue: str | None = None
    # fnmatch-style pattern on the job name.
    name_glob: str | None = None
    # Only jobs created before this time (seconds since the epoch).
    created_before: float | None = None

    def matches(self, job: JobState) -> bool:
        from fnmatch import fnmatchcase

        if job.native_state not in self.states:
            return False
        if self.name_glob is not None and not fnmatchcase(job.name or "", self.name_glob):
            return False
        if self.created_before is not None:
            return job.created_at is not None and job.created_at < self.created_before
        return True


class ActionKind(StrEnum):
    SEND = "send"
    NOOP = "noop"
    REFUSE = "refuse"


@dataclass(frozen=True)
class Action:
    """The planner's decision for one job: a native request, or why there is none."""

    kind: ActionKind
    # Native operation name as the provider documents it, e.g. "CancelJob".
    operation: str | None = None
    # The exact native request parameters.
    request: Mapping[str, Any] = field(default_factory=dict)
    message: str = ""
    # Goes into the result's `extra`: what the native request cannot carry (Tencent's reason).
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def send(
        cls,
        operation: str,
        request: Mapping[str, Any],
        message: str = "",
        *,
        extra: Mapping[str, Any] | None = None,
    ) -> Action:
        return cls(ActionKind.SEND, operation, dict(request), message, dict(extra or {}))

    @classmethod
    def noop(cls, message: str) -> Action:
        return cls(ActionKind.NOOP, message=message)

    @classmethod
    def refuse(cls, message: str) -> Action:
        return cls(ActionKind.REFUSE, message=message)


@dataclass(frozen=True)
class PlannedStop:
    """A job and the native request the planner chose for it; what a provider's `send` gets."""

    ref: JobRef
    before: JobState
    action: Action


@dataclass(frozen=True)
class SendResult:
    """A provider's answer to one stop request (one job, even inside a bulk call)."""

    accepted: bool
    request_id: str | None = None
    error_code: str | None = None
    message: str = ""
    not_found: bool = False
    # The job finished by itself before the stop could take (Tencent's SUBMITTED wait).
    already_finished: bool = False
    # Nothing was sent: the job moved, before it could be, into a state the matrix refuses.
    refused: bool = False
    # The request went out and no answer said what became of it (a server error after every
    # retry, a timeout, a dropped connection): it may have taken; the look after decides.
    unanswered: bool = False
    # What carried this job's stop when not the request its chunk went out in (a bulk call's
    # job sent again alone): that operation and request, for the result and the audit log.
    operation: str | None = None
    request: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Judgement:
    """What an accepted stop request did, judged from the job's state after it."""

    outcome: Outcome
    message: str
    # The stop to send next because this one could not stop the job (--force only).
    escalate: Action | None = None
    # Parts of the job still running after it, by the provider's name for them
    # ({"executions": 2}); the result carries them as `still_running`.
    still_running: Mapping[str, int] = field(default_factory=dict)
    # Goes into the result's `extra`: provider details for the JSON report only.
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    """One line of jobctl's report: the outcome for one job."""

    provider: str
    region: str | None
    job_id: str
    action: str
    outcome: Outcome
    operation: str | None = None
    state_before: str | None = None
    state_after: str | None = None
    message: str = ""
    request_id: str | None = None
    # The native request sent, or that would be sent with --dry-run.
    request: Mapping[str, Any] | None = None
    # Provider-specific leftovers for the report (status reason, a reason the API cannot
    # carry...); nothing generic reads them.
    extra: Mapping[str, Any] = field(default_factory=dict)
    # The sub-target within the job this result is about (`JobRef.target`), and what its
    # provider calls such a target (`ProviderInfo.target_label`, e.g. "thing"); None: the job.
    # Without a sub-target, `target_kind` is the job's own kind when its provider has more
    # than one (`JobState.kind`: Batch's "service-job"); None: an ordinary job.
    target: str | None = None
    target_kind: str | None = None
    # Parts of the job still running after the stop, by the provider's name for them
    # ({"executions": 2}); empty when none are known to run on.
    still_running: Mapping[str, int] = field(default_factory=dict)
    # --wait ran out of time while this job was still stopping (exit code 5). The report says
    # so by the outcome and the exit code; it is no field of the JSON envelope.
    wait_timed_out: bool = False
    # The job's children by phase as last seen (after the stop, else before it), when it is
    # made of child jobs (a Batch array parent); None for any other job.
    children: Children | None = None

    def as_dict(self) -> dict[str, Any]:
        """The result as the JSON envelope has it (schema_version 1)."""
        return {
            "provider": self.provider,
            "region": self.region,
            "job_id": self.job_id,
            "target": self.target,
            "target_kind": self.target_kind,
            "action": self.action,
            "operation": self.operation,
            "outcome": str(self.outcome),
            "state_before": self.state_before,
            "state_after": self.state_after,
            "message": self.message,
            "request_id": self.request_id,
            "request": dict(self.request) if self.request is not None else None,
            "children": self.children.as_dict() if self.children is not None else None,
            "extra": dict(self.extra),
        }
