"""What a tencent TerminateJob did, judged from the state after it: a table of
state before, call, state after: outcome (providers/tencent.py `judge`)."""

from __future__ import annotations

import pytest

from jobctl.models import JobState, Outcome, StopOptions, Verb
from jobctl.providers.tencent import INFO, judge

TERMINATE = "TerminateJob"
C, T, S, A = Outcome.CANCELLED, Outcome.TERMINATED, Outcome.STOPPING, Outcome.ALREADY_FINISHED
QUEUED = ("SUBMITTED", "PENDING", "RUNNABLE")
STARTED = ("STARTING", "RUNNING")
UNFINISHED = (*QUEUED, *STARTED)
ENDED = ("FAILED", "FAILED_INTERRUPTED")
STARTED_NOTE = "it had started before TerminateJob landed"


def job(state: str) -> JobState:
    return JobState(
        job_id="job-abcdefgh",
        native_state=state,
        phase=INFO.phase_of(state),
        succeeded=state in INFO.success_states,
    )


def options(verb: Verb = Verb.CANCEL, *, force: bool = False) -> StopOptions:
    return StopOptions(verb=verb, reason="why", force=force)


@pytest.mark.parametrize(
    ("before", "verb", "after", "outcome", "started"),
    [
        # Terminated: in the user's verb; a queued job seen started is said to have started.
        *[(b, Verb.CANCEL, a, C, False) for b in QUEUED for a in ENDED],
        *[(b, Verb.TERMINATE, a, T, False) for b in UNFINISHED for a in ENDED],
        # Asynchronous: still queued or running after the call is `stopping`.
        *[(b, v, a, S, False) for b in QUEUED for a in QUEUED for v in Verb],
        *[(b, v, a, S, True) for b in QUEUED for a in STARTED for v in Verb],
        *[(b, v, a, S, False) for b in STARTED for a in STARTED for v in Verb],
        # SUCCEED is never a stop's doing.
        *[(b, v, "SUCCEED", A, False) for b in UNFINISHED for v in Verb],
    ],
)  # fmt: skip
def test_table(before: str, verb: Verb, after: str, outcome: Outcome, started: bool) -> None:
    said = judge(
        before=job(before), after=job(after), operation=TERMINATE, options=options(verb, force=True)
    )
    assert said.outcome is outcome, said
    assert (STARTED_NOTE in said.message) is started, said.message
    assert said.escalate is None


def test_a_queued_job_that_started_meanwhile_says_so() -> None:
    said = judge(
        before=job("RUNNABLE"), after=job("RUNNING"), operation=TERMINATE, options=options()
    )
    assert said.message == (
        f"{STARTED_NOTE}; termination accepted; Tencent terminates asynchronously: the job "
        "is still RUNNING, and FAILED once terminated"
    )


def test_once_seen_started_it_is_still_said_when_it_ends() -> None:
    said = judge(
        before=job("RUNNABLE"),
        after=job("FAILED"),
        operation=TERMINATE,
        options=options(),
        previous="RUNNING",
    )
    assert said.outcome is C
    assert said.message == f"FAILED after TerminateJob; {STARTED_NOTE}"
    # Seen only queued before: no claim that it had started.
    quiet = judge(
        before=job("RUNNABLE"),
        after=job("FAILED"),
        operation=TERMINATE,
        options=options(),
        previous="RUNNABLE",
    )
    assert quiet.message == "FAILED after TerminateJob"


def test_succeeded_meanwhile_finished_on_its_own() -> None:
    said = judge(
        before=job("RUNNING"), after=job("SUCCEED"), operation=TERMINATE, options=options()
    )
    assert said.message == "finished on its own (SUCCEED) before the stop took effect"


def test_not_found_after_the_stop_is_unverified() -> None:
    said = judge(before=job("RUNNING"), after=None, operation=TERMINATE, options=options())
    assert said.outcome is S
    assert "could not verify it" in said.message
