"""jobctl's bulk stops against the sandbox's CancelJobs (jobctl/sandbox/batch_api.py), real
boto3 over HTTP through the recording proxy: one request for many jobs, per-job errors as
per-job outcomes, and the fallback when the endpoint has no bulk API."""

from __future__ import annotations

from tests.support.proxy import STOPS

BASE = ("-p", "aws-batch", "-o", "json", "-r", "drain")


def stop_requests(proxy) -> list[str]:
    return sorted(op for op in proxy.operations() if op in STOPS)


def test_many_jobs_go_in_one_cancel_jobs_request(cli, batch, proxy) -> None:
    jobs = [batch.add_job("RUNNABLE") for _ in range(20)]
    ran = cli("cancel", *BASE, "--endpoint-url", proxy.url, "--yes", *jobs)
    assert ran.code == 0, ran.stderr
    assert {r["outcome"] for r in ran.json()["results"]} == {"cancelled"}
    assert stop_requests(proxy) == ["canceljobs"]
    assert sorted(proxy.stopped()) == sorted(jobs)


def test_a_per_job_error_in_the_bulk_answer_fails_that_job_only(cli, batch, proxy) -> None:
    a, b, c = (batch.add_job("RUNNABLE") for _ in range(3))
    batch.fail_next(b, "AccessDenied", "not yours to stop", operation="CancelJobs")
    ran = cli("cancel", *BASE, "--endpoint-url", proxy.url, a, b, c)
    assert ran.code == 3, ran.stderr
    results = ran.by_job()
    assert (results[a]["outcome"], results[c]["outcome"]) == ("cancelled", "cancelled")
    assert results[b]["outcome"] == "failed"
    assert "AccessDenied" in results[b]["message"]
    assert batch.job(b).stop is False
    assert stop_requests(proxy) == ["canceljobs"]


def test_a_job_throttled_inside_the_bulk_answer_is_sent_again_alone(cli, batch, proxy) -> None:
    a, b = batch.add_job("RUNNABLE"), batch.add_job("RUNNABLE")
    batch.fail_next(b, "ThrottlingException", operation="CancelJobs")
    ran = cli("cancel", *BASE, "--endpoint-url", proxy.url, a, b)
    assert ran.code == 0, ran.stderr
    assert {r["outcome"] for r in ran.json()["results"]} == {"cancelled"}
    assert stop_requests(proxy) == ["canceljob", "canceljobs"]


def test_without_the_bulk_api_every_job_gets_its_own_call(cli, batch, proxy, no_bulk) -> None:
    jobs = [batch.add_job("RUNNABLE") for _ in range(3)]
    ran = cli("cancel", *BASE, "--endpoint-url", proxy.url, *jobs)
    assert ran.code == 0, ran.stderr
    assert {r["outcome"] for r in ran.json()["results"]} == {"cancelled"}
    assert [op for op in proxy.operations() if op == "canceljob"] == ["canceljob"] * 3
    assert sorted(proxy.stopped()) == sorted(jobs)
