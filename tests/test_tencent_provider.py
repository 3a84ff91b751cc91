"""tencent end to end: the CLI and the real tencentcloud SDK, signing every request, against
the Tencent Cloud Batch emulator on 127.0.0.1 (the `tencent` fixture in conftest.py)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from jobctl.models import JobRef, PlannedStop, Selection, StopOptions, Verb
from jobctl.providers import _tencent
from jobctl.providers import tencent as tencent_provider
from jobctl.providers.base import ProviderConfig
from jobctl.providers.tencent import TencentProvider, plan
from jobctl.ratelimit import Pacing, RateLimiter, pacing
from jobctl.sandbox.tencent_emulator import TencentBatchEmulator
from tests.conftest import TENCENT_SECRET_ID, TENCENT_SECRET_KEY

BASE = ("-p", "tencent", "-o", "json")
UNFINISHED = ("PENDING", "RUNNABLE", "STARTING", "RUNNING")
FINISHED = ("SUCCEED", "FAILED", "FAILED_INTERRUPTED")


def add(emu: TencentBatchEmulator, state: str, **kwargs: Any) -> str:
    """A job that stays in `state` until something stops it (unless pinned=False)."""
    kwargs.setdefault("pinned", True)
    return emu.add_job(name=f"job-in-{state.lower()}", state=state, **kwargs)


When = Callable[[Callable[[], bool], Callable[[], object]], None]


@pytest.fixture
def when() -> Iterator[When]:
    """`when(ready, action)`: run `action` on a helper thread as soon as `ready()` holds, while
    the CLI is busy in this one. The move is made on something the emulator saw (a request,
    an error), never after a guessed delay, which a busy machine would outrun."""
    done = threading.Event()
    threads: list[threading.Thread] = []

    def watch(ready: Callable[[], bool], action: Callable[[], object]) -> None:
        while not ready():
            if done.wait(0.005):
                return
        action()

    def start(ready: Callable[[], bool], action: Callable[[], object]) -> None:
        thread = threading.Thread(target=watch, args=(ready, action), daemon=True)
        threads.append(thread)
        thread.start()

    yield start
    done.set()
    for thread in threads:
        thread.join()


@dataclass
class Clock:
    """The clock the Tencent adapter reads its deadlines from, moved only by its own waits."""

    now: float = 0.0
    # Every wait the adapter asked for, in order.
    waits: list[float] = field(default_factory=list)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Tencent's waits (backoff, SUBMITTED polling) on an injected clock: a wait moves it at
    once instead of sleeping, so a test states when jobctl gives up in the adapter's own
    seconds, whatever the machine's speed. An interrupt still ends a wait, as it would."""
    injected = Clock()
    fake_time = SimpleNamespace(monotonic=lambda: injected.now)
    monkeypatch.setattr(tencent_provider, "time", fake_time)
    monkeypatch.setattr(_tencent, "time", fake_time)

    def sleep(self: Pacing, seconds: float) -> bool:
        if self.stop.is_set():
            return False
        injected.waits.append(seconds)
        injected.now += max(seconds, 0.0)
        return True

    monkeypatch.setattr(Pacing, "sleep", sleep)
    return injected


def provider_for(emu: TencentBatchEmulator, **config: Any) -> TencentProvider:
    """The adapter itself, reaching the emulator (never a default cloud endpoint)."""
    return TencentProvider(
        config=ProviderConfig(region="ap-guangzhou", endpoint_url=emu.url, **config)
    )


def terminate_calls(emu: TencentBatchEmulator) -> int:
    return emu.stats.requests.get("TerminateJob", 0)


# -- the matrix ---------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["PENDING", "RUNNABLE"])
def test_cancel_queued_job_terminates_it(cli, tencent, state) -> None:
    job = add(tencent, state)
    ran = cli("cancel", *BASE, job)
    assert ran.code == 0, ran.stderr
    result = ran.by_job()[job]
    assert (result["outcome"], result["operation"]) == ("cancelled", "TerminateJob")
    assert (result["state_before"], result["state_after"]) == (state, "FAILED")
    assert result["request"] == {"JobId": job}
    assert result["request_id"]
    assert tencent.job(job).terminate_requested


