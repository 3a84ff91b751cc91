"""Issue 14, "Output that survives a CI log": tables off a terminal, suggested commands that
run as printed, `list` and `status` as an on-call operator reads them. Real servers on
127.0.0.1 (moto, the Tencent emulator) through the real SDKs."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest

# What jobctl prints between quotes or after "now:" for a person to run next.
SUGGESTED = re.compile(r"'(jobctl [^']+)'|now: (jobctl [^),]+)")


@pytest.fixture(autouse=True)
def no_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Off a terminal with no COLUMNS (a CI log), unless a test sets it."""
    monkeypatch.delenv("COLUMNS", raising=False)


def suggested(text: str) -> list[list[str]]:
    return [shlex.split(a or b) for a, b in SUGGESTED.findall(text)]


def test_table_off_a_terminal_never_folds_a_job_id(cli, batch) -> None:
    jobs = [batch.add_job("RUNNABLE", name="n" * 60) for _ in range(2)]
    ran = cli("cancel", "-p", "aws-batch", "-o", "table", "-r", "why " * 40, *jobs)
    assert ran.code == 0, ran.stderr
    lines = ran.stdout.splitlines()
    for job in jobs:
        # Whole, on one line, with its outcome: a CI log can be grepped for it.
        (line,) = [line for line in lines if job in line]
        assert "cancelled" in line
    assert max(len(line) for line in lines) > 80  # the width it needs, not 80
    assert lines[-1] == "2 jobs, 2 ok"


@pytest.mark.parametrize("term", ["dumb", "xterm-256color"])
def test_columns_bounds_the_table_but_ids_stay_whole(cli, batch, monkeypatch, term) -> None:
    monkeypatch.setenv("TERM", term)
    monkeypatch.setenv("COLUMNS", "60")
    job = batch.add_job("RUNNABLE")
    ran = cli("cancel", "-p", "aws-batch", "-o", "table", "-r", "a long reason " * 10, job)
    assert ran.code == 0, ran.stderr
    assert any(job in line for line in ran.stdout.splitlines())


