"""What an aws-iot stop did, judged from the state after it: a table of
state before, call, state after: outcome (providers/aws_iot.py `judge`)."""

from __future__ import annotations

import pytest

from jobctl.models import JobState, Outcome, StopOptions, Verb
from jobctl.providers.aws_iot import EXECUTION_STATE_MAP, INFO, judge

CANCEL_JOB, CANCEL_EXECUTION = "CancelJob", "CancelJobExecution"
JOB_UNFINISHED = ("SCHEDULED", "IN_PROGRESS")
EXECUTION_UNFINISHED = ("QUEUED", "IN_PROGRESS")
C, T, S, A = Outcome.CANCELLED, Outcome.TERMINATED, Outcome.STOPPING, Outcome.ALREADY_FINISHED


def job(state: str, **extra: object) -> JobState:
    return JobState(
        job_id="fw-1",
        native_state=state,
        phase=INFO.phase_of(state),
        succeeded=state in INFO.success_states,
        extra=extra,
    )


def execution(state: str, **extra: object) -> JobState:
    return JobState(
        job_id="fw-1",
        native_state=state,
        phase=EXECUTION_STATE_MAP[state],
        succeeded=state == "SUCCEEDED",
        extra={"thing": "dev-1", **extra},
    )


def options(verb: Verb = Verb.CANCEL, *, force: bool = False) -> StopOptions:
    return StopOptions(verb=verb, reason="bad firmware", force=force)


@pytest.mark.parametrize(
    ("before", "verb", "after", "outcome"),
    [
        *[(b, Verb.CANCEL, "CANCELED", C) for b in JOB_UNFINISHED],
        *[(b, Verb.TERMINATE, "CANCELED", T) for b in JOB_UNFINISHED],
        *[(b, v, "COMPLETED", A) for b in JOB_UNFINISHED for v in Verb],
        *[(b, v, "DELETION_IN_PROGRESS", A) for b in JOB_UNFINISHED for v in Verb],
        *[(b, v, a, S) for b in JOB_UNFINISHED for a in JOB_UNFINISHED for v in Verb],
    ],
)  # fmt: skip
def test_job_table(before: str, verb: Verb, after: str, outcome: Outcome) -> None:
    said = judge(before=job(before), after=job(after), operation=CANCEL_JOB, options=options(verb))
    assert said.outcome is outcome, said
    assert said.escalate is None


@pytest.mark.parametrize(
    ("before", "verb", "after", "outcome"),
    [
        *[(b, Verb.CANCEL, "CANCELED", C) for b in EXECUTION_UNFINISHED],
        *[(b, Verb.TERMINATE, "CANCELED", T) for b in EXECUTION_UNFINISHED],
        *[
            (b, v, a, A)
            for b in EXECUTION_UNFINISHED
            for a in ("SUCCEEDED", "FAILED", "TIMED_OUT", "REJECTED", "REMOVED")
            for v in Verb
        ],
        *[(b, v, a, S) for b in EXECUTION_UNFINISHED for a in EXECUTION_UNFINISHED for v in Verb],
    ],
)  # fmt: skip
def test_execution_table(before: str, verb: Verb, after: str, outcome: Outcome) -> None:
    said = judge(
        before=execution(before),
        after=execution(after),
        operation=CANCEL_EXECUTION,
        options=options(verb, force=True),
    )
    assert said.outcome is outcome, said


def test_an_execution_that_ended_on_its_own_says_so() -> None:
    said = judge(
        before=execution("QUEUED"),
        after=execution("SUCCEEDED"),
        operation=CANCEL_EXECUTION,
        options=options(),
    )
    assert (
        said.message == "execution on thing dev-1 SUCCEEDED on its own before the stop took effect"
    )
    still = judge(
        before=execution("QUEUED"),
        after=execution("IN_PROGRESS"),
        operation=CANCEL_EXECUTION,
        options=options(),
    )
    assert still.message == "stop accepted; execution on thing dev-1 is still IN_PROGRESS"


def test_force_canceled_is_the_evidence_of_a_forced_cancel() -> None:
    forced = judge(
        before=job("IN_PROGRESS"),
        after=job("CANCELED", force_canceled=True),
        operation=CANCEL_JOB,
        options=options(Verb.TERMINATE),
    )
    assert forced.outcome is T
    assert "forceCanceled" in forced.message
    execution_forced = judge(
        before=execution("IN_PROGRESS"),
        after=execution("CANCELED", force_canceled=True),
        operation=CANCEL_EXECUTION,
        options=options(force=True),
    )
    assert execution_forced.message == "execution on thing dev-1 CANCELED (forceCanceled)"


def test_cancel_without_force_counts_executions_still_running() -> None:
    after = job("CANCELED", in_progress_executions=2)
    said = judge(before=job("IN_PROGRESS"), after=after, operation=CANCEL_JOB, options=options())
    assert said.outcome is C
    assert "2 executions are still IN_PROGRESS" in said.message
    assert "--force would cancel them" in said.message
    assert said.extra == {"in_progress_executions": 2}
    assert said.still_running == {"executions": 2}
    one = job("CANCELED", in_progress_executions=1)
    said = judge(before=job("IN_PROGRESS"), after=one, operation=CANCEL_JOB, options=options())
    assert "1 execution is still IN_PROGRESS" in said.message
    forced = judge(
        before=job("IN_PROGRESS"),
        after=after,
        operation=CANCEL_JOB,
        options=options(Verb.TERMINATE),
    )
    assert "--force would" not in forced.message
    assert "force-cancels" in forced.message


def test_the_cancel_iot_recorded_is_the_message() -> None:
    after = job("CANCELED", status_reason="DEPLOY_ROLLBACK: bad firmware")
    said = judge(before=job("IN_PROGRESS"), after=after, operation=CANCEL_JOB, options=options())
    assert said.message == "DEPLOY_ROLLBACK: bad firmware"


def test_completed_is_never_cancelled() -> None:
    said = judge(
        before=job("IN_PROGRESS"), after=job("COMPLETED"), operation=CANCEL_JOB, options=options()
    )
    assert said.message == "finished on its own (COMPLETED) before the stop took effect"