@pytest.mark.parametrize("state", ["STARTING", "RUNNING"])
def test_cancel_running_job_is_refused_and_nothing_is_sent(cli, tencent, state) -> None:
    job = add(tencent, state)
    ran = cli("cancel", *BASE, job)
    assert ran.code == 1
    result = ran.by_job()[job]
    assert result["outcome"] == "refused"
    assert "--force" in result["message"]
    assert terminate_calls(tencent) == 0
    assert not tencent.job(job).terminate_requested


def test_cancel_running_job_with_force_terminates_it(cli, tencent) -> None:
    job = add(tencent, "RUNNING")
    ran = cli("cancel", *BASE, "--force", job)
    assert ran.code == 0, ran.stderr
    result = ran.by_job()[job]
    assert (result["outcome"], result["operation"], result["state_after"]) == (
        "cancelled",
        "TerminateJob",
        "FAILED",
    )


@pytest.mark.parametrize("state", UNFINISHED)
def test_terminate_stops_every_unfinished_state(cli, tencent, state) -> None:
    job = add(tencent, state)
    ran = cli("terminate", *BASE, job)
    assert ran.code == 0, ran.stderr
    assert ran.by_job()[job]["outcome"] == "terminated"
    assert tencent.job(job).state == "FAILED"


@pytest.mark.parametrize("verb", ["cancel", "terminate"])
@pytest.mark.parametrize("state", FINISHED)
def test_finished_jobs_get_no_call(cli, tencent, verb, state) -> None:
    job = add(tencent, state)
    ran = cli(verb, *BASE, "--force", job)
    assert ran.code == 0
    result = ran.by_job()[job]
    assert (result["outcome"], result["operation"]) == ("already-finished", None)
    assert terminate_calls(tencent) == 0


def test_mixed_batch_is_partial_exit_3(cli, tencent) -> None:
    queued, running, done = (
        add(tencent, "RUNNABLE"),
        add(tencent, "RUNNING"),
        add(tencent, "SUCCEED"),
    )
    ran = cli("cancel", *BASE, queued, running, done, "job-00000000")
    assert ran.code == 3
    assert {j: r["outcome"] for j, r in ran.by_job().items()} == {
        queued: "cancelled",
        running: "refused",
        done: "already-finished",
        "job-00000000": "not-found",
    }
    assert terminate_calls(tencent) == 1


def test_job_in_another_region_is_not_found_and_region_flag_reaches_it(cli, tencent) -> None:
    job = add(tencent, "RUNNING", region="ap-shanghai")
    assert cli("terminate", *BASE, job).by_job()[job]["outcome"] == "not-found"
    ran = cli("terminate", *BASE, "--region", "ap-shanghai", job)
    assert ran.code == 0, ran.stderr
    assert ran.by_job()[job]["region"] == "ap-shanghai"
    assert tencent.job(job).terminate_requested


# -- asynchronous termination -------------------------------------------------------------


def test_termination_is_asynchronous_so_the_outcome_is_stopping(cli, tencent) -> None:
    tencent.terminate_delay = 30.0
    job = add(tencent, "RUNNING")
    ran = cli("terminate", *BASE, job)
    assert ran.code == 0, ran.stderr
    result = ran.by_job()[job]
    assert (result["outcome"], result["state_after"]) == ("stopping", "RUNNING")
    assert "asynchronous" in result["message"]
    assert tencent.job(job).terminate_requested


def test_wait_turns_stopping_into_terminated(cli, tencent, when) -> None:
    tencent.terminate_delay = 30.0
    job = add(tencent, "RUNNING")
    # The lookup, the look after TerminateJob (the job still RUNNING: `stopping`), then the
    # first of --wait's: the job finishes while jobctl is waiting for it.
    when(lambda: tencent.stats.requests.get("DescribeJobs", 0) >= 3, lambda: tencent.advance(30))
    ran = cli("terminate", *BASE, "--wait", "--poll-interval", "0.1s", "--timeout", "20s", job)
    assert ran.code == 0, ran.stderr
    assert ran.by_job()[job]["outcome"] == "terminated"


