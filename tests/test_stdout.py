"""Standard output that goes away or fails: the run is the same; only the report is lost.

Real processes (`python -m jobctl`, as the console script runs it) against moto's server, with
stdout a pipe whose reader leaves after one read, no stdout at all (`>&-`), or /dev/full.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

FORMATS = ["table", "plain", "json", "ndjson"]
F_SETPIPE_SZ = 1031  # Linux: a pipe's capacity, here one page
# Every result carries the reason, so a dozen jobs make a report of more than two pipefuls.
REASON = "stdout-test " + "x" * 988
NOISE = ("Exception ignored", "Traceback", "BrokenPipeError")


def jobctl(*args: str) -> list[str]:
    return [sys.executable, "-m", "jobctl", *args]


def environment(*, buffered: bool = True) -> dict[str, str]:
    env = dict(os.environ)
    # A user's default: stdout block-buffered, so the interpreter flushes it again at exit.
    env.pop("PYTHONUNBUFFERED", None)
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    return env


def audit(tmp_path: Path) -> list[dict]:
    path = tmp_path / "state" / "jobctl" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def cancel_args(fmt: str, jobs: list[str]) -> list[str]:
    return ["cancel", "-p", "aws-batch", "-y", "-o", fmt, "-r", REASON, *jobs]


def assert_every_job_stopped_and_audited(batch, jobs: list[str], tmp_path: Path) -> None:
    assert all(batch.job(job).stop for job in jobs)
    lines = audit(tmp_path)
    # One line as each request left, one as its answer arrived, one with the outcome the user
    # was told.
    requests = [line for line in lines if line["record"] == "request"]
    answers = [line for line in lines if line["record"] == "answer"]
    finals = [line for line in lines if line["record"] == "final"]
    assert len(requests) + len(answers) + len(finals) == len(lines)
    assert sorted(line["job"] for line in requests) == sorted(jobs)
    assert sorted(line["job"] for line in answers) == sorted(jobs)
    assert sorted(line["job"] for line in finals) == sorted(jobs)
    assert {line["outcome"] for line in finals} == {"cancelled"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_reader_that_goes_away_changes_nothing_but_the_report(batch, tmp_path, fmt) -> None:
    jobs = [batch.add_job("RUNNABLE") for _ in range(12)]
    read_end, write_end = os.pipe()
    fcntl.fcntl(read_end, F_SETPIPE_SZ, 4096)
    process = subprocess.Popen(
        jobctl(*cancel_args(fmt, jobs)), stdout=write_end, stderr=subprocess.PIPE,
        env=environment(),
    )  # fmt: skip
    os.close(write_end)
    try:
        # `| head -1`: one read, then the reader is gone. The report is more than the pipe
        # holds and the reader took, so jobctl writes to a pipe nobody reads, whatever the
        # scheduling.
        first = os.read(read_end, 4096)
    finally:
        os.close(read_end)
    _, err = process.communicate(timeout=120)
    assert first
    assert process.returncode == 0, err
    assert err == b""
    assert_every_job_stopped_and_audited(batch, jobs, tmp_path)


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_stdout_at_all_still_runs_every_job(batch, tmp_path, fmt) -> None:
    jobs = [batch.add_job("RUNNABLE") for _ in range(3)]
    done = subprocess.run(
        ["/bin/sh", "-c", 'exec "$@" >&-', "sh", *jobctl(*cancel_args(fmt, jobs))],
        capture_output=True, env=environment(), timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    assert_every_job_stopped_and_audited(batch, jobs, tmp_path)


@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_full_disk_is_one_line_naming_the_audit_log_and_exit_1(
    batch, tmp_path, fmt, buffered
) -> None:
    jobs = [batch.add_job("RUNNABLE") for _ in range(3)]
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            jobctl(*cancel_args(fmt, jobs)), stdout=full, stderr=subprocess.PIPE,
            env=environment(buffered=buffered), timeout=120, check=False,
        )  # fmt: skip
    assert done.returncode == 1
    log = tmp_path / "state" / "jobctl" / "audit.jsonl"
    assert done.stderr.decode() == (
        "jobctl: could not write the results to standard output (No space left on device); "
        f"every job was handled and is in the audit log {log}\n"
    )
    assert_every_job_stopped_and_audited(batch, jobs, tmp_path)


@pytest.mark.parametrize("command", ["status", "list"])
def test_status_and_list_to_a_gone_reader_or_a_full_disk(batch, command) -> None:
    jobs = [batch.add_job("RUNNABLE", name="n" * 120) for _ in range(60)]
    args = [command, "-p", "aws-batch", *(jobs if command == "status" else [])]
    read_end, write_end = os.pipe()
    fcntl.fcntl(read_end, F_SETPIPE_SZ, 4096)
    process = subprocess.Popen(
        jobctl(*args), stdout=write_end, stderr=subprocess.PIPE, env=environment()
    )
    os.close(write_end)
    try:
        assert os.read(read_end, 4096)
    finally:
        os.close(read_end)
    _, err = process.communicate(timeout=120)
    assert (process.returncode, err) == (0, b"")
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            jobctl(*args), stdout=full, stderr=subprocess.PIPE, env=environment(), timeout=120,
            check=False,
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.decode() == (
        "jobctl: could not write the results to standard output (No space left on device): "
        "rerun with standard output somewhere writable\n"
    )
    assert not any(noise.encode() in done.stderr for noise in NOISE)


def test_an_interrupted_run_to_a_full_disk_keeps_exit_130(batch, proxy, tmp_path, no_bulk) -> None:
    jobs = [batch.add_job("RUNNABLE") for _ in range(40)]
    with open("/dev/full", "wb") as full:
        process = subprocess.Popen(
            jobctl("cancel", "-p", "aws-batch", "--endpoint-url", proxy.url, "-y", "-o", "json",
                   "--rate", "5", "--concurrency", "1", *jobs),
            stdout=full, stderr=subprocess.PIPE, env=environment(),
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while len([op for op in proxy.operations() if op == "canceljob"]) < 3:
        assert time.monotonic() < deadline, "the run never started sending"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    lines = err.decode().splitlines()
    assert lines[-1].startswith("jobctl: could not write the results to standard output")
    assert not any(noise in line for line in lines for noise in NOISE)
    sent = {job for job in jobs if batch.job(job).stop}
    assert 3 <= len(sent) < 40
    lines = audit(tmp_path)
    # The first request (the probe: this endpoint has no CancelJobs) carried all 40: each has
    # its record and a final one; the jobs sent again alone, their request and answer too.
    assert {line["job"] for line in lines if line["operation"] == "CancelJobs"} == set(jobs)
    answered_alone = {
        line["job"]
        for line in lines
        if line["record"] == "answer" and line["operation"] == "CancelJob"
    }
    assert answered_alone == sent
    alone = {
        line["job"]
        for line in lines
        if line["record"] in ("request", "answer") and line["operation"] == "CancelJob"
    }
    assert alone == sent
    assert {line["job"] for line in lines if line["record"] == "final"} == set(jobs)


def test_in_process_without_sys_stdout_the_run_still_happens(cli, batch, monkeypatch) -> None:
    jobs = [batch.add_job("RUNNABLE") for _ in range(2)]
    monkeypatch.setattr(sys, "stdout", None)
    ran = cli("cancel", "-p", "aws-batch", "-o", "json", *jobs)
    monkeypatch.undo()
    assert (ran.code, ran.stderr) == (0, "")
    assert all(batch.job(job).stop for job in jobs)
