"""Bulk or not is decided once per endpoint: one probe, however many workers, groups and
provider instances share it; the other workers wait for its answer (docs/ARCHITECTURE.md,
"The engine"). Every count here is at the proxy; `no_bulk` is the sandbox without
CancelJobs/TerminateJobs (404, as moto alone and older endpoints answer).
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from jobctl.sandbox.aws import ACCOUNT, BatchWorld


def stop_requests(proxy) -> list[tuple[str, int]]:
    """(operation, HTTP status) of each stop request that reached moto, in arrival order."""
    stops = {"canceljob", "canceljobs", "terminatejob", "terminatejobs"}
    return [(s.operation, s.status) for s in proxy.forwarded if s.operation in stops]


def test_200_jobs_at_concurrency_8_probe_the_endpoint_once(cli, batch, proxy, no_bulk) -> None:
    jobs = [batch.add_job("RUNNABLE") for _ in range(200)]
    # The probe is held a while: every other worker is free and would take a chunk of its own
    # (and probe again) unless it waits for the probe's answer.
    proxy.delays["canceljobs"] = 0.3
    ran = cli(
        "cancel", "-p", "aws-batch", "-o", "json", "--endpoint-url", proxy.url,
        "--concurrency", "8", "--yes", *jobs,
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    assert {r["outcome"] for r in ran.json()["results"]} == {"cancelled"}
    sent = stop_requests(proxy)
    assert sent[0] == ("canceljobs", 404)
    assert Counter(sent) == {("canceljobs", 404): 1, ("canceljob", 200): 200}
    assert sorted(proxy.stopped()) == sorted(jobs)


@pytest.mark.parametrize("named", [True, False], ids=["named jobs", "a filter selection"])
def test_above_ten_requests_in_flight_each_keeps_its_connection(
    cli, batch, proxy, no_bulk, named
) -> None:
    """--concurrency 16: botocore's pool of 10 would close six connections after each answer
    and open them again for the next request; the pool holds one per request in flight."""
    jobs = [batch.add_job("RUNNABLE", queue="wide-q") for _ in range(160)]
    proxy.delays["canceljob"] = 0.02  # the 16 workers overlap
    which = jobs if named else ["--queue", "wide-q", "--all"]
    ran = cli(
        "cancel", "-p", "aws-batch", "-o", "json", "--endpoint-url", proxy.url,
        "--concurrency", "16", "--yes", *which,
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    assert Counter(stop_requests(proxy))[("canceljob", 200)] == 160
    assert proxy.connections <= 16


def test_groups_in_two_regions_behind_one_endpoint_share_the_probe(
    cli, batch, proxy, no_bulk, clean_env
) -> None:
    """Two regions, two provider instances, one URL: one probe between them."""
    with BatchWorld(endpoint=batch.client.meta.endpoint_url, region="eu-west-1") as europe:
        here = [batch.add_job("RUNNABLE") for _ in range(60)]
        there = [
            f"arn:aws:batch:eu-west-1:{ACCOUNT}:job/{europe.add_job('RUNNABLE')}" for _ in range(60)
        ]
        proxy.delays["canceljobs"] = 0.3
        ran = cli(
            "cancel", "-p", "aws-batch", "-o", "json", "--endpoint-url", proxy.url, "--yes",
            *here, *there,
        )  # fmt: skip
    assert ran.code == 0, ran.stderr
    results = ran.json()["results"]
    assert {r["region"] for r in results} == {"us-east-1", "eu-west-1"}
    assert {r["outcome"] for r in results} == {"cancelled"}
    assert Counter(stop_requests(proxy)) == {("canceljobs", 404): 1, ("canceljob", 200): 120}
    # The audit log says CancelJobs only of the jobs the one probe carried: the other group's
    # chunk, taken before the probe's answer, was split before any record said it was sent.
    [probe] = [s for s in proxy.seen if s.operation == "canceljobs"]
    log = clean_env / "state" / "jobctl" / "audit.jsonl"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    asked = [
        r["job"] for r in records if r["record"] == "request" and r["operation"] == "CancelJobs"
    ]
    assert sorted(asked) == sorted(json.loads(probe.body)["jobs"])


def test_a_second_run_in_the_same_process_remembers_the_endpoint(
    cli, batch, proxy, no_bulk
) -> None:
    first = [batch.add_job("RUNNABLE") for _ in range(3)]
    second = [batch.add_job("RUNNABLE") for _ in range(3)]
    assert cli("cancel", "-p", "aws-batch", "--endpoint-url", proxy.url, *first).code == 0
    assert cli("cancel", "-p", "aws-batch", "--endpoint-url", proxy.url, *second).code == 0
    assert Counter(stop_requests(proxy)) == {("canceljobs", 404): 1, ("canceljob", 200): 6}


def test_dry_run_shows_the_bulk_requests_a_real_run_sends(cli, batch, proxy, no_bulk) -> None:
    """120 jobs: the dry run shows the three CancelJobs requests (50, 50, 20) the real run
    sends first; of an endpoint not heard from yet, it says what happens if it lacks them."""
    jobs = [batch.add_job("RUNNABLE") for _ in range(120)]
    args = ("cancel", "-p", "aws-batch", "--endpoint-url", proxy.url, "--yes", "-r", "drain")
    ran = cli(*args, "-n", "-o", "json", *jobs)
    assert ran.code == 0, ran.stderr
    results = ran.json()["results"]
    assert {r["outcome"] for r in results} == {"planned"}
    assert {r["operation"] for r in results} == {"CancelJobs"}
    requests = []
    for r in results:
        if r["request"] not in requests:
            requests.append(r["request"])
    assert requests == [
        {"jobs": jobs[:50], "reason": "drain"},
        {"jobs": jobs[50:100], "reason": "drain"},
        {"jobs": jobs[100:], "reason": "drain"},
    ]
    assert results[0]["message"] == (
        "CancelJobs request 1 of 3, 50 jobs; "
        "one CancelJob a job instead if this endpoint has no CancelJobs"
    )
    assert results[119]["message"].startswith("CancelJobs request 3 of 3, 20 jobs; ")
    assert set(proxy.operations()) == {"describejobs"}

    # Text shows each request once, on the first job it carries.
    plain = cli(*args, "-n", "-o", "plain", *jobs).stdout.splitlines()
    first = '"jobs": ["' + '", "'.join(jobs[:50]) + '"], "reason": "drain"}'
    message = 7  # MESSAGE; TARGET comes after it
    assert plain[0].split("\t")[message].endswith(first)
    assert plain[1].split("\t")[message].endswith("(its request is shown above)")
    assert plain[50].split("\t")[message].startswith("CancelJobs request 2 of 3, 50 jobs; ")
    assert set(proxy.operations()) == {"describejobs"}

    # A real run learns the endpoint has no CancelJobs; a dry run after it says so.
    assert cli(*args, *jobs[:2]).code == 0
    again = cli(*args, "-n", "-o", "json", *jobs[2:]).json()["results"]
    assert {(r["operation"], len(r["request"])) for r in again} == {("CancelJob", 2)}
    assert [r["request"]["jobId"] for r in again] == jobs[2:]


def test_dry_run_of_awss_own_endpoint_shows_bulk_with_no_doubt(monkeypatch) -> None:
    """What AWS's endpoint takes is known without a request; nothing is sent to learn it."""
    from jobctl.models import Action, JobRef, JobState, Phase, PlannedStop
    from jobctl.providers.aws_batch import AwsBatchProvider
    from jobctl.providers.base import ProviderConfig

    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    provider = AwsBatchProvider(config=ProviderConfig(region="eu-west-1"))
    state = JobState(job_id="a", native_state="RUNNABLE", phase=Phase.QUEUED)
    stops = [
        PlannedStop(
            JobRef("aws-batch", i), state, Action.send("TerminateJob", {"jobId": i, "reason": "r"})
        )
        for i in ("a", "b")
    ]
    action = provider.bulk_action(stops=stops)
    assert (action.operation, action.request, action.message) == (
        "TerminateJobs",
        {"jobs": ["a", "b"], "reason": "r"},
        "",
    )
    assert provider.send_batch == 50


