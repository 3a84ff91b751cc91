"""The installed `jobctl` as a real process: a pty for [y/N], SIGINT in the middle of a run."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

JOBCTL = shutil.which("jobctl")
pytestmark = pytest.mark.skipif(JOBCTL is None, reason="jobctl is not installed on PATH")


def start(*args: str, **kwargs) -> subprocess.Popen[bytes]:
    assert JOBCTL is not None
    return subprocess.Popen([JOBCTL, *args], env=dict(os.environ), **kwargs)


def read_until(fd: int, marker: bytes, timeout: float = 20) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"never saw {marker!r}; got {seen!r}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                break
    return seen


def audit(tmp_path: Path) -> list[dict]:
    path = tmp_path / "state" / "jobctl" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_installed_jobctl_cancels_against_moto(batch) -> None:
    queued, running = batch.add_job("RUNNABLE"), batch.add_job("RUNNING")
    done = subprocess.run(
        [JOBCTL, "cancel", "-p", "aws-batch", "-o", "json", queued, running],
        capture_output=True, text=True, env=dict(os.environ), timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    outcomes = {r["job_id"]: r["outcome"] for r in json.loads(done.stdout)["results"]}
    assert outcomes == {queued: "cancelled", running: "refused"}


@pytest.mark.parametrize(("answer", "code"), [(b"y\n", 0), (b"n\n", 2), (b"\n", 2)])
def test_selection_on_a_terminal_previews_and_asks(batch, proxy, answer, code) -> None:
    jobs = [batch.add_job("RUNNABLE", name=f"etl-{n}", queue="prod-q", age=7200) for n in range(3)]
    controller, terminal = pty.openpty()
    process = start(
        "cancel", "-p", "aws-batch", "--endpoint-url", proxy.url, "--queue", "prod-q",
        "--status", "RUNNABLE", "--older-than", "1h", "-o", "json",
        stdin=terminal, stderr=terminal, stdout=subprocess.PIPE,
    )  # fmt: skip
    os.close(terminal)
    try:
        shown = read_until(controller, b"[y/N]")
        assert b"3 RUNNABLE jobs in aws-batch queue prod-q, older than 1h, us-east-1" in shown
        assert jobs[0].encode() in shown
        os.write(controller, answer)
        out, _ = process.communicate(timeout=60)
    finally:
        os.close(controller)
        if process.poll() is None:
            process.kill()
    assert process.returncode == code
    stops = [a for a in proxy.actions() if a in ("canceljob", "canceljobs")]
    if code == 0:
        assert {r["outcome"] for r in json.loads(out)["results"]} == {"cancelled"}
        assert stops
    else:
        assert stops == []
        assert all(not batch.job(j).stop for j in jobs)


def test_first_sigint_stops_sending_and_reports_every_job(batch, proxy, tmp_path, no_bulk) -> None:
    jobs = [batch.add_job("RUNNABLE") for _ in range(40)]
    process = start(
        "cancel", "-p", "aws-batch", "--endpoint-url", proxy.url, "--yes", "-o", "json",
        "--rate", "5", "--concurrency", "1", *jobs,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while len([a for a in proxy.actions() if a == "canceljob"]) < 3:
        assert time.monotonic() < deadline, "the run never started sending"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert b"interrupted: sending nothing more" in err
    results = json.loads(out)["results"]
    assert [r["job_id"] for r in results] == jobs
    outcomes = [r["outcome"] for r in results]
    assert set(outcomes) == {"cancelled", "skipped"}
    assert 3 <= outcomes.count("cancelled") < 40
    sent = {json.loads(s.body)["jobId"] for s in proxy.seen if s.action == "canceljob"}
    assert {r["job_id"] for r in results if r["outcome"] == "cancelled"} == sent
    lines = audit(tmp_path)
    # All 40 went in the first request, the probe (this endpoint has no CancelJobs): each has
    # that request's record and a final one; those sent again alone, their own request and
    # answer as well.
    assert {line["job"] for line in lines if line["operation"] == "CancelJobs"} == set(jobs)
    alone = {line["job"] for line in lines if line["record"] in ("request", "answer")
             and line["operation"] == "CancelJob"}  # fmt: skip
    assert alone == sent
    finals = {line["job"]: line["outcome"] for line in lines if line["record"] == "final"}
    assert finals == {r["job_id"]: r["outcome"] for r in results}
    assert all(not batch.job(r["job_id"]).stop for r in results if r["outcome"] == "skipped")


def test_second_sigint_leaves_at_once_and_the_audit_log_keeps_what_was_sent(
    batch, proxy, tmp_path, no_bulk
) -> None:
    jobs = [batch.add_job("RUNNABLE") for _ in range(4)]
    # Every stop request hangs in flight, far longer than the run may take to leave.
    proxy.delays["canceljob"] = 60.0
    process = start(
        "cancel", "-p", "aws-batch", "--endpoint-url", proxy.url, "--yes", "-o", "json",
        "--concurrency", "4", *jobs, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    deadline = time.monotonic() + 30
    while len([a for a in proxy.actions() if a == "canceljob"]) < 4:
        assert time.monotonic() < deadline, "the run never sent its requests"
        time.sleep(0.05)
    try:
        process.send_signal(signal.SIGINT)
        # The second Ctrl-C once the first has been taken (two at once would count as one).
        first = read_until(process.stderr.fileno(), b"interrupted: sending nothing more")
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    err = first + rest
    assert process.returncode == 130, err
    # It left without the answers (the proxy still holds every request): each job's audit
    # line says its stop was sent and no answer came.
    assert [s for s in proxy.forwarded if s.operation == "canceljob"] == []
    lines = audit(tmp_path)
    sent_alone = [line for line in lines if line["operation"] == "CancelJob"]
    assert sorted((line["record"], line["job"]) for line in sent_alone) == sorted(
        [(kind, job) for job in jobs for kind in ("request", "unanswered")]
    )
    unanswered = [line for line in lines if line["record"] == "unanswered"]
    assert {line["message"] for line in unanswered} == {"stop request sent; no answer yet"}


def test_a_terminal_gets_a_live_view_on_stderr_and_a_pipe_gets_none(batch) -> None:
    batch.stop_delay = 1.0
    jobs = [batch.add_job("RUNNABLE") for _ in range(3)]
    args = ("cancel", "-p", "aws-batch", "-o", "json", "--wait", "--poll-interval", "0.2s", *jobs)
    controller, terminal = pty.openpty()
    process = start(*args, stdin=subprocess.DEVNULL, stderr=terminal, stdout=subprocess.PIPE)
    os.close(terminal)
    try:
        drawn = read_until(controller, b"cancelling")
        out, _ = process.communicate(timeout=60)
    finally:
        os.close(controller)
    assert process.returncode == 0
    assert b"cancelling" in drawn
    assert {r["outcome"] for r in json.loads(out)["results"]} == {"cancelled"}
    piped = subprocess.run(
        [JOBCTL, *args[:-3], *[batch.add_job("RUNNABLE") for _ in range(3)]],
        capture_output=True, env=dict(os.environ), timeout=60, check=False,
    )  # fmt: skip
    assert piped.returncode == 0
    assert piped.stderr == b""
