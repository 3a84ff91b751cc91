"""Bulk or not is decided once per endpoint: one probe, however many workers, groups and
provider instances share it; the other workers wait for its answer (docs/ARCHITECTURE.md,
"The engine"). moto has no CancelJobs/TerminateJobs: every count here is at the proxy.
"""

from __future__ import annotations

from collections import Counter

from jobctl.sandbox.aws import ACCOUNT, BatchWorld


def stop_requests(proxy) -> list[tuple[str, int]]:
    """(operation, HTTP status) of each stop request that reached moto, in arrival order."""
    stops = {"canceljob", "canceljobs", "terminatejob", "terminatejobs"}
    return [(s.operation, s.status) for s in proxy.forwarded if s.operation in stops]


def test_200_jobs_at_concurrency_8_probe_the_endpoint_once(cli, batch, proxy) -> None:
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


def test_groups_in_two_regions_behind_one_endpoint_share_the_probe(cli, batch, proxy) -> None:
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


def test_a_second_run_in_the_same_process_remembers_the_endpoint(cli, batch, proxy) -> None:
    first = [batch.add_job("RUNNABLE") for _ in range(3)]
    second = [batch.add_job("RUNNABLE") for _ in range(3)]
    assert cli("cancel", "-p", "aws-batch", "--endpoint-url", proxy.url, *first).code == 0
    assert cli("cancel", "-p", "aws-batch", "--endpoint-url", proxy.url, *second).code == 0
    assert Counter(stop_requests(proxy)) == {("canceljobs", 404): 1, ("canceljob", 200): 6}


def test_dry_run_shows_the_bulk_requests_a_real_run_sends(cli, batch, proxy) -> None:
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
    assert plain[0].endswith(first)
    assert plain[1].endswith("(its request is shown above)")
    assert plain[50].split("\t")[-1].startswith("CancelJobs request 2 of 3, 50 jobs; ")
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


def bulk_endpoint(batch, *, errors=None, untouched=(), started=()):
    """A stand-in CancelJobs at the proxy, answering as AWS documents it (HTTP 200, per-job
    `errors`, everything else `successful`): the successful jobs are cancelled in moto, except
    `untouched` ones (counted successful and left as they were, as AWS does with a job it
    cannot find) and `started` ones, which start just before the answer."""
    import json

    from tests.support.faults import Answer

    errors = errors or {}

    def answer(seen):
        document = json.loads(seen.body)
        successful = []
        for job in document["jobs"]:
            if job in errors:
                continue
            successful.append(job)
            if job in started:
                batch.set_state(job, "RUNNING")
            elif job not in untouched:
                batch.client.cancel_job(jobId=job, reason=document["reason"])
        body = {
            "successful": successful,
            "errors": [
                {"job": job, "code": code, "message": f"{code} for {job}"}
                for job, code in errors.items()
                if job in document["jobs"]
            ],
        }
        headers = {"Content-Type": "application/json", "x-amzn-RequestId": "bulk-1"}
        return Answer(200, headers, json.dumps(body).encode())

    return answer


def test_a_bulk_answers_per_job_errors_are_each_jobs_outcome(cli, batch, proxy) -> None:
    """Refused, invalid, denied: that job failed with its code and message; throttled or a
    server error: sent again alone; the others are judged by the look after, as any stop."""
    names = ["ok", "invalid", "client", "denied", "throttled", "server", "unchanged", "started"]
    jobs = {name: batch.add_job("RUNNABLE") for name in names}
    codes = {
        "invalid": "ValidationException",
        "client": "ClientException",
        "denied": "AccessDeniedException",
        "throttled": "ThrottlingException",
        "server": "ServerException",
    }
    proxy.answers["canceljobs"] = bulk_endpoint(
        batch,
        errors={jobs[name]: code for name, code in codes.items()},
        untouched={jobs["unchanged"]},
        started={jobs["started"]},
    )
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
        # CancelJobs said "successful"; the job is as it was: not reported stopped.
        "unchanged": "stopping",
        "started": "failed",
    }
    for name in ("invalid", "client", "denied"):
        code = codes[name]
        assert got[name]["message"] == f"{code}: {code} for {jobs[name]}"
        assert got[name]["request_id"] == "bulk-1"
    assert got["unchanged"]["state_after"] == "RUNNABLE"
    assert "started before CancelJob arrived" in got["started"]["message"]
    # One bulk request; the throttled and the server-failed job each sent again alone.
    assert Counter(stop_requests(proxy)) == {("canceljobs", 200): 1, ("canceljob", 200): 2}
    assert sorted(proxy.stopped()) == sorted([jobs["throttled"], jobs["server"]])


def test_once_an_endpoint_answered_in_bulk_the_dry_run_says_so_plainly(cli, batch, proxy) -> None:
    jobs = [batch.add_job("RUNNABLE") for _ in range(5)]
    proxy.answers["canceljobs"] = bulk_endpoint(batch)
    args = ("cancel", "-p", "aws-batch", "-o", "json", "--endpoint-url", proxy.url, "-r", "r")
    assert cli(*args, *jobs[:2]).code == 0
    planned = cli(*args, "-n", *jobs[2:]).json()["results"]
    assert [r["message"] for r in planned] == ["CancelJobs request 1 of 1, 3 jobs"] * 3
    assert planned[0]["request"] == {"jobs": jobs[2:], "reason": "r"}
    assert Counter(stop_requests(proxy)) == {("canceljobs", 200): 1}