def test_1000_jobs_stopped_in_bulk_and_each_outcome_is_what_describejobs_reads(
    cli, batch, proxy
) -> None:
    """The sandbox has CancelJobs: 1000 queued jobs go in 20 of them, with the lookups before
    and after, 0.04 requests a job; each job's outcome is what DescribeJobs then says."""
    jobs = [batch.add_job("RUNNABLE") for _ in range(1000)]
    ran = cli(
        "cancel", "-p", "aws-batch", "-o", "json", "--endpoint-url", proxy.url, "--yes",
        "-r", "drain", *jobs,
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    sent = Counter(proxy.operations())
    assert sent == {"describejobs": 20, "canceljobs": 20}
    assert sum(sent.values()) / len(jobs) == 0.04
    bulk = [s for s in proxy.forwarded if s.operation == "canceljobs"]
    assert sorted(len(json.loads(s.body)["jobs"]) for s in bulk) == [50] * 20
    assert sorted(job for s in bulk for job in s.stop_targets()) == sorted(jobs)
    results = ran.by_job()
    read = {}
    for start in range(0, len(jobs), 100):
        for job in batch.client.describe_jobs(jobs=jobs[start : start + 100])["jobs"]:
            read[job["jobId"]] = job
    for job in jobs:
        assert results[job]["outcome"] == "cancelled"
        # The row and the audit log name the request that carried the stop, as --dry-run did.
        assert results[job]["operation"] == "CancelJobs"
        assert job in results[job]["request"]["jobs"]
        assert results[job]["state_after"] == read[job]["status"] == "FAILED"
        assert read[job]["statusReason"] == "drain"
        assert read[job]["isCancelled"] is True


def test_a_bulk_answers_per_job_errors_are_each_jobs_outcome(cli, batch, proxy) -> None:
    """Invalid, refused, denied: that job failed with its code and message; throttled or a
    server error: sent again alone; the others are judged by the look after, as any stop:
    a job CancelJobs counts successful but that started, or that is gone, is not stopped."""
    names = ["ok", "invalid", "client", "denied", "throttled", "server", "started", "gone"]
    jobs = {name: batch.add_job("RUNNABLE") for name in names}
    codes = {
        "invalid": "ValidationException",
        "client": "ClientException",
        "denied": "AccessDenied",
        "throttled": "ThrottlingException",
        "server": "ServerException",
    }
    for name, code in codes.items():
        batch.fail_next(jobs[name], code, f"{code} for {name}", operation="CancelJobs")

    def meanwhile(_: object) -> None:
        # Between jobctl's lookup and its CancelJobs: one job starts, one is no more. AWS
        # counts both successful (a RUNNING job is left running, an unknown one ignored).
        batch.set_state(jobs["started"], "RUNNING")
        del batch.backend._jobs[jobs["gone"]]

    proxy.before["canceljobs"] = meanwhile
    ran = cli(
        "cancel", "-p", "aws-batch", "-o", "json", "--endpoint-url", proxy.url, "-r", "why",
        *jobs.values(),
    )  # fmt: skip
    assert ran.code == 3, ran.stderr  # some stopped, some failed: partial
    got = {name: ran.by_job()[job] for name, job in jobs.items()}
    assert {name: r["outcome"] for name, r in got.items()} == {
        "ok": "cancelled",
        "invalid": "failed",
        "client": "failed",
        "denied": "failed",
        "throttled": "cancelled",
        "server": "cancelled",
        "started": "failed",
        # Counted successful, and not there to look at: unverified, never "cancelled".
        "gone": "stopping",
    }
    bulk_request = [s for s in proxy.forwarded if s.operation == "canceljobs"]
    assert len(bulk_request) == 1
    for name in ("invalid", "client", "denied"):
        assert got[name]["message"] == f"{codes[name]}: {codes[name]} for {name}"
        assert got[name]["request_id"] is not None
    assert "started before CancelJob arrived" in got["started"]["message"]
    assert got["started"]["state_after"] == "RUNNING"
    assert got["gone"]["message"] == (
        "stop accepted; could not verify it: the job was not found on the second lookup"
    )
    # One bulk request; the throttled and the server-failed job each sent again alone.
    assert Counter(proxy.operations()) == {"describejobs": 2, "canceljobs": 1, "canceljob": 2}
    alone = [s.stop_target() for s in proxy.forwarded if s.operation == "canceljob"]
    assert sorted(alone) == sorted([jobs["throttled"], jobs["server"]])
    # Each row names the request that carried its stop: the bulk one, or the one sent alone.
    sent = {name: (r["operation"], r["request"]) for name, r in got.items()}
    assert sent["ok"] == ("CancelJobs", {"jobs": list(jobs.values()), "reason": "why"})
    assert sent["throttled"] == ("CancelJob", {"jobId": jobs["throttled"], "reason": "why"})


def test_once_an_endpoint_answered_in_bulk_the_dry_run_says_so_plainly(cli, batch, proxy) -> None:
    jobs = [batch.add_job("RUNNABLE") for _ in range(5)]
    args = ("cancel", "-p", "aws-batch", "-o", "json", "--endpoint-url", proxy.url, "-r", "r")
    assert cli(*args, *jobs[:2]).code == 0
    planned = cli(*args, "-n", *jobs[2:]).json()["results"]
    assert [r["message"] for r in planned] == ["CancelJobs request 1 of 1, 3 jobs"] * 3
    assert planned[0]["request"] == {"jobs": jobs[2:], "reason": "r"}
    # The real run's lookups before and after, the dry run's one; one CancelJobs.
    assert Counter(proxy.operations()) == {"describejobs": 3, "canceljobs": 1}


def _server_error_after(monkeypatch, *, applied: bool) -> list[int]:
    """CancelJobs answers 500 every time, after doing its work (`applied`) or without it."""
    from jobctl.sandbox import batch_api
    from jobctl.sandbox.batch_service import ServiceError

    handler, calls = batch_api.HANDLERS["canceljobs"], []

    def broken(call):
        calls.append(1)
        if applied:
            handler(call)
        raise ServiceError("We encountered an internal error", "ServerException")

    monkeypatch.setitem(batch_api.HANDLERS, "canceljobs", broken)
    return calls


def test_a_stop_whose_answer_is_lost_but_took_is_reported_by_what_it_did(
    cli, batch, proxy, monkeypatch
) -> None:
    """CancelJobs applied, then a 500 after every retry: the jobs are cancelled, and the rows
    say so, with the lost answer; never 'failed' for jobs that were stopped."""
    calls = _server_error_after(monkeypatch, applied=True)
    jobs = [batch.add_job("RUNNABLE") for _ in range(3)]
    ran = cli("cancel", "-p", "aws-batch", "-o", "json", "--endpoint-url", proxy.url, *jobs)
    assert ran.code == 0, ran.stderr
    assert len(calls) > 1  # botocore retried the 500 before giving up
    for job in jobs:
        row = ran.by_job()[job]
        assert (row["outcome"], row["state_after"]) == ("cancelled", "FAILED")
        assert "answer was lost: ServerException" in row["message"]
        assert batch.job(job).status == "FAILED"


def test_a_stop_whose_answer_is_lost_and_did_not_take_is_failed(
    cli, batch, proxy, monkeypatch, clean_env
) -> None:
    """A 500 and the jobs unchanged: failed, exit 1, with what to do; the audit log has the
    request's answer record and the final outcome."""
    _server_error_after(monkeypatch, applied=False)
    jobs = [batch.add_job("RUNNABLE") for _ in range(3)]
    ran = cli("cancel", "-p", "aws-batch", "-o", "json", "--endpoint-url", proxy.url, *jobs)
    assert ran.code == 1, ran.stderr
    for job in jobs:
        row = ran.by_job()[job]
        assert row["outcome"] == "failed"
        assert row["message"].startswith("ServerException: We encountered an internal error")
        assert (
            "still RUNNABLE: it may not have been stopped; run the command again"
            in (row["message"])
        )
    log = clean_env / "state" / "jobctl" / "audit.jsonl"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert sorted((r["record"], r["job"]) for r in records) == sorted(
        [(kind, job) for job in jobs for kind in ("request", "answer", "final")]
    )
