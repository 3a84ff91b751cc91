"""Help that teaches: words for metavars, panels, three examples, and errors in jobctl's words."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

JOB = "1d828f65-7a6d-42a3-b5c6-8d2fa5b4e5e1"
COMMANDS = [
    (), ("cancel",), ("terminate",), ("status",), ("list",), ("providers",), ("config",),
    ("config", "show"), ("config", "path"), ("sandbox",), ("sandbox", "serve"),
    ("sandbox", "run"), ("sandbox", "demo"),
]  # fmt: skip
# How Python, Click or pydantic would say it; jobctl never does.
FOREIGN = re.compile(
    r"<(str|int|float|bool|list\[[a-z]+\]|int range|float range)>|list\[str\]|\bx>=|"
    r"Value error|Input should|valid integer|is not a aws|jobctl: jobctl|NoneType|"
    r"Invalid value for"
)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "jobctl")
def test_every_help_speaks_words_and_ends_with_three_examples(cli, command) -> None:
    ran = cli(*command, "--help")
    assert ran.code == 0, ran.stderr
    assert not FOREIGN.search(ran.stdout), FOREIGN.search(ran.stdout)
    examples = ran.stdout.split("\nExamples:\n", 1)[1].split("\n\n")[0]
    commands = [line for line in examples.splitlines() if not line.strip().startswith("#")]
    assert len(commands) == 3, examples


@pytest.mark.parametrize("verb", ["cancel", "terminate"])
def test_stop_options_are_grouped_into_panels(cli, verb) -> None:
    text = cli(verb, "--help").stdout
    panels = re.findall(r"^([A-Z][a-z]+):$", text, re.MULTILINE)
    assert panels[:6] == ["Arguments", "Selection", "Reason", "Safety", "Output", "Connection"]
    safety = text.split("\nSafety:\n")[1].split("\n\n")[0]
    assert "--dry-run" in safety
    assert "--timeout DURATION" in safety
    assert "--concurrency N" in safety
    assert "-p, --provider PROVIDER" in text.split("\nConnection:\n")[1]
    assert "JOB..." in text.split("\nArguments:\n")[1]


def test_terminate_hides_force_and_cancel_says_what_it_does(cli) -> None:
    assert "--force" not in cli("terminate", "--help").stdout
    cancel = " ".join(cli("cancel", "--help").stdout.split())
    assert "-f, --force Also stop started jobs: a RUNNING Batch job gets TerminateJob" in cancel


def test_terminate_still_accepts_force(cli) -> None:
    ran = cli("terminate", "-p", "aws-batch", "--force", "--region", "x y", JOB)
    assert "No such option" not in ran.stderr


def test_profile_help_agrees_with_providers(cli) -> None:
    help_text = " ".join(cli("cancel", "--help").stdout.split())
    assert (
        "--profile NAME AWS profile name, for aws-batch and aws-iot; does not apply to tencent"
        in (help_text)
    )
    matrix = cli("providers", "-o", "json").stdout
    assert "--profile does not apply" in matrix


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("cancel", "-p", "aws-batch", JOB, "-o", "yaml"),
         "jobctl: -o/--output 'yaml' is not an output format: use table, plain, json or ndjson"),
        (("cancel", "-p", "aws-batch", JOB, "--concurrency", "0"),
         "jobctl: --concurrency '0' is too small: use 1 or more"),
        (("cancel", "-p", "aws-batch", JOB, "--concurrency", "many"),
         "jobctl: --concurrency 'many' is not a whole number"),
        (("cancel", "-p", "aws-batch", JOB, "--rate", "nan"),
         "jobctl: --rate 'nan' is not a number"),
        (("cancel", "-p", "aws-batch", JOB, "--rate", "0"), "jobctl: --rate '0' is too small"),
        (("list", "-p", "aws-batch", "--status", "DONE"),
         "jobctl: --status 'DONE': aws-batch has no such state; use one of queued, running"),
        (("list",), "jobctl: list needs a provider: pass -p/--provider or set JOBCTL_PROVIDER"),
        (("status", "-p", "aws-batch", JOB, "-o", "JSON"),
         "jobctl: -o/--output 'JSON' is not an output format"),
        (("providers", "-o", "xml"), "jobctl: -o/--output 'xml' is not an output format"),
        (("completion", "tcsh"),
         "jobctl: SHELL 'tcsh' is not a choice: use bash, zsh, fish or powershell"),
    ],
)  # fmt: skip
def test_wrong_inputs_are_refused_in_jobctls_words(cli, args, message) -> None:
    ran = cli(*args)
    assert ran.code == 2, ran.stderr
    assert ran.stdout == ""
    assert ran.stderr.count("\n") == 1, ran.stderr
    assert ran.stderr.startswith(message), ran.stderr
    assert not FOREIGN.search(ran.stderr), ran.stderr


@pytest.mark.parametrize(
    "argv", [["cancel", "--help"], ["--version"], ["providers", "-o", "json"], ["list"]]
)
def test_no_command_imports_pydantic(argv) -> None:
    """Typer would convert every parameter through pydantic (~110 ms at start): jobctl does not."""
    code = (
        "import sys\n"
        "from jobctl.cli import main\n"
        f"main({argv!r})\n"
        "assert 'pydantic' not in sys.modules, 'pydantic imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
