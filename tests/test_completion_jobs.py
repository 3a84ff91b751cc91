"""Job ids and queues at TAB: the cache `list`, `status` and stop runs write, its TTL and
scope, the live lookup on a cold cache, and a server that never answers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from jobctl.complete import cache, scope
from jobctl.complete.catalog import Table
from tests.support.completion import described, installed_jobctl, tab, tab_process

needs_jobctl = pytest.mark.skipif(installed_jobctl() is None, reason="jobctl is not installed")


def batch_scope(**flags: str | None) -> scope.Scope:
    facts = Table().facts("aws-batch")
    assert facts is not None
    return scope.resolve(
        facts,
        region=flags.get("region"),
        profile=flags.get("profile"),
        endpoint=flags.get("endpoint"),
    )


def test_list_fills_the_cache_and_tab_offers_what_can_be_stopped(cli, batch) -> None:
    queued = batch.add_job("RUNNABLE", name="etl-1", queue="prod-q")
    running = batch.add_job("RUNNING", name="etl-2", queue="prod-q")
    batch.add_job("SUCCEEDED", name="done")
    assert cli("list", "-p", "aws-batch", "-o", "json").code == 0

    assert sorted(tab("cancel -p aws-batch ")) == sorted([queued, running])
    assert tab(f"terminate -p aws-batch {queued[:4]}") == [queued]
    assert described("cancel -p aws-batch ") == {
        queued: "RUNNABLE, etl-1",
        running: "RUNNING, etl-2",
    }
    assert tab("list -p aws-batch --queue ") == ["prod-q"]
    assert tab("cancel -p aws-iot ") == []


def test_a_stop_run_updates_what_tab_offers(cli, batch) -> None:
    queued, running = batch.add_job("RUNNABLE"), batch.add_job("RUNNING")
    assert cli("list", "-p", "aws-batch").code == 0
    assert cli("cancel", "-p", "aws-batch", queued, "-o", "json").code == 0

    # Cancelled: no longer offered to the stop verbs, still to `status`.
    assert tab("cancel -p aws-batch ") == [running]
    assert sorted(tab("status -p aws-batch ")) == sorted([queued, running])
    assert described("status -p aws-batch ")[queued] == "FAILED, job"  # the name `list` saw


def test_status_runs_fill_the_cache_and_unknown_ids_leave_it(cli, batch) -> None:
    job = batch.add_job("PENDING", name="nightly")
    unknown = "00000000-0000-4000-8000-000000000000"
    cache.store(batch_scope(), [(unknown, "RUNNABLE", None, None)])
    assert cli("status", "-p", "aws-batch", job, unknown).code == 3

    assert tab("cancel -p aws-batch ") == [job]
    assert described("cancel -p aws-batch ") == {job: "PENDING, nightly"}


def test_rows_expire_after_the_ttl(aws_env) -> None:
    key = batch_scope()
    cache.store(key, [("old", "RUNNABLE", None, None)], now=time.time() - cache.TTL - 1)
    # Fresh for one more minute: a TAB on a loaded machine still finds it.
    cache.store(key, [("fresh", "RUNNABLE", None, None)], now=time.time() - cache.TTL + 60)
    assert tab("cancel -p aws-batch ") == ["fresh"]
    assert cache.load(key, now=time.time() + 61) == []


def test_ids_are_scoped_by_region_profile_and_endpoint(aws_env, monkeypatch) -> None:
    # aws_env: AWS_DEFAULT_REGION=us-east-1 and AWS_ENDPOINT_URL=moto.
    cache.store(batch_scope(), [("in-us-east-1", "RUNNABLE", None, None)])
    cache.store(batch_scope(region="eu-west-1"), [("in-eu-west-1", "RUNNABLE", None, None)])
    cache.store(batch_scope(profile="prod"), [("in-prod", "RUNNABLE", None, None)])

    assert tab("cancel -p aws-batch ") == ["in-us-east-1"]
    assert tab("cancel -p aws-batch --region us-east-1 ") == ["in-us-east-1"]
    assert tab("cancel -p aws-batch --region eu-west-1 ") == ["in-eu-west-1"]
    assert tab("cancel -p aws-batch --region ap-south-1 ") == []
    assert tab("cancel -p aws-batch --profile prod ") == ["in-prod"]
    assert tab("cancel -p aws-batch --endpoint-url http://127.0.0.1:9 ") == []
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert tab("cancel -p aws-batch ") == ["in-eu-west-1"]


def test_an_unreadable_cache_is_a_cold_one(aws_env) -> None:
    key = batch_scope()
    cache.store(key, [("job-1", "RUNNABLE", None, None)])
    Path(cache.path_for(key)).write_bytes(b"\xff\xfe not a cache")
    assert tab("cancel -p aws-batch ") == []
    cache.store(key, [("job-2", "RUNNABLE", None, None)])
    assert tab("cancel -p aws-batch ") == ["job-2"]
    text = Path(cache.path_for(key)).read_text()
    assert text.splitlines()[1] == "aws-batch\tus-east-1\t\t" + aws_env.url


def test_a_cache_that_cannot_be_written_changes_nothing(cli, batch, clean_env: Path) -> None:
    job = batch.add_job("RUNNABLE")
    (clean_env / "cache").write_text("a file where the cache directory should be")
    listed = cli("list", "-p", "aws-batch", "-o", "json")
    assert (listed.code, listed.stderr) == (0, "")
    assert [r["job_id"] for r in listed.json()["results"]] == [job]
    assert cli("cancel", "-p", "aws-batch", job).code == 0


def test_remote_off_never_asks_the_server(batch, proxy, monkeypatch) -> None:
    batch.add_job("RUNNABLE")
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    assert tab("cancel -p aws-batch ") == []
    assert proxy.seen == []


@needs_jobctl
def test_a_cold_cache_asks_once_then_answers_from_the_cache(batch, proxy, monkeypatch) -> None:
    queued, running = batch.add_job("RUNNABLE", queue="q1"), batch.add_job("STARTING")
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    # A generous deadline: this test is about the lookup, not about a slow CI machine.
    done = tab_process("cancel -p aws-batch ", env={"JOBCTL_COMPLETE_TIMEOUT": "10"})
    assert (done.returncode, done.stderr) == (0, "")
    assert sorted(done.stdout.split()) == sorted([queued, running])
    asked = len(proxy.seen)
    assert asked > 0
    done = tab_process("cancel -p aws-batch ")
    assert sorted(done.stdout.split()) == sorted([queued, running])
    assert len(proxy.seen) == asked  # warm now: nothing more was asked
    # Queues are DescribeJobQueues' answer, asked once and then kept.
    for _ in range(2):
        done = tab_process("cancel -p aws-batch --queue ", env={"JOBCTL_COMPLETE_TIMEOUT": "10"})
        assert sorted(done.stdout.split()) == ["jobctl-q", "q1"]
        assert [seen.operation for seen in proxy.seen[asked:]] == ["describejobqueues"]


@dataclass
class SilentServer:
    """A TCP server on 127.0.0.1 that accepts connections and never says a word."""

    url: str = ""
    # Per connection, time.monotonic() when it was accepted and when the client closed it.
    accepted: list[float] = field(default_factory=list)
    closed: list[float] = field(default_factory=list)


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    listener = socket.create_server(("127.0.0.1", 0))
    server = SilentServer(f"http://127.0.0.1:{listener.getsockname()[1]}")
    held: list[socket.socket] = []
    threads: list[threading.Thread] = []
    stop = threading.Event()

    def hold(connection: socket.socket) -> None:
        connection.settimeout(0.1)
        while not stop.is_set():
            try:
                if not connection.recv(65536):
                    server.closed.append(time.monotonic())
                    return
            except TimeoutError:
                continue
            except OSError:
                server.closed.append(time.monotonic())
                return

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection = listener.accept()[0]
            except TimeoutError:
                continue
            server.accepted.append(time.monotonic())
            held.append(connection)
            threads.append(threading.Thread(target=hold, args=(connection,), daemon=True))
            threads[-1].start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server
    stop.set()
    thread.join()
    for worker in threads:
        worker.join()
    for connection in [*held, listener]:
        connection.close()


@needs_jobctl
@pytest.mark.parametrize("path", ["fast", "typer"])
def test_a_server_that_never_answers_costs_one_deadline(aws_env, silent_server, path) -> None:
    """The TAB gives up on the whole lookup at its deadline: one connection, never a retry or
    a second request, and it is closed when the TAB exits, empty-handed and silent. On a
    machine so busy that the deadline passes before the SDK is even imported, no connection
    is made at all. (How soon it exits is the machine's speed, not the product's: measured in
    bench/completion.py, not bounded here.)"""
    switch = {"JOBCTL_COMPLETE_FAST": "0"} if path == "typer" else {}
    done = tab_process(
        f"cancel -p aws-batch --endpoint-url {silent_server.url} ",
        env={**switch, "JOBCTL_COMPLETE_TIMEOUT": ""},  # the default deadline: 1 s
    )
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "", "")
    assert len(silent_server.accepted) <= 1  # no retry: the deadline covers the whole lookup
    # The process has exited: its connection is closed, or closing as the server reads.
    give_up = time.monotonic() + 30
    while len(silent_server.closed) < len(silent_server.accepted):
        assert time.monotonic() < give_up, "the TAB's connection outlived the TAB"
        time.sleep(0.01)


def test_a_list_that_finds_a_job_finished_stops_tab_offering_it(cli, batch) -> None:
    queued = batch.add_job("RUNNABLE")
    assert cli("list", "-p", "aws-batch").code == 0
    assert tab("cancel -p aws-batch ") == [queued]
    batch.backend.get_job_by_id(queued).status = "SUCCEEDED"
    # The listing answers nothing: what it covered is forgotten, not kept for the TTL.
    assert cli("list", "-p", "aws-batch").code == 0
    assert tab("cancel -p aws-batch ") == []


def test_a_filtered_list_forgets_only_what_it_covers() -> None:
    from jobctl.complete.jobs import remember
    from jobctl.models import Selection

    remember("aws-batch", None, None, None,
             [("a", "RUNNABLE", "etl-1", "q1"), ("b", "RUNNABLE", "etl-2", "q2"),
              ("c", "RUNNING", "etl-3", "q1")])  # fmt: skip
    listed = Selection(states=frozenset({"RUNNABLE"}), queue="arn:aws:batch:x:1:job-queue/q1")
    remember("aws-batch", None, None, None, [], listed=listed)
    assert sorted(job for job, *_ in cache.load(batch_scope())) == ["b", "c"]


def test_ids_already_on_the_line_are_not_offered_again(cli, batch) -> None:
    one, two = batch.add_job("RUNNABLE"), batch.add_job("RUNNING")
    assert cli("list", "-p", "aws-batch").code == 0
    assert tab(f"cancel -p aws-batch {one} ") == [two]
    assert tab(f"cancel aws-batch:{one} aws-batch:") == [f"aws-batch:{two}"]


def test_queue_tab_lists_every_queue_and_keeps_the_answer(batch, monkeypatch) -> None:
    batch.queue("prod-q")
    batch.queue("idle-q")
    done = tab_process("list -p aws-batch --queue ", env={"JOBCTL_COMPLETE_TIMEOUT": "10"})
    assert sorted(done.stdout.split()) == ["idle-q", "prod-q"]
    assert cache.load_queues(batch_scope()) is not None
    monkeypatch.setenv("JOBCTL_COMPLETE_REMOTE", "0")  # the cached answer serves the next TAB
    assert sorted(tab("list -p aws-batch --queue ")) == ["idle-q", "prod-q"]


@needs_jobctl
def test_completion_command_prints_the_shipped_script() -> None:
    import subprocess

    from jobctl.complete.scripts import FILES

    jobctl = installed_jobctl()
    assert jobctl is not None
    for shell, name in FILES.items():
        done = subprocess.run([jobctl, "completion", shell], capture_output=True, text=True,
                              check=False, timeout=60)  # fmt: skip
        assert done.returncode == 0, done.stderr
        shipped = Path(__file__).resolve().parent.parent / "jobctl" / "completions" / name
        assert done.stdout == shipped.read_text()


@needs_jobctl
def test_a_cold_tab_sends_its_list_jobs_calls_together(batch, proxy, monkeypatch) -> None:
    """A cold TAB's ListJobs calls (one per queue and unfinished state) are in flight together,
    as the proxy sees them arrive: while it holds the first one, the rest of jobctl's fan-out
    (8 at a time) arrives. A statement about jobctl's concurrency, counted in requests, whatever the
    machine's speed (how long the TAB takes is measured in bench/completion.py)."""
    jobs = [batch.add_job("RUNNABLE", queue=queue) for queue in ("q1", "q2", "q3")]
    hold = 1.5
    proxy.delays["listjobs"] = hold
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    done = tab_process("cancel -p aws-batch ", env={"JOBCTL_COMPLETE_TIMEOUT": "10"})
    assert (done.returncode, done.stderr) == (0, "")

    assert proxy.operations()[0] == "describejobqueues"
    lists = [seen for seen in proxy.seen if seen.operation == "listjobs"]
    # The first ListJobs is answered no sooner than `hold` after it arrived: every one that
    # arrived before then was sent while it was still in flight.
    first = min(seen.at for seen in lists)
    together = [seen for seen in lists if seen.at < first + hold]
    assert len(together) >= 8, f"only {len(together)} ListJobs in flight together"
    assert len(lists) == 3 * 5  # q1..q3 x SUBMITTED, PENDING, RUNNABLE, STARTING, RUNNING
    assert sorted(done.stdout.split()) == sorted(jobs)
