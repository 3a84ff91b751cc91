"""Issue 14, "Feedback while jobctl waits", as a person sees it: jobctl in a real terminal
(tmux, 160 columns), the pane read back with capture-pane. Servers on 127.0.0.1 as elsewhere.

No wall-clock bound is asserted: each test polls the pane for the text it expects, with a
generous guard so a broken build fails instead of hanging.
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

# Only a guard against a hang: a pane that never shows the text fails the test.
GUARD = 60.0


class Pane:
    """One tmux server on its own socket, one 160x50 window running bash."""

    def __init__(self) -> None:
        self.socket = f"jobctl-test-{uuid.uuid4().hex[:12]}"
        env = {**os.environ, "PS1": "$ ", "TERM": "xterm-256color"}
        env.pop("COLUMNS", None)
        env.pop("LINES", None)
        self._tmux("new-session", "-d", "-x", "160", "-y", "50", "bash --norc --noprofile", env=env)

    def _tmux(self, *args: str, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        return done.stdout

    def run(self, *argv: str) -> None:
        line = " ".join(shlex.quote(word) for word in (sys.executable, "-m", "jobctl", *argv))
        self._tmux("send-keys", "-t", "0", line, "Enter")

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "0", *keys)

    def text(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "0")

    def wait_for(self, found: Callable[[str], bool], what: str) -> str:
        guard = time.monotonic() + GUARD
        while True:
            screen = self.text()
            if found(screen):
                return screen
            if time.monotonic() > guard:
                pytest.fail(f"the pane never showed {what}:\n{screen}")
            time.sleep(0.2)

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], check=False)


@pytest.fixture
def pane() -> Iterator[Pane]:
    # Ask for it after the server fixtures: the tmux server inherits their environment.
    terminal = Pane()
    try:
        yield terminal
    finally:
        terminal.kill()


def test_submitted_wait_says_why_and_until_when_above_the_live_view(tencent, pane) -> None:
    held = tencent.add_job(state="SUBMITTED", pinned=True)
    other = tencent.add_job(state="RUNNING")
    pane.run("terminate", "-p", "tencent", "--yes", "--timeout", "5m", held, other)
    screen = pane.wait_for(
        lambda s: "retrying until" in s and "terminating" in s, "the SUBMITTED notice"
    )
    (notice,) = [line for line in screen.splitlines() if "is SUBMITTED" in line]
    assert notice.startswith(f"jobctl: tencent: job {held} is SUBMITTED; Tencent refuses")
    assert "Ctrl-C to stop" in notice
    # The notice has a line of its own, above the live view's; the bar's line is clean.
    (bar,) = [line for line in screen.splitlines() if line.startswith("terminating")]
    assert "jobctl:" not in bar
    assert screen.index(notice) < screen.index(bar)
    pane.keys("C-c")
    pane.wait_for(lambda s: "interrupt" in s or "skipped" in s, "the run ending on Ctrl-C")


def test_the_bar_counts_an_answered_job_while_another_is_held_submitted(tencent, pane) -> None:
    held = tencent.add_job(state="SUBMITTED", pinned=True)
    other = tencent.add_job(state="RUNNING")
    pane.run("terminate", "-p", "tencent", "--yes", "--timeout", "5m", held, other)
    # The other job's stop is answered while the held one is still refused and retried:
    # the bar counts it then, not when the held one lets the group's verification start.
    screen = pane.wait_for(
        lambda s: any(line.startswith("terminating") and "1/2" in line for line in s.splitlines()),
        "the bar at 1/2",
    )
    (bar,) = [line for line in screen.splitlines() if line.startswith("terminating")]
    assert "stopping 1" in bar
    assert tencent.job(held).state == "SUBMITTED"
    pane.keys("C-c")
    # Each job once in the report, under its final outcome: counted once, never twice.
    pane.wait_for(lambda s: "2 jobs" in s, "the report after Ctrl-C")


def test_one_job_gets_a_spinner_with_its_state_and_time_waited(tencent, pane) -> None:
    tencent.terminate_delay = 3600.0  # stays RUNNING after TerminateJob: --wait has to wait
    job = tencent.add_job(state="RUNNING")
    pane.run("terminate", "-p", "tencent", "--yes", "--wait", "--poll-interval", "20s", job)
    screen = pane.wait_for(
        lambda s: f"{job}: stopping (RUNNING)" in s, "the spinner line with the job's state"
    )
    (line,) = [line for line in screen.splitlines() if f"{job}: stopping" in line]
    assert "terminating" in line
    assert re.search(r" \d+:\d\d:\d\d$", line.rstrip()), line  # the time waited, h:mm:ss
    pane.keys("C-c")
    screen = pane.wait_for(lambda s: "1 job, 1 ok" in s, "the report after Ctrl-C")
    # The interrupt notice, too, has a line of its own.
    (said,) = [line for line in screen.splitlines() if "jobctl: interrupted" in line]
    assert said.startswith("jobctl: interrupted")


def test_a_table_in_a_160_column_terminal_keeps_ids_whole(batch, pane) -> None:
    jobs = [batch.add_job("RUNNABLE", queue="prod-q", name="nightly-" + "x" * 30) for _ in range(3)]
    pane.run("list", "-p", "aws-batch")
    screen = pane.wait_for(lambda s: "3 jobs" in s, "the list's count")
    header = next(line for line in screen.splitlines() if line.startswith("JOB ID"))
    assert "QUEUE" in header
    assert "AGE" in header
    for job in jobs:
        (row,) = [line for line in screen.splitlines() if job in line]
        assert "prod-q" in row
        assert len(row) <= 160


def test_an_array_parents_children_count_up_in_the_live_view(batch, proxy, pane) -> None:
    """`--wait` on an array parent: the spinner line counts its children as they end, poll by
    poll, and the table at the end says where they all stood."""
    from tests.test_cli_batch_arrays import array, one_child_a_lookup

    batch.stop_delay = 3600.0  # the parent stays PENDING, as AWS keeps it until its children end
    parent = array(batch, "PENDING", "RUNNABLE", "RUNNABLE", "RUNNABLE")
    # The lookup plans, the check reads the stop; from the first poll on each ends a child.
    end_one = one_child_a_lookup(batch, parent, 3, reason="drain", after=3)
    # The second poll (the fourth lookup) waits until the test has seen the first one's count:
    # a stalled test must not miss the line it looks for.
    seen_first_count = threading.Event()
    lookups = itertools.count(1)

    def hook(seen: Any) -> None:
        if next(lookups) == 4:
            seen_first_count.wait(timeout=60)
        end_one(seen)

    proxy.before["describejobs"] = hook
    pane.run(
        "cancel", "-p", "aws-batch", "--endpoint-url", proxy.url, "--yes", "-r", "drain",
        "--wait", "--poll-interval", "2s", parent,
    )  # fmt: skip
    screen = pane.wait_for(
        lambda s: f"{parent}: stopping (PENDING) array of 3:" in s and "1 finished" in s,
        "the spinner line counting the first child's end",
    )
    seen_first_count.set()
    (line,) = [line for line in screen.splitlines() if f"{parent}: stopping" in line]
    assert "array of 3: 2 queued, 0 running, 1 finished" in line
    screen = pane.wait_for(lambda s: "1 job, 1 ok" in s, "the report once every child ended")
    # The report's row (the command line typed above may hold the id too, wrapped or not).
    rows = [line for line in screen.splitlines() if parent in line and "cancelled" in line]
    assert len(rows) == 1, screen
    assert "array of 3: 0 queued, 0 running, 3 finished" in " ".join(screen.split())
