"""AWS Batch service jobs end to end: the CLI, real boto3 over HTTP, the sandbox's Batch API
(DescribeServiceJob, ListServiceJobs, TerminateServiceJob(s) in front of moto) on 127.0.0.1,
through the recording proxy where what was sent matters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.completion import tab
from tests.support.faults import Fault, Rule
from tests.support.proxy import Proxy

BASE = ("-p", "aws-batch", "-o", "json")
UNKNOWN_JOB = "00000000-0000-4000-8000-000000000000"
ARN = "arn:aws:batch:us-east-1:123456789012:service-job/{}"
TSJ, TSJS = "terminateservicejob", "terminateservicejobs"


def sent(proxy: Any, operation: str) -> list[dict[str, Any]]:
    """The bodies of the requests of `operation` that reached the proxy."""
    return [json.loads(s.body) for s in proxy.seen if s.operation == operation]


def audit(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "state" / "jobctl" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_status_shows_a_service_job_with_its_state_and_kind(cli, batch, proxy) -> None:
    job = batch.add_service_job("SCHEDULED", name="train-1")
    ran = cli("status", *BASE, "--endpoint-url", proxy.url, job)
    assert ran.code == 0, ran.stderr
    (row,) = ran.json()["results"]
    assert (row["job_id"], row["state"], row["phase"], row["name"]) == (
        job,
        "SCHEDULED",
        "queued",
        "train-1",
    )
    assert row["extra"]["kind"] == "service-job"
    assert row["extra"]["queue"] == "jobctl-sm-q"
    assert row["message"] == "service-job"
    # DescribeJobs does not know it; one DescribeServiceJob does.
    assert proxy.operations() == ["describejobs", "describeservicejob"]
    plain = cli("status", "-p", "aws-batch", job)
    assert plain.stdout.split("\t")[:5] == [job, "aws-batch", "us-east-1", "SCHEDULED", "queued"]
    assert "service-job" in plain.stdout


def test_terminate_by_arn_sends_terminate_service_job(cli, batch, proxy) -> None:
    job = batch.add_service_job("RUNNING")
    ran = cli("terminate", *BASE, "--endpoint-url", proxy.url, ARN.format(job), "-r", "drain")
    assert ran.code == 0, ran.stderr
    result = ran.by_job()[job]
    assert (result["outcome"], result["operation"], result["target_kind"]) == (
        "terminated",
        "TerminateServiceJob",
        "service-job",
    )
    assert (result["state_before"], result["state_after"], result["region"]) == (
        "RUNNING",
        "FAILED",
        "us-east-1",
    )
    assert sent(proxy, TSJ) == [{"jobId": job, "reason": "drain"}]
    assert "canceljob" not in proxy.operations()
    assert "terminatejob" not in proxy.operations()
    record = batch.service_job(job)
    assert (record.is_terminated, record.status_reason) == (True, "drain")


@pytest.mark.parametrize("state", ["SUBMITTED", "PENDING", "RUNNABLE", "SCHEDULED"])
def test_cancel_of_a_queued_service_job_terminates_it(cli, batch, proxy, state) -> None:
    job = batch.add_service_job(state)
    ran = cli("cancel", *BASE, "--endpoint-url", proxy.url, job)
    assert ran.code == 0, ran.stderr
    result = ran.by_job()[job]
    assert (result["outcome"], result["operation"]) == ("cancelled", "TerminateServiceJob")
    assert [body["jobId"] for body in sent(proxy, TSJ)] == [job]
    assert batch.service_job(job).status == "FAILED"


@pytest.mark.parametrize("state", ["STARTING", "RUNNING"])
def test_cancel_of_a_started_service_job_is_refused_and_nothing_sent(
    cli, batch, proxy, state
) -> None:
    job = batch.add_service_job(state)
    ran = cli("cancel", *BASE, "--endpoint-url", proxy.url, job)
    assert ran.code == 1
    result = ran.by_job()[job]
    assert result["outcome"] == "refused"
    assert "TerminateServiceJob would stop its training" in result["message"]
    assert f"jobctl terminate -p aws-batch --region us-east-1 {job}" in result["message"]
    assert proxy.operations() == ["describejobs", "describeservicejob"]
    assert batch.service_job(job).status == state
    assert batch.service_job(job).is_terminated is False


def test_cancel_of_a_started_service_job_with_force_terminates_it(cli, batch) -> None:
    job = batch.add_service_job("RUNNING")
    ran = cli("cancel", *BASE, "--force", job)
    assert ran.code == 0, ran.stderr
    result = ran.by_job()[job]
    assert (result["outcome"], result["operation"]) == ("cancelled", "TerminateServiceJob")
    assert result["message"].startswith("cancel escalated to TerminateServiceJob (--force)")


def test_a_stop_still_in_progress_is_stopping_and_wait_sees_it_failed(cli, batch) -> None:
    batch.stop_delay = 30.0  # SageMaker takes its time to stop the training job
    job = batch.add_service_job("RUNNING")
    ran = cli("terminate", *BASE, job)
    assert ran.code == 0, ran.stderr
    result = ran.by_job()[job]
    assert (result["outcome"], result["state_after"]) == ("stopping", "RUNNING")
    assert result["message"] == "stop accepted; service job is still RUNNING"

    batch.stop_delay = 0.3
    other = batch.add_service_job("RUNNING")
    waited = cli("terminate", *BASE, "--wait", "--poll-interval", "0.1s", other)
    assert waited.code == 0, waited.stderr
    result = waited.by_job()[other]
    assert (result["outcome"], result["state_after"]) == ("terminated", "FAILED")


def test_the_audit_log_names_the_service_job_operation(cli, batch, tmp_path) -> None:
    job = batch.add_service_job("RUNNABLE")
    assert cli("terminate", *BASE, job, "-r", "budget").code == 0
    records = audit(tmp_path)
    assert [(r["record"], r["job"], r["operation"]) for r in records] == [
        ("request", job, "TerminateServiceJob"),
        ("answer", job, "TerminateServiceJob"),
        ("final", job, "TerminateServiceJob"),
    ]
    assert {r["target_kind"] for r in records} == {"service-job"}
    assert records[-1]["outcome"] == "terminated"
    assert records[-1]["reason"] == "budget"


def test_dry_run_shows_the_terminate_service_job_request_and_sends_none(cli, batch, proxy) -> None:
    job = batch.add_service_job("RUNNABLE")
    ran = cli("cancel", *BASE, "--endpoint-url", proxy.url, "-n", "--reason-code", "OPS", job)
    assert ran.code == 0, ran.stderr
    result = ran.by_job()[job]
    assert (result["outcome"], result["operation"]) == ("planned", "TerminateServiceJob")
    assert result["request"]["jobId"] == job
    assert result["request"]["reason"].startswith("OPS: jobctl: cancel by ")
    text = cli("cancel", "-p", "aws-batch", "--endpoint-url", proxy.url, "-n", "-r", "x", job)
    assert text.stdout.rstrip("\n").split("\t")[7] == (
        f"service-job: service jobs have no CancelServiceJob: terminated instead "
        f'TerminateServiceJob {{"jobId": "{job}", "reason": "x"}}'
    )
    assert not {TSJ, TSJS} & set(proxy.operations())
    assert batch.service_job(job).status == "RUNNABLE"


def test_a_mixed_run_stops_each_kind_with_its_own_call(cli, batch, proxy) -> None:
    container, started = batch.add_job("RUNNABLE"), batch.add_job("RUNNING")
    service, training = batch.add_service_job("RUNNABLE"), batch.add_service_job("RUNNING")
    ran = cli(
        "cancel", *BASE, "--endpoint-url", proxy.url, container, service, started, training,
        UNKNOWN_JOB,
    )  # fmt: skip
    assert ran.code == 3
    got = {job: (r["outcome"], r["operation"], r["target_kind"]) for job, r in ran.by_job().items()}
    assert got == {
        container: ("cancelled", "CancelJob", None),
        service: ("cancelled", "TerminateServiceJob", "service-job"),
        started: ("refused", None, None),
        training: ("refused", None, "service-job"),
        UNKNOWN_JOB: ("not-found", None, None),
    }
    assert ran.json()["summary"] == {"total": 5, "ok": 2, "failed": 3}
    assert [body["jobId"] for body in sent(proxy, TSJ)] == [service]
    assert batch.service_job(training).status == "RUNNING"


def test_an_unknown_id_is_not_found_after_one_describe_service_job_each(cli, batch, proxy) -> None:
    other = "11111111-1111-4111-8111-111111111111"
    ran = cli("terminate", *BASE, "--endpoint-url", proxy.url, UNKNOWN_JOB, other)
    assert ran.code == 1
    assert {r["outcome"] for r in ran.json()["results"]} == {"not-found"}
    assert proxy.operations().count("describejobs") == 1
    assert proxy.operations().count("describeservicejob") == 2
    assert sorted(body["jobId"] for body in sent(proxy, "describeservicejob")) == [
        UNKNOWN_JOB,
        other,
    ]


@pytest.fixture
def faulty(moto):
    """A proxy answering DescribeServiceJob with `fault` (the first `times`, or always)."""
    started: list[Proxy] = []

    def start(fault: Fault, times: int | None = None) -> Proxy:
        rule = Rule(fault, actions=frozenset({"describeservicejob"}), times=times)
        started.append(Proxy(moto.url, rules=[rule]).start())
        return started[-1]

    yield start
    for proxy in started:
        proxy.stop()


def test_a_throttled_describe_service_job_is_asked_again(cli, batch, faulty) -> None:
    job = batch.add_service_job("RUNNABLE")
    proxy = faulty(Fault.THROTTLE, times=1)
    ran = cli("terminate", *BASE, "--endpoint-url", proxy.url, job)
    assert ran.code == 0, ran.stderr
    assert ran.by_job()[job]["outcome"] == "terminated"
    assert proxy.operations().count("describeservicejob") >= 2


def test_a_failing_describe_service_job_is_a_failed_lookup_never_not_found(
    cli, batch, faulty
) -> None:
    proxy = faulty(Fault.SERVER_ERROR)
    ran = cli("terminate", *BASE, "--endpoint-url", proxy.url, UNKNOWN_JOB)
    assert ran.code == 1
    result = ran.by_job()[UNKNOWN_JOB]
    assert result["outcome"] == "failed"
    assert result["message"].startswith("lookup failed")
    assert not {TSJ, TSJS} & set(proxy.operations())


def test_credentials_denied_describe_service_job_say_so(cli, batch, faulty) -> None:
    proxy = faulty(Fault.DENIED)
    ran = cli("status", *BASE, "--endpoint-url", proxy.url, UNKNOWN_JOB)
    assert ran.code != 4, ran.stderr
    (row,) = ran.json()["results"]
    assert row["phase"] == "failed"
    assert row["state"] is None
    assert row["message"].startswith("lookup failed: could not check whether it is a service job")
    assert "AWS denied DescribeServiceJob" in row["message"]


def test_a_denied_describe_service_job_costs_that_id_only(cli, batch, faulty) -> None:
    """A policy without batch:DescribeServiceJob and one id DescribeJobs does not know: that
    id's lookup failed, and the row says why; the other jobs are stopped; never exit 4 and
    nothing done."""
    jobs = [batch.add_job("RUNNABLE") for _ in range(3)]
    proxy = faulty(Fault.DENIED)
    ran = cli("cancel", *BASE, "--endpoint-url", proxy.url, *jobs, UNKNOWN_JOB)
    assert ran.code == 3, ran.stderr
    result = ran.by_job()[UNKNOWN_JOB]
    assert result["outcome"] == "failed"
    assert result["state_before"] is None
    assert result["message"].startswith("lookup failed: could not check whether it is a service")
    assert "AccessDeniedException" in result["message"]
    assert all(ran.by_job()[job]["outcome"] == "cancelled" for job in jobs)
    assert [batch.job(job).status for job in jobs] == ["FAILED"] * 3
    assert UNKNOWN_JOB not in proxy.stopped()


@pytest.mark.parametrize(
    "reference",
    ["sj-not-a-uuid", "arn:aws:batch:us-east-1:123456789012:service-job/not-a-uuid"],
)
def test_a_malformed_service_job_reference_sends_nothing(cli, aws_env, proxy, reference) -> None:
    ran = cli("terminate", *BASE, "--endpoint-url", proxy.url, reference)
    assert ran.code == 2
    assert "is not a valid aws-batch job id" in ran.stderr
    assert proxy.seen == []


def test_list_includes_service_jobs_on_sagemaker_training_queues(cli, batch) -> None:
    container = batch.add_job("RUNNABLE", name="etl", queue="prod-q")
    runnable = batch.add_service_job("RUNNABLE", name="train-a", queue="sm-q")
    scheduled = batch.add_service_job("SCHEDULED", name="train-b", queue="sm-q", age=7200)
    batch.add_service_job("SUCCEEDED", name="train-c", queue="sm-q")

    def listed(*filters: str) -> dict[str, dict[str, Any]]:
        ran = cli("list", *BASE, *filters)
        assert ran.code == 0, ran.stderr
        return {row["job_id"]: row for row in ran.json()["results"]}

    every = listed()
    assert set(every) == {container, runnable, scheduled}
    assert every[scheduled]["extra"] == {"kind": "service-job", "queue": "sm-q"}
    assert "kind" not in every[container]["extra"]
    assert set(listed("--queue", "sm-q")) == {runnable, scheduled}
    assert set(listed("--queue", batch.service_queue("sm-q"))) == {runnable, scheduled}  # ARN
    assert set(listed("--status", "SCHEDULED")) == {scheduled}
    assert set(listed("--status", "scheduled", "--status", "RUNNABLE")) == {
        container,
        runnable,
        scheduled,
    }
    assert set(listed("--name", "train-*")) == {runnable, scheduled}
    assert set(listed("--older-than", "1h")) == {scheduled}


def test_stop_by_filter_terminates_service_jobs_in_bulk(cli, batch, proxy) -> None:
    jobs = [batch.add_service_job("RUNNABLE", queue="sm-q") for _ in range(3)]
    running = batch.add_service_job("RUNNING", queue="sm-q")
    ran = cli(
        "terminate", *BASE, "--endpoint-url", proxy.url, "--queue", "sm-q", "--status", "queued",
        "--yes",
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    assert {job: r["outcome"] for job, r in ran.by_job().items()} == dict.fromkeys(
        jobs, "terminated"
    )
    (bulk,) = sent(proxy, TSJS)
    assert sorted(bulk["jobs"]) == sorted(jobs)
    assert sent(proxy, TSJ) == []
    assert batch.service_job(running).status == "RUNNING"


def test_terminate_service_jobs_carries_at_most_50_ids(cli, batch, proxy) -> None:
    jobs = [batch.add_service_job("RUNNABLE") for _ in range(60)]
    ran = cli("terminate", *BASE, "--endpoint-url", proxy.url, "--yes", *jobs)
    assert ran.code == 0, ran.stderr
    assert {r["outcome"] for r in ran.json()["results"]} == {"terminated"}
    chunks = [body["jobs"] for body in sent(proxy, TSJS)]
    assert max(len(chunk) for chunk in chunks) <= 50
    assert sorted(job for chunk in chunks for job in chunk) == sorted(jobs)
    assert sent(proxy, TSJ) == []


def test_without_the_bulk_call_each_service_job_gets_its_own_request(
    cli, no_bulk, batch, proxy
) -> None:
    # TerminateServiceJobs answers 404, as an endpoint before botocore 1.44 would.
    jobs = [batch.add_service_job("RUNNABLE") for _ in range(3)]
    ran = cli("terminate", *BASE, "--endpoint-url", proxy.url, *jobs)
    assert ran.code == 0, ran.stderr
    assert {r["outcome"] for r in ran.json()["results"]} == {"terminated"}
    assert sorted(body["jobId"] for body in sent(proxy, TSJ)) == sorted(jobs)


def test_a_per_job_error_in_the_bulk_answer_is_that_job_failure(cli, batch) -> None:
    jobs = [batch.add_service_job("RUNNABLE") for _ in range(3)]
    batch.fail_next(jobs[1], "AccessDenied", operation="TerminateServiceJobs")
    ran = cli("terminate", *BASE, *jobs)
    assert ran.code == 3
    outcomes = {job: r["outcome"] for job, r in ran.by_job().items()}
    assert outcomes == {jobs[0]: "terminated", jobs[1]: "failed", jobs[2]: "terminated"}
    assert batch.service_job(jobs[1]).status == "RUNNABLE"


def test_tab_offers_service_job_ids_and_the_scheduled_status(cli, batch) -> None:
    queued = batch.add_service_job("SCHEDULED", name="train-a")
    running = batch.add_service_job("RUNNING", name="train-b")
    batch.add_service_job("SUCCEEDED", name="train-c")
    assert cli("list", "-p", "aws-batch", "-o", "json").code == 0
    assert sorted(tab("terminate -p aws-batch ")) == sorted([queued, running])
    assert tab(f"cancel -p aws-batch {queued[:6]}") == [queued]
    assert "SCHEDULED" in tab("cancel -p aws-batch --status S")


def test_a_container_job_gone_after_its_stop_is_not_asked_for_as_a_service_job(
    cli, batch, proxy
) -> None:
    job = batch.add_job("RUNNABLE")

    def gone(_: Any) -> None:
        del batch.backend._jobs[job]

    proxy.before["terminatejob"] = gone
    ran = cli("terminate", *BASE, "--endpoint-url", proxy.url, job)
    assert ran.by_job()[job]["outcome"] == "stopping"  # accepted, not seen after: unverified
    assert ran.by_job()[job]["target_kind"] is None
    assert "describeservicejob" not in proxy.operations()


def test_the_python_api_says_service_job_too(batch) -> None:
    from jobctl import api

    job = batch.add_service_job("RUNNING", name="train-a")
    (row,) = api.status([job], provider="aws-batch")
    assert (row.state, row.phase, row.extra["kind"]) == ("RUNNING", "running", "service-job")
    report = api.stop([job], verb="terminate", provider="aws-batch")
    (result,) = report.results
    assert (result.operation, result.target_kind, str(result.outcome)) == (
        "TerminateServiceJob",
        "service-job",
        "terminated",
    )


def test_a_selections_preview_says_which_jobs_are_service_jobs() -> None:
    from jobctl.models import JobState, Phase
    from jobctl.safety import job_rows

    jobs = [
        JobState("c-1", "RUNNABLE", Phase.QUEUED, name="etl", created_at=0.0),
        JobState("s-1", "RUNNING", Phase.RUNNING, name="train", created_at=0.0, kind="service-job"),
    ]
    assert job_rows(jobs, now=120.0) == [
        ["c-1", "RUNNABLE", "etl", "2m old"],
        ["s-1", "RUNNING service-job", "train", "2m old"],
    ]


@pytest.mark.parametrize("fault", [Fault.DENIED, Fault.SERVER_ERROR])
def test_a_queue_describe_job_queues_fails_for_is_listed_as_a_container_queue(
    cli, batch, moto, fault
) -> None:
    """--queue X with a policy without batch:DescribeJobQueues (or a call that fails): X is
    read with ListJobs, as before jobctl knew service jobs; nothing else is lost."""
    job = batch.add_job("RUNNABLE", queue="prod-q")
    rule = Rule(fault, actions=frozenset({"describejobqueues"}), times=None)
    proxy = Proxy(moto.url, rules=[rule]).start()
    try:
        ran = cli("list", *BASE, "--endpoint-url", proxy.url, "--queue", "prod-q")
        assert ran.code == 0, ran.stderr
        assert [r["job_id"] for r in ran.json()["results"]] == [job]
        assert "listjobs" in proxy.operations()
        stopped = cli(
            "cancel", *BASE, "--endpoint-url", proxy.url, "--queue", "prod-q", "--all", "--yes"
        )
        assert stopped.code == 0, stopped.stderr
        assert stopped.by_job()[job]["outcome"] == "cancelled"
    finally:
        proxy.stop()


def test_without_a_queue_a_denied_describe_job_queues_still_says_so(cli, batch, moto) -> None:
    rule = Rule(Fault.DENIED, actions=frozenset({"describejobqueues"}), times=None)
    proxy = Proxy(moto.url, rules=[rule]).start()
    try:
        ran = cli("list", *BASE, "--endpoint-url", proxy.url)
        assert ran.code == 4
        assert "AWS denied DescribeJobQueues" in ran.stderr
    finally:
        proxy.stop()
