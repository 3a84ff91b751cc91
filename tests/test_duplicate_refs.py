"""A job named twice is one job: a plain id, PROVIDER:ID and its ARN, once their provider and
region are resolved, get one request and one result row (first mention wins, order kept)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.proxy import STOPS

ACCOUNT = "123456789012"


def batch_arn(job: str, region: str = "us-east-1") -> str:
    return f"arn:aws:batch:{region}:{ACCOUNT}:job/{job}"


def stops(proxy) -> list[str]:
    return [op for op in proxy.operations() if op in STOPS]


@pytest.mark.parametrize("verb", ["cancel", "terminate"])
def test_a_job_named_three_ways_is_stopped_once(cli, batch, proxy, verb: str) -> None:
    job = batch.add_job("RUNNABLE")
    names = (job, f"aws-batch:{job}", batch_arn(job))
    ran = cli(verb, "-p", "aws-batch", "-o", "json", "--endpoint-url", proxy.url, *names)
    assert ran.code == 0, ran.stderr
    assert [(r["job_id"], r["region"]) for r in ran.json()["results"]] == [(job, "us-east-1")]
    assert ran.json()["summary"] == {"total": 1, "ok": 1, "failed": 0}
    assert stops(proxy) == [f"{verb}job"]
    assert proxy.stopped() == [job]


def test_status_shows_a_job_named_twice_once(cli, batch, proxy) -> None:
    job = batch.add_job("RUNNING")
    ran = cli(
        "status", "-p", "aws-batch", "-o", "json", "--endpoint-url", proxy.url,
        batch_arn(job), job,
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    assert [r["job_id"] for r in ran.json()["results"]] == [job]
    assert proxy.operations() == ["describejobs"]


def test_first_mention_wins_and_order_is_kept(cli, batch, proxy) -> None:
    a, b = batch.add_job("RUNNABLE"), batch.add_job("RUNNABLE")
    # b plainly first, then a by ARN, then both again the other way.
    names = (b, batch_arn(a), a, batch_arn(b))
    ran = cli("cancel", "-p", "aws-batch", "-o", "json", "--endpoint-url", proxy.url, *names)
    assert ran.code == 0, ran.stderr
    assert [r["job_id"] for r in ran.json()["results"]] == [b, a]
    assert sorted(proxy.stopped()) == sorted([a, b])
    # Both in one CancelJobs request (the sandbox has the bulk API), each named once.
    assert stops(proxy) == ["canceljobs"]


def test_the_region_of_the_aws_profile_makes_a_plain_id_and_its_arn_one(
    cli, batch, proxy, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No flag or variable names a region: only boto3, reading the profile, knows it."""
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    (clean_env / "aws-config").write_text("[default]\nregion = us-east-1\n")
    job = batch.add_job("RUNNABLE")
    ran = cli(
        "cancel", "-p", "aws-batch", "-o", "json", "--endpoint-url", proxy.url,
        job, batch_arn(job),
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    assert len(ran.json()["results"]) == 1
    assert proxy.stopped() == [job]


def test_the_same_id_in_another_region_is_another_job(cli, batch, proxy) -> None:
    job = batch.add_job("RUNNABLE")
    ran = cli(
        "status", "-p", "aws-batch", "-o", "json", "--endpoint-url", proxy.url,
        job, batch_arn(job, "eu-west-1"),
    )  # fmt: skip
    assert ran.code == 3
    rows = [(r["region"], r["phase"]) for r in ran.json()["results"]]
    assert rows == [("us-east-1", "queued"), ("eu-west-1", "not-found")]


def test_an_iot_job_and_its_arn_get_one_cancel_job(cli, iot, proxy) -> None:
    """A second CancelJob on real IoT fails (the job is already being cancelled): exit 3."""
    job = iot.add_job("IN_PROGRESS", executions={"dev-1": "QUEUED"})
    arn = f"arn:aws:iot:us-east-1:{ACCOUNT}:job/{job}"
    ran = cli("cancel", "-p", "aws-iot", "-o", "json", "--endpoint-url", proxy.url, job, arn)
    assert ran.code == 0, ran.stderr
    assert [r["outcome"] for r in ran.json()["results"]] == ["cancelled"]
    assert [s.path for s in proxy.seen if s.method == "PUT"] == [f"/jobs/{job}/cancel?force=false"]
