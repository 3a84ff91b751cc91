"""Verification overlaps the stops (issue 13, "Speed"): each lookup page's worth of accepted
stops is checked while other stops are still in flight, never all after the last one.

Counted at the recording proxy, in the order its requests arrived; never timed.
"""

from __future__ import annotations

import json

from tests.test_speed_counts import together


def after_first_stop(proxy, operation: str) -> list:
    """The requests of `operation` that came after the run's first stop request."""
    seen = list(proxy.seen)
    first = next(i for i, s in enumerate(seen) if s.operation in ("canceljob", "canceljobs"))
    return [s for s in seen[first:] if s.operation == operation]


def test_pages_are_verified_before_the_last_stop_is_sent(cli, batch, proxy, no_bulk) -> None:
    """300 jobs, one CancelJob each: two of the three verification pages reach the endpoint
    before the last CancelJob does; every job is checked once, and each is cancelled."""
    jobs = [batch.add_job("RUNNABLE") for _ in range(300)]
    ran = cli(
        "cancel", "-p", "aws-batch", "-o", "json", "--endpoint-url", proxy.url, "--yes", *jobs
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    assert [r["job_id"] for r in ran.json()["results"]] == jobs
    assert {r["outcome"] for r in ran.json()["results"]} == {"cancelled"}
    seen = [s.operation for s in proxy.seen]
    last_stop = max(i for i, op in enumerate(seen) if op == "canceljob")
    checks = after_first_stop(proxy, "describejobs")
    # The third page fills with the last answer, so it is the one checked after it.
    early = [s for s in checks if seen.index("canceljob") < proxy.seen.index(s) < last_stop]
    assert len(early) == 2
    asked = [json.loads(s.body)["jobs"] for s in checks]
    assert [len(ids) for ids in asked] == [100, 100, 100]
    assert sorted(i for ids in asked for i in ids) == sorted(jobs)


def test_a_bulk_run_verifies_as_it_goes_too(cli, batch, proxy) -> None:
    """With CancelJobs (50 a call) two at a time: 250 jobs, the first page is checked before
    the last CancelJobs is sent; still 5 stop requests and 3 pages checked, each job once."""
    jobs = [batch.add_job("RUNNABLE") for _ in range(250)]
    ran = cli(
        "cancel", "-p", "aws-batch", "-o", "json", "--endpoint-url", proxy.url, "--yes",
        "--concurrency", "2", *jobs,
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    assert {r["outcome"] for r in ran.json()["results"]} == {"cancelled"}
    seen = [s.operation for s in proxy.seen]
    assert seen.count("canceljobs") == 5
    last_stop = max(i for i, op in enumerate(seen) if op == "canceljobs")
    checks = after_first_stop(proxy, "describejobs")
    assert [len(json.loads(s.body)["jobs"]) for s in checks] == [100, 100, 50]
    assert sum(1 for s in checks if proxy.seen.index(s) < last_stop) >= 1


def test_the_checks_keep_within_concurrency(cli, batch, proxy, no_bulk) -> None:
    """The checks made beside the stops take a place among --concurrency's requests: with 4,
    never five requests in flight together (each held at the proxy: a place is free again only
    after its request's answer, so no place sends twice within the hold)."""
    jobs = [batch.add_job("RUNNABLE") for _ in range(210)]
    held = 0.05
    for operation in ("describejobs", "canceljob", "canceljobs"):
        proxy.delays[operation] = held
    ran = cli(
        "cancel", "-p", "aws-batch", "-o", "json", "--endpoint-url", proxy.url, "--yes",
        "--concurrency", "4", *jobs,
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    assert {r["outcome"] for r in ran.json()["results"]} == {"cancelled"}
    assert len(after_first_stop(proxy, "describejobs")) == 3
    assert together([s.at for s in proxy.seen], held) <= 4


def test_an_escalation_found_on_an_early_page_is_sent_after_the_last_stop(
    cli, batch, proxy, no_bulk, tmp_path
) -> None:
    """--force, 150 jobs: one starts before its CancelJob lands, and its page is checked while
    other stops are still out. Its TerminateJob still goes after the last CancelJob, as before:
    it ends cancelled by TerminateJob, the other 149 by CancelJob, both requests audited."""
    jobs = [batch.add_job("RUNNABLE") for _ in range(150)]
    raced = jobs[3]

    def start_it(seen) -> None:
        if raced in json.loads(seen.body or b"{}").get("jobId", ""):
            batch.set_state(raced, "RUNNING")

    proxy.before["canceljob"] = start_it
    ran = cli(
        "cancel", "-p", "aws-batch", "-o", "json", "--endpoint-url", proxy.url, "--yes",
        "--force", *jobs,
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    by_job = ran.by_job()
    assert (by_job[raced]["outcome"], by_job[raced]["operation"]) == ("cancelled", "TerminateJob")
    assert "escalated to TerminateJob (--force)" in by_job[raced]["message"]
    others = {(r["outcome"], r["operation"]) for job, r in by_job.items() if job != raced}
    assert others == {("cancelled", "CancelJob")}
    seen = [s.operation for s in proxy.seen]
    first_page = after_first_stop(proxy, "describejobs")[0]
    assert proxy.seen.index(first_page) < max(i for i, op in enumerate(seen) if op == "canceljob")
    assert raced in json.loads(first_page.body)["jobs"]
    assert seen.count("terminatejob") == 1
    assert seen.index("terminatejob") > max(i for i, op in enumerate(seen) if op == "canceljob")
    audit = (tmp_path / "state" / "jobctl" / "audit.jsonl").read_text().splitlines()
    records = [r for r in map(json.loads, audit) if r["job"] == raced]
    assert [(r["record"], r["operation"]) for r in records] == [
        ("request", "CancelJobs"),  # the probe: the endpoint has no CancelJobs
        ("answer", "CancelJobs"),  # so it goes again alone
        ("request", "CancelJob"),
        ("answer", "CancelJob"),
        ("request", "TerminateJob"),
        ("answer", "TerminateJob"),
        ("final", "TerminateJob"),
    ]