def test_wait_times_out_with_exit_5(cli, tencent) -> None:
    tencent.terminate_delay = 30.0
    job = add(tencent, "RUNNING")
    ran = cli("terminate", *BASE, "--wait", "--poll-interval", "0.1s", "--timeout", "1s", job)
    assert ran.code == 5
    assert ran.by_job()[job]["outcome"] == "stopping"


# -- SUBMITTED: Tencent refuses TerminateJob until the job moves on -----------------------


def in_use(emu: TencentBatchEmulator) -> Callable[[], bool]:
    """TerminateJob was refused because the job is SUBMITTED: jobctl is waiting it out."""
    return lambda: emu.stats.errors.get("ResourceInUse.Job", 0) > 0


def test_submitted_job_is_retried_until_it_leaves_submitted(cli, tencent, when) -> None:
    job = add(tencent, "SUBMITTED", pinned=False)
    # The emulator moves a job on after state_seconds (10) of its clock.
    when(in_use(tencent), lambda: tencent.advance(10.0))
    ran = cli("cancel", *BASE, "--timeout", "20s", job)
    assert ran.code == 0, ran.stderr
    result = ran.by_job()[job]
    assert (result["outcome"], result["state_before"]) == ("cancelled", "SUBMITTED")
    assert tencent.stats.errors.get("ResourceInUse.Job") == 1
    assert tencent.stats.terminate_accepted == 1


@pytest.mark.parametrize(
    ("args", "outcome"),
    [
        (("cancel",), "refused"),
        (("cancel", "--force"), "cancelled"),
        (("terminate",), "terminated"),
    ],
)
def test_submitted_job_that_starts_meanwhile_follows_the_matrix(
    cli, tencent, when, args, outcome
) -> None:
    job = add(tencent, "SUBMITTED")
    when(in_use(tencent), lambda: tencent.set_state(job, "RUNNING", pinned=True))
    ran = cli(*args, *BASE, "--timeout", "20s", job)
    result = ran.by_job()[job]
    assert result["outcome"] == outcome, result
    if outcome == "refused":
        assert ran.code == 1
        assert "started while jobctl waited" in result["message"]
        assert not tencent.job(job).terminate_requested
    else:
        assert ran.code == 0, ran.stderr
        assert tencent.job(job).state == "FAILED"


def test_submitted_job_that_fails_by_itself_meanwhile_is_not_claimed(cli, tencent, when) -> None:
    job = add(tencent, "SUBMITTED")
    when(in_use(tencent), lambda: tencent.set_state(job, "FAILED", pinned=True))
    ran = cli("terminate", *BASE, "--timeout", "20s", job)
    assert ran.code == 0, ran.stderr
    result = ran.by_job()[job]
    assert result["outcome"] == "already-finished"
    assert "FAILED on its own while jobctl waited" in result["message"]
    assert tencent.stats.terminate_accepted == 0


def test_submitted_job_that_never_moves_fails_at_the_timeout(cli, tencent, clock) -> None:
    job = add(tencent, "SUBMITTED")
    ran = cli("terminate", *BASE, "--timeout", "1m", job)
    assert ran.code == 1
    result = ran.by_job()[job]
    assert result["outcome"] == "failed"
    assert result["message"].startswith("ResourceInUse.Job: ")
    assert "still SUBMITTED after 60s" in result["message"]
    assert not tencent.job(job).terminate_requested
    # It gave up when its clock reached --timeout, not before and not after...
    assert clock.now == pytest.approx(60.0)
    # ...having looked calmly, not hammered: one TerminateJob; between lookups a quarter of a
    # second at first, then longer (the last wait is cut short by the deadline).
    assert terminate_calls(tencent) == 1
    assert min(clock.waits[:-1]) >= 0.25
    assert clock.waits[-2] >= 2.5
    lookups = tencent.stats.requests["DescribeJobs"]
    assert lookups == 1 + len(clock.waits)


