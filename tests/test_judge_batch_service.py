"""What TerminateServiceJob did, judged from the service job's state after it: a table of
state before, verb, state after: outcome (providers/_batch_service.py `judge_service`)."""

from __future__ import annotations

from typing import Any

import pytest

from jobctl.models import JobState, Outcome, StopOptions, Verb
from jobctl.providers.aws_batch import INFO, judge

TSJ = "TerminateServiceJob"
OURS = "jobctl: terminate by me@host"
THEIRS = "Received status from SageMaker: Training job failed"
BY_US = {"is_terminated": True, "status_reason": OURS}
C, T, S, A = Outcome.CANCELLED, Outcome.TERMINATED, Outcome.STOPPING, Outcome.ALREADY_FINISHED
QUEUED = ("SUBMITTED", "PENDING", "RUNNABLE", "SCHEDULED")
STARTED = ("STARTING", "RUNNING")


def job(state: str, **extra: Any) -> JobState:
    return JobState(
        job_id="sj-1",
        native_state=state,
        phase=INFO.phase_of(state),
        succeeded=state in INFO.success_states,
        extra=extra,
        kind="service-job",
    )


def said(before: str, verb: Verb, after: JobState | None) -> Any:
    options = StopOptions(verb=verb, reason=OURS, force=True)
    return judge(before=job(before), after=after, operation=TSJ, options=options)


@pytest.mark.parametrize(
    ("before", "verb", "after", "extra", "outcome"),
    [
        # TerminateServiceJob works asynchronously: anything unfinished is still stopping.
        *[(b, v, a, {}, S) for b in (*QUEUED, *STARTED) for a in (*QUEUED, *STARTED) for v in Verb],
        # FAILED with isTerminated and our reason: this call did it, in the user's verb.
        *[(b, Verb.CANCEL, "FAILED", BY_US, C) for b in QUEUED],
        *[(b, Verb.TERMINATE, "FAILED", BY_US, T) for b in (*QUEUED, *STARTED)],
        # Our reason without the flag (ListServiceJobs leaves it out unless true).
        ("RUNNING", Verb.TERMINATE, "FAILED", {"status_reason": OURS}, T),
        # Terminated, by someone else's request.
        ("RUNNING", Verb.TERMINATE, "FAILED", {"is_terminated": True, "status_reason": THEIRS}, A),
        # Failed on its own: another reason, not terminated.
        ("RUNNING", Verb.TERMINATE, "FAILED", {"is_terminated": False, "status_reason": THEIRS}, A),
        ("RUNNING", Verb.TERMINATE, "FAILED", {"status_reason": THEIRS}, A),
        # SUCCEEDED is never a stop's doing.
        *[(b, v, "SUCCEEDED", {}, A) for b in (*QUEUED, *STARTED) for v in Verb],
    ],
)  # fmt: skip
def test_table(
    before: str, verb: Verb, after: str, extra: dict[str, Any], outcome: Outcome
) -> None:
    judged = said(before, verb, job(after, **extra))
    assert judged.outcome is outcome, judged
    assert judged.escalate is None
    assert judged.message
    assert "\n" not in judged.message


def test_not_seen_after_is_stopping_never_claimed() -> None:
    assert said("RUNNING", Verb.TERMINATE, None).outcome is S


def test_a_forced_cancel_of_a_running_one_says_it_was_escalated() -> None:
    judged = said("RUNNING", Verb.CANCEL, job("FAILED", is_terminated=True, status_reason=OURS))
    assert judged.outcome is C
    assert judged.message.startswith("cancel escalated to TerminateServiceJob (--force)")
    stopping = said("RUNNING", Verb.CANCEL, job("RUNNING"))
    assert stopping.message == (
        "cancel escalated to TerminateServiceJob (--force); stop accepted; "
        "service job is still RUNNING"
    )


def test_someone_elses_stop_is_named() -> None:
    judged = said(
        "RUNNING", Verb.TERMINATE, job("FAILED", is_terminated=True, status_reason=THEIRS)
    )
    assert "stopped by another request" in judged.message
    assert THEIRS in judged.message
