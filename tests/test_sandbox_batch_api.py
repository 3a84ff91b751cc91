"""The Batch operations the sandbox serves beside moto (jobctl/sandbox/batch_api.py), through
real boto3 clients over HTTP: CancelJobs / TerminateJobs, isCancelled / isTerminated, array
cascades, injected per-job errors, and the no-bulk switch."""

from __future__ import annotations

import time

import botocore.exceptions
import pytest

from jobctl.sandbox.aws import BatchWorld, MotoServer, sandbox_client

UNKNOWN_JOB = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def client(batch: BatchWorld, aws_env: MotoServer) -> object:
    return sandbox_client("batch", region="us-east-1", endpoint=aws_env.url)


def described(client, *job_ids: str) -> dict[str, dict]:
    return {j["jobId"]: j for j in client.describe_jobs(jobs=list(job_ids))["jobs"]}


def until(check, seconds: float = 120.0) -> None:
    """Poll `check` (the scheduler acts on its own thread); a hang guard, not a speed bound."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the sandbox never got there"
        time.sleep(0.02)


def test_cancel_jobs_cancels_queued_jobs_and_counts_unknown_ones_successful(client, batch) -> None:
    jobs = [batch.add_job(state) for state in ("SUBMITTED", "PENDING", "RUNNABLE")]
    answer = client.cancel_jobs(jobs=[*jobs, UNKNOWN_JOB], reason="drain")
    assert answer["successful"] == [*jobs, UNKNOWN_JOB]
    assert answer["errors"] == []
    for job in described(client, *jobs).values():
        assert (job["status"], job["statusReason"]) == ("FAILED", "drain")
        assert (job["isCancelled"], job["isTerminated"]) == (True, False)


@pytest.mark.parametrize("state", ["STARTING", "RUNNING"])
def test_cancel_jobs_of_a_started_job_is_successful_and_does_nothing(client, batch, state) -> None:
    job = batch.add_job(state)
    answer = client.cancel_jobs(jobs=[job], reason="no")
    assert answer["successful"] == [job]
    single = batch.add_job(state)
    client.cancel_job(jobId=single, reason="no")
    for each in described(client, job, single).values():
        assert (each["status"], each["isCancelled"], each["isTerminated"]) == (state, False, False)
        assert "statusReason" not in each


def test_terminate_jobs_stops_every_unfinished_state(client, batch) -> None:
    states = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING")
    jobs = [batch.add_job(state) for state in states]
    done = batch.add_job("SUCCEEDED")
    answer = client.terminate_jobs(jobs=[*jobs, done], reason="stop all")
    assert answer["successful"] == [*jobs, done]
    found = described(client, *jobs, done)
    assert [found[j]["status"] for j in jobs] == ["FAILED"] * len(jobs)
    assert all(found[j]["isTerminated"] and not found[j]["isCancelled"] for j in jobs)
    assert (found[done]["status"], found[done]["isTerminated"]) == ("SUCCEEDED", False)


def test_bulk_and_single_calls_give_the_same_answers(client, batch) -> None:
    """Same code path: what DescribeJobs reads after CancelJobs is what it reads after CancelJob."""
    batch.stop_delay = 3600.0  # held until the test lets them move: no race with the clock
    one, many = batch.add_job("RUNNABLE"), batch.add_job("RUNNABLE")
    client.cancel_job(jobId=one, reason="same")
    client.cancel_jobs(jobs=[many], reason="same")
    first = described(client, one, many)
    assert first[one]["status"] == first[many]["status"] == "RUNNABLE"  # flagged, not yet moved
    batch.stop_delay = 0.0
    until(lambda: {j["status"] for j in described(client, one, many).values()} == {"FAILED"})
    after = described(client, one, many)
    keys = ("status", "statusReason", "isCancelled", "isTerminated")
    assert [after[one][k] for k in keys] == [after[many][k] for k in keys]


@pytest.mark.parametrize("count", [0, 51])
def test_more_than_50_jobs_or_none_is_a_client_exception_for_the_whole_call(
    client, batch, count
) -> None:
    jobs = [batch.add_job("RUNNABLE") for _ in range(count)]
    for call in (client.cancel_jobs, client.terminate_jobs, client.terminate_service_jobs):
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            call(jobs=jobs, reason="too many")
        assert caught.value.response["Error"]["Code"] == "ClientException"
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert {batch.job(j).stop for j in jobs} <= {False}


def test_fifty_jobs_are_one_call(client, batch) -> None:
    jobs = [batch.add_job("RUNNABLE") for _ in range(50)]
    assert client.cancel_jobs(jobs=jobs, reason="fifty")["successful"] == jobs
    assert {batch.job(j).status for j in jobs} == {"FAILED"}


def test_an_empty_reason_is_a_client_exception_and_nothing_stops(client, batch) -> None:
    job = batch.add_job("RUNNABLE")
    with pytest.raises(client.exceptions.ClientException):
        client.cancel_jobs(jobs=[job], reason="")
    assert batch.job(job).stop is False


@pytest.mark.parametrize(
    "code",
    ["ValidationException", "ClientException", "ThrottlingException", "ServerException",
     "AccessDenied"],
)  # fmt: skip
def test_injected_per_job_errors_come_back_in_errors_and_leave_the_job(client, batch, code) -> None:
    hit, fine = batch.add_job("RUNNABLE"), batch.add_job("RUNNABLE")
    batch.fail_next(hit, code, "no luck")
    answer = client.cancel_jobs(jobs=[hit, fine], reason="r")
    assert answer["successful"] == [fine]
    assert answer["errors"] == [{"job": hit, "code": code, "message": "no luck"}]
    assert (batch.job(hit).status, batch.job(fine).status) == ("RUNNABLE", "FAILED")
    # The fault was for one request: the next one goes through.
    assert client.cancel_jobs(jobs=[hit], reason="r")["successful"] == [hit]


def test_an_injected_fault_can_be_limited_to_one_operation(client, batch) -> None:
    job = batch.add_job("RUNNING")
    batch.fail_next(job, "AccessDenied", operation="TerminateJobs")
    assert client.cancel_jobs(jobs=[job], reason="r")["errors"] == []
    assert [e["code"] for e in client.terminate_jobs(jobs=[job], reason="r")["errors"]] == [
        "AccessDenied"
    ]


def test_an_injected_fault_on_a_single_call_is_that_error(client, batch) -> None:
    job = batch.add_job("RUNNABLE")
    batch.fail_next(job, "ClientException", "locked")
    with pytest.raises(client.exceptions.ClientException, match="locked"):
        client.cancel_job(jobId=job, reason="r")
    assert batch.job(job).stop is False


def test_an_unknown_fault_code_is_refused() -> None:
    world = BatchWorld.__new__(BatchWorld)
    with pytest.raises(ValueError, match="not one of"):
        world.fail_next("job", "Teapot")


def test_a_malformed_job_id_is_a_validation_error_in_the_answer(client, batch) -> None:
    job = batch.add_job("RUNNABLE")
    answer = client.cancel_jobs(jobs=["has space", job], reason="r")
    assert [e["code"] for e in answer["errors"]] == ["ValidationException"]
    assert answer["successful"] == [job]


@pytest.mark.parametrize("call", ["cancel_job", "cancel_jobs"])
def test_cancelling_a_pending_array_parent_cancels_its_children(client, batch, call) -> None:
    parent = batch.add_job("PENDING", array_size=3)
    if call == "cancel_job":
        client.cancel_job(jobId=parent, reason="whole array")
    else:
        client.cancel_jobs(jobs=[parent], reason="whole array")
    children = [f"{parent}:{i}" for i in range(3)]
    found = described(client, parent, *children)
    assert {found[c]["status"] for c in children} == {"FAILED"}
    assert all(found[c]["isCancelled"] for c in children)
    assert found[parent]["status"] == "FAILED"
    assert found[parent]["arrayProperties"]["statusSummary"]["FAILED"] == 3


def test_an_array_parent_is_cancelled_only_once_its_running_children_finish(client, batch) -> None:
    parent = batch.add_job("PENDING", array_size=2)
    batch.set_state(f"{parent}:1", "RUNNING")
    client.cancel_job(jobId=parent, reason="r")
    found = described(client, parent, f"{parent}:0", f"{parent}:1")
    assert found[f"{parent}:0"]["status"] == "FAILED"
    assert found[f"{parent}:1"]["status"] == "RUNNING"  # cancel does not stop a running child
    assert found[parent]["status"] == "PENDING"
    client.terminate_job(jobId=f"{parent}:1", reason="r")
    until(lambda: described(client, parent)[parent]["status"] == "FAILED")


def test_describe_jobs_says_false_when_nothing_was_asked(client, batch) -> None:
    job = batch.add_job("RUNNABLE")
    assert (
        described(client, job)[job]["isCancelled"],
        described(client, job)[job]["isTerminated"],
    ) == (
        False,
        False,
    )


def test_without_bulk_the_bulk_operations_are_404_and_single_ones_still_work(
    client, batch, no_bulk
) -> None:
    job = batch.add_job("RUNNABLE")
    for call in (client.cancel_jobs, client.terminate_jobs, client.terminate_service_jobs):
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            call(jobs=[job], reason="r")
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert batch.job(job).stop is False
    client.cancel_job(jobId=job, reason="r")
    assert batch.job(job).status == "FAILED"


def test_a_world_can_switch_bulk_off_for_its_region(client, batch) -> None:
    batch.bulk = False
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.cancel_jobs(jobs=[UNKNOWN_JOB], reason="r")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_describe_job_queues_gives_each_queue_its_type(client, batch) -> None:
    batch.queue("ecs-q")
    batch.service_queue("training-q")
    types = {q["jobQueueName"]: q for q in client.describe_job_queues()["jobQueues"]}
    assert types["ecs-q"]["jobQueueType"] == "ECS"
    assert types["training-q"]["jobQueueType"] == "SAGEMAKER_TRAINING"
    assert types["training-q"]["serviceEnvironmentOrder"][0]["order"] == 1


def test_a_flagged_job_that_fails_on_its_own_is_neither_cancelled_nor_terminated(
    client, batch
) -> None:
    batch.stop_delay = 600.0  # flagged, waiting for the head of the queue
    job = batch.add_job("RUNNABLE")
    client.cancel_jobs(jobs=[job], reason="r")
    assert described(client, job)[job]["isCancelled"] is True  # taken, not yet in effect
    batch.job(job)._mark_stopped(success=False)  # its host died first
    found = described(client, job)[job]
    assert (found["status"], found["isCancelled"], found["isTerminated"]) == (
        "FAILED",
        False,
        False,
    )