def test_interrupt_ends_the_wait_for_a_submitted_job(tencent, when, clock) -> None:
    job = add(tencent, "SUBMITTED")
    provider = provider_for(tencent, timeout=600.0)
    before = provider.describe(refs=[JobRef("tencent", job)])[JobRef("tencent", job)]
    options = StopOptions(verb=Verb.TERMINATE, reason="x")
    stop = PlannedStop(JobRef("tencent", job), before, plan(job=before, options=options))
    interrupted = threading.Event()
    looked: list[int] = []

    def ctrl_c() -> None:
        looked.append(tencent.stats.requests.get("DescribeJobs", 0))
        interrupted.set()

    # Ctrl-C while jobctl waits for the job to leave SUBMITTED.
    when(in_use(tencent), ctrl_c)
    with pacing(RateLimiter(2.0), interrupted):
        [answer] = provider.send(stops=[stop], options=options)
    assert (answer.accepted, answer.error_code) == (False, "ResourceInUse.Job")
    assert "interrupted" in answer.message
    # The wait ended there: not at the deadline, and at most the lookup already on its way
    # was made after the interrupt.
    assert clock.now < 600
    assert tencent.stats.requests["DescribeJobs"] <= looked[0] + 1
    assert terminate_calls(tencent) == 1


# -- throttling and transient errors ------------------------------------------------------


def test_twenty_jobs_at_the_rate_limit_all_terminated(cli, tencent) -> None:
    """The emulator holds TerminateJob to 2/s; jobctl paces itself (bench/tencent_rate.py
    measures how close it runs to the limit)."""
    jobs = [add(tencent, "RUNNING") for _ in range(20)]
    ran = cli("terminate", *BASE, *jobs)
    assert ran.code == 0, ran.stderr
    assert [r["job_id"] for r in ran.json()["results"]] == jobs
    assert {r["outcome"] for r in ran.json()["results"]} == {"terminated"}
    assert ran.json()["summary"] == {"total": 20, "ok": 20, "failed": 0}
    assert tencent.stats.terminate_accepted == 20


def test_request_limit_exceeded_is_retried(cli, tencent) -> None:
    # --rate far above the emulator's 2/s: the refusals must be absorbed, not reported.
    jobs = [add(tencent, "RUNNING") for _ in range(4)]
    ran = cli("terminate", *BASE, "--rate", "50", *jobs)
    assert ran.code == 0, ran.stderr
    assert {r["outcome"] for r in ran.json()["results"]} == {"terminated"}
    assert tencent.stats.rate_limited > 0
    assert tencent.stats.terminate_accepted == 4


def test_internal_errors_and_dropped_connections_are_retried(cli, tencent) -> None:
    tencent.terminate_rate = None
    # One request at a time, so the seeded faults land the same way on every run: this seed
    # drops two connections and answers InternalError twice, never five times to one job.
    tencent.set_faults(internal_error_rate=0.4, drop_rate=0.2, actions=["TerminateJob"], seed=5)
    jobs = [add(tencent, "RUNNING") for _ in range(6)]
    ran = cli("terminate", *BASE, "--rate", "100", "--concurrency", "1", *jobs)
    assert ran.code == 0, ran.stderr
    assert {r["outcome"] for r in ran.json()["results"]} == {"terminated"}
    stats = tencent.stats
    assert (stats.errors.get("InternalError"), stats.dropped) == (2, 2)
    assert stats.terminate_accepted == 6


def test_lookup_errors_are_retried(cli, tencent) -> None:
    tencent.set_faults(internal_error_rate=0.5, actions=["DescribeJobs"], seed=1)
    job = add(tencent, "RUNNING")
    ran = cli("terminate", *BASE, job)
    assert ran.code == 0, ran.stderr
    assert tencent.stats.errors.get("InternalError", 0) > 0


def test_retries_that_run_out_fail_with_the_provider_error_code(cli, tencent) -> None:
    tencent.set_faults(internal_error_rate=1.0, actions=["TerminateJob"])
    job = add(tencent, "RUNNING")
    ran = cli("terminate", *BASE, "--timeout", "1s", job)
    assert ran.code == 1
    result = ran.by_job()[job]
    assert result["outcome"] == "failed"
    assert result["message"].startswith("InternalError: ")
    assert terminate_calls(tencent) >= 2


# -- reason, validation, credentials, region ----------------------------------------------


