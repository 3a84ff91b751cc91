"""A third-party client gets the same answers as jobctl: the AWS CLI (v1, in its own venv,
taught botocore 1.44's Batch model: tests/support/awscli.py) against the sandbox's moto server.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from jobctl.sandbox.aws import ACCESS_KEY, SECRET_KEY, BatchWorld, MotoServer
from tests.support.awscli import AwsCliUnavailable, add_batch_model, aws_cli

GUARD = 120.0  # a guard against hanging, never a bound on speed


@pytest.fixture(scope="module")
def aws_bin() -> Path:
    try:
        return aws_cli()
    except AwsCliUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture
def aws(aws_bin: Path, batch: BatchWorld, aws_env: MotoServer, tmp_path: Path) -> Any:
    home = tmp_path / "home"
    home.mkdir()
    add_batch_model(aws_bin, home)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
    }

    def run(*args: str) -> Any:
        done = subprocess.run(
            [str(aws_bin), "batch", *args, "--endpoint-url", aws_env.url, "--output", "json"],
            capture_output=True, text=True, env=env, timeout=GUARD, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else {}

    return run


def test_cancel_jobs_then_describe_jobs_reads_them_cancelled(aws, batch) -> None:
    first, second = batch.add_job("RUNNABLE"), batch.add_job("PENDING")
    running = batch.add_job("RUNNING")
    answer = aws("cancel-jobs", "--jobs", first, second, running, "--reason", "r")
    assert answer["successful"] == [first, second, running]
    assert answer["errors"] == []
    jobs = {j["jobId"]: j for j in aws("describe-jobs", "--jobs", first, second, running)["jobs"]}
    for job in (first, second):
        assert (jobs[job]["status"], jobs[job]["statusReason"]) == ("FAILED", "r")
        assert (jobs[job]["isCancelled"], jobs[job]["isTerminated"]) == (True, False)
    # CancelJobs leaves a running job alone, as CancelJob does.
    assert (jobs[running]["status"], jobs[running]["isCancelled"]) == ("RUNNING", False)


def test_terminate_jobs_reports_a_per_job_error(aws, batch) -> None:
    ok, denied = batch.add_job("RUNNING"), batch.add_job("RUNNING")
    batch.fail_next(denied, "AccessDenied", "not yours")
    answer = aws("terminate-jobs", "--jobs", ok, denied, "--reason", "drain")
    assert answer["successful"] == [ok]
    assert answer["errors"] == [{"job": denied, "code": "AccessDenied", "message": "not yours"}]
    jobs = {j["jobId"]: j for j in aws("describe-jobs", "--jobs", ok, denied)["jobs"]}
    assert (jobs[ok]["status"], jobs[ok]["isTerminated"]) == ("FAILED", True)
    assert jobs[denied]["status"] == "RUNNING"


def test_terminate_service_job_then_describe_and_list(aws, batch) -> None:
    job = batch.add_service_job("RUNNING", name="train", queue="sm-q")
    listed = aws("list-service-jobs", "--job-queue", "sm-q")["jobSummaryList"]
    assert [j["jobId"] for j in listed] == [job]
    aws("terminate-service-job", "--job-id", job, "--reason", "budget")
    found = aws("describe-service-job", "--job-id", job)
    assert (found["status"], found["isTerminated"], found["statusReason"]) == (
        "FAILED",
        True,
        "budget",
    )
    queues = aws("describe-job-queues")["jobQueues"]
    assert {q["jobQueueName"]: q["jobQueueType"] for q in queues}["sm-q"] == "SAGEMAKER_TRAINING"


def test_jobctl_stops_1000_jobs_in_bulk_and_the_aws_cli_reads_each_outcome(
    aws, batch, cli, proxy, clean_env
) -> None:
    """Issue 13's proof: 1000 jobs in every state a stop meets, terminated with the bulk API,
    and each job's outcome is what a third party (the AWS CLI) then reads."""
    states = ["RUNNABLE"] * 700 + ["PENDING"] * 100 + ["RUNNING"] * 150 + ["SUCCEEDED"] * 50
    jobs = {batch.add_job(state): state for state in states}
    ran = cli(
        "terminate", "-p", "aws-batch", "-o", "json", "--yes", "--endpoint-url", proxy.url,
        "-r", "drain", "-", stdin="\n".join(jobs).encode(),
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    sent = Counter(proxy.operations())
    # 950 to stop, 50 a TerminateJobs; DescribeJobs 100 a call, before and after.
    assert sent == {"terminatejobs": 19, "describejobs": 20}
    assert sum(sent.values()) / len(jobs) <= 0.05
    read: dict[str, Any] = {}
    ids = list(jobs)
    for start in range(0, len(ids), 100):
        for job in aws("describe-jobs", "--jobs", *ids[start : start + 100])["jobs"]:
            read[job["jobId"]] = job
    results = ran.by_job()
    assert len(results) == len(jobs)
    for job, before in jobs.items():
        seen = read[job]
        if before == "SUCCEEDED":
            assert results[job]["outcome"] == "already-finished"
            assert seen["status"] == "SUCCEEDED"
            continue
        assert results[job]["outcome"] == "terminated", results[job]
        assert results[job]["state_after"] == seen["status"] == "FAILED"
        assert (seen["isTerminated"], seen["statusReason"]) == (True, "drain")
    # Every job a request was sent for has its answer and its final outcome in the audit log.
    log = clean_env / "state" / "jobctl" / "audit.jsonl"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    stopped = sorted(job for job, state in jobs.items() if state != "SUCCEEDED")
    for kind in ("answer", "final"):
        assert sorted(r["job"] for r in records if r["record"] == kind) == stopped
