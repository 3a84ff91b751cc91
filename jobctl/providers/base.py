"""The contract every provider adapter keeps, and the static facts it declares.

A provider module exposes `INFO` (a `ProviderInfo`, importable without any cloud SDK) and one
class implementing `Provider`. The SDK is imported inside the class, so `--help`, `providers`
and TAB never pay for it. `jobctl/providers/memory.py` is the reference implementation to
copy, and `jobctl.testing` the suite a provider runs against itself (docs/providers.md).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, Protocol

from jobctl.defaults import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from jobctl.models import (
        Action,
        JobRef,
        JobState,
        Judgement,
        Phase,
        PlannedStop,
        Selection,
        SendResult,
        StopOptions,
    )


class BulkUnsupported(Exception):
    """Raised by `send` for a multi-job chunk the endpoint cannot take in one call.

    Nothing was stopped; the provider has lowered its `send_batch` to 1 and the engine hands
    the same stops back one at a time.
    """


class BulkSupport:
    """Whether one endpoint takes a provider's multi-job stop call, learned once per process.

    Shared by every provider instance that reaches the endpoint (`BulkSupport.of`). Its first
    multi-job request is the probe: while it is out, every other sender to the endpoint waits
    for its answer (`claim`) instead of probing too, so an endpoint without the call gets one
    failed request however many workers, groups and instances share it
    (docs/ARCHITECTURE.md, "The engine").
    """

    _known: ClassVar[dict[tuple[str, str], BulkSupport]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        # None until learned: True, the endpoint has the call; False, it has not.
        self._supported: bool | None = None
        self._probing = False
        self._changed = threading.Condition()

    @classmethod
    def of(cls, provider: str, endpoint: str) -> BulkSupport:
        """The one BulkSupport of `provider`'s `endpoint` (a URL) in this process."""
        with cls._registry_lock:
            return cls._known.setdefault((provider, endpoint), cls())

    @classmethod
    def forget(cls) -> None:
        """Forget every endpoint (tests that swap the server behind one URL)."""
        with cls._registry_lock:
            cls._known.clear()

    @property
    def known(self) -> bool | None:
        return self._supported

    def claim(self, halt: threading.Event) -> bool | None:
        """True or False once known; None: the caller probes now and must `release` after.

        Waits while another sender probes; on `halt`, stops waiting and answers False.
        """
        with self._changed:
            while self._probing and self._supported is None and not halt.is_set():
                self._changed.wait(0.05)
            if self._supported is not None:
                return self._supported
            if halt.is_set():
                return False
            self._probing = True
            return None

    def settle(self, supported: bool) -> None:
        """What a multi-job request showed: the endpoint has the call, or has not."""
        with self._changed:
            self._supported = supported
            self._probing = False
            self._changed.notify_all()

    def release(self) -> None:
        """A probe is over (answered, or never sent); unless it settled, the next one probes."""
        with self._changed:
            self._probing = False
            self._changed.notify_all()


class SendsInBulk(Protocol):
    """What a provider whose endpoint may take many stops in one call offers besides
    `Provider` (optional: the engine looks for it; AWS Batch has it)."""

    # What the provider's endpoint is known to take; the dispatcher waits on its probe.
    bulk: BulkSupport

    def bulk_action(self, *, stops: Sequence[PlannedStop]) -> Action:
        """The one native request `send` makes for `stops` (more than one, one operation), as
        --dry-run shows it; its `message` says what is not known about the endpoint yet."""
        ...


class ReasonMode(StrEnum):
    """Where `--reason` / `--reason-code` go in the native request."""

    FIELD = "field"  # a request field of its own
    PREFIX = "prefix"  # reason code folded into the reason text: "CODE: reason"
    AUDIT = "audit"  # no API field: audit log and results only


@dataclass(frozen=True)
class References:
    """A provider's own way to name a job besides its id (AWS ARNs), parsed by the provider.

    Tokens starting with `prefix` are references, never plain ids; one that no provider
    sharing the prefix takes is refused as "unsupported ARN ...: jobctl takes AWS Batch and
    IoT job ARNs" (`noun`, and each provider's `owner`).
    """

    prefix: str
    noun: str
    owner: str
    # (job id, region) for a reference of this provider's; None for anyone else's. Raises
    # UsageError for one of its own that is malformed (an unknown AWS partition). Pure.
    parse: Callable[[str], tuple[str, str | None] | None]


@dataclass(frozen=True)
class IdRanges:
    """Job ids naming several jobs at once (Batch's array children, `ID:0-99`).

    `refs.resolve` expands them into one reference a job, before anything is checked or sent,
    so a range's jobs are merged with the same jobs named one by one.
    """

    # The ids a job id stands for, or None when it is no range; raises UsageError for one that
    # is malformed or out of bounds, in the user's words. Pure.
    expand: Callable[[str], Sequence[str] | None]
    # The most jobs all of one run's ranges may stand for together.
    limit: int
    # What the ranges are called in the error for going past `limit` ("array child ranges"),
    # and what to do instead.
    noun: str
    instead: str