def test_reason_is_not_sent_but_noticed_and_kept(cli, tencent, clean_env: Path) -> None:
    job = add(tencent, "RUNNABLE")
    ran = cli("cancel", *BASE, "-r", "bad input data", "--reason-code", "DATA_BUG", job)
    assert ran.code == 0, ran.stderr
    notices = [line for line in ran.stderr.splitlines() if "reason" in line]
    assert len(notices) == 1
    assert "no reason field" in notices[0]
    result = ran.by_job()[job]
    assert result["request"] == {"JobId": job}
    assert result["extra"] == {"reason": "bad input data", "reason_code": "DATA_BUG"}
    log = clean_env / "state" / "jobctl" / "audit.jsonl"
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["record"] for e in entries] == ["request", "answer", "final"]
    entry = entries[-1]
    assert (entry["provider"], entry["job"], entry["operation"]) == ("tencent", job, "TerminateJob")
    assert (entry["reason"], entry["reason_code"]) == ("bad input data", "DATA_BUG")


def test_no_notice_without_a_reason(cli, tencent) -> None:
    job = add(tencent, "RUNNABLE")
    ran = cli("cancel", *BASE, job)
    assert ran.code == 0
    assert "reason" not in ran.stderr


def test_dry_run_shows_the_native_request_and_sends_none(cli, tencent) -> None:
    queued, submitted = add(tencent, "RUNNABLE"), add(tencent, "SUBMITTED")
    ran = cli("terminate", *BASE, "-n", "-r", "drain", queued, submitted)
    assert ran.code == 0
    results = ran.by_job()
    assert {r["outcome"] for r in results.values()} == {"planned"}
    assert results[queued]["request"] == {"JobId": queued}
    assert results[queued]["extra"] == {"reason": "drain"}
    assert "SUBMITTED" in results[submitted]["message"]
    assert terminate_calls(tencent) == 0


@pytest.mark.parametrize(
    "bad", ["job-ABCDEFGH", "job-1234567", "1d828f65-7a6d-42a3", "job 12345678"]
)
def test_malformed_job_id_is_exit_2_before_any_request(cli, tencent, bad) -> None:
    ran = cli("terminate", *BASE, add(tencent, "RUNNING"), bad)
    assert ran.code == 2
    assert ran.stdout == ""
    assert "job-rybewp57" in ran.stderr
    assert tencent.stats.total_requests == 0


def test_bad_secret_is_refused_and_nothing_stops(cli, tencent, monkeypatch) -> None:
    job = add(tencent, "RUNNING")
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "not-" + TENCENT_SECRET_KEY)
    ran = cli("terminate", *BASE, job)
    assert ran.code == 4
    assert ran.stdout == ""
    assert "AuthFailure.SignatureFailure" in ran.stderr
    assert "TENCENTCLOUD_SECRET_KEY" in ran.stderr
    assert tencent.stats.errors == {"AuthFailure.SignatureFailure": 1}
    assert not tencent.job(job).terminate_requested


def test_unknown_secret_id_is_refused(cli, tencent, monkeypatch) -> None:
    job = add(tencent, "RUNNING")
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", TENCENT_SECRET_ID + "x")
    ran = cli("terminate", *BASE, job)
    assert ran.code == 4
    assert "AuthFailure.SecretIdNotFound" in ran.stderr


