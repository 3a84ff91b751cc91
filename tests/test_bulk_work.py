"""Bulk work done safely: filters, confirmation, --wait, audit log, config.

See docs/ARCHITECTURE.md, "Safety".
"""

from __future__ import annotations

import json
import subprocess
import threading

import pytest

from tests.support.completion import installed_jobctl

# A well-formed AWS Batch job id no job has.
UNKNOWN_JOB = "00000000-0000-4000-8000-000000000000"


def audit_lines(tmp_path) -> list[dict]:
    path = tmp_path / "state" / "jobctl" / "audit.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def queues(batch):
    """Two queues with jobs in several states, some old, some new."""
    jobs = {
        "q-runnable": batch.add_job("RUNNABLE", name="etl-1", queue="prod-q", age=7200),
        "q-pending": batch.add_job("PENDING", name="etl-2", queue="prod-q", age=7200),
        "q-new": batch.add_job("RUNNABLE", name="etl-3", queue="prod-q", age=60),
        "q-running": batch.add_job("RUNNING", name="train", queue="prod-q", age=7200),
        "q-done": batch.add_job("SUCCEEDED", name="etl-0", queue="prod-q", age=7200),
        "other": batch.add_job("RUNNABLE", name="etl-9", queue="dev-q", age=7200),
    }
    return jobs


