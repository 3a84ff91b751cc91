"""A stop an AWS Batch endpoint answers with success but does not take: the endpoint reports
isCancelled / isTerminated and sets neither, so the job is unchanged and the run says so
(FAILED, exit 1), never `stopping`. Real boto3 over HTTP to the sandbox's Batch API, whose
stop handlers are swapped for ones that answer success and do nothing (an endpoint that lies)."""

from __future__ import annotations

from typing import Any

import pytest

from jobctl.models import JobState, Outcome, StopOptions, Verb
from jobctl.providers.aws_batch import INFO, judge
from jobctl.sandbox import batch_api

BASE = ("-p", "aws-batch", "-o", "json")
# Every stop call the sandbox answers, with the answer it gives when every job is taken.
HOLLOW = {
    "canceljob": lambda call: {},
    "terminatejob": lambda call: {},
    "terminateservicejob": lambda call: {},
    "canceljobs": lambda call: {"successful": list(call.body["jobs"]), "errors": []},
    "terminatejobs": lambda call: {"successful": list(call.body["jobs"]), "errors": []},
    "terminateservicejobs": lambda call: {"successful": list(call.body["jobs"]), "errors": []},
}


@pytest.fixture
def hollow(monkeypatch: pytest.MonkeyPatch) -> None:
    for operation, handler in HOLLOW.items():
        monkeypatch.setitem(batch_api.HANDLERS, operation, handler)


def unchanged(result: dict[str, Any], state: str) -> None:
    assert (result["outcome"], result["state_after"]) == ("failed", state)
    assert "answered success, but the job is unchanged" in result["message"]
    assert "'jobctl " in result["message"]  # what to do next


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "one-a-job"])
@pytest.mark.parametrize(("verb", "state"), [("cancel", "RUNNABLE"), ("terminate", "RUNNING")])
def test_a_stop_that_did_nothing_is_failed_not_stopping(
    cli, batch, hollow, request, bulk, verb, state
) -> None:
    if not bulk:
        request.getfixturevalue("no_bulk")
    jobs = [batch.add_job(state) for _ in range(3)]
    ran = cli(verb, *BASE, *jobs)
    assert ran.code == 1, ran.stderr
    for job in jobs:
        unchanged(ran.by_job()[job], state)
        assert batch.job(job).status == state


def test_a_terminate_service_job_that_did_nothing_is_failed(cli, batch, hollow) -> None:
    job = batch.add_service_job("RUNNING")
    ran = cli("terminate", *BASE, job)
    assert ran.code == 1, ran.stderr
    unchanged(ran.by_job()[job], "RUNNING")


def test_an_array_parent_whose_stop_did_nothing_is_failed(cli, batch, hollow) -> None:
    parent = batch.add_job("PENDING", array_size=2)
    ran = cli("cancel", *BASE, parent)
    assert ran.code == 1, ran.stderr
    assert ran.by_job()[parent]["outcome"] == "failed"
    assert "the job is unchanged" in ran.by_job()[parent]["message"]


def test_a_taken_stop_still_waiting_its_turn_is_stopping_and_wait_sees_it_end(cli, batch) -> None:
    batch.stop_delay = 0.3
    job = batch.add_job("RUNNABLE")
    ran = cli("cancel", *BASE, "--wait", "--poll-interval", "0.1s", job)
    assert ran.code == 0, ran.stderr
    assert ran.by_job()[job]["outcome"] == "cancelled"


def after(state: str, **extra: Any) -> JobState:
    return JobState(job_id="j-1", native_state=state, phase=INFO.phase_of(state), extra=extra)


@pytest.mark.parametrize(
    ("extra", "operation", "outcome"),
    [
        ({}, "CancelJob", Outcome.STOPPING),  # an older endpoint: no flags, take it at its word
        ({"is_cancelled": True, "is_terminated": False}, "CancelJob", Outcome.STOPPING),
        ({"is_cancelled": False, "is_terminated": True}, "TerminateJob", Outcome.STOPPING),
        ({"is_cancelled": False, "is_terminated": False}, "CancelJob", Outcome.FAILED),
        ({"is_cancelled": False, "is_terminated": False}, "TerminateJob", Outcome.FAILED),
        ({"is_terminated": False}, "TerminateServiceJob", Outcome.FAILED),
        ({"is_terminated": True}, "TerminateServiceJob", Outcome.STOPPING),
    ],
)
def test_the_flags_decide_whether_an_unfinished_job_took_the_stop(
    extra, operation, outcome
) -> None:
    before = after("RUNNABLE")
    options = StopOptions(verb=Verb.TERMINATE, reason="jobctl: stop")
    state = after("RUNNABLE", **extra)
    if operation == "TerminateServiceJob":
        before, state = (JobState(**{**vars(s), "kind": "service-job"}) for s in (before, state))
    judged = judge(before=before, after=state, operation=operation, options=options)
    assert judged.outcome is outcome
