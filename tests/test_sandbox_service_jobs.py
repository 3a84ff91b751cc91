"""Service jobs (SageMaker Training through Batch) in the sandbox (jobctl/sandbox/batch_service.py),
through real boto3 clients over HTTP."""

from __future__ import annotations

import time

import pytest

from jobctl.sandbox.aws import ACCOUNT, BatchWorld, MotoServer, sandbox_client

STATES = ("SUBMITTED", "PENDING", "RUNNABLE", "SCHEDULED", "STARTING", "RUNNING", "SUCCEEDED",
          "FAILED")  # fmt: skip


@pytest.fixture
def client(batch: BatchWorld, aws_env: MotoServer) -> object:
    return sandbox_client("batch", region="us-east-1", endpoint=aws_env.url)


def until(check, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the sandbox never got there"
        time.sleep(0.02)


def test_submit_then_describe(client, batch) -> None:
    batch.service_queue("sm-q")
    sent = client.submit_service_job(
        jobName="train-a",
        jobQueue="sm-q",
        serviceRequestPayload='{"TrainingJobName": "a"}',
        serviceJobType="SAGEMAKER_TRAINING",
        tags={"team": "ml"},
    )
    assert sent["jobArn"] == f"arn:aws:batch:us-east-1:{ACCOUNT}:service-job/{sent['jobId']}"
    job = client.describe_service_job(jobId=sent["jobId"])
    assert (job["jobName"], job["status"], job["serviceJobType"]) == (
        "train-a",
        "SUBMITTED",
        "SAGEMAKER_TRAINING",
    )
    assert job["jobQueue"].endswith(":job-queue/sm-q")
    assert job["serviceRequestPayload"] == '{"TrainingJobName": "a"}'
    assert job["tags"] == {"team": "ml"}
    assert job["isTerminated"] is False
    assert "startedAt" not in job


def test_submit_to_an_ecs_queue_is_a_client_exception(client, batch) -> None:
    batch.queue("ecs-q")
    with pytest.raises(client.exceptions.ClientException, match="SAGEMAKER_TRAINING"):
        client.submit_service_job(
            jobName="x", jobQueue="ecs-q", serviceRequestPayload="{}",
            serviceJobType="SAGEMAKER_TRAINING",
        )  # fmt: skip


def test_describe_by_arn_and_every_state(client, batch) -> None:
    jobs = {state: batch.add_service_job(state, name=state.lower()) for state in STATES}
    for state, job_id in jobs.items():
        arn = f"arn:aws:batch:us-east-1:{ACCOUNT}:service-job/{job_id}"
        job = client.describe_service_job(jobId=arn)
        assert (job["jobId"], job["status"]) == (job_id, state)
        started = state in ("STARTING", "RUNNING", "SUCCEEDED")
        assert ("startedAt" in job) is started
        assert ("stoppedAt" in job) is (state in ("SUCCEEDED", "FAILED"))
        if started:
            assert job["latestAttempt"]["serviceResourceId"]["name"] == "TrainingJobArn"


@pytest.mark.parametrize("operation", ["describe_service_job", "terminate_service_job"])
def test_an_unknown_service_job_is_a_client_exception(client, batch, operation) -> None:
    kwargs = {"jobId": "00000000-0000-4000-8000-000000000000"}
    if operation == "terminate_service_job":
        kwargs["reason"] = "r"
    with pytest.raises(client.exceptions.ClientException, match="does not exist"):
        getattr(client, operation)(**kwargs)


def test_terminate_flags_the_job_and_the_world_fails_it_after_its_delay(client, batch) -> None:
    batch.stop_delay = 3600.0  # held until the test lets it move: no race with the clock
    job = batch.add_service_job("RUNNING")
    client.terminate_service_job(jobId=job, reason="over budget")
    first = client.describe_service_job(jobId=job)
    assert (first["status"], first["isTerminated"], first["statusReason"]) == (
        "RUNNING",
        True,
        "over budget",
    )
    batch.stop_delay = 0.0
    until(lambda: client.describe_service_job(jobId=job)["status"] == "FAILED")
    done = client.describe_service_job(jobId=job)
    assert done["stoppedAt"] >= done["startedAt"]
    assert done["attempts"][0]["statusReason"] == "over budget"
    # In a summary, isTerminated is there only when true (botocore's ServiceJobSummary).
    other = batch.add_service_job("FAILED")
    failed = client.list_service_jobs(jobQueue="jobctl-sm-q", jobStatus="FAILED")
    flags = {j["jobId"]: j.get("isTerminated") for j in failed["jobSummaryList"]}
    assert flags == {job: True, other: None}


def test_terminating_a_finished_job_changes_nothing(client, batch) -> None:
    job = batch.add_service_job("SUCCEEDED")
    client.terminate_service_job(jobId=job, reason="late")
    after = client.describe_service_job(jobId=job)
    assert (after["status"], after["isTerminated"]) == ("SUCCEEDED", False)


def test_terminate_service_jobs_per_job_errors_and_unknown_successful(client, batch) -> None:
    queued, running, stuck = (batch.add_service_job(s) for s in ("RUNNABLE", "RUNNING", "RUNNING"))
    batch.fail_next(stuck, "ThrottlingException")
    unknown = "00000000-0000-4000-8000-000000000000"
    answer = client.terminate_service_jobs(jobs=[queued, running, stuck, unknown], reason="r")
    assert answer["successful"] == [queued, running, unknown]
    assert [(e["job"], e["code"]) for e in answer["errors"]] == [(stuck, "ThrottlingException")]
    statuses = {j: client.describe_service_job(jobId=j)["status"] for j in (queued, running, stuck)}
    assert statuses == {queued: "FAILED", running: "FAILED", stuck: "RUNNING"}


def test_list_service_jobs_defaults_to_running_and_filters_by_status(client, batch) -> None:
    running = [batch.add_service_job("RUNNING", name=f"r{n}") for n in range(2)]
    scheduled = batch.add_service_job("SCHEDULED")
    batch.add_service_job("RUNNING", queue="other-q")
    listed = client.list_service_jobs(jobQueue="jobctl-sm-q")["jobSummaryList"]
    assert sorted(j["jobId"] for j in listed) == sorted(running)
    only = client.list_service_jobs(jobQueue="jobctl-sm-q", jobStatus="SCHEDULED")
    assert [j["jobId"] for j in only["jobSummaryList"]] == [scheduled]
    assert only["jobSummaryList"][0]["serviceJobType"] == "SAGEMAKER_TRAINING"


def test_list_service_jobs_pages_with_max_results_and_next_token(client, batch) -> None:
    jobs = {batch.add_service_job("RUNNABLE", name=f"j{n}", age=n) for n in range(7)}
    pages = client.get_paginator("list_service_jobs").paginate(
        jobQueue="jobctl-sm-q", jobStatus="RUNNABLE", PaginationConfig={"PageSize": 3}
    )
    sizes, seen = [], []
    for page in pages:
        sizes.append(len(page["jobSummaryList"]))
        seen.extend(j["jobId"] for j in page["jobSummaryList"])
    assert sizes == [3, 3, 1]
    assert sorted(seen) == sorted(jobs)


def test_list_service_jobs_filters(client, batch) -> None:
    old = batch.add_service_job("SUCCEEDED", name="Train-Old", age=3600)
    new = batch.add_service_job("RUNNABLE", name="train-new")
    batch.add_service_job("RUNNING", name="eval")

    def names(spec: dict) -> list[str]:
        page = client.list_service_jobs(jobQueue="jobctl-sm-q", filters=[spec])
        return [j["jobId"] for j in page["jobSummaryList"]]

    # With a filter, any status; newest first.
    assert names({"name": "JOB_NAME", "values": ["train*"]}) == [new, old]
    assert names({"name": "JOB_NAME", "values": ["TRAIN-OLD"]}) == [old]
    cut = str(int(time.time() * 1000) - 1800 * 1000)
    assert names({"name": "BEFORE_CREATED_AT", "values": [cut]}) == [old]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"jobQueue": "nope"},
        {"jobQueue": "jobctl-sm-q", "maxResults": 101},
        {"jobQueue": "jobctl-sm-q", "nextToken": "garbage"},
        {"jobQueue": "jobctl-sm-q", "filters": [{"name": "COLOUR", "values": ["red"]}]},
    ],
)
def test_list_service_jobs_bad_input_is_a_client_exception(client, batch, kwargs) -> None:
    batch.service_queue()
    with pytest.raises(client.exceptions.ClientException):
        client.list_service_jobs(**kwargs)


def test_a_stepping_service_job_goes_through_scheduled_to_succeeded(client, batch) -> None:
    job = batch.add_service_job("RUNNABLE", step=0.05)
    seen: list[str] = []

    def watch() -> bool:
        status = client.describe_service_job(jobId=job)["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        return status == "SUCCEEDED"

    until(watch)
    assert seen[-1] == "SUCCEEDED"
    assert set(seen) <= {"RUNNABLE", "SCHEDULED", "STARTING", "RUNNING", "SUCCEEDED"}
    assert client.describe_service_job(jobId=job)["scheduledAt"] > 0


def test_moto_reset_clears_service_jobs(aws_env, batch, client) -> None:
    from tests.conftest import reset_moto

    job = batch.add_service_job("RUNNING")
    reset_moto(aws_env)
    with pytest.raises(client.exceptions.ClientException):
        client.describe_service_job(jobId=job)
