"""What the sandbox seeds (service jobs in every state, `--extra-jobs N` per provider), on every
way of starting it, and a plain boto3 script's view of it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jobctl.sandbox.aws import sandbox_client
from jobctl.sandbox.serving import describe
from jobctl.sandbox.world import SERVICE_STATES, Sandbox
from tests.conftest import reset_moto

JOBCTL = shutil.which("jobctl")
GUARD = 120.0  # a guard against hanging, never a bound on speed


@pytest.fixture
def sandbox(moto) -> object:
    """A whole Sandbox in this process. moto's backends are per process, shared with the
    session's server: start from a clean slate, as the `batch` fixture does, one per test."""
    reset_moto(moto)
    with Sandbox(extra_jobs=5) as world:
        yield world
    reset_moto(moto)


def test_service_jobs_are_seeded_in_every_state_in_a_sagemaker_queue(sandbox) -> None:
    client = sandbox_client("batch", region="us-east-1", endpoint=sandbox.env["AWS_ENDPOINT_URL"])
    seeded = sandbox.seeded.batch_service
    assert list(seeded) == [state.lower() for state in SERVICE_STATES]
    for state, job_id in seeded.items():
        job = client.describe_service_job(jobId=job_id)
        assert job["status"] == state.upper()
        assert job["jobQueue"].endswith(":job-queue/training-q")
    queues = {
        q["jobQueueName"]: q["jobQueueType"] for q in client.describe_job_queues()["jobQueues"]
    }
    assert queues["training-q"] == "SAGEMAKER_TRAINING"
    assert queues["demo-q"] == "ECS"


def test_extra_jobs_are_queued_in_each_provider(sandbox) -> None:
    extra = sandbox.seeded.extra
    assert {name: len(ids) for name, ids in extra.items()} == {
        "aws-batch": 5,
        "aws-iot": 5,
        "tencent": 5,
    }
    assert {sandbox.batch.job(j).status for j in extra["aws-batch"]} == {"RUNNABLE"}
    assert {sandbox.batch.job(j).job_queue.name for j in extra["aws-batch"]} == {"extra-q"}
    assert {sandbox.iot.job(j).status for j in extra["aws-iot"]} == {"SCHEDULED"}
    assert {sandbox.tencent.job(j).state for j in extra["tencent"]} == {"RUNNABLE"}


def test_what_serve_prints_names_the_service_jobs_and_the_extras(sandbox) -> None:
    text = describe(sandbox, None)
    assert "queue training-q" in text
    assert sandbox.seeded.batch_service["scheduled"] in text
    assert "5 queued jobs per provider (--extra-jobs)" in text


def test_no_extra_jobs_unless_asked() -> None:
    assert Sandbox().seeded.extra == {}
    with pytest.raises(ValueError, match="0 to 10000"):
        Sandbox(extra_jobs=10_001)


@pytest.mark.parametrize("value", ["-1", "x", "10001", "1.5", ""])
@pytest.mark.parametrize("where", ["serve", "run", "demo", "bare"])
def test_a_bad_extra_jobs_is_one_line_and_nothing_starts(cli, value, where) -> None:
    if where == "bare":
        args = ["sandbox", "--extra-jobs", value]
    else:
        args = ["sandbox", where, "--extra-jobs", value]
    if where == "run":
        args += ["--", "true"]
    ran = cli(*args)
    assert ran.code == 2
    assert "--extra-jobs" in ran.stderr
    assert "0 to 10000" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert ran.stdout == ""  # no exports: nothing was served


# A plain boto3 script, run by `jobctl sandbox run --extra-jobs`: it sees the 1000 extra jobs,
# cancels them with CancelJobs (50 a call), and reads them cancelled.
SCRIPT = """
import json, boto3
batch = boto3.client("batch")
listed = batch.list_jobs(jobQueue="extra-q", jobStatus="RUNNABLE")["jobSummaryList"]
ids = [j["jobId"] for j in listed]
errors = []
for start in range(0, len(ids), 50):
    errors += batch.cancel_jobs(jobs=ids[start:start + 50], reason="rehearsal")["errors"]
seen = []
for start in range(0, len(ids), 100):
    seen += batch.describe_jobs(jobs=ids[start:start + 100])["jobs"]
print(json.dumps({
    "listed": len(ids), "errors": errors,
    "cancelled": sum(1 for j in seen if j["isCancelled"]),
    "flagged": sorted({j.get("statusReason") for j in seen}),
}))
"""


@pytest.mark.skipif(JOBCTL is None, reason="jobctl is not installed on PATH")
def test_run_with_a_thousand_extra_jobs_and_a_boto3_script(tmp_path: Path) -> None:
    assert JOBCTL is not None
    script = tmp_path / "bulk.py"
    script.write_text(SCRIPT)
    done = subprocess.run(
        [JOBCTL, "sandbox", "run", "--extra-jobs", "1000", "--", sys.executable, str(script)],
        capture_output=True, text=True, timeout=GUARD * 3, env=dict(os.environ), check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report == {"listed": 1000, "errors": [], "cancelled": 1000, "flagged": ["rehearsal"]}


@pytest.mark.skipif(JOBCTL is None, reason="jobctl is not installed on PATH")
def test_serve_with_extra_jobs_lists_them(tmp_path: Path) -> None:
    assert JOBCTL is not None
    env_file = tmp_path / "sandbox.env"
    process = subprocess.Popen(
        [JOBCTL, "sandbox", "serve", "--extra-jobs", "7", "--env-file", str(env_file)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + GUARD
        while not env_file.exists():
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the sandbox never served"
            time.sleep(0.1)
        done = subprocess.run(
            ["bash", "-c", f". {env_file} && {JOBCTL} list -p aws-batch --queue extra-q -o json"],
            capture_output=True, text=True, timeout=GUARD, check=False,
            env={k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "JOBCTL_"))},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        results = json.loads(done.stdout)["results"]
        assert len(results) == 7
        assert {r["state"] for r in results} == {"RUNNABLE"}
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=GUARD)
        finally:
            if process.poll() is None:
                process.kill()
        stderr = process.stderr.read() if process.stderr else ""
    assert "7 queued jobs per provider (--extra-jobs)" in stderr
