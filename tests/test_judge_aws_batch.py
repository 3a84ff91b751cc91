"""What an aws-batch stop did, judged from the state after it: a table of
state before, call, state after: outcome (providers/aws_batch.py `judge`)."""

from __future__ import annotations

from typing import Any

import pytest

from jobctl.models import ActionKind, JobState, Outcome, StopOptions, Verb
from jobctl.providers.aws_batch import INFO, judge

CANCEL, TERMINATE = "CancelJob", "TerminateJob"
OURS = "jobctl: cancel by me@host"
THEIRS = "Essential container in task exited"
C, T, S, A, F = (
    Outcome.CANCELLED,
    Outcome.TERMINATED,
    Outcome.STOPPING,
    Outcome.ALREADY_FINISHED,
    Outcome.FAILED,
)


def job(state: str, **extra: Any) -> JobState:
    return JobState(
        job_id="j-1",
        native_state=state,
        phase=INFO.phase_of(state),
        succeeded=state in INFO.success_states,
        extra=extra,
    )


def options(verb: Verb = Verb.CANCEL, *, force: bool = False) -> StopOptions:
    return StopOptions(verb=verb, reason=OURS, force=force)


QUEUED = ("SUBMITTED", "PENDING", "RUNNABLE")
STARTED = ("STARTING", "RUNNING")
UNFINISHED = (*QUEUED, *STARTED)
OPERATIONS = (CANCEL, TERMINATE)


@pytest.mark.parametrize(
    ("before", "operation", "verb", "after", "outcome"),
    [
        # Still queued: the stop is accepted and waits for the job's turn.
        *[(b, CANCEL, Verb.CANCEL, a, S) for b in QUEUED for a in QUEUED],
        *[(b, TERMINATE, Verb.TERMINATE, a, S) for b in QUEUED for a in QUEUED],
        # Started before CancelJob arrived: CancelJob did nothing.
        *[(b, CANCEL, Verb.CANCEL, a, F) for b in QUEUED for a in STARTED],
        # TerminateJob stops started jobs, asynchronously.
        *[(b, TERMINATE, v, a, S) for b in (*QUEUED, *STARTED) for a in STARTED for v in Verb],
        # FAILED with the reason jobctl sent: this call did it, in the user's verb.
        *[(b, CANCEL, Verb.CANCEL, "FAILED", C) for b in QUEUED],
        *[(b, TERMINATE, Verb.TERMINATE, "FAILED", T) for b in (*QUEUED, *STARTED)],
        *[(b, TERMINATE, Verb.CANCEL, "FAILED", C) for b in STARTED],
        # SUCCEEDED is never a stop's doing.
        *[(b, op, v, "SUCCEEDED", A) for b in UNFINISHED for op in OPERATIONS for v in Verb],
        # A state Batch does not document: still accepted, never claimed.
        ("RUNNABLE", TERMINATE, Verb.TERMINATE, "SOMETHING_NEW", S),
    ],
)  # fmt: skip
def test_table(before: str, operation: str, verb: Verb, after: str, outcome: Outcome) -> None:
    reason = {"status_reason": OURS} if after == "FAILED" else {}
    said = judge(
        before=job(before), after=job(after, **reason), operation=operation, options=options(verb)
    )
    assert said.outcome is outcome, said
    assert said.escalate is None
    assert said.message


@pytest.mark.parametrize("before", QUEUED)
@pytest.mark.parametrize("operation", [CANCEL, TERMINATE])
def test_failed_for_another_reason_failed_on_its_own(before: str, operation: str) -> None:
    after = job("FAILED", status_reason=THEIRS)
    said = judge(before=job(before), after=after, operation=operation, options=options())
    assert said.outcome is A
    assert said.message == (
        f"FAILED on its own (statusReason: {THEIRS}) before the stop took effect"
    )


def test_failed_without_a_reason_counts_as_this_call() -> None:
    said = judge(before=job("RUNNABLE"), after=job("FAILED"), operation=CANCEL, options=options())
    assert said.outcome is C