def test_table_through_a_real_pipe_with_term_dumb(batch, tmp_path: Path) -> None:
    """The installed command, its stdout a pipe, TERM=dumb: ids whole, no 80-column wrap."""
    import os
    import subprocess
    import sys

    job = batch.add_job("RUNNABLE")
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    env["TERM"] = "dumb"
    ran = subprocess.run(
        [sys.executable, "-m", "jobctl", "status", "-p", "aws-batch", "-o", "table", job],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    (line,) = [line for line in ran.stdout.splitlines() if job in line]
    assert "RUNNABLE" in line


def test_thing_rows_have_a_thing_column_and_count_executions(cli, iot) -> None:
    job = iot.add_job(executions={"sensor-a": "QUEUED", "sensor-b": "QUEUED"})
    args = ("cancel", "-p", "aws-iot", "-o", "table", "--thing", "sensor-a", "--thing")
    ran = cli(*args, "sensor-b", job)
    assert ran.code == 0, ran.stderr
    header, *rows, total = ran.stdout.splitlines()
    assert header.split()[:4] == ["PROVIDER", "JOB", "ID", "THING"]
    assert [row.split()[2] for row in rows] == ["sensor-a", "sensor-b"]
    assert not any("thing sensor-a:" in row for row in rows)  # no longer a MESSAGE prefix
    assert total == "2 executions, 2 ok"


def test_iot_hint_runs_as_printed_and_names_the_things(cli, iot) -> None:
    job = iot.add_job(
        executions={"dev-1": "IN_PROGRESS", "dev-2": "IN_PROGRESS", "dev-3": "QUEUED"}
    )
    ran = cli("cancel", "-p", "aws-iot", "-o", "json", job)
    message = ran.by_job()[job]["message"]
    (command,) = suggested(message)
    assert command[:4] == ["jobctl", "cancel", "-p", "aws-iot"]
    assert {"--thing", "dev-1", "dev-2"} <= set(command)
    again = cli(*command[1:], "-o", "json", "--yes")
    assert again.code == 0, again.stderr
    assert iot.execution(job, "dev-1").status == "CANCELED"
    assert iot.execution(job, "dev-2").status == "CANCELED"


def test_refusal_hints_run_as_printed(cli, batch, iot, tencent) -> None:
    """Every command a refusal suggests parses and plans the stop it promises (--dry-run)."""
    running = batch.add_job("RUNNING")
    execution = iot.add_job(executions={"dev-1": "IN_PROGRESS"})
    started = tencent.add_job(state="RUNNING")
    asked = [
        ("cancel", "-p", "aws-batch", running),
        ("cancel", "-p", "aws-iot", "--thing", "dev-1", execution),
        ("cancel", "-p", "tencent", started),
    ]
    for args in asked:
        ran = cli(*args, "-o", "json")
        (row,) = ran.json()["results"]
        assert row["outcome"] == "refused", row
        (command,) = suggested(row["message"])
        planned = cli(*command[1:], "--dry-run", "-o", "json")
        assert planned.code == 0, (command, planned.stderr)
        assert [r["outcome"] for r in planned.json()["results"]] == ["planned"]


def test_hints_in_a_non_default_region_find_the_job_as_printed(cli, batch, aws_env) -> None:
    """The environment says us-east-1; the job lives in eu-west-1: every pasted hint finds it.

    (`batch` resets moto: another test may have left an eu-west-1 queue of the same name.)"""
    from jobctl.sandbox.aws import BatchWorld

    with BatchWorld(endpoint=aws_env.url, region="eu-west-1") as world:
        world.stop_delay = 600.0
        running = world.add_job("RUNNING")
        queued = world.add_job("RUNNABLE")
        ran = cli("cancel", "-p", "aws-batch", "--region", "eu-west-1", "-o", "json", running)
        (row,) = ran.json()["results"]
        assert row["outcome"] == "refused", row
        (command,) = suggested(row["message"])
        assert command[:6] == ["jobctl", "terminate", "-p", "aws-batch", "--region", "eu-west-1"]
        planned = cli(*command[1:], "--dry-run", "-o", "json")
        assert planned.code == 0, (command, planned.stderr)
        assert [r["outcome"] for r in planned.json()["results"]] == ["planned"]
        # The --wait notice's `status` command, too.
        waited = cli(
            "cancel",
            "-p",
            "aws-batch",
            "--region",
            "eu-west-1",
            "-o",
            "json",
            "--wait",
            "--timeout",
            "1s",
            "--poll-interval",
            "0.5s",
            queued,
        )
        assert waited.code == 5, waited.stderr
        (status,) = suggested(waited.stderr)
        assert "--region" in status
        seen = cli(*status[1:], "-o", "json")
        assert seen.code == 0, (status, seen.stderr)
        assert [r["job_id"] for r in seen.json()["results"]] == [queued]


def test_list_has_queue_and_age_and_counts_jobs(cli, batch) -> None:
    for _ in range(3):
        batch.add_job("RUNNABLE", queue="prod-q", age=7200)
    ran = cli("list", "-p", "aws-batch", "-o", "table")
    assert ran.code == 0, ran.stderr
    header, *rows, total = ran.stdout.splitlines()
    names = header.split()
    assert "QUEUE" in names
    assert names[names.index("CREATED") + 1] == "AGE"
    assert all("prod-q" in row and re.search(r"\b2h(\d+m)?\b", row) for row in rows), rows
    assert total == "3 jobs"


def test_list_without_a_provider_lists_every_configured_one(
    cli, batch, tencent, tmp_path: Path, monkeypatch
) -> None:
    config = tmp_path / "jobctl.toml"
    config.write_text("[providers.aws-batch]\n[providers.tencent]\n")
    monkeypatch.setenv("JOBCTL_CONFIG", str(config))
    aws = batch.add_job("RUNNABLE")
    qcloud = tencent.add_job(state="RUNNING")
    ran = cli("list", "-o", "json")
    assert ran.code == 0, ran.stderr
    found = {(r["provider"], r["job_id"]) for r in ran.json()["results"]}
    assert {("aws-batch", aws), ("tencent", qcloud)} <= found


def test_status_ignore_not_found_and_version_short_flag(cli, batch) -> None:
    job = batch.add_job("RUNNABLE")
    missing = "00000000-0000-0000-0000-000000000000"
    assert cli("status", "-p", "aws-batch", "-o", "json", job, missing).code == 3
    ran = cli("status", "-p", "aws-batch", "-o", "json", "--ignore-not-found", job, missing)
    assert ran.code == 0, ran.stderr
    assert cli("-V").stdout.startswith("jobctl ")


def test_status_wait_until_final_or_exit_5(cli, batch) -> None:
    done = batch.add_job("SUCCEEDED")
    ran = cli("status", "-p", "aws-batch", "-o", "json", "--wait", "--poll-interval", "1s", done)
    assert ran.code == 0, ran.stderr
    stuck = batch.add_job("RUNNING")
    ran = cli(
        "status", "-p", "aws-batch", "-o", "json", "--wait", "--timeout", "1s", "--poll-interval",
        "1s", stuck,
    )  # fmt: skip
    assert ran.code == 5
    assert "--wait timed out after 1s: 1 job not finished" in ran.stderr
    assert stuck in ran.stderr


def test_force_on_a_running_job_says_it_was_escalated(cli, batch) -> None:
    job = batch.add_job("RUNNING")
    ran = cli("cancel", "-p", "aws-batch", "-o", "json", "--force", job)
    row: dict[str, Any] = ran.by_job()[job]
    assert "cancel escalated to TerminateJob (--force)" in row["message"], row
