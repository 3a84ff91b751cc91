"""`jobctl sandbox`: run, serve, demo, and what happens without the extra."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest

JOBCTL = shutil.which("jobctl")
pytestmark = pytest.mark.skipif(JOBCTL is None, reason="jobctl is not installed on PATH")


# A guard against a hang, never a bound on speed: a loaded machine starts moto slowly.
GUARD = 120


def exit_code(process: subprocess.Popen[str]) -> int:
    """The process's exit code once it ends; killed (by its pid) if it never does."""
    try:
        return process.wait(timeout=GUARD)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def refused(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex((parts.hostname, parts.port)) != 0


def sandbox_run(*command: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    assert JOBCTL is not None
    return subprocess.run(
        [JOBCTL, "sandbox", "run", "--", *command],
        capture_output=True, text=True, timeout=timeout, env=dict(os.environ), check=False,
    )  # fmt: skip


def test_run_gives_the_command_the_environment_and_its_exit_code() -> None:
    done = sandbox_run(
        sys.executable, "-c",
        "import os, sys; print(os.environ['AWS_ENDPOINT_URL']); "
        "print(os.environ['TENCENTCLOUD_ENDPOINT_URL']); sys.exit(7)",
    )  # fmt: skip
    assert done.returncode == 7, done.stderr
    aws, tencent = done.stdout.split()
    assert aws.startswith("http://127.0.0.1:")
    assert tencent.startswith("http://127.0.0.1:")
    assert refused(aws), "moto's port stayed bound after the run"
    assert refused(tencent), "the Tencent emulator's port stayed bound after the run"


def test_a_stop_script_rehearses_against_the_sandbox() -> None:
    done = sandbox_run(JOBCTL, "cancel", "-p", "aws-batch", "--queue", "prod-q", "--status",
                       "RUNNABLE", "--yes", "-o", "json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)["results"]
    assert len(results) == 4  # three backfill jobs and the array job
    assert {r["outcome"] for r in results} <= {"cancelled", "stopping"}


IOT_JOB_STATES = ("SCHEDULED", "IN_PROGRESS", "CANCELED", "COMPLETED", "DELETION_IN_PROGRESS")


def test_every_provider_is_seeded_and_reachable() -> None:
    """Each provider has jobs to stop; IoT has a job in each of its states (DESIGN: the
    sandbox is seeded with jobs in every state), a queued one among them."""
    every_iot_state = " ".join(f"--status {state}" for state in IOT_JOB_STATES)
    script = (
        f"{JOBCTL} list -p aws-batch -o json > b.json && {JOBCTL} list -p aws-iot -o json > i.json"
        f" && {JOBCTL} list -p tencent --status queued --status running -o json > t.json"
        f" && {JOBCTL} list -p aws-iot {every_iot_state} -o json > all.json"
        " && cat b.json i.json t.json all.json"
    )
    done = sandbox_run("sh", "-c", f"cd $(mktemp -d) && {script}")
    assert done.returncode == 0, done.stderr
    docs = [json.loads(line) for line in done.stdout.splitlines()]
    assert [len(d["results"]) > 3 for d in docs[:3]] == [True, False, True]
    unfinished = {r["job_id"]: r["phase"] for r in docs[1]["results"]}
    assert unfinished == {
        "firmware-rollout": "running",
        "ota-canary": "running",
        "maintenance-window": "queued",
    }
    assert sorted({r["state"] for r in docs[3]["results"]}) == sorted(IOT_JOB_STATES)


def test_interrupted_run_stops_everything() -> None:
    assert JOBCTL is not None
    # As a terminal's foreground job has it: Ctrl-C not ignored, even when this suite runs in
    # the background of a script (whose shell ignores SIGINT there, and children inherit it).
    as_foreground = (
        "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
        "os.execv(sys.argv[1], sys.argv[1:])"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", as_foreground, JOBCTL, "sandbox", "run", "--", sys.executable,
         "-c", "import os, time; print(os.environ['AWS_ENDPOINT_URL'], flush=True); "
         "time.sleep(60)"],
        stdout=subprocess.PIPE, text=True, env=dict(os.environ), start_new_session=True,
    )  # fmt: skip
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    assert not refused(url)
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
    assert exit_code(process) in (130, 1)
    assert refused(url)


def test_serve_prints_exports_and_stops_on_ctrl_c() -> None:
    assert JOBCTL is not None
    process = subprocess.Popen(
        [JOBCTL, "sandbox"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ),
    )  # fmt: skip
    assert process.stdout is not None
    exports = {}
    deadline = time.monotonic() + 60
    while "JOBCTL_AUDIT_LOG" not in exports and time.monotonic() < deadline:
        line = process.stdout.readline()
        key, _, value = line.removeprefix("export ").strip().partition("=")
        exports[key] = value
    assert exports["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert "TENCENTCLOUD_SECRET_ID" in exports
    process.send_signal(signal.SIGINT)
    assert exit_code(process) == 0
    assert refused(exports["AWS_ENDPOINT_URL"])


def test_demo_walks_the_main_job_and_exits_0() -> None:
    assert JOBCTL is not None
    done = subprocess.run(
        [JOBCTL, "sandbox", "demo", "--extra-jobs", "25"], capture_output=True, text=True,
        timeout=240, env=dict(os.environ), check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # The crowd --extra-jobs seeds is beside the tour's jobs, never in its way.
    assert "with 25 extra queued jobs per provider" in done.stdout
    assert "Every step did what it should." in done.stdout
    assert "refused" in done.stdout
    assert "FAILED" not in done.stdout.split("Summary")[-1]


def test_without_the_extra_exits_4_and_says_how_to_install() -> None:
    code = (
        "import sys; sys.modules['moto'] = None\n"
        "from jobctl.cli import main\n"
        "sys.exit(main(['sandbox', 'demo']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 4
    assert "pip install 'jobctl[sandbox]'" in done.stderr