def test_list_filters_by_queue_status_name_and_age(cli, queues) -> None:
    ran = cli(
        "list", "-p", "aws-batch", "--queue", "prod-q", "--status", "RUNNABLE",
        "--status", "pending", "--older-than", "1h", "-o", "json",
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    assert {r["job_id"] for r in ran.json()["results"]} == {
        queues["q-runnable"],
        queues["q-pending"],
    }
    named = cli("list", "-p", "aws-batch", "--name", "etl-*", "-o", "json").json()["results"]
    assert {r["job_id"] for r in named} == {
        queues[k] for k in ("q-runnable", "q-pending", "q-new", "other")
    }
    running = cli("list", "-p", "aws-batch", "--status", "running", "-o", "json").json()
    assert [r["job_id"] for r in running["results"]] == [queues["q-running"]]


def test_list_plain_pipes_into_cancel(cli, queues, proxy) -> None:
    listed = cli("list", "-p", "aws-batch", "--queue", "prod-q", "--status", "queued")
    assert listed.code == 0
    # Told another provider or region outright, the run refuses the rows: nothing is sent.
    for flag in (("-p", "tencent"), ("--region", "eu-west-1")):
        told = cli("cancel", *flag, "--endpoint-url", proxy.url, "-", stdin=listed.stdout.encode())
        assert told.code == 2, told.stderr
        assert f"but {flag[0]}" in told.stderr
    assert proxy.actions() == []
    ran = cli("cancel", "-p", "aws-batch", "-o", "json", "-", stdin=listed.stdout.encode())
    assert ran.code == 0, ran.stderr
    assert {r["job_id"] for r in ran.json()["results"]} == {
        queues[k] for k in ("q-runnable", "q-pending", "q-new")
    }


def test_list_rows_say_where_each_job_is_through_a_shell_pipe(batch, aws_env) -> None:
    """`list --region eu-west-1 | cancel -` with neither -p nor --region on `cancel`: each row
    names its provider and region, so the jobs are found where `list` saw them (before, the
    pipe asked for a provider, and with -p alone looked in the environment's us-east-1)."""
    from jobctl.sandbox.aws import BatchWorld

    jobctl = installed_jobctl()
    if jobctl is None:
        pytest.skip("jobctl is not installed")
    with BatchWorld(endpoint=aws_env.url, region="eu-west-1") as europe:
        europe.stop_delay = 0.0
        jobs = [europe.add_job("RUNNABLE", queue="eu-q") for _ in range(2)]
        here = batch.add_job("RUNNABLE", queue="eu-q")  # us-east-1: not listed, not stopped
        script = (
            f"{jobctl} list -p aws-batch --region eu-west-1 --status RUNNABLE"
            f" | {jobctl} cancel - --yes -o json"
        )
        done = subprocess.run(
            ["sh", "-c", script], capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr
        results = json.loads(done.stdout)["results"]
        assert sorted((r["job_id"], r["region"], r["outcome"]) for r in results) == sorted(
            (job, "eu-west-1", "cancelled") for job in jobs
        )
        answers = europe.client.describe_jobs(jobs=jobs)["jobs"]
        assert {job["status"] for job in answers} == {"FAILED"}
        assert batch.client.describe_jobs(jobs=[here])["jobs"][0]["status"] == "RUNNABLE"


def test_an_empty_pipe_says_so_and_sends_nothing(cli, batch, proxy) -> None:
    """A `list` that matched nothing, piped in: exit 0, as an empty selection, and a notice
    rather than silence."""
    ran = cli("cancel", "-p", "aws-batch", "--endpoint-url", proxy.url, "-", stdin=b"# none\n")
    assert (ran.code, ran.stdout) == (0, "")
    assert ran.stderr == "jobctl: no jobs on standard input: nothing sent\n"
    looked = cli("status", "-p", "aws-batch", "--endpoint-url", proxy.url, "-", stdin=b"")
    assert (looked.code, looked.stdout) == (0, "")
    assert looked.stderr == "jobctl: no jobs on standard input: nothing looked up\n"
    assert proxy.actions() == []


def test_selection_without_terminal_or_yes_refuses_before_any_request(cli, queues, proxy) -> None:
    ran = cli(
        "cancel", "-p", "aws-batch", "--endpoint-url", proxy.url, "--queue", "prod-q", "--all"
    )
    assert ran.code == 2
    assert "standard input is not a terminal; pass -y/--yes" in ran.stderr
    assert proxy.actions() == []


def test_selection_with_yes_stops_every_match_and_audits_each(cli, queues, tmp_path) -> None:
    ran = cli(
        "cancel", "-p", "aws-batch", "--queue", "prod-q", "--status", "RUNNABLE",
        "--status", "PENDING", "--older-than", "1h", "--yes", "-o", "json", "-r", "drain",
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    chosen = {queues["q-runnable"], queues["q-pending"]}
    assert {r["job_id"]: r["outcome"] for r in ran.json()["results"]} == dict.fromkeys(
        chosen, "cancelled"
    )
    lines = audit_lines(tmp_path)
    assert sorted(line["job"] for line in lines if line["record"] == "answer") == sorted(chosen)
    finals = [line for line in lines if line["record"] == "final"]
    assert sorted(line["job"] for line in finals) == sorted(chosen)
    line = finals[0]
    assert (line["verb"], line["operation"], line["reason"], line["outcome"]) == (
        "cancel", "CancelJobs", "drain", "cancelled",
    )  # fmt: skip
    assert (line["provider"], line["region"]) == ("aws-batch", "us-east-1")
    assert line["state_before"] in {"RUNNABLE", "PENDING"}
    assert line["state_after"] == "FAILED"
    assert set(line) >= {"time", "user", "host", "reason_code", "force", "request_id", "error"}


def test_dry_run_on_a_selection_needs_no_confirmation_and_sends_nothing(
    cli, queues, proxy, tmp_path
) -> None:
    ran = cli(
        "terminate", "-p", "aws-batch", "--endpoint-url", proxy.url, "--queue", "prod-q",
        "--all", "-n", "-o", "json",
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    results = ran.json()["results"]
    assert {r["outcome"] for r in results} == {"planned"}
    assert len(results) == 4
    assert not {a for a in proxy.actions() if "terminate" in a or "cancel" in a}
    assert audit_lines(tmp_path) == []


def test_empty_selection_is_exit_0_and_says_so(cli, batch) -> None:
    batch.queue("empty-q")
    ran = cli("cancel", "-p", "aws-batch", "--queue", "empty-q", "--all", "--yes", "-o", "json")
    assert ran.code == 0
    assert ran.json()["results"] == []
    assert "no jobs matched: unfinished jobs in aws-batch queue empty-q" in ran.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("cancel", "-p", "aws-batch", UNKNOWN_JOB, "--status", "RUNNABLE"), "not both"),
        (("cancel", "-p", "aws-batch", "--queue", "q"), "--queue only scopes a selection"),
        (
            ("cancel", "-p", "aws-batch", "--status", "DONE", "--yes"),
            "--status 'DONE': aws-batch has no such state",
        ),
        (
            ("cancel", "-p", "aws-batch", "--all", "--older-than", "1 hour", "--yes"),
            "is not a duration",
        ),
        (("cancel", "--all", "--yes"), "a filter selection needs a provider"),
        (("list", "-p", "aws-batch", "--older-than", "-5m"), "is not a duration"),
    ],
)
def test_selection_usage_errors(cli, proxy, args, message) -> None:
    ran = cli(*args, "--endpoint-url", proxy.url)
    assert ran.code == 2, ran.stderr
    assert message in ran.stderr
    assert proxy.actions() == []


def test_more_than_20_ids_need_yes_without_a_terminal(cli, batch, proxy) -> None:
    jobs = [batch.add_job("RUNNABLE") for _ in range(21)]
    refused = cli("cancel", "-p", "aws-batch", "--endpoint-url", proxy.url, *jobs)
    assert refused.code == 2
    assert "refusing to cancel 21 jobs" in refused.stderr
    assert proxy.actions() == []
    assert cli("cancel", "-p", "aws-batch", "--yes", *jobs).code == 0
    assert cli("cancel", "-p", "aws-batch", *jobs[:20]).code == 0


def test_wait_turns_stopping_into_final(cli, batch) -> None:
    batch.stop_delay = 0.6
    job = batch.add_job("RUNNABLE")
    ran = cli("cancel", "-p", "aws-batch", "-o", "json", "--wait", "--poll-interval", "0.2s", job)
    assert ran.code == 0, ran.stderr
    result = ran.by_job()[job]
    assert (result["outcome"], result["state_after"]) == ("cancelled", "FAILED")


def test_wait_timing_out_is_exit_5(cli, batch, tmp_path) -> None:
    batch.stop_delay = 60
    job = batch.add_job("RUNNABLE")
    ran = cli(
        "cancel", "-p", "aws-batch", "-o", "json", "--wait", "--timeout", "1s",
        "--poll-interval", "0.2s", job,
    )  # fmt: skip
    assert ran.code == 5
    result = ran.by_job()[job]
    assert result["outcome"] == "stopping"
    # Exit 5 says the wait timed out; the typed field is not leaked into the report's extra.
    assert "wait_timed_out" not in result["extra"]
    assert [(line["record"], line["outcome"]) for line in audit_lines(tmp_path)] == [
        ("request", None),
        ("answer", "stopping"),
        ("final", "stopping"),
    ]


def test_no_audit_and_audit_env(cli, batch, tmp_path, monkeypatch) -> None:
    job = batch.add_job("RUNNABLE")
    assert cli("cancel", "-p", "aws-batch", "--no-audit", job).code == 0
    assert audit_lines(tmp_path) == []
    custom = tmp_path / "elsewhere" / "audit.jsonl"
    monkeypatch.setenv("JOBCTL_AUDIT_LOG", str(custom))
    other = batch.add_job("RUNNABLE")
    assert cli("cancel", "-p", "aws-batch", other).code == 0
    assert {json.loads(line)["job"] for line in custom.read_text().splitlines()} == {other}


def test_unwritable_audit_log_is_a_warning_never_a_lost_stop(
    cli, batch, tmp_path, monkeypatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("JOBCTL_AUDIT_LOG", str(blocker / "audit.jsonl"))
    job = batch.add_job("RUNNABLE")
    ran = cli("cancel", "-p", "aws-batch", "-o", "json", job)
    assert ran.code == 0
    assert ran.by_job()[job]["outcome"] == "cancelled"
    assert "could not write the audit log" in ran.stderr


def test_concurrent_appends_never_interleave(tmp_path) -> None:
    from jobctl.audit import AuditLog
    from jobctl.models import Outcome, Result, StopOptions, Verb

    log = AuditLog(tmp_path / "audit.jsonl", warn=print)
    options = StopOptions(verb=Verb.CANCEL, reason="r" * 3000)

    def write(worker: int) -> None:
        for n in range(200):
            log.record(
                Result("aws-batch", "us-east-1", f"{worker}-{n}", "cancel", Outcome.CANCELLED),
                options,
                kind="final",
            )

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    assert len(lines) == 800
    assert len({json.loads(line)["job"] for line in lines}) == 800


def test_config_file_precedence(cli, batch, tmp_path, monkeypatch) -> None:
    config = tmp_path / "config" / "jobctl" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        '[defaults]\nprovider = "aws-batch"\noutput = "json"\nreason = "from config"\n'
        '[providers.aws-batch]\nregion = "eu-west-1"\n'
    )
    job = batch.add_job("RUNNABLE")
    # The environment's region outranks the file's; the file's provider and output apply.
    ran = cli("cancel", job)
    assert ran.code == 0, ran.stderr
    assert ran.json()["results"][0]["region"] == "us-east-1"
    assert batch.job(job).job_stopped_reason == "from config"
    monkeypatch.setenv("JOBCTL_OUTPUT", "plain")
    other = batch.add_job("RUNNABLE")
    assert cli("cancel", other, "-r", "flag wins").stdout.split("\t")[0] == other
    assert batch.job(other).job_stopped_reason == "flag wins"


def test_config_region_applies_when_nothing_else_says(cli, batch, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    config = tmp_path / "config" / "jobctl" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[providers.aws-batch]\nregion = "us-east-1"\n')
    job = batch.add_job("RUNNABLE")
    ran = cli("status", "-p", "aws-batch", "-o", "json", job)
    assert ran.json()["results"][0]["region"] == "us-east-1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[defaults]\nprovider = "aws-batch"\noutput = \n',
            "is malformed: Invalid value (at line 3, column 10)",
        ),
        ("[defaults]\nregoin = 'x'\n", "unknown key 'regoin' in [defaults]"),
        (
            "[providers.aws-batch]\nconcurrency = 'many'\n",
            "concurrency in [providers.aws-batch] has the wrong type",
        ),
        ("[nonsense]\n", "unknown table [nonsense]"),
    ],
)
def test_malformed_config_is_exit_4_naming_file_and_line(
    cli, tmp_path, monkeypatch, text, message
) -> None:
    config = tmp_path / "my.toml"
    config.write_text(text)
    monkeypatch.setenv("JOBCTL_CONFIG", str(config))
    ran = cli("cancel", "-p", "aws-batch", UNKNOWN_JOB)
    assert ran.code == 4
    assert str(config) in ran.stderr
    assert message in ran.stderr


def test_aws_profile_outranks_the_config_files_profile(cli, tmp_path, monkeypatch) -> None:
    config = tmp_path / "config" / "jobctl" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[providers.aws-batch]\nprofile = "from-file"\n')
    monkeypatch.setenv("AWS_PROFILE", "from-env")
    ran = cli("status", "-p", "aws-batch", "--region", "us-east-1", UNKNOWN_JOB)
    assert ran.code == 4
    assert "AWS profile 'from-env' not found" in ran.stderr
    flag = cli(
        "status", "-p", "aws-batch", "--region", "us-east-1", "--profile", "flag", UNKNOWN_JOB
    )
    assert "AWS profile 'flag' not found" in flag.stderr
