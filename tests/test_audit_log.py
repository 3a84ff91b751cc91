"""The audit log as a user relies on it: a line as each answer arrives, the final outcome at
the end, SIGTERM and SIGHUP like Ctrl-C, and a blocked log never hangs a stop run.

Subprocess tests run `python -m jobctl` against moto's server (through the recording proxy)
or the Tencent emulator. A `timeout=` guards each against a hang; none asserts how long it took.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.proxy import Proxy

# A hang guard: only a jobctl that never ends gets near it.
GUARD = 120


def audit_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "jobctl" / "audit.jsonl"


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def jobctl(*args: str) -> list[str]:
    return [sys.executable, "-m", "jobctl", *args]


@pytest.fixture
def start():
    """Start jobctl; whatever is still running when the test ends is killed, by its pid."""
    started: list[subprocess.Popen[bytes]] = []

    def spawn(*args: str, **kwargs: Any) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            jobctl(*args), env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            **kwargs,
        )  # fmt: skip
        started.append(process)
        return process

    yield spawn
    for process in started:
        if process.poll() is None:
            process.kill()
            process.communicate()


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        jobctl(*args), capture_output=True, text=True, env=dict(os.environ), timeout=GUARD,
        check=False,
    )  # fmt: skip


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + GUARD
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def read_until(fd: int, marker: bytes) -> bytes:
    seen = b""
    deadline = time.monotonic() + GUARD
    while marker not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"never saw {marker!r}; got {seen!r}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            chunk = os.read(fd, 4096)
            assert chunk, f"stderr closed before {marker!r}; got {seen!r}"
            seen += chunk
    return seen


def stops_sent(proxy: Proxy) -> list[str]:
    return [json.loads(s.body)["jobId"] for s in list(proxy.seen) if s.action == "canceljob"]


def kept_aside(log: Path) -> list[dict[str, Any]]:
    """The records jobctl could not write to `log`, from the file it said it kept them in."""
    [aside] = log.parent.glob(f"{log.name}.unwritten-*")
    return records(aside)


def open_log(tmp_path: Path) -> tuple[Path, int]:
    """The audit log's path, the file created, and a descriptor on it for a test to lock."""
    path = audit_path(tmp_path)
    path.parent.mkdir(parents=True)
    return path, os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)


@pytest.fixture
def held_lock(tmp_path: Path):
    """The audit log locked by another holder for the whole test."""
    path, fd = open_log(tmp_path)
    fcntl.flock(fd, fcntl.LOCK_EX)
    yield path
    os.close(fd)


# -- item 2: written as each answer arrives; the final outcome too ---------------------------


