"""The aws-batch rows of the matrix, as a table."""

from __future__ import annotations

import pytest

from jobctl.models import ActionKind, JobState, StopOptions, Verb
from jobctl.providers.aws_batch import INFO, plan

SEND, NOOP, REFUSE = ActionKind.SEND, ActionKind.NOOP, ActionKind.REFUSE


def job(state: str) -> JobState:
    return JobState(job_id="j-1", native_state=state, phase=INFO.phase_of(state))


@pytest.mark.parametrize(
    ("verb", "force", "state", "kind", "operation"),
    [
        *[(Verb.CANCEL, False, s, SEND, "CancelJob") for s in ("SUBMITTED", "PENDING", "RUNNABLE")],
        *[(Verb.CANCEL, False, s, REFUSE, None) for s in ("STARTING", "RUNNING")],
        *[(Verb.CANCEL, True, s, SEND, "TerminateJob") for s in ("STARTING", "RUNNING")],
        *[(Verb.CANCEL, True, s, SEND, "CancelJob") for s in ("SUBMITTED", "RUNNABLE")],
        *[(Verb.CANCEL, f, s, NOOP, None) for s in ("SUCCEEDED", "FAILED") for f in (False, True)],
        *[
            (Verb.TERMINATE, f, s, SEND, "TerminateJob")
            for s in ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING")
            for f in (False, True)
        ],
        *[(Verb.TERMINATE, False, s, NOOP, None) for s in ("SUCCEEDED", "FAILED")],
        (Verb.TERMINATE, False, "SOMETHING_NEW", REFUSE, None),
    ],
)
def test_matrix(
    verb: Verb, force: bool, state: str, kind: ActionKind, operation: str | None
) -> None:
    action = plan(job=job(state), options=StopOptions(verb=verb, reason="why", force=force))
    assert action.kind is kind
    assert action.operation == operation
    if kind is SEND:
        assert action.request == {"jobId": "j-1", "reason": "why"}
    else:
        assert action.request == {}


def test_reason_code_is_folded_into_reason() -> None:
    options = StopOptions(verb=Verb.CANCEL, reason="bad input", reason_code="DATA_BUG")
    assert plan(job=job("RUNNABLE"), options=options).request["reason"] == "DATA_BUG: bad input"


def test_refusal_says_why_and_how() -> None:
    action = plan(job=job("RUNNING"), options=StopOptions(verb=Verb.CANCEL, reason="x"))
    assert "would answer 200 and do nothing" in action.message
    assert "--force" in action.message