@dataclass(frozen=True)
class ProviderInfo:
    name: str
    title: str
    # Native state -> phase; anything else is Phase.UNKNOWN and never acted on.
    state_map: Mapping[str, Phase]
    # Native states meaning "finished successfully" (not by anyone's stop request).
    success_states: frozenset[str]
    job_id_pattern: re.Pattern[str]
    job_id_hint: str
    reason_mode: ReasonMode
    reason_code_mode: ReasonMode
    # Longest reason the API takes, counted after the reason code is folded in; None: no field.
    reason_limit: int | None
    # Native field names, for messages and `jobctl providers`.
    reason_field: str | None
    reason_code_field: str | None
    # What `plan` does, in words, per verb and phase, for `jobctl providers`; jobctl.testing
    # reads it back against `plan` (docs/providers.md has the cell forms).
    matrix: Mapping[str, Mapping[str, str]]
    # What the provider cannot do, said plainly; printed by `providers`, consulted by notices.
    limitations: Mapping[str, str] = field(default_factory=dict)
    # Sub-targets within a job (IoT things): the option naming one, and what a target is
    # called in results and messages ("thing"); None when the provider has none.
    target_option: str | None = None
    target_label: str | None = None
    # A sub-target's native state -> phase (an IoT job execution's status).
    target_state_map: Mapping[str, Phase] = field(default_factory=dict)
    # Kinds of job besides the ordinary one, each with the native states it can be in
    # (Batch's "service-job": SageMaker Training through Batch). `JobState.kind` names one;
    # a matrix row "VERB KIND" says what `plan` does for it; `state_map` maps every kind's states.
    job_kinds: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Jobs live in named queues (`--queue`).
    queues: bool = False
    target_pattern: re.Pattern[str] | None = None
    # Largest number of jobs one lookup and one stop request may carry (an instance may
    # lower its own `send_batch`).
    describe_batch: int = 1
    send_batch: int = 1
    default_concurrency: int = 4
    # Stop requests per second; None: the SDK's own retry/backoff is enough.
    default_rate: float | None = None
    # Unicode general categories (Cf, Cn...) the native reason field refuses beyond jobctl's
    # own printable-text check, so such a reason is a usage error before any request.
    reason_refused_categories: frozenset[str] = frozenset()
    regions: tuple[str, ...] = ()
    # Environment variables naming the region, most specific first.
    region_env: tuple[str, ...] = ()
    # Environment variables naming the credentials profile (flag > these > config file).
    profile_env: tuple[str, ...] = ()
    # Environment variables naming an endpoint override (emulators, private endpoints).
    endpoint_env: tuple[str, ...] = ()
    # Set when the SDK takes an endpoint as http(s)://HOST[:PORT] alone: why user-info, a
    # path or a query would be misused or dropped (validate.check_endpoint refuses them).
    endpoint_host_only: str | None = None
    # Job references other than ids that this provider recognises (ARNs); None: ids only.
    references: References | None = None
    # Ids standing for several jobs (array child ranges); None: an id is one job.
    ranges: IdRanges | None = None

    def phase_of(self, native_state: str) -> Phase:
        from jobctl.models import Phase

        return self.state_map.get(native_state, Phase.UNKNOWN)


@dataclass(frozen=True)
class ProviderConfig:
    """Where and how to reach one provider; resolved from flags, environment and config."""

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    # Upper bound in seconds for retrying one request (Tencent's SUBMITTED retry, backoff).
    timeout: float = DEFAULT_TIMEOUT
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    # Requests the run keeps in flight (--concurrency, else the provider's default): an SDK's
    # connection pool holds as many. None: not known (the SDK's own pool size).
    concurrency: int | None = None


class Provider(Protocol):
    """What the engine, the runner and the conformance kit use of a provider: no more.

    Methods take keyword arguments only. `plan` and `judge` are pure (no I/O, no state);
    `describe`, `list_jobs` and `send` are the only calls that reach the cloud.
    """

    info: ClassVar[ProviderInfo]

    def __init__(self, *, config: ProviderConfig) -> None:
        """Resolve region and credentials and build the client; nothing is sent yet.

        Raises ConfigError (no region, a bad profile) or CredentialsError (none found).
        """
        ...

    @property
    def region(self) -> str | None:
        """The region this instance talks to, once resolved; None for a regionless provider."""
        ...

    @property
    def send_batch(self) -> int:
        """Most stops one `send` takes; `info.send_batch` until the instance lowers it
        (to 1, raising BulkUnsupported, when its endpoint has no bulk call). The engine plans
        its requests with it (`dispatch.chunks`), for a real run and --dry-run alike."""
        ...

    def describe(self, *, refs: Sequence[JobRef]) -> Mapping[JobRef, JobState]:
        """Look jobs up, batched; a ref missing from the answer does not exist.

        Raises ProviderError when the lookup itself fails.
        """
        ...

    def plan(self, *, ref: JobRef, job: JobState, options: StopOptions) -> Action:
        """Decide the native request for one job: pure, no I/O; `info.matrix` in words."""
        ...

    def list_jobs(self, *, selection: Selection) -> Sequence[JobState]:
        """Every job matching the selection, all pages followed.

        Narrow on the server where the API allows; the caller filters again with
        `selection.matches`, so an endpoint that ignores a filter does no harm.
        """
        ...

    def send(self, *, stops: Sequence[PlannedStop], options: StopOptions) -> Sequence[SendResult]:
        """Send stop requests (at most `send_batch`, one operation); one result per stop.

        `options` are the run's: a provider that must decide again at send time (a job that
        moved while it waited) decides by the same matrix as `plan`.
        """
        ...

    def notices(self, *, options: StopOptions, stops: Sequence[PlannedStop]) -> Sequence[str]:
        """One-line notices for stderr before anything is sent (fields the API lacks, force)."""
        ...

    def judge(
        self,
        *,
        before: JobState,
        after: JobState | None,
        operation: str,
        options: StopOptions,
        previous: str | None = None,
    ) -> Judgement:
        """What an accepted `operation` did, from the job's state after it: pure, no I/O.

        `before` is the state at lookup, `after` the one seen now (None: not found), and
        `previous` the native state an earlier look after the stop saw (--wait), if any.
        A job that reached a final state not through this call is never cancelled/terminated.
        """
        ...
