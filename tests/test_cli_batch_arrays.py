"""AWS Batch array jobs end to end: the CLI and the API, real boto3, moto's server on 127.0.0.1.

A parent's rows count its children by phase; --wait waits for the children; `ID:0-99` names
children. The world changes between requests through the proxy's `before` hook, so no test
depends on how long anything takes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from jobctl import api
from tests.support.completion import tab
from tests.support.proxy import Seen

BASE = ("-p", "aws-batch", "-o", "json")


def array(batch: Any, parent_state: str, *child_states: str) -> str:
    """An array parent in `parent_state` whose children are in `child_states`, in order."""
    parent = batch.add_job(parent_state, array_size=len(child_states))
    for index, state in enumerate(child_states):
        batch.set_state(f"{parent}:{index}", state)
    return str(parent)


def end_child(batch: Any, job_id: str, reason: str) -> None:
    """What AWS does to a child the cancel reached: FAILED, with the stop's reason."""
    child = batch.job(job_id)
    child.job_stopped_reason = reason
    child._mark_stopped(success=False)


def one_child_a_lookup(batch: Any, parent: str, size: int, *, reason: str, after: int) -> Any:
    """A `before` hook for DescribeJobs: from the `after`-th lookup on, each ends one more child."""
    calls = iter(range(1, 10**6))
    left = iter(range(size))

    def hook(_: Seen) -> None:
        if next(calls) >= after:
            index = next(left, None)
            if index is not None:
                end_child(batch, f"{parent}:{index}", reason)

    return hook


# -- a parent's rows count its children --------------------------------------------------------


def test_status_counts_a_parents_children_by_phase(cli, batch) -> None:
    parent = array(batch, "PENDING", "RUNNABLE", "RUNNABLE", "RUNNING", *["SUCCEEDED"] * 3)
    ran = cli("status", *BASE, parent)
    assert ran.code == 0, ran.stderr
    (row,) = ran.json()["results"]
    assert row["children"] == {
        "kind": "array",
        "total": 6,
        "queued": 2,
        "running": 1,
        "finished": 3,
        "unknown": 0,
        "states": {"RUNNABLE": 2, "RUNNING": 1, "SUCCEEDED": 3},
    }
    assert row["message"] == "array of 6: 2 queued, 1 running, 3 finished"
    # Plain text says it in the message column; a child is a job like any other.
    plain = cli("status", "-p", "aws-batch", parent, f"{parent}:2").stdout.splitlines()
    assert plain[0].split("\t")[-1] == "array of 6: 2 queued, 1 running, 3 finished"
    assert plain[1].split("\t")[:5] == [
        f"{parent}:2",
        "aws-batch",
        "us-east-1",
        "RUNNING",
        "running",
    ]


def test_a_stop_of_a_parent_reports_the_parent_with_its_children(cli, batch, proxy) -> None:
    parent = array(batch, "PENDING", "RUNNABLE", "RUNNING", "SUCCEEDED")
    ran = cli("cancel", *BASE, "--endpoint-url", proxy.url, parent)
    assert ran.code == 0, ran.stderr
    (result,) = ran.json()["results"]
    assert (result["job_id"], result["operation"], result["outcome"]) == (
        parent,
        "CancelJob",
        "stopping",
    )
    # CancelJob leaves a running child be: the row says so, and what stops it.
    assert result["children"]["running"] == 1
    assert result["message"].startswith("stop accepted; array of 3: ")
    assert result["message"].endswith(
        f"CancelJob does not stop the 1 running child: "
        f"run 'jobctl terminate -p aws-batch --region us-east-1 {parent}'"
    )
    assert [s.stop_target() for s in proxy.seen if s.operation == "canceljob"] == [parent]


