"""The aws-batch service-job rows of the matrix, as a table (providers/_batch_service.py),
and the references that name service jobs."""

from __future__ import annotations

import pytest

from jobctl.errors import UsageError
from jobctl.models import ActionKind, JobRef, JobState, StopOptions, Verb
from jobctl.providers.aws_batch import INFO, plan
from jobctl.refs import parse_ref

SEND, NOOP, REFUSE = ActionKind.SEND, ActionKind.NOOP, ActionKind.REFUSE
TSJ = "TerminateServiceJob"
QUEUED = ("SUBMITTED", "PENDING", "RUNNABLE", "SCHEDULED")
STARTED = ("STARTING", "RUNNING")
JOB = "a4d6c728-8ee8-4c65-8e2a-9a5e8f4b7c3d"
KNOWN = ["aws-batch", "aws-iot", "tencent"]


def service_job(state: str) -> JobState:
    return JobState(
        job_id="sj-1", native_state=state, phase=INFO.phase_of(state), kind="service-job"
    )


@pytest.mark.parametrize(
    ("verb", "force", "state", "kind", "operation"),
    [
        # No CancelServiceJob exists: a queued service job is cancelled by terminating it.
        *[(Verb.CANCEL, f, s, SEND, TSJ) for s in QUEUED for f in (False, True)],
        # Terminating a started one stops its training: cancel refuses, --force sends it.
        *[(Verb.CANCEL, False, s, REFUSE, None) for s in STARTED],
        *[(Verb.CANCEL, True, s, SEND, TSJ) for s in STARTED],
        *[(Verb.TERMINATE, f, s, SEND, TSJ) for s in (*QUEUED, *STARTED) for f in (False, True)],
        *[(v, f, s, NOOP, None) for s in ("SUCCEEDED", "FAILED") for v in Verb for f in (0, 1)],
        (Verb.TERMINATE, True, "SOMETHING_NEW", REFUSE, None),
    ],
)  # fmt: skip
def test_matrix(
    verb: Verb, force: bool, state: str, kind: ActionKind, operation: str | None
) -> None:
    options = StopOptions(verb=verb, reason="why", force=bool(force))
    action = plan(job=service_job(state), options=options)
    assert action.kind is kind
    assert action.operation == operation
    assert action.request == ({"jobId": "sj-1", "reason": "why"} if kind is SEND else {})


def test_a_container_job_in_the_same_states_keeps_its_own_calls() -> None:
    container = JobState(job_id="j-1", native_state="RUNNABLE", phase=INFO.phase_of("RUNNABLE"))
    options = StopOptions(verb=Verb.CANCEL, reason="why")
    assert plan(job=container, options=options).operation == "CancelJob"


def test_scheduled_is_queued() -> None:
    assert str(INFO.phase_of("SCHEDULED")) == "queued"


def test_the_reason_code_is_folded_in_as_for_container_jobs() -> None:
    options = StopOptions(verb=Verb.TERMINATE, reason="bad data", reason_code="DATA_BUG")
    request = plan(job=service_job("RUNNING"), options=options).request
    assert request["reason"] == "DATA_BUG: bad data"


def test_the_refusal_says_why_and_how() -> None:
    action = plan(job=service_job("RUNNING"), options=StopOptions(verb=Verb.CANCEL, reason="x"))
    assert "TerminateServiceJob would stop its training" in action.message
    assert "--force" in action.message
    assert "'jobctl terminate -p aws-batch sj-1'" in action.message


def test_the_queued_cancel_says_it_terminates() -> None:
    action = plan(job=service_job("RUNNABLE"), options=StopOptions(verb=Verb.CANCEL, reason="x"))
    assert "no CancelServiceJob" in action.message


def test_the_matrix_rows_are_written_out() -> None:
    rows = INFO.matrix
    assert rows["cancel service-job"]["queued"].startswith(TSJ)
    assert rows["cancel service-job"]["running"].startswith("refused")
    assert rows["cancel service-job"]["running"].endswith(f"--force: {TSJ}")
    assert rows["terminate service-job"]["running"].startswith(TSJ)
    assert INFO.job_kinds["service-job"] >= {"SCHEDULED", "RUNNING", "FAILED"}


@pytest.mark.parametrize(
    ("token", "region"),
    [
        (f"arn:aws:batch:eu-west-1:123456789012:service-job/{JOB}", "eu-west-1"),
        (f"arn:aws-cn:batch:cn-north-1:123456789012:service-job/{JOB}", "cn-north-1"),
        (f"aws-batch:{JOB}", None),
    ],
)
def test_service_job_references(token: str, region: str | None) -> None:
    assert parse_ref(token, provider=None, known=KNOWN) == JobRef("aws-batch", JOB, region)


def test_iot_takes_no_service_job_arns() -> None:
    with pytest.raises(UsageError, match="unsupported ARN"):
        parse_ref(
            f"arn:aws:iot:eu-west-1:123456789012:service-job/{JOB}", provider=None, known=KNOWN
        )
    with pytest.raises(UsageError, match="unsupported ARN"):
        parse_ref(
            f"arn:aws:batch:eu-west-1:123456789012:job-queue/{JOB}", provider=None, known=KNOWN
        )


def test_service_job_ids_are_checked_as_container_ids_are() -> None:
    # AWS's service job ids are UUIDs, as container jobs' are: the pattern did not widen.
    assert INFO.job_id_pattern.fullmatch(JOB) is not None
    assert INFO.job_id_pattern.fullmatch("sj-not-a-uuid") is None