def test_kill_9_loses_no_stop_request(batch, proxy, tmp_path, start, no_bulk) -> None:
    """SIGKILL mid-run: every stop the server took has its request record, written before the
    request left; at most the requests about to leave (--concurrency) have one and were not
    taken."""
    jobs = [batch.add_job("RUNNABLE") for _ in range(200)]
    proxy.delays["canceljob"] = 0.05
    ids = tmp_path / "ids"
    ids.write_text("\n".join(jobs) + "\n")
    with ids.open("rb") as stdin:
        process = start(
            "cancel", "-p", "aws-batch", "--endpoint-url", proxy.url, "--yes", "-o", "json",
            "--concurrency", "8", "-", stdin=stdin,
        )  # fmt: skip
    wait_for(lambda: len(proxy.stopped()) >= 60, "the run never took 60 stops")
    process.kill()
    process.communicate(timeout=GUARD)
    # Requests held in the proxy when jobctl died still reach moto: let them all land.
    wait_for(
        lambda: (
            proxy.operations().count("canceljob")
            == proxy.operations(forwarded=True).count("canceljob")
        ),
        "the proxy never forwarded what it held",
    )
    taken = set(proxy.stopped())
    assert 60 <= len(taken) < 200
    lines = records(audit_path(tmp_path))
    asked = {line["job"] for line in lines if line["record"] == "request"}
    asked_alone = {
        line["job"]
        for line in lines
        if line["record"] == "request" and line["operation"] == "CancelJob"
    }
    assert taken <= asked_alone <= asked
    assert len(asked_alone - taken) <= 8  # --concurrency: at most the requests about to leave
    answered = {line["job"] for line in lines if line["record"] == "answer"}
    assert answered <= taken


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_act_as_ctrl_c(batch, proxy, tmp_path, start, signum, no_bulk) -> None:
    jobs = [batch.add_job("RUNNABLE") for _ in range(40)]
    process = start(
        "cancel", "-p", "aws-batch", "--endpoint-url", proxy.url, "--yes", "-o", "json",
        "--rate", "5", "--concurrency", "1", *jobs,
    )  # fmt: skip
    wait_for(lambda: len(stops_sent(proxy)) >= 3, "the run never started sending")
    process.send_signal(signum)
    out, err = process.communicate(timeout=GUARD)
    assert process.returncode == 130, err
    assert b"interrupted" in err
    assert b"Traceback" not in err
    results = json.loads(out)["results"]
    assert [r["job_id"] for r in results] == jobs
    sent = set(stops_sent(proxy))
    told = {r["job_id"]: r["outcome"] for r in results}
    assert {job for job, outcome in told.items() if outcome != "skipped"} == sent
    assert 3 <= len(sent) < 40
    lines = records(audit_path(tmp_path))
    answers = {
        line["job"]: line["outcome"]
        for line in lines
        if line.get("record") == "answer" and line["operation"] == "CancelJob"
    }
    finals = {line["job"]: line["outcome"] for line in lines if line.get("record") == "final"}
    assert answers == dict.fromkeys(sent, "stopping")
    # The probe's answer, for each of its jobs: the endpoint has no CancelJobs.
    probed = {line["job"] for line in lines if line["operation"] == "CancelJobs"
              and line.get("record") == "answer" and line["outcome"] == "skipped"}  # fmt: skip
    assert probed == set(jobs)
    # Every job went in the first request (the probe: this endpoint has no CancelJobs), so
    # each has a final record: cancelled if sent again alone, else skipped.
    assert finals == told
    assert {finals[job] for job in sent} == {"cancelled"}


def test_sigterm_while_a_bulk_request_is_out_reports_its_jobs_and_skips_the_rest(
    batch, proxy, tmp_path, start
) -> None:
    """150 jobs, three CancelJobs of 50, one at a time: SIGTERM while the first is held at the
    proxy. Its answer still comes back and its 50 jobs are reported and audited as what they
    became; the 100 never sent are `skipped`, with no record; exit 130."""
    import threading

    jobs = [batch.add_job("RUNNABLE") for _ in range(150)]
    release = threading.Event()
    proxy.before["canceljobs"] = lambda _: release.wait(GUARD)
    process = start(
        "cancel", "-p", "aws-batch", "--endpoint-url", proxy.url, "--yes", "-o", "json",
        "--concurrency", "1", *jobs,
    )  # fmt: skip
    assert process.stderr is not None
    wait_for(lambda: "canceljobs" in proxy.operations(), "the first CancelJobs never left")
    process.send_signal(signal.SIGTERM)
    said = read_until(process.stderr.fileno(), b"interrupted")
    release.set()  # the answer comes back after jobctl took the signal
    out, err = process.communicate(timeout=GUARD)
    assert process.returncode == 130, said + err
    assert b"Traceback" not in said + err
    results = json.loads(out)["results"]
    assert [r["job_id"] for r in results] == jobs
    told = {r["job_id"]: r["outcome"] for r in results}
    first = jobs[:50]
    assert proxy.operations().count("canceljobs") == 1
    assert sorted(proxy.stopped()) == sorted(first)
    assert {told[job] for job in first} == {"cancelled"}
    assert {told[job] for job in jobs[50:]} == {"skipped"}
    lines = records(audit_path(tmp_path))
    answers = {line["job"]: line for line in lines if line.get("record") == "answer"}
    finals = {line["job"]: line["outcome"] for line in lines if line.get("record") == "final"}
    assert sorted(answers) == sorted(first)
    assert {line["operation"] for line in answers.values()} == {"CancelJobs"}
    assert finals == dict.fromkeys(first, "cancelled")


