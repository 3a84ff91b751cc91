"""TAB in a real bash and zsh, in tmux: what a person sees on the line after pressing it.

Each test starts its own tmux server on a socket of its own and kills it; it waits for
expected text on the pane under a generous guard, never for a fixed time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobctl.complete.jobs import remember
from tests.support.completion import installed_jobctl

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "jobctl" / "completions"
SCRIPT = SCRIPTS / "jobctl.bash"
JOBCTL = installed_jobctl()
pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.skipif(JOBCTL is None, reason="jobctl is not installed"),
]
GUARD = 60.0  # seconds: a stuck pane fails the test, a slow machine does not


class Pane:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True
        )
        return done.stdout

    def send(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "tab", *keys)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "tab")

    def wait_for(self, text: str) -> str:
        deadline = time.monotonic() + GUARD
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                pytest.fail(f"{text!r} never appeared; the pane shows:\n{screen}")
            time.sleep(0.05)


def shell_in_tmux(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, program: str, setup: str
) -> Iterator[Pane]:
    """`program` in its own tmux server, in a folder of files TAB must not offer, with
    `setup` typed first."""
    name = program.split(maxsplit=1)[0]
    if shutil.which(name) is None:
        pytest.skip(f"{name} is not installed")
    for name in ("tencent-notes.txt", "thing-list.csv", "job-report.pdf"):
        (tmp_path / name).write_text("")
    assert JOBCTL is not None
    monkeypatch.setenv("PATH", f"{Path(JOBCTL).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("JOBCTL_COMPLETE_REMOTE", "0")
    pane = Pane(f"jobctl-tab-{uuid.uuid4().hex[:12]}")
    pane.tmux(
        "new-session", "-d", "-s", "tab", "-x", "160", "-y", "50", "-c", str(tmp_path), program,
    )  # fmt: skip
    try:
        # READY as printed, not as typed: keys sent before the shell reads them are lost
        # (zsh's line editor starts after compinit).
        pane.send(f"{setup}; echo RE''ADY", "Enter")
        pane.wait_for("\nREADY")
        yield pane
    finally:
        subprocess.run(["tmux", "-L", pane.socket, "kill-server"], check=False)


@pytest.fixture
def bash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pane]:
    """bash with the shipped script sourced."""
    setup = f"PS1='$ '; source {SCRIPT}"
    yield from shell_in_tmux(tmp_path, monkeypatch, "bash --norc --noprofile", setup)


@pytest.fixture(params=["autoloaded", "sourced"])
def zsh(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Pane]:
    """zsh with no user configuration and compinit run (-D: no dump file written), with the
    shipped `_jobctl` on $fpath as the README installs it, or sourced after compinit."""
    compinit = "autoload -Uz compinit; compinit -u -D"
    setup = (
        f"PS1='%% '; fpath=({SCRIPTS} $fpath); {compinit}"
        if request.param == "autoloaded"
        else f"PS1='%% '; {compinit}; source {SCRIPTS / '_jobctl'}"
    )
    yield from shell_in_tmux(tmp_path, monkeypatch, "zsh -f", setup)


def test_provider_prefix_completes_ids_never_file_names(bash: Pane) -> None:
    remember("tencent", None, None, None, [("job-7a6dq2rx", "RUNNING", "etl", None)])
    bash.send("jobctl terminate tencent:", "Tab", "X")
    # The id completed after the colon, then a space (capture-pane drops trailing blanks).
    bash.wait_for("$ jobctl terminate tencent:job-7a6dq2rx X")
    bash.send("C-u", "jobctl terminate --thing ", "Tab", "Tab")
    bash.send("X")
    screen = bash.wait_for("$ jobctl terminate --thing X")
    for name in ("tencent-notes.txt", "thing-list.csv", "job-report.pdf"):
        assert name not in screen


def test_a_second_tab_does_not_insert_the_same_id_again(bash: Pane) -> None:
    remember("tencent", None, None, None, [("job-7a6dq2rx", "RUNNING", "etl", None)])
    bash.send("jobctl terminate -p tencent job-", "Tab", "Tab", "Tab", "X")
    screen = bash.wait_for("$ jobctl terminate -p tencent job-7a6dq2rx X")
    assert screen.count("job-7a6dq2rx") == 1
    assert "job-report.pdf" not in screen


def test_zsh_completes_every_tab_and_takes_states_in_any_case(zsh: Pane) -> None:
    """Every TAB completes, not only the first (the autoloaded file used to register a helper
    at the second, which then completed nothing). `--status runna` is RUNNABLE (states are
    taken in any case), though zsh filters jobctl's values by the word typed, case-sensitively
    by default.

    Each TAB's answer is awaited before the next key: zsh's completion gives up on a TAB
    with keys already typed behind it."""
    for attempt in range(3):
        zsh.send("C-u", "jobctl ca", "Tab")
        zsh.wait_for("% jobctl cancel\n")
        zsh.send(f"#{attempt}")
        zsh.wait_for(f"% jobctl cancel #{attempt}")
    zsh.send("C-u", "jobctl cancel -p aws-batch --status runna", "Tab")
    zsh.wait_for("% jobctl cancel -p aws-batch --status RUNNABLE\n")