def test_no_credentials_is_exit_4_with_the_fix(cli, tencent, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("TENCENTCLOUD_SECRET_ID")
    monkeypatch.delenv("TENCENTCLOUD_SECRET_KEY")
    # The SDK's profile file lives in ~: point ~ at an empty directory.
    monkeypatch.setenv("HOME", str(tmp_path))
    if Path("/etc/tencentcloud/credentials").exists():
        pytest.skip("this machine has /etc/tencentcloud/credentials")
    ran = cli("terminate", *BASE, add(tencent, "RUNNING"))
    assert ran.code == 4
    assert ran.stdout == ""
    assert "no Tencent Cloud credentials" in ran.stderr
    assert "TENCENTCLOUD_SECRET_ID" in ran.stderr
    assert tencent.stats.total_requests == 0


def test_profile_file_credentials_are_used(cli, tencent, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("TENCENTCLOUD_SECRET_ID")
    monkeypatch.delenv("TENCENTCLOUD_SECRET_KEY")
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".tencentcloud").mkdir()
    (tmp_path / ".tencentcloud" / "credentials").write_text(
        f"[default]\nsecret_id = {TENCENT_SECRET_ID}\nsecret_key = {TENCENT_SECRET_KEY}\n"
    )
    job = add(tencent, "RUNNING")
    ran = cli("terminate", *BASE, job)
    assert ran.code == 0, ran.stderr
    assert tencent.job(job).terminate_requested


def test_no_region_is_exit_4_with_the_fix(cli, tencent, monkeypatch) -> None:
    monkeypatch.delenv("TENCENTCLOUD_REGION")
    ran = cli("terminate", *BASE, add(tencent, "RUNNING"))
    assert ran.code == 4
    assert "no Tencent Cloud region" in ran.stderr
    assert "TENCENTCLOUD_REGION" in ran.stderr
    assert tencent.stats.total_requests == 0


def test_region_and_endpoint_from_the_config_file(cli, tencent, monkeypatch, clean_env) -> None:
    monkeypatch.delenv("TENCENTCLOUD_REGION")
    monkeypatch.delenv("TENCENTCLOUD_ENDPOINT_URL")
    config = clean_env / "config" / "jobctl" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        f'[providers.tencent]\nregion = "ap-shanghai"\nendpoint_url = "{tencent.url}"\n'
    )
    job = add(tencent, "RUNNING", region="ap-shanghai")
    ran = cli("terminate", *BASE, job)
    assert ran.code == 0, ran.stderr
    assert ran.by_job()[job]["region"] == "ap-shanghai"


def test_unusable_endpoint_url_is_exit_4(cli, tencent) -> None:
    ran = cli("terminate", *BASE, "--endpoint-url", "ftp://127.0.0.1:1", add(tencent, "RUNNING"))
    assert ran.code == 4
    assert "--endpoint-url" in ran.stderr


# -- lookups: status, list, batching ------------------------------------------------------


def test_status_shows_state_and_phase(cli, tencent) -> None:
    a, b = add(tencent, "RUNNABLE"), add(tencent, "RUNNING")
    ran = cli("status", *BASE, a, b, "job-00000000")
    assert ran.code == 3
    rows = {r["job_id"]: r for r in ran.json()["results"]}
    assert (rows[a]["state"], rows[a]["phase"]) == ("RUNNABLE", "queued")
    assert (rows[b]["state"], rows[b]["phase"]) == ("RUNNING", "running")
    assert rows[b]["extra"] == {"zone": "ap-guangzhou-3"}
    assert rows["job-00000000"]["phase"] == "not-found"


def test_describe_batches_by_100(tencent) -> None:
    jobs = [add(tencent, "RUNNING") for _ in range(150)]
    provider = provider_for(tencent)
    refs = [JobRef("tencent", j) for j in [*jobs, "job-00000000"]]
    found = provider.describe(refs=refs)
    assert {ref.job_id for ref in found} == set(jobs)
    assert tencent.stats.requests == {"DescribeJobs": 2}


def test_list_jobs_follows_every_page_and_filters_on_the_server(tencent) -> None:
    old = time.time() - 3600
    running = [add(tencent, "RUNNING", created_at=old) for _ in range(130)]
    add(tencent, "SUCCEED")
    named = tencent.add_job(name="nightly-etl", state="RUNNABLE", pinned=True)
    provider = provider_for(tencent)

    listed = provider.list_jobs(selection=Selection(states=frozenset({"RUNNING"})))
    assert sorted(j.job_id for j in listed) == sorted(running)
    assert all(j.created_at is not None and abs(j.created_at - old) < 1 for j in listed)
    assert tencent.stats.requests == {"DescribeJobs": 2}

    by_name = Selection(states=frozenset({"RUNNABLE", "RUNNING"}), name_glob="nightly-etl")
    assert [j.job_id for j in provider.list_jobs(selection=by_name)] == [named]


def test_list_command_shows_tencent_jobs(cli, tencent) -> None:
    job = tencent.add_job(name="train", state="RUNNING", pinned=True)
    tencent.add_job(name="done", state="SUCCEED")
    ran = cli("list", *BASE, "--status", "running")
    assert ran.code == 0, ran.stderr
    assert [(r["job_id"], r["name"], r["state"]) for r in ran.json()["results"]] == [
        (job, "train", "RUNNING")
    ]
