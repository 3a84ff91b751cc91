"""Usage, configuration and unexpected errors: one stderr line, the right exit code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from jobctl.errors import ExitCode

# A well-formed AWS Batch job id no job has.
JOB = "1d828f65-7a6d-42a3-b5c6-8d2fa5b4e5e1"


def test_exit_code_table_is_pinned() -> None:
    assert {c.name: int(c) for c in ExitCode} == {
        "OK": 0, "FAILED": 1, "USAGE": 2, "PARTIAL": 3, "CONFIG": 4, "WAIT_TIMEOUT": 5,
        "INTERRUPTED": 130,
    }  # fmt: skip
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    for code in ExitCode:
        assert re.search(rf"^\| {int(code)} \|", readme, re.MULTILINE), f"README lacks {code}"


def test_help_documents_exit_codes(cli) -> None:
    ran = cli("--help")
    assert ran.code == 0
    text = " ".join(ran.stdout.split())
    for fragment in (
        "0 every job ok",
        "2 usage or input error",
        "3 partial",
        "4 configuration",
        "5 --wait timed out",
        "130 interrupted",
    ):
        assert fragment in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("cancel", "job-1"),
            "no provider for job 'job-1': pass -p/--provider, set JOBCTL_PROVIDER",
        ),
        (("cancel", "-p", "gcp", "j"), "unknown provider 'gcp': choose one of aws-batch"),
        (
            ("cancel", "-p", "aws-batch", JOB, "--reason-code", "oops"),
            "--reason-code 'oops' is not valid",
        ),
        (
            ("cancel", "-p", "aws-batch", JOB, "-r", "a\tb"),
            "--reason must be printable single-line",
        ),
        (
            ("cancel", "-p", "aws-batch", JOB, "-r", "x" * 1025),
            "--reason is 1025 characters; AWS Batch takes at most 1024 in reason",
        ),
        (
            ("cancel", "-p", "aws-batch", JOB, "--reason-code", "C" * 20, "-r", "x" * 1010),
            "1032 characters with the reason code folded in",
        ),
        (("cancel", "-p", "aws-batch", JOB, "-r", "  "), "--reason must not be empty"),
        (("cancel", "-p", "aws-batch", "white space"), "is not a valid aws-batch job id"),
        (("cancel", "-p", "aws-batch", ""), "empty job id"),
        (
            ("cancel", "-p", "aws-batch", JOB, "--thing", "t1"),
            "--thing applies to aws-iot jobs only",
        ),
        (
            ("cancel", "-p", "aws-batch", JOB, "--timeout", "soon"),
            "--timeout 'soon' is not a duration",
        ),
        (("cancel", "-p", "aws-batch", JOB, "--bogus"), "No such option: --bogus"),
        (
            ("cancel", "-p", "aws-batch", JOB, "-o", "xml"),
            "-o/--output 'xml' is not an output format: use table, plain, json or ndjson",
        ),
        (("frobnicate",), "No such command 'frobnicate'"),
    ],
)
def test_usage_errors_exit_2_with_one_line_and_send_nothing(cli, proxy, args, message) -> None:
    ran = cli(*args, "--endpoint-url", proxy.url) if args[0] != "frobnicate" else cli(*args)
    assert ran.code == 2, ran.stderr
    assert ran.stdout == ""
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1, ran.stderr
    assert message in lines[0]
    assert lines[0].startswith("jobctl: ")
    assert proxy.actions() == []


def test_no_region_is_exit_4_with_the_fix(cli, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    ran = cli("cancel", "-p", "aws-batch", JOB)
    assert ran.code == 4
    assert "no AWS region: pass --region, set AWS_REGION" in ran.stderr
    assert ran.stdout == ""


def test_no_credentials_is_exit_4_with_the_fix(cli) -> None:
    ran = cli("cancel", "-p", "aws-batch", "--region", "us-east-1", JOB)
    assert ran.code == 4
    assert "no AWS credentials: set AWS_ACCESS_KEY_ID" in ran.stderr


def test_unknown_profile_is_exit_4(cli) -> None:
    ran = cli("cancel", "-p", "aws-batch", "--profile", "nope", JOB)
    assert ran.code == 4
    assert "AWS profile 'nope' not found" in ran.stderr


def test_aws_region_is_honoured(cli, batch, monkeypatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    job = batch.add_job("RUNNABLE")
    ran = cli("status", "-p", "aws-batch", "-o", "json", job)
    assert ran.code == 0, ran.stderr
    assert ran.json()["results"][0]["region"] == "us-east-1"


def test_server_down_every_job_failed_exit_1(cli, aws_env, monkeypatch) -> None:
    down = ("--endpoint-url", "http://127.0.0.1:9")
    ran = cli("cancel", "-p", "aws-batch", "-o", "json", *down, JOB, JOB.replace("1", "2"))
    assert ran.code == 1
    results = ran.json()["results"]
    assert [r["outcome"] for r in results] == ["failed", "failed"]
    assert all("lookup failed" in r["message"] for r in results)


def test_unexpected_error_is_one_line_without_traceback(cli, batch, monkeypatch) -> None:
    from jobctl import engine

    def boom(*args, **kwargs):
        raise RuntimeError("wires crossed")

    monkeypatch.setattr(engine.Engine, "run", boom)
    job = batch.add_job("RUNNABLE")
    ran = cli("cancel", "-p", "aws-batch", job)
    assert ran.code == 1
    assert ran.stderr.strip() == (
        "jobctl: unexpected error: RuntimeError: wires crossed (rerun with --debug for details)"
    )
    debug = cli("cancel", "-p", "aws-batch", job, "--debug")
    assert "Traceback" in debug.stderr


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["providers"], ["cancel", "--help"]])
def test_help_version_and_providers_never_import_a_cloud_sdk(argv) -> None:
    code = (
        "import sys\n"
        "from jobctl.cli import main\n"
        f"rc = main({argv!r})\n"
        "loaded = [m for m in ('boto3', 'botocore', 'tencentcloud') if m in sys.modules]\n"
        "assert rc == 0 and not loaded, (rc, loaded)\n"
    )
    done = run_python(code)
    assert done.returncode == 0, done.stderr


def test_importing_the_cli_imports_no_sdk() -> None:
    done = run_python("import jobctl.cli, sys; assert 'boto3' not in sys.modules")
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("args", [(), ("cancel",)])
def test_bare_commands_print_their_help_as_it_is(cli, args) -> None:
    ran = cli(*args)
    assert ran.code == 2
    assert ran.stderr.startswith("Usage: jobctl")
    assert "\\n" not in ran.stderr
    assert len(ran.stderr.splitlines()) > 5


def test_unknown_command_hint_points_at_the_root_help(cli) -> None:
    ran = cli("bogus")
    assert ran.stderr.strip() == "jobctl: No such command 'bogus'. (see 'jobctl --help')"