def test_reason_code_is_part_of_the_reason_jobctl_sent() -> None:
    coded = StopOptions(verb=Verb.CANCEL, reason="bad", reason_code="DATA_BUG")
    mine = judge(
        before=job("RUNNABLE"),
        after=job("FAILED", status_reason="DATA_BUG: bad"),
        operation=CANCEL,
        options=coded,
    )
    assert (mine.outcome, mine.message) == (C, "DATA_BUG: bad")
    bare = job("FAILED", status_reason="bad")
    assert judge(before=job("RUNNABLE"), after=bare, operation=CANCEL, options=coded).outcome is A


@pytest.mark.parametrize(
    ("flags", "reason", "outcome", "words"),
    [
        # The endpoint's own flags outrank the reason's text.
        ({"is_cancelled": True, "is_terminated": False}, OURS, C, OURS),
        ({"is_cancelled": False, "is_terminated": True}, None, C, "FAILED after CancelJob"),
        ({"is_cancelled": False, "is_terminated": False}, OURS, A, "FAILED on its own"),
        ({"is_cancelled": False, "is_terminated": False}, None, A, "FAILED on its own"),
        ({"is_cancelled": True, "is_terminated": False}, "ops: drain", A, "another request"),
    ],
)
def test_is_cancelled_and_is_terminated_are_the_evidence_when_given(
    flags: dict[str, bool], reason: str | None, outcome: Outcome, words: str
) -> None:
    extra: dict[str, Any] = dict(flags)
    if reason is not None:
        extra["status_reason"] = reason
    said = judge(
        before=job("RUNNABLE"), after=job("FAILED", **extra), operation=CANCEL, options=options()
    )
    assert said.outcome is outcome
    assert words in said.message


@pytest.mark.parametrize("started", STARTED)
def test_a_cancel_that_did_nothing_says_why_and_the_command_that_stops_it(started: str) -> None:
    said = judge(before=job("RUNNABLE"), after=job(started), operation=CANCEL, options=options())
    assert said.outcome is F
    assert said.message == (
        "it started before CancelJob arrived; CancelJob does nothing to a started job: "
        "run 'jobctl terminate -p aws-batch j-1'"
    )


def test_started_after_cancel_was_seen_accepted_took_effect_too_late() -> None:
    said = judge(
        before=job("RUNNABLE"),
        after=job("RUNNING"),
        operation=CANCEL,
        options=options(),
        previous="RUNNABLE",
    )
    assert said.outcome is F
    assert said.message.startswith("it started before CancelJob took effect;")


@pytest.mark.parametrize("started", STARTED)
def test_with_force_a_cancel_that_did_nothing_escalates_to_terminatejob(started: str) -> None:
    forced = StopOptions(verb=Verb.CANCEL, reason="bad", reason_code="X", force=True)
    said = judge(before=job("PENDING"), after=job(started), operation=CANCEL, options=forced)
    assert said.outcome is F
    assert said.escalate is not None
    assert said.escalate.kind is ActionKind.SEND
    assert said.escalate.operation == TERMINATE
    assert said.escalate.request == {"jobId": "j-1", "reason": "X: bad"}
    assert said.escalate.message == (
        "started before CancelJob arrived; escalated to TerminateJob (--force)"
    )


def test_terminatejob_never_escalates() -> None:
    forced = options(Verb.CANCEL, force=True)
    said = judge(before=job("RUNNING"), after=job("RUNNING"), operation=TERMINATE, options=forced)
    assert (said.outcome, said.escalate) == (S, None)
    # The row says CancelJob was escalated, as --dry-run's does (issue 14).
    assert said.message == (
        "cancel escalated to TerminateJob (--force); stop accepted; job is still RUNNING"
    )


def test_queued_messages_say_when_the_stop_lands() -> None:
    pending = judge(
        before=job("PENDING"), after=job("PENDING"), operation=CANCEL, options=options()
    )
    assert "once their dependencies finish" in pending.message
    runnable = judge(
        before=job("RUNNABLE"), after=job("RUNNABLE"), operation=CANCEL, options=options()
    )
    assert "reaches the queue's head" in runnable.message


def test_not_found_after_the_stop_is_unverified() -> None:
    said = judge(before=job("RUNNABLE"), after=None, operation=CANCEL, options=options())
    assert said.outcome is S
    assert "could not verify it" in said.message


def test_finished_on_its_own_says_so() -> None:
    said = judge(
        before=job("RUNNING"), after=job("SUCCEEDED"), operation=TERMINATE, options=options()
    )
    assert said.message == "finished on its own (SUCCEEDED) before the stop took effect"