def test_a_wait_run_ends_the_log_with_the_outcome_the_user_was_told(cli, batch, tmp_path) -> None:
    batch.stop_delay = 0.6
    jobs = [batch.add_job("RUNNABLE") for _ in range(3)]
    ran = cli("cancel", "-p", "aws-batch", "-o", "json", "--wait", "--poll-interval", "0.2s", *jobs)
    assert ran.code == 0, ran.stderr
    assert {r["outcome"] for r in ran.json()["results"]} == {"cancelled"}
    lines = records(audit_path(tmp_path))
    last = {line["job"]: line for line in lines}
    assert {
        job: (line.get("record"), line["outcome"], line["state_after"])
        for job, line in last.items()
    } == dict.fromkeys(jobs, ("final", "cancelled", "FAILED"))
    # Before it, each job's answer, as it arrived: accepted, not yet final.
    answers = [line for line in lines if line.get("record") == "answer"]
    assert sorted(line["job"] for line in answers) == sorted(jobs)
    assert {line["outcome"] for line in answers} == {"stopping"}
    assert all(lines.index(a) < lines.index(last[a["job"]]) for a in answers)
    assert set(lines[0]) >= {"time", "user", "host", "verb", "operation", "reason", "request_id"}


def test_tencent_answer_line_is_there_before_the_wait_ends(cli, tencent, tmp_path) -> None:
    tencent.terminate_delay = 30.0
    job = tencent.add_job(name="busy", state="RUNNING", pinned=True)
    log = audit_path(tmp_path)

    def finish_once_logged() -> None:
        # The job ends only once its answer is in the log: a log written late never sees it.
        deadline = time.monotonic() + GUARD

        def answered() -> bool:
            try:
                return any(r["record"] == "answer" for r in records(log))
            except ValueError:
                return False  # a line read while it was being written

        while not answered() and time.monotonic() < deadline:
            time.sleep(0.02)
        tencent.advance(30.0)

    helper = threading.Thread(target=finish_once_logged, daemon=True)
    helper.start()
    ran = cli(
        "terminate", "-p", "tencent", "-o", "json", "--wait", "--poll-interval", "0.1s",
        "--timeout", "20s", job,
    )  # fmt: skip
    helper.join(timeout=GUARD)
    assert ran.code == 0, ran.stderr
    assert ran.by_job()[job]["outcome"] == "terminated"
    lines = records(log)
    assert [(line.get("record"), line["outcome"]) for line in lines] == [
        ("request", None),
        ("answer", "stopping"),
        ("final", "terminated"),
    ]


# -- item 3: a blocked log is a warning, never a hang ----------------------------------------


def test_a_fifo_with_no_reader_is_a_warning_and_the_stops_go_on(
    batch, proxy, tmp_path, monkeypatch
) -> None:
    fifo = tmp_path / "audit.fifo"
    os.mkfifo(fifo)
    monkeypatch.setenv("JOBCTL_AUDIT_LOG", str(fifo))
    queued = [batch.add_job("RUNNABLE") for _ in range(3)]
    running = batch.add_job("RUNNING")
    done = run(
        "cancel", "-p", "aws-batch", "--endpoint-url", proxy.url, "-o", "json", *queued, running
    )
    assert done.returncode == 3, done.stderr  # what the results earn: one refused
    outcomes = {r["job_id"]: r["outcome"] for r in json.loads(done.stdout)["results"]}
    assert outcomes == {**dict.fromkeys(queued, "cancelled"), running: "refused"}
    assert sorted(proxy.stopped()) == sorted(queued)
    assert f"audit log {fifo}: not a regular file" in done.stderr
    assert "9 audit records could not be written" in done.stderr  # request, answer, final
    kept = kept_aside(fifo)
    assert sorted(r["job"] for r in kept if r["record"] == "final") == sorted(queued)


