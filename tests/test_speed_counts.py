"""The speed waste issue 13 named, each held by a count rather than a time: lookups' pages in
flight together, no second parse of every AWS answer, Tencent clients reused."""

from __future__ import annotations

import json

import pytest

from jobctl.ratelimit import lookups, paged


def together(arrivals: list[float], held: float) -> int:
    """Most requests that arrived within `held` seconds of one another: in flight together."""
    return max(sum(1 for b in arrivals if a <= b < a + held) for a in arrivals)


@pytest.mark.parametrize(("concurrency", "expected"), [(8, 5), (2, 2)])
def test_describe_pages_go_out_together_within_concurrency(
    cli, batch, proxy, concurrency, expected
) -> None:
    """450 jobs: 5 DescribeJobs pages before the stops and 5 after, each five together (two,
    at --concurrency 2), never one after another; every job's row in the order given."""
    jobs = [batch.add_job("RUNNABLE") for _ in range(450)]
    # Long enough that a loaded machine's stall does not split a wave sent together; a page
    # sent only after another's answer arrives a whole hold later.
    held = 1.0
    proxy.delays["describejobs"] = held
    ran = cli(
        "cancel", "-p", "aws-batch", "-o", "json", "--endpoint-url", proxy.url, "--yes",
        "--concurrency", str(concurrency), *jobs,
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    assert [r["job_id"] for r in ran.json()["results"]] == jobs
    assert {r["outcome"] for r in ran.json()["results"]} == {"cancelled"}
    pages = [s for s in proxy.seen if s.operation == "describejobs"]
    assert len(pages) == 10
    first = sorted(s.at for s in pages[:5])
    assert together(first, held) == expected
    # Each page asked for its own 100 ids (the last 50), all 450 once, before and after.
    asked = [json.loads(s.body)["jobs"] for s in pages]
    assert sorted(len(ids) for ids in asked) == [50, 50, *[100] * 8]
    assert sorted(i for ids in asked[:5] for i in ids) == sorted(jobs)


def test_paged_keeps_the_pages_order_and_raises_the_first_error() -> None:
    import threading

    release = threading.Barrier(3, timeout=30)

    def call(page: int) -> int:
        release.wait()  # all three in flight at once, or the barrier breaks
        if page == 1:
            raise ValueError("page 1")
        return page * 10

    with lookups(3), pytest.raises(ValueError, match="page 1"):
        paged(call, [0, 1, 2])
    release.reset()
    with lookups(3):
        assert paged(lambda page: (release.wait(), page)[1], [2, 0, 1]) == [2, 0, 1]
    assert paged(lambda page: page, [3, 1]) == [3, 1]  # outside a run: one after another


class CountingJson:
    def __init__(self) -> None:
        self.loads_calls = 0

    def loads(self, text: object, **options: object) -> object:
        self.loads_calls += 1
        return json.loads(text, **options)  # type: ignore[arg-type]


def test_an_aws_answer_is_parsed_once(cli, batch, monkeypatch) -> None:
    """Each DescribeJobs answer is read once, as JSON (`_aws.AS_JSON`), and botocore's model
    walks none of it; jobctl's retry hook reads an answer again only when nothing was found in
    it (an empty `{}` or a body that is not JSON)."""
    from botocore import parsers

    from jobctl.providers import _aws

    counting = CountingJson()
    monkeypatch.setattr(_aws, "json", counting)
    walked: list[str] = []
    original = parsers.ResponseParser._parse_shape

    def parse_shape(self, shape, node):  # type: ignore[no-untyped-def]
        walked.append(shape.name)
        return original(self, shape, node)

    monkeypatch.setattr(parsers.ResponseParser, "_parse_shape", parse_shape)
    jobs = [batch.add_job("RUNNABLE") for _ in range(150)]
    ran = cli("status", "-p", "aws-batch", "-o", "json", *jobs)
    assert ran.code == 0, ran.stderr
    assert len(ran.json()["results"]) == 150
    assert counting.loads_calls == 2  # two pages of at most 100, each read once
    assert "JobDetail" not in walked


def test_a_tencent_run_reuses_its_clients(cli, tencent, monkeypatch) -> None:
    """One client per request in flight at most, kept for the next: not one per thread the
    engine starts (lookup, each sending thread, verification)."""
    from tencentcloud.batch.v20170312 import batch_client

    made: list[object] = []
    original = batch_client.BatchClient.__init__

    def counted(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(batch_client.BatchClient, "__init__", counted)
    tencent.terminate_rate = None
    jobs = [tencent.add_job(state="RUNNABLE", pinned=True) for _ in range(12)]
    ran = cli(
        "terminate", "-p", "tencent", "-o", "json", "--rate", "100", "--concurrency", "3",
        "--yes", *jobs,
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    assert len(ran.json()["results"]) == 12
    assert 1 <= len(made) <= 3


def test_a_groups_final_audit_records_go_in_one_write(cli, batch, tmp_path, monkeypatch) -> None:
    """150 jobs: the log still says each job's answer, then its final outcome; the 150 final
    records reach the file in one write, not one write (open, lock, close) each."""
    import os

    import jobctl.audit

    writes: list[bytes] = []
    real_write = os.write

    def write(fd: int, data: bytes) -> int:
        writes.append(bytes(data))
        return real_write(fd, data)

    monkeypatch.setattr(jobctl.audit.os, "write", write)
    jobs = [batch.add_job("RUNNABLE") for _ in range(150)]
    ran = cli("cancel", "-p", "aws-batch", "-o", "json", "--yes", *jobs)
    assert ran.code == 0, ran.stderr
    path = tmp_path / "state" / "jobctl" / "audit.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    kinds = {job: [line["record"] for line in lines if line["job"] == job] for job in jobs}
    assert kinds == {job: ["request", "answer", "final"] for job in jobs}
    assert [line["outcome"] for line in lines if line["record"] == "final"] == ["cancelled"] * 150
    with_finals = [data for data in writes if b'"record": "final"' in data]
    assert len(with_finals) == 1
    assert with_finals[0].count(b"\n") == 150
    # A bulk request's records go in one write too, before it leaves: 3 CancelJobs, at most
    # 3 writes (fewer when one takes another's pending lines along).
    with_requests = [data for data in writes if b'"record": "request"' in data]
    assert sum(data.count(b'"record": "request"') for data in with_requests) == 150
    assert len(with_requests) <= 3
