"""`jobctl sandbox demo`: the main job, shown step by step against the sandbox.

Every step is a real `jobctl` command, run as a separate process through the same code paths
a user's command takes, printed before it runs. The tour checks each step did what it should
and exits 0 only if all did.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from jobctl.sandbox.world import Sandbox


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def outcomes(self) -> list[str]:
        return [r["outcome"] for r in self.json()["results"]]


@dataclass(frozen=True)
class Step:
    title: str
    why: str
    args: list[str]
    # What must be true of the run for the step to count as done.
    check: Callable[[Ran], bool]
    expect: str


def steps(sandbox: Sandbox) -> list[Step]:
    b, iot, tc = sandbox.seeded.batch, sandbox.seeded.iot, sandbox.seeded.tencent
    training = sandbox.seeded.batch_service
    stale = sandbox.seeded.batch_stale
    return [
        Step(
            "See what is there",
            "List the unfinished jobs in an AWS Batch queue.",
            ["list", "-p", "aws-batch", "--queue", "demo-q"],
            lambda r: r.code == 0 and b["running"] in r.stdout,
            "exit 0, the queue's jobs listed",
        ),
        Step(
            "Cancel a queued job",
            "A RUNNABLE job: CancelJob stops it. jobctl checks afterwards that it did.",
            ["cancel", "-p", "aws-batch", b["queued"], "-r", "demo: not needed today"],
            lambda r: r.code == 0 and ("cancelled" in r.stdout or "stopping" in r.stdout),
            "exit 0, cancelled (or stopping until it reaches the queue's head)",
        ),
        Step(
            "Try to cancel a running job",
            "AWS Batch would answer CancelJob with 200 and do nothing; jobctl refuses and says so.",
            ["cancel", "-p", "aws-batch", b["running"]],
            lambda r: r.code == 1 and "refused" in r.stdout,
            "exit 1, refused, no request sent",
        ),
        Step(
            "Terminate it",
            "terminate sends TerminateJob, which does stop a RUNNING job.",
            ["terminate", "-p", "aws-batch", b["running"], "-r", "demo: stop training", "--wait",
             "--poll-interval", "0.5s"],
            lambda r: r.code == 0 and "terminated" in r.stdout,
            "exit 0, terminated once the container stopped",
        ),
        Step(
            "Terminate a training job",
            "A Batch service job (SageMaker Training): there is no CancelServiceJob, so "
            "TerminateServiceJob; jobctl finds the id with DescribeServiceJob.",
            ["terminate", "-p", "aws-batch", training["running"], "-r", "demo: over budget",
             "--wait", "--poll-interval", "0.5s"],
            lambda r: r.code == 0 and "terminated" in r.stdout and "ServiceJob" in r.stdout,
            "exit 0, terminated by TerminateServiceJob",
        ),
        Step(
            "Preview a filtered stop",
            "Old RUNNABLE and PENDING jobs: --dry-run shows the exact requests and sends none.",
            ["cancel", "-p", "aws-batch", "--queue", "demo-q", "--status", "RUNNABLE",
             "--status", "PENDING", "--older-than", "1h", "--dry-run"],
            lambda r: r.code == 0 and r.stdout.count("planned") == len(stale),
            f"exit 0, {len(stale)} jobs planned",
        ),
        Step(
            "Stop them for real, and wait",
            "--yes because this tour is not interactive; --wait until every job is final. "
            "The jobs go in one CancelJobs request.",
            ["cancel", "-p", "aws-batch", "--queue", "demo-q", "--status", "RUNNABLE",
             "--status", "PENDING", "--older-than", "1h", "--yes", "--wait",
             "--poll-interval", "0.5s", "-r", "demo: drain stale jobs"],
            lambda r: r.code == 0 and r.stdout.count("cancelled") == len(stale),
            "exit 0, every job cancelled",
        ),
        Step(
            "Cancel an IoT rollout",
            "IoT CancelJob with a reason code; executions already running on devices go on "
            "unless forced, and jobctl says how many.",
            ["cancel", "-p", "aws-iot", iot["rollout"], "--reason-code", "DEPLOY_ROLLBACK",
             "-r", "bad firmware"],
            lambda r: r.code == 0 and "cancelled" in r.stdout and "--force" in r.stdout,
            "exit 0, cancelled, with the executions still in progress",
        ),
        Step(
            "Cancel one device's execution",
            "--thing cancels a single job execution (CancelJobExecution).",
            ["cancel", "-p", "aws-iot", iot["canary"], "--thing", "sensor-a"],
            lambda r: r.code == 0 and "cancelled" in r.stdout,
            "exit 0, the execution on sensor-a cancelled",
        ),
        Step(
            "Terminate Tencent jobs",
            "Tencent terminates asynchronously, 2 requests a second at most; --wait sees it done.",
            ["terminate", "-p", "tencent", tc["batch-1"], tc["batch-2"], "--wait",
             "--poll-interval", "0.5s"],
            lambda r: r.code == 0 and r.stdout.count("terminated") == 2,
            "exit 0, both terminated",
        ),
        Step(
            "Read the JSON",
            "Scripts read one document and branch on the exit code.",
            ["status", "-o", "json", f"aws-batch:{b['running']}", f"tencent:{tc['batch-1']}",
             f"aws-iot:{iot['rollout']}"],
            lambda r: r.code == 0 and [x["phase"] for x in r.json()["results"]] == ["finished"] * 3,
            "exit 0, all three finished",
        ),
    ]  # fmt: skip


def _pretty(document: str) -> str:
    try:
        return json.dumps(json.loads(document), indent=2)
    except ValueError:
        return document


def jobctl(args: list[str], env: dict[str, str]) -> Ran:
    done = subprocess.run(
        [sys.executable, "-m", "jobctl", *args],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    return Ran(done.returncode, done.stdout, done.stderr)


def run_demo(console: Console | None = None, *, extra_jobs: int = 0) -> int:
    console = console or Console(highlight=False, soft_wrap=True)
    console.print(Text("jobctl sandbox demo", style="bold"))
    console.print(
        "Starting moto's server (AWS Batch, IoT) and the Tencent Batch emulator on 127.0.0.1…"
    )
    with Sandbox(extra_jobs=extra_jobs) as sandbox:
        if extra_jobs:
            console.print(
                f"…with {extra_jobs} extra queued jobs per provider (--extra-jobs), "
                "aws-batch's in queue extra-q."
            )
        width = str(max(console.width, 120))
        env = {**os.environ, **sandbox.env, "JOBCTL_OUTPUT": "table", "COLUMNS": width}
        env.pop("NO_COLOR", None)
        done: list[tuple[Step, bool]] = []
        for number, step in enumerate(steps(sandbox), start=1):
            console.print(Rule(Text(f"{number}. {step.title}", style="bold cyan"), align="left"))
            console.print(Text(step.why, style="dim"))
            console.print(Text("$ " + shlex.join(["jobctl", *step.args]), style="bold"))
            ran = jobctl(step.args, env)
            if "json" in step.args:
                console.print(Text(_pretty(ran.stdout)))
            elif ran.stdout.strip():
                console.print(Text(ran.stdout.rstrip()))
            if ran.stderr.strip():
                console.print(Text(ran.stderr.rstrip(), style="yellow"))
            try:
                ok = step.check(ran)
            except (ValueError, KeyError, TypeError):
                ok = False
            mark = Text("✓ " if ok else "✗ ", style="green" if ok else "bold red")
            console.print(mark + Text(f"exit {ran.code}; expected {step.expect}"))
            done.append((step, ok))
        console.print(Rule(Text("The audit log", style="bold cyan"), align="left"))
        audit_path = sandbox.env["JOBCTL_AUDIT_LOG"]
        lines = Path(audit_path).read_text().splitlines() if os.path.exists(audit_path) else []
        asked = sum(json.loads(line).get("record") == "request" for line in lines)
        said = f"{len(lines)} lines in {audit_path}: {asked} stops asked for, each with its"
        console.print(Text(f"{said} answer and final outcome; the last line:", style="dim"))
        if lines:
            console.print(Text(json.dumps(json.loads(lines[-1]), indent=2)))
        done.append((Step("Audit log", "", [], lambda r: True, ""), bool(lines)))
    table = Table(title="Summary", title_justify="left")
    table.add_column("step")
    table.add_column("result")
    for step, ok in done:
        table.add_row(
            step.title, Text("ok" if ok else "FAILED", style="green" if ok else "bold red")
        )
    console.print(table)
    failed = [step.title for step, ok in done if not ok]
    if failed:
        console.print(Text(f"{len(failed)} step(s) did not do what they should.", style="bold red"))
        return 1
    console.print(Text("Every step did what it should.", style="bold green"))
    return 0
