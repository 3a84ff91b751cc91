"""Look up, plan, send, verify: the provider-agnostic core (docs/ARCHITECTURE.md, "The engine").

The engine knows the Provider protocol and nothing else about any cloud. Every job it is given
comes back as exactly one Result, whatever fails along the way.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for_any
from dataclasses import replace

from jobctl.dispatch import Answered, chunks, dispatch
from jobctl.errors import CredentialsError, ProviderError
from jobctl.hints import result_with_region
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
from jobctl.providers.base import BulkUnsupported
from jobctl.ratelimit import RateLimiter, pacing
from jobctl.sanitize import redact
from jobctl.summary import Summary, exit_code_for, summarize
from jobctl.verify import UNANSWERED, CheckPages, Verifying, describe_error
from jobctl.wait_notice import wait_timeout_notice
from jobctl.work import Group, Hooks, RunSettings

# Its inputs live in jobctl/work.py and the tally in jobctl/summary.py (so jobctl/verify.py
# can name them without importing the engine); callers find them here as before.
__all__ = ["Engine", "Group", "Hooks", "RunSettings", "Summary", "exit_code_for", "summarize"]


class Engine(Verifying):
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
        # The same provider in two regions says the same thing once.
        notices = dict.fromkeys(
            notice
            for group, _, stops in planned
            for notice in group.provider.notices(options=self.options, stops=stops)
        )
        for notice in notices:
            self.hooks.on_notice(notice)
        with ThreadPoolExecutor(max_workers=max(len(self.groups), 1)) as pool:
            futures = [
                pool.submit(self._execute_group, index, group, stops)
                for group, index, stops in planned
            ]
            for future in futures:
                _wait_for(future)
        timed_out = [
            (group, ref, self._results[(index, ref)])
            for index, group in enumerate(self.groups)
            for ref in group.refs
            if self._results[(index, ref)].wait_timed_out
        ]
        if timed_out:
            # The notice's `status` command looks in each group's resolved region; a state
            # jobctl does not know (the job's, or a child's) is why a wait cannot end.
            refs = [replace(ref, region=group.region or ref.region) for group, ref, _ in timed_out]
            unknown = sum(_in_unknown_state(group, ref, result) for group, ref, result in timed_out)
            self.hooks.on_notice(wait_timeout_notice(self.settings.timeout, refs, unknown))
        return [
            self._results[(index, ref)]
            for index, group in enumerate(self.groups)
            for ref in group.refs
        ]

    def _decide(self, index: int, ref: JobRef, result: Result) -> None:
        result = result_with_region(result)
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
            children=before.children if before else None,
            target=ref.target,
            target_kind=_kind(group, ref, before),
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
            states = self._describe(group, group.refs)
        except CredentialsError:
            raise  # credentials the provider refuses end the run before anything is sent
        except Exception as exc:
            message = f"lookup failed: {describe_error(exc)}"
            for ref in group.refs:
                self._decide(
                    index,
                    ref,
                    replace(self._base(group, ref, None), outcome=Outcome.FAILED, message=message),
                )
            return []
        stops: list[PlannedStop] = []
        # Each job's decision, in the order of the refs: a result now, or a stop to send.
        decided: list[tuple[JobRef, Result | PlannedStop]] = []
        for ref in group.refs:
            state = states.get(ref)
            base = self._base(group, ref, state)
            if state is None:
                missing = f"{ref.provider} does not know this job"
                decided.append((ref, replace(base, outcome=Outcome.NOT_FOUND, message=missing)))
                continue
            if state.lookup_error is not None:
                failed = replace(
                    self._base(group, ref, None),
                    outcome=Outcome.FAILED,
                    message=f"lookup failed: {state.lookup_error}",
                )
                decided.append((ref, failed))
                continue
            action = group.provider.plan(ref=ref, job=state, options=self.options)
            base = _with_action(base, action)
            if action.kind is ActionKind.NOOP:
                decided.append((ref, replace(base, outcome=Outcome.ALREADY_FINISHED)))
            elif action.kind is ActionKind.REFUSE:
                decided.append((ref, replace(base, outcome=Outcome.REFUSED)))
            else:
                stops.append(PlannedStop(ref, state, action))
                decided.append((ref, stops[-1]))
        planned = self._dry_run(group, stops) if self.settings.dry_run else {}
        for ref, item in decided:
            if isinstance(item, Result):
                self._decide(index, ref, item)
            elif self.settings.dry_run:
                self._decide(index, ref, planned[ref])
        return [] if self.settings.dry_run else stops

    def _dry_run(self, group: Group, stops: Sequence[PlannedStop]) -> dict[JobRef, Result]:
        """Each job as `planned`, with the request the real run would send it in: chunked by
        `dispatch.chunks`, as the real run is, a bulk chunk shown as its one request."""
        requests = chunks(stops, group.provider.send_batch)
        planned: dict[JobRef, Result] = {}
        for number, chunk in enumerate(requests, 1):
            bulk = _bulk_request(group, chunk)
            for stop in chunk:
                result = replace(
                    _with_action(self._base(group, stop.ref, stop.before), stop.action),
                    outcome=Outcome.PLANNED,
                    request=stop.action.request,
                )
                if bulk is not None:
                    said = (
                        f"{bulk.operation} request {number} of {len(requests)}, {len(chunk)} jobs"
                    )
                    notes = [result.message, said, bulk.message]
                    result = replace(
                        result,
                        operation=bulk.operation,
                        request=bulk.request,
                        message="; ".join(note for note in notes if note),
                    )
                planned[stop.ref] = result
        return planned

    def _execute_group(self, index: int, group: Group, stops: list[PlannedStop]) -> None:
        if not stops:
            return
        limiter = RateLimiter(group.rate)
        try:
            pages = CheckPages(self, index, group)
            for stop, result in self._send(index, group, limiter, stops, answered=pages.add):
                if result.outcome is not Outcome.STOPPING:
                    self._decide(index, stop.ref, result)
            for stop, result in self._verify(index, group, limiter, pages.finish()):
                self._decide(index, stop.ref, result)
        finally:
            # Whatever ends the group (a failing callback included), every job a request was
            # sent for gets its final record: the outcome last decided for it.
            self._report_final(index, stops)

    def _send(
        self,
        index: int,
        group: Group,
        limiter: RateLimiter,
        stops: Sequence[PlannedStop],
        answered: Answered | None = None,
    ) -> list[tuple[PlannedStop, Result]]:
        """Every stop through the provider: concurrent, chunked, rate-limited, interruptible.

        `answered` is given each request's answers by the worker that got them, before it
        takes the next chunk (verification's pages start there, jobctl/verify.py)."""
        return dispatch(
            stops,
            provider=group.provider,
            concurrency=group.concurrency,
            halt=self.hooks.stop,
            send=lambda chunk: self._send_chunk(index, group, limiter, chunk),
            skip=lambda chunk: [self._unsent(group, stop) for stop in chunk],
            answered=answered,
        )

    def _report_final(self, index: int, stops: list[PlannedStop]) -> None:
        """The audit log ends with the truth: each answered job's outcome as the user got it."""
        with self._lock:
            finals = [
                self._results[(index, stop.ref)]
                for stop in stops
                if (index, stop.ref) in self._answered and (index, stop.ref) in self._results
            ]
        with self.hooks.records():
            for result in finals:
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
        # A chunk of several goes out as one bulk request: each job's row and audit record
        # carry that request, as --dry-run showed it and as the provider's logs will.
        sent = _bulk_request(group, chunk)
        bases = [
            replace(
                _with_action(self._base(group, s.ref, s.before), s.action),
                request=sent.request if sent else s.action.request,
                operation=sent.operation if sent else s.action.operation,
            )
            for s in chunk
        ]
        keys = [(index, stop.ref) for stop in chunk]
        with self._lock:
            for key, base in zip(keys, bases, strict=True):
                self._unreported[key] = replace(
                    base, outcome=Outcome.STOPPING, message="stop request sent; no answer yet"
                )
        # Written before the request leaves: even a SIGKILL while it is out leaves each job a
        # line saying it was asked for (docs/ARCHITECTURE.md, "The audit log").
        with self.hooks.records():
            for base in bases:
                self.hooks.on_request(base)
        if self.hooks.stop.is_set():
            # Interrupted while the records were written (a locked log can hold them up to its
            # time limit): nothing new is sent. Recorded as asked for, each gets a final record.
            with self._lock:
                for key in keys:
                    self._unreported.pop(key, None)
                    self._answered.add(key)
            return [self._unsent(group, stop) for stop in chunk]
        try:
            # Requests a provider sends beyond the first (its own retries) take tokens too.
            with pacing(limiter, self.hooks.stop, self.hooks.on_notice):
                answers: Sequence[SendResult] = group.provider.send(
                    stops=chunk, options=self.options
                )
        except BulkUnsupported:
            with self._lock:
                for key in keys:
                    self._unreported.pop(key, None)
                    # A request went out for it (its record says so): it gets a final record,
                    # sent again alone or, if the run is interrupted first, skipped.
                    self._answered.add(key)
            said = f"{bases[0].operation}: the endpoint does not have it; sent again one a request"
            with self.hooks.records():
                for base in bases:
                    self.hooks.on_refused(replace(base, outcome=Outcome.SKIPPED, message=said))
            raise
        except Exception as exc:
            message = exc.message if isinstance(exc, ProviderError) else redact(str(exc))
            answers = [SendResult(False, None, _error_code(exc), message)] * len(chunk)
        results = []
        for stop, planned, answer in zip(chunk, bases, answers, strict=True):
            base = (
                planned
                if answer.operation is None
                else replace(planned, operation=answer.operation, request=answer.request)
            )
            if answer.accepted:
                result = replace(base, outcome=Outcome.STOPPING, request_id=answer.request_id)
                reported = replace(result, message="stop accepted; not verified yet")
            elif answer.unanswered:
                # It may have taken: checked like an accepted stop, judged by verify.verified.
                lost = f"{answer.error_code}: {answer.message}"
                result = replace(
                    base,
                    outcome=Outcome.STOPPING,
                    message=f"no answer to the stop request ({lost}); checking whether it took",
                    request_id=answer.request_id,
                    extra={**base.extra, UNANSWERED: lost},
                )
                # The answer record says no more than is known: failed until the look after
                # shows otherwise (the final record).
                reported = replace(result, outcome=Outcome.FAILED)
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
            # Recorded before it leaves `_unreported`: a second Ctrl-C in between finds it there
            # (an extra "unanswered" line at worst), never a sent request with no line at all.
            self.hooks.on_sent(reported)
            with self._lock:
                self._unreported.pop((index, stop.ref), None)
                self._answered.add((index, stop.ref))
            results.append(result)
        return results


def _wait_for(future: Future[None]) -> None:
    """The future's result, waited for in short waits: CPython handles a signal that lands
    just before a wait without a limit begins only when that wait ends, so a Ctrl-C in that
    instant would go unheard until the whole group had finished (docs/ARCHITECTURE.md,
    "Interrupts")."""
    while not future.done():
        wait_for_any([future], timeout=0.1)
    future.result()  # the group's own error, if it raised one (even a TimeoutError)


def _in_unknown_state(group: Group, ref: JobRef, result: Result) -> bool:
    """Last seen in a state its provider does not map (a sub-target's own map for an IoT
    thing's execution), or with children in one."""
    if result.children is not None and result.children.unknown > 0:
        return True
    info = group.provider.info
    states = info.target_state_map if ref.target is not None else info.state_map
    return result.state_after is not None and result.state_after not in states


def _with_action(base: Result, action: Action) -> Result:
    """A result carrying the planner's decision: operation, note, and its extra details."""
    return replace(
        base,
        operation=action.operation,
        message=action.message,
        extra={**base.extra, **action.extra},
    )


def _bulk_request(group: Group, chunk: Sequence[PlannedStop]) -> Action | None:
    """The one request a chunk of several goes out in, from a provider that sends in bulk
    (`SendsInBulk.bulk_action`); None for a single stop or a provider that sends one a call."""
    bulk_action = getattr(group.provider, "bulk_action", None)
    return bulk_action(stops=chunk) if bulk_action is not None and len(chunk) > 1 else None


def _error_code(exc: Exception) -> str:
    return exc.code if isinstance(exc, ProviderError) else type(exc).__name__


def _kind(group: Group, ref: JobRef, before: JobState | None) -> str | None:
    """A result's `target_kind`: its sub-target's word ("thing"), else the job's own kind
    when its provider has more than one ("service-job"), else None."""
    if ref.target is not None:
        return group.provider.info.target_label
    return before.kind if before is not None else None
