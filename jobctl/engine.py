"""Look up, plan, send, verify: the provider-agnostic core (DESIGN.md §10).

The engine knows the Provider protocol and nothing else about any cloud. Every job it is given
comes back as exactly one Result, whatever fails along the way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from jobctl.dispatch import dispatch
from jobctl.errors import CredentialsError, ExitCode, ProviderError
from jobctl.models import (
    Action,
    ActionKind,
    JobRef,
    JobState,
    Outcome,
    PlannedStop,
    Result,
    SendResult,
    StopOptions,
)
from jobctl.providers.base import BulkUnsupported, Provider
from jobctl.ratelimit import RateLimiter, pacing
from jobctl.sanitize import redact
from jobctl.wait_notice import wait_timeout_notice


@dataclass
class Group:
    """The jobs of one provider instance (one provider, one region)."""

    provider: Provider
    region: str | None
    refs: list[JobRef]
    concurrency: int
    rate: float | None


@dataclass(frozen=True)
class RunSettings:
    dry_run: bool = False
    ignore_not_found: bool = False
    wait: bool = False
    timeout: float = 600.0
    poll_interval: float = 2.0


@dataclass
class Hooks:
    """Where the engine reports as it goes: results as decided, stop requests as answered."""

    on_result: Callable[[Result], None] = lambda result: None
    # The audit log's feed. on_sent: once per stop request, from the thread that got its
    # answer, with the outcome as first known. on_final: once per job a stop request was sent
    # for, with the outcome the user was told (after verification and --wait).
    # on_unanswered: requests sent and never answered, when the engine ends or is left.
    on_sent: Callable[[Result], None] = lambda result: None
    on_final: Callable[[Result], None] = lambda result: None
    on_unanswered: Callable[[Result], None] = lambda result: None
    # A job still stopping changed state while --wait polled (for a live view).
    on_update: Callable[[Result], None] = lambda result: None
    on_notice: Callable[[str], None] = lambda text: None
    # Set to stop sending: unsent jobs become `skipped`; requests in flight finish.
    stop: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Summary:
    total: int
    ok: int
    failed: int
    exit_code: ExitCode


def is_ok(result: Result, *, ignore_not_found: bool) -> bool:
    if result.outcome is Outcome.NOT_FOUND:
        return ignore_not_found
    return result.outcome.ok


def exit_code_for(
    ok: int, failed: int, *, interrupted: bool = False, timed_out: bool = False
) -> ExitCode:
    """DESIGN.md §3: failures outrank a wait time-out, an interrupt outranks everything."""
    if interrupted:
        return ExitCode.INTERRUPTED
    if failed:
        return ExitCode.PARTIAL if ok else ExitCode.FAILED
    return ExitCode.WAIT_TIMEOUT if timed_out else ExitCode.OK


def summarize(
    results: Sequence[Result], *, ignore_not_found: bool, interrupted: bool = False
) -> Summary:
    ok = sum(is_ok(r, ignore_not_found=ignore_not_found) for r in results)
    failed = len(results) - ok
    timed_out = any(r.outcome is Outcome.STOPPING and r.wait_timed_out for r in results)
    code = exit_code_for(ok, failed, interrupted=interrupted, timed_out=timed_out)
    return Summary(len(results), ok, failed, code)


def verified(
    provider: Provider,
    options: StopOptions,
    stop: PlannedStop,
    result: Result,
    after: JobState | None,
    lookup_error: str | None,
) -> tuple[Result, Action | None]:
    """The outcome of an accepted stop request, as its provider judges the state after it.

    Also the stop to send next, when the provider says this one could not stop the job.
    """
    if after is None and lookup_error is not None:
        message = f"stop accepted; could not verify it: {lookup_error}"
        return replace(result, outcome=Outcome.STOPPING, message=message), None
    judgement = provider.judge(
        before=stop.before,
        after=after,
        operation=str(stop.action.operation),
        options=options,
        previous=result.state_after,
    )
    judged = replace(
        result,
        outcome=judgement.outcome,
        message=judgement.message,
        state_after=after.native_state if after is not None else result.state_after,
        still_running=judgement.still_running,
        extra={**result.extra, **judgement.extra},
    )
    return judged, judgement.escalate


class Engine:
    def __init__(
        self,
        groups: Sequence[Group],
        options: StopOptions,
        settings: RunSettings,
        hooks: Hooks | None = None,
    ) -> None:
        self.groups = groups
        self.options = options
        self.settings = settings
        self.hooks = hooks or Hooks()
        self._results: dict[tuple[int, JobRef], Result] = {}
        # Stop requests sent and not yet answered.
        self._unreported: dict[tuple[int, JobRef], Result] = {}
        # Stop requests answered: each gets a final record once its job is decided.
        self._answered: set[tuple[int, JobRef]] = set()
        # Why a job's stop was followed by another (--force escalation): leads its message.
        self._notes: dict[tuple[int, JobRef], str] = {}
        self._lock = threading.Lock()

    # -- the pipeline ----------------------------------------------------------------------

    def run(self) -> list[Result]:
        try:
            return self._run()
        finally:
            self.flush_unreported()

    def flush_unreported(self, *, wait: bool = True) -> None:
        """Report stop requests sent and never answered.

        Runs when the engine ends by any path, and from a second Ctrl-C before leaving at once
        (`wait=False`: a signal handler never waits on a lock, so it takes what it finds),
        so every request that left the machine reaches the audit log.
        """
        locked = self._lock.acquire(blocking=wait)
        try:
            pending, self._unreported = list(self._unreported.values()), {}
        finally:
            if locked:
                self._lock.release()
        for result in pending:
            self.hooks.on_unanswered(result)

    def _run(self) -> list[Result]:
        planned: list[tuple[Group, int, list[PlannedStop]]] = []
        for index, group in enumerate(self.groups):
            planned.append((group, index, self._lookup_and_plan(index, group)))
        for group, _, stops in planned:
            for notice in group.provider.notices(options=self.options, stops=stops):
                self.hooks.on_notice(notice)
        with ThreadPoolExecutor(max_workers=max(len(self.groups), 1)) as pool:
            futures = [
                pool.submit(self._execute_group, index, group, stops)
                for group, index, stops in planned
            ]
            for future in futures:
                future.result()
        timed_out = [
            ref
            for index, group in enumerate(self.groups)
            for ref in group.refs
            if self._results[(index, ref)].wait_timed_out
        ]
        if timed_out:
            self.hooks.on_notice(wait_timeout_notice(self.settings.timeout, timed_out))
        return [
            self._results[(index, ref)]
            for index, group in enumerate(self.groups)
            for ref in group.refs
        ]

    def _decide(self, index: int, ref: JobRef, result: Result) -> None:
        with self._lock:
            self._results[(index, ref)] = result
        self.hooks.on_result(result)

    def _base(self, group: Group, ref: JobRef, before: JobState | None) -> Result:
        return Result(
            provider=ref.provider,
            region=group.region,
            job_id=ref.job_id,
            action=str(self.options.verb),
            outcome=Outcome.SKIPPED,
            state_before=before.native_state if before else None,
            target=ref.target,
            target_kind=group.provider.info.target_label if ref.target is not None else None,
        )

    def _lookup_and_plan(self, index: int, group: Group) -> list[PlannedStop]:
        if self.hooks.stop.is_set():
            for ref in group.refs:
                self._decide(
                    index,
                    ref,
                    replace(self._base(group, ref, None), message="not looked up: interrupted"),
                )
            return []
        try:
            states = group.provider.describe(refs=group.refs)
        except CredentialsError:
            raise  # credentials the provider refuses end the run before anything is sent
        except Exception as exc:
            message = f"lookup failed: {_describe_error(exc)}"
            for ref in group.refs:
                self._decide(
                    index,
                    ref,
                    replace(self._base(group, ref, None), outcome=Outcome.FAILED, message=message),
                )
            return []
        stops = []
        for ref in group.refs:
            state = states.get(ref)
            base = self._base(group, ref, state)
            if state is None:
                self._decide(
                    index,
                    ref,
                    replace(
                        base,
                        outcome=Outcome.NOT_FOUND,
                        message=f"{ref.provider} does not know this job",
                    ),
                )
                continue
            action = group.provider.plan(ref=ref, job=state, options=self.options)
            base = _with_action(base, action)
            if action.kind is ActionKind.NOOP:
                self._decide(index, ref, replace(base, outcome=Outcome.ALREADY_FINISHED))
            elif action.kind is ActionKind.REFUSE:
                self._decide(index, ref, replace(base, outcome=Outcome.REFUSED))
            elif self.settings.dry_run:
                self._decide(
                    index, ref, replace(base, outcome=Outcome.PLANNED, request=action.request)
                )
            else:
                stops.append(PlannedStop(ref, state, action))
        return stops

    def _execute_group(self, index: int, group: Group, stops: list[PlannedStop]) -> None:
        if not stops:
            return
        limiter = RateLimiter(group.rate)
        accepted: list[tuple[PlannedStop, Result]] = []
        for stop, result in self._send(index, group, limiter, stops):
            if result.outcome is Outcome.STOPPING:
                accepted.append((stop, result))
            else:
                self._decide(index, stop.ref, result)
        for stop, result in self._verify(index, group, limiter, accepted):
            self._decide(index, stop.ref, result)
        self._report_final(index, stops)

    def _send(
        self, index: int, group: Group, limiter: RateLimiter, stops: Sequence[PlannedStop]
    ) -> list[tuple[PlannedStop, Result]]:
        """Every stop through the provider: concurrent, chunked, rate-limited, interruptible."""
        return dispatch(
            stops,
            provider=group.provider,
            concurrency=group.concurrency,
            halt=self.hooks.stop,
            send=lambda chunk: self._send_chunk(index, group, limiter, chunk),
            skip=lambda chunk: [self._unsent(group, stop) for stop in chunk],
        )

    def _report_final(self, index: int, stops: list[PlannedStop]) -> None:
        """The audit log ends with the truth: each answered job's outcome as the user got it."""
        for stop in stops:
            key = (index, stop.ref)
            with self._lock:
                answered, result = key in self._answered, self._results.get(key)
            if answered and result is not None:
                self.hooks.on_final(result)

    def _unsent(self, group: Group, stop: PlannedStop) -> Result:
        return replace(
            _with_action(self._base(group, stop.ref, stop.before), stop.action),
            request=stop.action.request,
            message="not sent: interrupted",
        )

    def _send_chunk(
        self, index: int, group: Group, limiter: RateLimiter, chunk: Sequence[PlannedStop]
    ) -> list[Result]:
        """One provider request for the chunk; raises BulkUnsupported to have it split."""
        if not limiter.acquire(self.hooks.stop):
            return [self._unsent(group, stop) for stop in chunk]
        bases = [
            replace(
                _with_action(self._base(group, s.ref, s.before), s.action), request=s.action.request
            )
            for s in chunk
        ]
        keys = [(index, stop.ref) for stop in chunk]
        with self._lock:
            for key, base in zip(keys, bases, strict=True):
                self._unreported[key] = replace(
                    base, outcome=Outcome.STOPPING, message="stop request sent; no answer yet"
                )
        try:
            # Requests a provider sends beyond the first (its own retries) take tokens too.
            with pacing(limiter, self.hooks.stop):
                answers: Sequence[SendResult] = group.provider.send(
                    stops=chunk, options=self.options
                )
        except BulkUnsupported:
            with self._lock:
                for key in keys:
                    self._unreported.pop(key, None)
            raise
        except Exception as exc:
            message = exc.message if isinstance(exc, ProviderError) else redact(str(exc))
            answers = [SendResult(False, None, _error_code(exc), message)] * len(chunk)
        results = []
        for stop, base, answer in zip(chunk, bases, answers, strict=True):
            if answer.accepted:
                result = replace(base, outcome=Outcome.STOPPING, request_id=answer.request_id)
                reported = replace(result, message="stop accepted; not verified yet")
            else:
                outcome = (
                    Outcome.ALREADY_FINISHED
                    if answer.already_finished
                    else Outcome.REFUSED
                    if answer.refused
                    else Outcome.NOT_FOUND
                    if answer.not_found
                    else Outcome.FAILED
                )
                message = (
                    f"{answer.error_code}: {answer.message}"
                    if answer.error_code
                    else answer.message
                )
                result = replace(
                    base, outcome=outcome, message=message, request_id=answer.request_id
                )
                reported = result
            with self._lock:
                self._unreported.pop((index, stop.ref), None)
                self._answered.add((index, stop.ref))
            self.hooks.on_sent(reported)
            results.append(result)
        return results

    def _verify(
        self,
        index: int,
        group: Group,
        limiter: RateLimiter,
        accepted: list[tuple[PlannedStop, Result]],
    ) -> list[tuple[PlannedStop, Result]]:
        current = self._follow_up(index, group, limiter, self._check(index, group, accepted))
        if self.settings.wait:
            current = self._wait(index, group, limiter, current)
        return current

    def _check(
        self, index: int, group: Group, accepted: Sequence[tuple[PlannedStop, Result]]
    ) -> list[tuple[PlannedStop, Result, Action | None]]:
        """One lookup of the jobs whose stop was accepted, each judged by its provider."""
        if not accepted:
            return []
        lookup_error: str | None = None
        try:
            after = group.provider.describe(refs=[stop.ref for stop, _ in accepted])
        except Exception as exc:
            after, lookup_error = {}, _describe_error(exc)
        current = [
            (stop, *self._judged(index, group, stop, result, after.get(stop.ref), lookup_error))
            for stop, result in accepted
        ]
        return current

    def _judged(
        self,
        index: int,
        group: Group,
        stop: PlannedStop,
        result: Result,
        after: JobState | None,
        lookup_error: str | None,
    ) -> tuple[Result, Action | None]:
        judged, escalate = verified(group.provider, self.options, stop, result, after, lookup_error)
        note = self._notes.get((index, stop.ref))
        return (judged if note is None else _noted(judged, note)), escalate

    def _follow_up(
        self,
        index: int,
        group: Group,
        limiter: RateLimiter,
        checked: Sequence[tuple[PlannedStop, Result, Action | None]],
    ) -> list[tuple[PlannedStop, Result]]:
        """Send the stops the provider asked for after judging (--force), and check them once.

        They take the same path as any stop (rate limit, audit hooks, interrupt); the row
        keeps the state the job was looked up in, and leads with why it was escalated.
        """
        done = {stop.ref: (stop, result) for stop, result, _ in checked}
        follow = [
            PlannedStop(stop.ref, stop.before, action)
            for stop, _, action in checked
            if action is not None
        ]
        if not follow:
            return list(done.values())
        with self._lock:
            for stop in follow:
                self._notes[(index, stop.ref)] = stop.action.message
        accepted: list[tuple[PlannedStop, Result]] = []
        for stop, result in self._send(index, group, limiter, follow):
            if result.outcome is Outcome.STOPPING:
                accepted.append((stop, result))
            else:
                # Not sent, or refused: what the first request did, then why this one failed.
                said = f"{done[stop.ref][1].message}; {result.message}"
                done[stop.ref] = (stop, replace(result, message=said))
        # A follow-up is never followed up: what it did is reported as it is.
        for stop, result, _ in self._check(index, group, accepted):
            done[stop.ref] = (stop, result)
        return [done[stop.ref] for stop, _, _ in checked]

    def _wait(
        self,
        index: int,
        group: Group,
        limiter: RateLimiter,
        current: list[tuple[PlannedStop, Result]],
    ) -> list[tuple[PlannedStop, Result]]:
        deadline = time.monotonic() + self.settings.timeout
        while any(r.outcome is Outcome.STOPPING for _, r in current):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.hooks.stop.wait(min(self.settings.poll_interval, remaining)):
                break
            pending = [(s, r) for s, r in current if r.outcome is Outcome.STOPPING]
            try:
                after: Mapping[JobRef, JobState] = group.provider.describe(
                    refs=[s.ref for s, _ in pending]
                )
                error = None
            except Exception as exc:
                after, error = {}, _describe_error(exc)
            checked = [
                (s, *self._judged(index, group, s, r, after.get(s.ref), error)) for s, r in pending
            ]
            updated = {s.ref: (s, r) for s, r in self._follow_up(index, group, limiter, checked)}
            for _, result in updated.values():
                if result.outcome is not Outcome.STOPPING:
                    self.hooks.on_update(result)
            current = [updated.get(s.ref, (s, r)) for s, r in current]
        if self.hooks.stop.is_set():
            return current
        return [
            (s, replace(r, wait_timed_out=True)) if r.outcome is Outcome.STOPPING else (s, r)
            for s, r in current
        ]


def _noted(result: Result, note: str) -> Result:
    """A follow-up stop's result, its reason first; once the job is stopped, the reason says
    all there is to say."""
    if result.outcome in (Outcome.CANCELLED, Outcome.TERMINATED) or not result.message:
        return replace(result, message=note)
    return replace(result, message=f"{note}; {result.message}")


def _with_action(base: Result, action: Action) -> Result:
    """A result carrying the planner's decision: operation, note, and its extra details."""
    return replace(
        base,
        operation=action.operation,
        message=action.message,
        extra={**base.extra, **action.extra},
    )


def _error_code(exc: Exception) -> str:
    return exc.code if isinstance(exc, ProviderError) else type(exc).__name__


def _describe_error(exc: Exception) -> str:
    if isinstance(exc, ProviderError):
        return str(exc)
    # Not translated by an adapter: the text may carry an endpoint URL with its secrets.
    return redact(f"{type(exc).__name__}: {exc}")