def test_a_log_locked_by_another_holder_is_a_warning_and_the_stops_go_on(
    batch, proxy, held_lock, monkeypatch
) -> None:
    monkeypatch.setenv("JOBCTL_AUDIT_TIMEOUT", "0.3s")
    jobs = [batch.add_job("RUNNABLE") for _ in range(5)]
    done = run("cancel", "-p", "aws-batch", "--endpoint-url", proxy.url, "-o", "json", *jobs)
    assert done.returncode == 0, done.stderr
    assert {r["outcome"] for r in json.loads(done.stdout)["results"]} == {"cancelled"}
    assert sorted(proxy.stopped()) == sorted(jobs)
    assert "locked by another process" in done.stderr
    assert held_lock.read_text() == ""
    kept = kept_aside(held_lock)
    assert sorted((r["job"], r["record"]) for r in kept) == sorted(
        [(job, kind) for job in jobs for kind in ("request", "answer", "final")]
    )


def test_two_sigints_while_the_log_is_locked_leave_with_130(
    batch, proxy, tmp_path, monkeypatch, start, no_bulk
) -> None:
    # jobctl would wait for the lock far longer than the guard: only leaving at once passes.
    monkeypatch.setenv("JOBCTL_AUDIT_TIMEOUT", "1h")
    held_lock, holder = open_log(tmp_path)
    # Locked once the first stop request is out (its request record is in): the answers wait.
    proxy.before["canceljob"] = lambda _: fcntl.flock(holder, fcntl.LOCK_EX)
    jobs = [batch.add_job("RUNNABLE") for _ in range(4)]
    process = start(
        "cancel", "-p", "aws-batch", "--endpoint-url", proxy.url, "--yes", "-o", "json",
        "--concurrency", "1", *jobs,
    )  # fmt: skip
    assert process.stderr is not None
    wait_for(lambda: len(proxy.stopped()) >= 1, "the run never sent a stop")
    process.send_signal(signal.SIGINT)
    read_until(process.stderr.fileno(), b"interrupted")
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=GUARD)
    assert process.returncode == 130, err
    assert b"Traceback" not in err
    assert b"kept in" in err
    taken = set(proxy.stopped())
    assert {r["job"] for r in kept_aside(held_lock) if r["record"] == "answer"} == taken
    written = {r["job"] for r in records(held_lock) if r["operation"] == "CancelJob"}
    assert taken <= written  # each request's record went in before it left
    os.close(holder)


def test_ctrl_c_while_a_request_record_waits_for_a_locked_log_sends_nothing(
    batch, proxy, tmp_path, monkeypatch, start
) -> None:
    """The log is locked when the first request's record is to be written: jobctl waits for
    it (JOBCTL_AUDIT_TIMEOUT), and a Ctrl-C meanwhile means that request never leaves. Each
    job is skipped; its record says it was asked for, and its final one that it was not sent."""
    monkeypatch.setenv("JOBCTL_AUDIT_TIMEOUT", "1h")
    log, holder = open_log(tmp_path)
    fcntl.flock(holder, fcntl.LOCK_EX)
    jobs = [batch.add_job("RUNNABLE") for _ in range(60)]
    process = start(
        "cancel", "-p", "aws-batch", "--endpoint-url", proxy.url, "--yes", "-o", "json",
        "--concurrency", "1", *jobs,
    )  # fmt: skip
    assert process.stderr is not None

    def waiting_for_the_log() -> bool:
        """jobctl has the log open: it is waiting for the lock (it never holds it open else)."""
        for fd in Path(f"/proc/{process.pid}/fd").iterdir():
            try:
                if os.readlink(fd) == str(log):
                    return True
            except OSError:
                continue  # closed while we looked
        return False

    wait_for(waiting_for_the_log, "jobctl never opened the audit log")
    process.send_signal(signal.SIGINT)
    said = read_until(process.stderr.fileno(), b"interrupted")
    fcntl.flock(holder, fcntl.LOCK_UN)
    os.close(holder)
    out, err = process.communicate(timeout=GUARD)
    assert process.returncode == 130, said + err
    assert proxy.stopped() == []
    assert [s for s in proxy.seen if s.operation in ("canceljob", "canceljobs")] == []
    results = json.loads(out)["results"]
    assert {r["outcome"] for r in results} == {"skipped"}
    lines = records(log)
    first = [line["job"] for line in lines if line["record"] == "request"]
    assert len(first) == 50  # the first request's jobs: asked for, then not sent
    finals = {line["job"]: line["outcome"] for line in lines if line["record"] == "final"}
    assert finals == dict.fromkeys(first, "skipped")
    assert [line for line in lines if line["record"] == "answer"] == []