def test_dry_run_of_a_parent_says_what_cancel_leaves_running(cli, batch) -> None:
    parent = array(batch, "PENDING", "RUNNABLE", "RUNNING")
    ran = cli("cancel", *BASE, "-n", parent)
    (result,) = ran.json()["results"]
    assert (result["outcome"], result["operation"]) == ("planned", "CancelJob")
    assert result["message"] == (
        "array of 2: 1 queued, 1 running, 0 finished; "
        "CancelJob stops only the children not started yet, not the 1 running child "
        "(--force stops them too)"
    )
    forced = cli("cancel", *BASE, "-n", "--force", parent).json()["results"][0]
    assert forced["operation"] == "TerminateJob"
    assert "cancel escalated to TerminateJob (--force): 1 running child" in forced["message"]


# -- --wait waits for the children -------------------------------------------------------------


def test_wait_ends_when_the_last_child_does_though_the_parent_lags(
    cli, batch, proxy, clean_env
) -> None:
    # The parent stays PENDING (its stop held), as AWS keeps it until its children end.
    batch.stop_delay = 3600.0
    parent = array(batch, "PENDING", "RUNNABLE", "RUNNABLE", "RUNNABLE")
    # Lookup 1 plans, 2 checks the stop; from the 3rd (the first poll) each ends a child.
    proxy.before["describejobs"] = one_child_a_lookup(batch, parent, 3, reason="drain", after=3)
    ran = cli(
        "cancel", *BASE, "--endpoint-url", proxy.url, "-r", "drain", "--wait",
        "--poll-interval", "0.1s", "--timeout", "30s", parent,
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    (result,) = ran.json()["results"]
    assert (result["outcome"], result["state_after"]) == ("cancelled", "PENDING")
    assert result["children"]["finished"] == 3
    assert result["message"] == (
        "array of 3: 0 queued, 0 running, 3 finished; "
        "every child finished (the parent still says PENDING)"
    )
    # It looked until the third child ended, and no more.
    assert proxy.operations().count("describejobs") == 5
    # The audit log's final record says where the children stood.
    audit = (clean_env / "state" / "jobctl" / "audit.jsonl").read_text().splitlines()
    final = json.loads(audit[-1])
    assert (final["record"], final["outcome"]) == ("final", "cancelled")
    assert final["children"]["finished"] == 3


def test_wait_for_a_parent_that_reads_failed_is_final_only_with_its_children(
    cli, batch, proxy
) -> None:
    batch.stop_delay = 3600.0
    parent = array(batch, "PENDING", "RUNNABLE", "RUNNABLE")
    # Counted from the check after the stop: the polls after it each end one child.
    ending = one_child_a_lookup(batch, parent, 2, reason="drain", after=2)

    def hook(seen: Seen) -> None:
        # From the check after the stop on, the parent reads FAILED; its children end later.
        batch.set_state(parent, "FAILED")
        ending(seen)

    proxy.before["describejobs"] = lambda seen: None
    proxy.before["canceljob"] = lambda _: proxy.before.update(describejobs=hook)
    ran = cli(
        "cancel", *BASE, "--endpoint-url", proxy.url, "-r", "drain", "--wait",
        "--poll-interval", "0.1s", "--timeout", "30s", parent,
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    (result,) = ran.json()["results"]
    assert (result["outcome"], result["state_after"]) == ("cancelled", "FAILED")
    assert result["children"]["finished"] == 2
    # Lookup, check (FAILED, no child ended), two polls: one child ended at each.
    assert proxy.operations().count("describejobs") == 4


def test_without_wait_a_parent_with_children_left_is_stopping(cli, batch) -> None:
    batch.stop_delay = 3600.0  # the children wait for the head of the queue
    parent = array(batch, "PENDING", "RUNNABLE", "RUNNABLE")
    (result,) = cli("cancel", *BASE, parent).json()["results"]
    assert (result["outcome"], result["state_after"]) == ("stopping", "PENDING")
    assert result["message"] == "stop accepted; array of 2: 2 queued, 0 running, 0 finished"


def test_the_wait_tells_the_live_view_each_childs_end(batch, proxy) -> None:
    batch.stop_delay = 3600.0
    parent = array(batch, "PENDING", "RUNNABLE", "RUNNABLE", "RUNNABLE")
    proxy.before["describejobs"] = one_child_a_lookup(batch, parent, 3, reason="drain", after=3)

    class Watching:
        def __init__(self) -> None:
            self.results: list[api.Result] = []

        def start(self, *, total: int, verb: api.Verb) -> None:
            pass

        def seen(self, result: api.Result) -> None:
            self.results.append(result)

        def end(self) -> None:
            pass

    watching = Watching()
    api.stop(
        [parent],
        provider="aws-batch",
        endpoint_url=proxy.url,
        reason="drain",
        wait=True,
        poll_interval=0.1,
        timeout=30,
        progress=watching,
    )
    assert all(isinstance(r.children, api.Children) for r in watching.results)
    finished = [r.children.finished for r in watching.results if r.children is not None]
    outcomes = [str(r.outcome) for r in watching.results]
    # The answer, then each lookup that found one more child ended, then the decision.
    assert finished == [0, 1, 2, 3, 3]
    assert outcomes == ["stopping", "stopping", "stopping", "cancelled", "cancelled"]


def test_status_wait_waits_for_the_children_of_a_parent_that_reads_finished(
    cli, batch, proxy
) -> None:
    parent = array(batch, "FAILED", "RUNNABLE", "RUNNABLE")
    # The first lookup sees both children queued; each one after it, one more ended.
    proxy.before["describejobs"] = one_child_a_lookup(batch, parent, 2, reason="drain", after=2)
    ran = cli(
        "status", *BASE, "--endpoint-url", proxy.url, "--wait", "--poll-interval", "0.1s",
        "--timeout", "30s", parent,
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    (row,) = ran.json()["results"]
    assert (row["state"], row["children"]["finished"]) == ("FAILED", 2)
    assert proxy.operations() == ["describejobs"] * 3


# -- child ranges as references ----------------------------------------------------------------


def test_a_range_names_each_child_and_overlaps_merge(cli, batch, proxy) -> None:
    parent = batch.add_job("RUNNABLE", array_size=6)
    arn = f"arn:aws:batch:us-east-1:123456789012:job/{parent}:4-5"
    ran = cli(
        "cancel", *BASE, "--endpoint-url", proxy.url, f"{parent}:3", f"{parent}:0-2",
        f"aws-batch:{parent}:2-4", arn,
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    ids = [r["job_id"] for r in ran.json()["results"]]
    assert ids == [f"{parent}:{i}" for i in (3, 0, 1, 2, 4, 5)]
    assert {r["outcome"] for r in ran.json()["results"]} == {"cancelled"}
    # One lookup for all six, one stop each: nothing twice.
    assert sorted(proxy.stopped()) == sorted(ids)
    assert proxy.operations().count("describejobs") == 2


def test_children_past_the_arrays_size_are_not_found(cli, batch, proxy) -> None:
    parent = batch.add_job("RUNNABLE", array_size=3)
    ran = cli("cancel", *BASE, "--endpoint-url", proxy.url, f"{parent}:1-4")
    assert ran.code == 3, ran.stderr
    outcomes = {r["job_id"]: r["outcome"] for r in ran.json()["results"]}
    assert outcomes == {
        f"{parent}:1": "cancelled",
        f"{parent}:2": "cancelled",
        f"{parent}:3": "not-found",
        f"{parent}:4": "not-found",
    }
    assert sorted(proxy.stopped()) == [f"{parent}:1", f"{parent}:2"]


def test_ranges_from_standard_input_and_in_status(cli, batch) -> None:
    parent = batch.add_job("RUNNABLE", array_size=3)
    ran = cli("status", *BASE, "-", stdin=f"{parent}:0-2\n".encode())
    assert ran.code == 0, ran.stderr
    assert [(r["job_id"], r["state"]) for r in ran.json()["results"]] == [
        (f"{parent}:{i}", "RUNNABLE") for i in range(3)
    ]


PARENT = "1d828f65-7a6d-42a3-b5c6-8d2fa5b4e5e1"


@pytest.mark.parametrize(
    ("tokens", "said"),
    [
        ((f"{PARENT}:5-2",), f"runs backwards: START must not be past END; write {PARENT}:2-5"),
        ((f"{PARENT}:0-10000",), "an AWS Batch array job has at most 10,000 children"),
        # Never a suggestion that is itself out of range, never Python's own int() limit.
        ((f"{PARENT}:20000-10",), "goes past index 9999"),
        ((f"{PARENT}:0-" + "9" * 5000,), "goes past index 9999"),
        ((f"{PARENT}:" + "9" * 5000 + "-1",), "goes past index 9999"),
        # A single child past the last index is no valid id either.
        ((f"{PARENT}:99999",), "(an array child, 0-9999)"),
        ((f"{PARENT}:10000",), "(an array child, 0-9999)"),
        ((f"{PARENT}:3-",), "malformed array child range"),
        (("not-a-uuid:0-3",), "'not-a-uuid' is not an AWS Batch job id"),
        (
            (f"{PARENT}:0-9999", f"{PARENT[:-1]}2:0-0"),
            "array child ranges name more than 10,000 aws-batch jobs in one run",
        ),
    ],
)
def test_a_bad_range_is_refused_and_nothing_is_sent(cli, batch, proxy, tokens, said) -> None:
    job = batch.add_job("RUNNABLE")
    ran = cli("cancel", *BASE, "--endpoint-url", proxy.url, "--yes", job, *tokens)
    assert ran.code == 2
    assert said in ran.stderr
    assert "Traceback" not in ran.stderr
    assert proxy.seen == []
    assert batch.job(job).stop is False


def test_tab_after_an_array_id_and_colon_offers_nothing_and_does_not_break(cli, batch) -> None:
    parent = batch.add_job("RUNNABLE", array_size=2)
    assert cli("list", "-p", "aws-batch").code == 0
    assert tab("cancel -p aws-batch ") == [parent]
    assert tab(f"cancel -p aws-batch {parent}:") == []
    assert tab(f"cancel -p aws-batch {parent}:0-") == []


# -- children in a state jobctl does not know --------------------------------------------------


@pytest.fixture
def hibernating(monkeypatch: pytest.MonkeyPatch) -> None:
    """DescribeJobs answers count every array's children as in a state AWS may add later."""
    from jobctl.sandbox import batch_api

    flags = batch_api.AFTER["describejobs"]

    def after(call: Any, answer: dict[str, Any]) -> None:
        flags(call, answer)
        for job in answer.get("jobs", []):
            props = job.get("arrayProperties") or {}
            if "statusSummary" in props:
                props["statusSummary"] = {"HIBERNATING": props["size"]}

    monkeypatch.setitem(batch_api.AFTER, "describejobs", after)


def test_a_wait_on_children_in_an_unknown_state_says_why_it_timed_out(
    cli, batch, hibernating
) -> None:
    parent = array(batch, "PENDING", "RUNNABLE", "RUNNABLE")
    ran = cli("terminate", *BASE, "--wait", "--poll-interval", "0.1s", "--timeout", "1s", parent)
    assert ran.code == 5, ran.stderr
    row = ran.by_job()[parent]
    assert row["outcome"] == "stopping"  # unknown is not finished
    assert (
        "2 in an unknown state (a state jobctl does not know: --wait cannot tell when they end"
        in row["message"]
    )
    assert "it is in a state jobctl does not know (or has children in one)" in ran.stderr

    status = cli("status", *BASE, "--wait", "--poll-interval", "0.1s", "--timeout", "1s", parent)
    assert status.code == 5
    # The same words as the stop's notice above: one helper says both.
    assert "it is in a state jobctl does not know (or has children in one)" in status.stderr
