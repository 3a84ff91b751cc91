"""Verify and wait: what each accepted stop did, judged by its provider from the state after.

The engine's second half, mixed into `Engine`: one lookup of the accepted stops, a page at a
time as they are answered (`CheckPages`), the follow-up stops a judgement asks for (--force),
and with --wait, lookups until every job is final or time is up. Knows the Provider protocol
and nothing of any cloud.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from jobctl.errors import ProviderError
from jobctl.models import (
    Action,
    JobRef,
    JobState,
    Outcome,
    PlannedStop,
    Result,
    StopOptions,
)
from jobctl.sanitize import redact

if TYPE_CHECKING:
    from jobctl.dispatch import Answered
    from jobctl.providers.base import Provider
    from jobctl.ratelimit import RateLimiter
    from jobctl.work import Group, Hooks, RunSettings


# Result.extra's key for a stop request that went out and got no answer saying what became of
# it (SendResult.unanswered): "CODE: message".
UNANSWERED = "unanswered"
_STOPPED = frozenset({Outcome.CANCELLED, Outcome.TERMINATED})


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
    lost = result.extra.get(UNANSWERED)
    if after is not None and after.lookup_error is not None:
        # The look worked for the others but not for this job (JobState.lookup_error).
        lookup_error = after.lookup_error
        after = None
    if after is None and lookup_error is not None:
        if lost is not None:
            message = f"{lost}: no answer to the stop request, and could not look: {lookup_error}"
            return replace(result, outcome=Outcome.FAILED, message=message), None
        message = f"stop accepted; could not verify it: {lookup_error}"
        return replace(result, outcome=Outcome.STOPPING, message=message), None
    judgement = provider.judge(
        before=stop.before,
        after=after,
        operation=str(stop.action.operation),
        options=options,
        previous=result.state_after,
    )
    outcome, message = judgement.outcome, judgement.message
    if lost is not None and outcome in _STOPPED:
        message = f"{message} (the stop request's answer was lost: {lost})"
    elif lost is not None and outcome in (Outcome.STOPPING, Outcome.FAILED):
        # Nothing says the stop took: failed, never reported as on its way (and the judge's
        # words assume an answer that never came). Sending it again is harmless.
        seen = (
            f"the job is still {after.native_state}"
            if after is not None
            else "the job was not found on the second lookup"
        )
        outcome = Outcome.FAILED
        message = (
            f"{lost}: no answer to the stop request, and {seen}: it may not have been "
            "stopped; run the command again"
        )
    judged = replace(
        result,
        outcome=outcome,
        message=message,
        state_after=after.native_state if after is not None else result.state_after,
        still_running=judgement.still_running,
        extra={**result.extra, **judgement.extra},
        # A job made of children is judged by them: the row shows them as last seen.
        children=after.children if after is not None else result.children,
    )
    return judged, judgement.escalate


class Verifying:
    """Verification and --wait, for `Engine` (which provides `_send` and the state below)."""

    options: StopOptions
    settings: RunSettings
    hooks: Hooks
    # Why a job's stop was followed by another (--force escalation): leads its message.
    _notes: dict[tuple[int, JobRef], str]
    _lock: threading.Lock

    def _send(
        self,
        index: int,
        group: Group,
        limiter: RateLimiter,
        stops: Sequence[PlannedStop],
        answered: Answered | None = None,
    ) -> list[tuple[PlannedStop, Result]]:
        raise NotImplementedError

    def _describe(self, group: Group, refs: Sequence[JobRef]) -> Mapping[JobRef, JobState]:
        """The provider's lookup, its pages in flight together up to the group's concurrency."""
        from jobctl.ratelimit import lookups

        with lookups(group.concurrency):
            return group.provider.describe(refs=refs)

    def _verify(
        self,
        index: int,
        group: Group,
        limiter: RateLimiter,
        checked: Sequence[tuple[PlannedStop, Result, Action | None]],
    ) -> list[tuple[PlannedStop, Result]]:
        """After the last stop: the follow-ups the checks asked for (`CheckPages`), then --wait."""
        current = self._follow_up(index, group, limiter, checked)
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
            after = self._describe(group, [stop.ref for stop, _ in accepted])
        except Exception as exc:
            after, lookup_error = {}, describe_error(exc)
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
                after = self._describe(group, [s.ref for s, _ in pending])
                error = None
            except Exception as exc:
                after, error = {}, describe_error(exc)
            checked = [
                (s, *self._judged(index, group, s, r, after.get(s.ref), error)) for s, r in pending
            ]
            updated = {s.ref: (s, r) for s, r in self._follow_up(index, group, limiter, checked)}
            for stop, result in pending:
                # News for the live view: a job decided, or still stopping with its state or
                # its children's counts moved on (an array's progress while --wait waits).
                _, now = updated.get(stop.ref, (stop, result))
                if now.outcome is not Outcome.STOPPING or _moved(result, now):
                    self.hooks.on_update(now)
            current = [updated.get(s.ref, (s, r)) for s, r in current]
        if self.hooks.stop.is_set():
            return current
        return [
            (s, replace(r, wait_timed_out=True)) if r.outcome is Outcome.STOPPING else (s, r)
            for s, r in current
        ]


class CheckPages:
    """The check after the stops, a lookup page at a time while other stops are in flight.

    Fed each request's answers by the dispatch worker that got them (`add`): once a lookup
    page's worth of stops (the provider's `describe_batch`) is accepted, that worker looks them
    up and judges them before it takes its next chunk, so the page holds a place among the
    group's `--concurrency` requests. `finish`, after the last stop, checks the rest. Only the
    check moves: follow-up stops (--force) and --wait still start after the last stop
    (`Verifying._verify`). A provider whose lookup takes one job a call checks all at the end.
    """

    def __init__(self, verifying: Verifying, index: int, group: Group) -> None:
        self._verifying, self._index, self._group = verifying, index, group
        self._size = group.provider.info.describe_batch
        self._waiting: list[tuple[PlannedStop, Result]] = []
        self._checked: list[tuple[PlannedStop, Result, Action | None]] = []
        self._lock = threading.Lock()

    def add(self, answers: Sequence[tuple[PlannedStop, Result]]) -> None:
        with self._lock:
            self._waiting.extend((s, r) for s, r in answers if r.outcome is Outcome.STOPPING)
            pages = []
            while self._size > 1 and len(self._waiting) >= self._size:
                pages.append(self._waiting[: self._size])
                del self._waiting[: self._size]
        for page in pages:
            checked = self._verifying._check(self._index, self._group, page)
            with self._lock:
                self._checked.extend(checked)

    def finish(self) -> list[tuple[PlannedStop, Result, Action | None]]:
        """Every accepted stop checked: the pages already done, and the rest now."""
        with self._lock:
            rest, self._waiting = self._waiting, []
        checked = self._verifying._check(self._index, self._group, rest)
        with self._lock:
            return [*self._checked, *checked]


def _moved(before: Result, now: Result) -> bool:
    return (before.state_after, before.children) != (now.state_after, now.children)


def _noted(result: Result, note: str) -> Result:
    """A follow-up stop's result, its reason first; once the job is stopped, the reason says
    all there is to say."""
    if result.outcome in (Outcome.CANCELLED, Outcome.TERMINATED) or not result.message:
        return replace(result, message=note)
    return replace(result, message=f"{note}; {result.message}")


def describe_error(exc: Exception) -> str:
    if isinstance(exc, ProviderError):
        return str(exc)
    # Not translated by an adapter: the text may carry an endpoint URL with its secrets.
    return redact(f"{type(exc).__name__}: {exc}")