def test_records_kept_while_the_log_is_locked_are_written_once_it_is_free(tmp_path) -> None:
    from jobctl.audit import AuditLog
    from jobctl.models import Outcome, Result, StopOptions, Verb

    warnings: list[str] = []
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, warn=warnings.append, limit=0.05)
    options = StopOptions(verb=Verb.CANCEL, reason="drain")

    def result(job: str) -> Result:
        return Result("aws-batch", "us-east-1", job, "cancel", Outcome.STOPPING)

    holder = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    fcntl.flock(holder, fcntl.LOCK_EX)
    log.record(result("a"), options, kind="answer")
    log.record(result("b"), options, kind="answer")
    assert path.read_text() == ""
    assert len(warnings) == 1
    assert "locked by another process" in warnings[0]
    os.close(holder)
    log.record(result("c"), options, kind="answer")
    log.close()
    assert [(r["job"], r["record"]) for r in records(path)] == [
        ("a", "answer"),
        ("b", "answer"),
        ("c", "answer"),
    ]
    assert len(warnings) == 1
    assert list(tmp_path.glob("audit.jsonl.unwritten-*")) == []


def test_the_second_signal_leaves_even_when_writing_down_what_was_sent_blocks(tmp_path) -> None:
    """A stalled stderr or a stream lock held by a thread mid-write must not keep jobctl:
    here the report of what was sent blocks for ever, and the second SIGINT still ends it."""
    script = tmp_path / "blocked.py"
    script.write_text(
        "import sys, threading\n"
        "from jobctl.safety import interruptible\n"
        "stop = threading.Event()\n"
        "with interruptible(stop, notice=lambda text: print('first', flush=True),\n"
        "                   on_second=lambda: threading.Event().wait()):\n"
        "    print('ready', flush=True)\n"
        # As jobctl's main thread waits: in short waits, since a signal that lands just before
        # a wait without a limit begins is handled only when that wait ends (CPython).
        "    while True:\n"
        "        threading.Event().wait(0.05)\n"
    )
    process = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == b"ready\n"
        process.send_signal(signal.SIGINT)
        # The first one only sets the flag and says so; the second finds it set.
        assert process.stdout.readline() == b"first\n"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=GUARD) == 130
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_a_write_cut_short_leaves_no_cut_line(tmp_path, monkeypatch) -> None:
    """The disk fills half way through a write: the half that went in is taken back, the
    records stay pending, and the next write puts them in whole."""
    import jobctl.audit
    from jobctl.audit import AuditLog
    from jobctl.models import Outcome, Result, StopOptions, Verb

    path = tmp_path / "audit.jsonl"
    warnings: list[str] = []
    log = AuditLog(path, warn=warnings.append, limit=0.05)
    options = StopOptions(verb=Verb.CANCEL, reason="drain")
    log.record(Result("aws-batch", "us-east-1", "a", "cancel", Outcome.STOPPING), options,
               kind="answer")  # fmt: skip
    real_write = os.write
    full = {"on": True}

    def write(fd: int, data: bytes) -> int:
        if full["on"]:
            real_write(fd, bytes(data[: len(data) // 2]))
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(jobctl.audit.os, "write", write)
    log.record(Result("aws-batch", "us-east-1", "b", "cancel", Outcome.STOPPING), options,
               kind="answer")  # fmt: skip
    assert [line["job"] for line in records(path)] == ["a"]  # no half line of b
    assert warnings
    assert "No space left on device" in warnings[0]
    full["on"] = False
    log.record(Result("aws-batch", "us-east-1", "c", "cancel", Outcome.STOPPING), options,
               kind="answer")  # fmt: skip
    assert [line["job"] for line in records(path)] == ["a", "b", "c"]
