"""`jobctl sandbox serve`: --env-file for a shell to source, --port, and what a person sees."""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest

JOBCTL = shutil.which("jobctl")
pytestmark = pytest.mark.skipif(JOBCTL is None, reason="jobctl is not installed on PATH")
GUARD = 90.0  # a guard against hanging, never a bound on speed


def free_pair() -> int:
    """A port whose next one is free too (the sandbox takes PORT and PORT+1).

    Drawn below Linux's ephemeral range (32768-60999), where the connections the other
    tests open take their local ports, and checked by binding both, not by connecting.
    """
    rng = random.Random(os.getpid())
    for _ in range(200):
        port = rng.randrange(20000, 32000)
        try:
            with socket.socket() as first, socket.socket() as second:
                first.bind(("127.0.0.1", port))
                second.bind(("127.0.0.1", port + 1))
        except OSError:
            continue
        return port
    pytest.skip("no two free neighbouring ports")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl-C", "kill"])
def test_env_file_is_sourced_by_a_shell_and_removed_on_stop(tmp_path: Path, stop) -> None:
    assert JOBCTL is not None
    port = free_pair()
    env_file = tmp_path / "sandbox.env"
    process = subprocess.Popen(
        [JOBCTL, "sandbox", "serve", "--env-file", str(env_file), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + GUARD
        while not env_file.exists() and time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            time.sleep(0.1)
        text = env_file.read_text()
        assert f"export AWS_ENDPOINT_URL=http://127.0.0.1:{port}\n" in text
        assert f"export TENCENTCLOUD_ENDPOINT_URL=http://127.0.0.1:{port + 1}" in text
        # The documented way: source the file, then use jobctl with no flag.
        done = subprocess.run(
            ["bash", "-c", f". {env_file} && jobctl list -p aws-batch --queue demo-q -o json"],
            capture_output=True, text=True, timeout=GUARD, check=False,
            env={k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "JOBCTL_"))},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert '"job_id"' in done.stdout
    finally:
        process.send_signal(stop)
        try:
            code = process.wait(timeout=GUARD)
        finally:  # a hang fails the test below, and never outlives it
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert code == 0, process.stderr.read() if process.stderr else ""
    assert not env_file.exists()


@pytest.mark.parametrize("offset", [0, 1], ids=["moto's port taken", "tencent's port taken"])
def test_a_taken_port_is_one_line_with_the_fix(offset: int) -> None:
    assert JOBCTL is not None
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = int(held.getsockname()[1])
        done = subprocess.run(
            [JOBCTL, "sandbox", "serve", "--port", str(port - offset)],
            capture_output=True, text=True, timeout=GUARD, check=False, env=dict(os.environ),
        )  # fmt: skip
    assert done.returncode == 4, done.stderr
    assert done.stderr.startswith("jobctl: cannot serve on ports"), done.stderr
    assert "pick another --port" in done.stderr
    assert len(done.stderr.splitlines()) == 1


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_serve_in_a_terminal_shows_seeded_ids_and_what_to_try() -> None:
    socket_name = f"jobctl-serve-{uuid.uuid4().hex[:8]}"
    tmux = ["tmux", "-L", socket_name]
    subprocess.run([*tmux, "new-session", "-d", "-x", "160", "-y", "50"], check=True)
    try:
        subprocess.run([*tmux, "send-keys", f"{JOBCTL} sandbox", "Enter"], check=True)

        def pane() -> str:
            return subprocess.run(
                [*tmux, "capture-pane", "-p", "-J"], capture_output=True, text=True, check=True
            ).stdout

        deadline = time.monotonic() + GUARD
        while "try next" not in pane() and time.monotonic() < deadline:
            time.sleep(0.2)
        screen = pane()
        assert "jobctl: sandbox serving: AWS (moto) http://127.0.0.1:" in screen
        assert "aws-iot    rollout firmware-rollout" in screen
        assert "jobctl list -p aws-batch --queue demo-q" in screen
        assert "# refused: it is RUNNING" in screen
        subprocess.run([*tmux, "send-keys", "C-c", ""], check=True)
        deadline = time.monotonic() + GUARD
        while "sandbox stopped" not in pane() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "jobctl: sandbox stopped" in pane()
    finally:
        subprocess.run([*tmux, "kill-server"], check=False)
