"""The fast path answers exactly what Typer's own completion answers, without loading Typer.

Every partial command line of the corpus is completed twice, in every shell's protocol: by
`jobctl.complete.fast` and by Typer's completion over the real app (with its `hooks`).
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer import rich_utils
from typer.completion import completion_init, shell_complete

from jobctl.cli import app
from jobctl.complete import cache, scope
from jobctl.complete.catalog import Table
from tests.support.completion import fast_answer, requests

# What the user has typed after `jobctl ` when pressing TAB.
CORPUS = [
    "",
    "c",
    "ca",
    "s",
    "x",
    "-",
    "--",
    "--v",
    "-h",
    "cancel ",
    "cancel -",
    "cancel --",
    "cancel --p",
    "cancel --st",
    "cancel -p ",
    "cancel -p a",
    "cancel -p aws-i",
    "cancel --provider ",
    "cancel --provider=",
    "cancel --provider=t",
    "cancel -p aws-batch -",
    "cancel -p aws-batch --",
    "cancel -paws-batch --",
    "cancel -p aws-batch --status ",
    "cancel -p aws-batch --status R",
    "cancel -p aws-iot --status ",
    "cancel -p tencent --status S",
    "cancel -p tencent --status q",
    "cancel --status ",
    "cancel --status F",
    "cancel --status RUNNING --status ",
    "cancel --status RUNNING --",
    "cancel -p aws-batch --region ",
    "cancel -p tencent --region ap-",
    "cancel --region ",
    "cancel --region eu-",
    "cancel -o ",
    "cancel -o j",
    "cancel --output=n",
    "cancel -o json -",
    "cancel -f -",
    "cancel -fq -",
    "cancel -fy --",
    "cancel -y -n --dry-run --w",
    "cancel --thing a --thing b --",
    "cancel --reason -p ",
    "cancel -r x -",
    "cancel -- -",
    "cancel --bogus -",
    "cancel -Z -",
    "cancel --force=yes -",
    "cancel -p",
    "terminate -p tencent --status ",
    "status -",
    "status -p aws-iot --region ",
    "list -",
    "list --",
    "list ",
    "list x",
    "list -p aws-batch --status ",
    "list --status q",
    "providers ",
    "providers -",
    "providers -o ",
    "providers --output t",
    "config ",
    "config s",
    "config show -",
    "config show -o ",
    "config path -",
    "sandbox ",
    "sandbox r",
    "sandbox -",
    "sandbox run ",
    "sandbox run -",
    "sandbox run -- -",
    "sandbox demo -",
    "--bogus ca",
    "--version ",
    "--help ",
    "bogus -",
    "bogus ",
    'cancel "--st',
    "cancel '-p' ",
    "cancel -p 'aws-b",
    "cancel -p aws\\-b",
]


@functools.cache
def typer_command() -> typer.core.TyperGroup:
    completion_init()
    command = typer.main.get_command(app)
    assert isinstance(command, typer.core.TyperGroup)
    return command


def typer_answer(
    request: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[str, int]:
    for name, value in request.items():
        monkeypatch.setenv(name, value)
    # Typer wraps descriptions at the terminal's width; the fast path never does.
    monkeypatch.setattr(rich_utils, "MAX_WIDTH", 100_000)
    capsys.readouterr()
    try:
        code = shell_complete(
            typer_command(), {}, "jobctl", "_JOBCTL_COMPLETE", request["_JOBCTL_COMPLETE"]
        )
    except SystemExit as exc:  # fish's is-args answers with its exit code
        code = int(exc.code or 0)
    return capsys.readouterr().out, code


ZSH_START, ZSH_END = "_arguments '*: :((", "))'\n"


def help_in_declared_order(text: str) -> str:
    """Click lists -h/--help in set order (it changes with the hash seed); the table does not."""
    if text.startswith(ZSH_START) and text.endswith(ZSH_END):
        inner = text[len(ZSH_START) : -len(ZSH_END)]
        return f"{ZSH_START}{help_in_declared_order(inner)}{ZSH_END}"
    lines = text.split("\n")
    for i in range(len(lines) - 1):
        pair = (lines[i], lines[i + 1])
        if pair[0].startswith(('"--help"', "--help")) and pair[1].startswith(('"-h"', "-h")):
            lines[i], lines[i + 1] = pair[1], pair[0]
    return "\n".join(lines)


def compare(line: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> int:
    """Both answers for every shell; returns how many the fast path gave itself."""
    answered = 0
    for request in requests(line):
        mine = fast_answer(request)
        theirs = typer_answer(request, monkeypatch, capsys)
        if mine is not None:
            answered += 1
            if _any_case_statuses(line):
                _same_but_any_case(line, request, mine, theirs)
                continue
            assert mine == (help_in_declared_order(theirs[0]), theirs[1]), (line, request)
    return answered


def _any_case_statuses(line: str) -> bool:
    """`--status r` offers RUNNABLE too; Typer's `autocompletion=` adapter drops every value
    not starting with the word as typed, so there its answer is the case-sensitive part."""
    words = line.split()
    return len(words) >= 2 and words[-2] == "--status" and not line.endswith(" ")


def _same_but_any_case(
    line: str, request: dict[str, str], mine: tuple[str, int], theirs: tuple[str, int]
) -> None:
    if request["_JOBCTL_COMPLETE"] != "complete_bash":
        return
    word = line.rsplit(maxsplit=1)[-1]
    extra = set(mine[0].split()) - set(theirs[0].split())
    assert set(theirs[0].split()) <= set(mine[0].split()), line
    assert all(v.lower().startswith(word.lower()) and not v.startswith(word) for v in extra)


def test_status_values_match_in_any_case(monkeypatch) -> None:
    monkeypatch.setenv("JOBCTL_COMPLETE_REMOTE", "0")
    answer = fast_answer(requests("cancel -p aws-batch --status r")[0])
    assert answer == ("running\nRUNNABLE\nRUNNING\n", 0)
    answer = fast_answer(requests("cancel -p aws-batch --status Q")[0])
    assert answer == ("queued\n", 0)


@pytest.mark.parametrize("line", CORPUS)
def test_fast_path_answers_what_typer_answers(line, monkeypatch, capsys) -> None:
    monkeypatch.setenv("JOBCTL_COMPLETE_REMOTE", "0")
    compare(line, monkeypatch, capsys)


@pytest.mark.parametrize(
    "line",
    ["ca", "", "cancel -", "cancel -p ", "cancel -p aws-batch --status ", "cancel --status ",
     "cancel -o ", "list --region ", "status -p tencent --region ", "sandbox run -"],
)  # fmt: skip
def test_fast_path_answers_common_requests_itself(line, monkeypatch, capsys) -> None:
    monkeypatch.setenv("JOBCTL_COMPLETE_REMOTE", "0")
    assert compare(line, monkeypatch, capsys) == len(requests(line))


def test_provider_from_environment_and_config_narrows_statuses(
    monkeypatch, capsys, clean_env: Path
) -> None:
    monkeypatch.setenv("JOBCTL_COMPLETE_REMOTE", "0")
    monkeypatch.setenv("JOBCTL_PROVIDER", "tencent")
    assert compare("cancel --status ", monkeypatch, capsys) == 5
    assert "SUCCEED" in fast_answer(requests("cancel --status ")[0])[0]
    monkeypatch.delenv("JOBCTL_PROVIDER")
    config = clean_env / "config" / "jobctl" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[defaults]\nprovider = "aws-iot"\n')
    assert compare("list --status ", monkeypatch, capsys) == 5
    assert fast_answer(requests("list --status ")[0])[0].split() == [
        "queued", "running", "SCHEDULED", "IN_PROGRESS", "CANCELED", "COMPLETED",
        "DELETION_IN_PROGRESS",
    ]  # fmt: skip


def test_job_ids_and_queues_answer_alike_from_a_warm_cache(monkeypatch, capsys) -> None:
    monkeypatch.setenv("JOBCTL_COMPLETE_REMOTE", "0")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    facts = Table().facts("aws-batch")
    assert facts is not None
    key = scope.resolve(facts, region=None, profile=None, endpoint=None)
    names = ["[bold]etl[/bold] $HOME 'a' \"b\" c:d", "tab\there", "x" * 80]
    cache.store(key, [
        ("1d828f65-0001", "RUNNABLE", names[0], "prod-q"),
        ("1d828f65-0002", "RUNNING", names[1], "prod-q"),
        ("1d828f65-0003", "PENDING", names[2], "gpu:q"),
        ("1d828f65-0004", "SUCCEEDED", "done", "prod-q"),
    ])  # fmt: skip
    for line in ["cancel -p aws-batch ", "status -p aws-batch 1d8", "terminate -p aws-batch x",
                 "list -p aws-batch --queue ", "cancel -p aws-batch --queue g"]:  # fmt: skip
        assert compare(line, monkeypatch, capsys) == 5
    offered = fast_answer(requests("cancel -p aws-batch ")[2])
    assert offered is not None
    assert (
        offered[0].splitlines()[0]
        == "1d828f65-0001\tRUNNABLE, (bold)etl(/bold) $HOME 'a' \"b\" c:d"
    )


def test_unknown_provider_is_left_to_typer(monkeypatch, capsys) -> None:
    monkeypatch.setenv("JOBCTL_COMPLETE_REMOTE", "0")
    request = requests("cancel -p nosuch --status ")[0]
    assert fast_answer(request) is None
    assert typer_answer(request, monkeypatch, capsys) == ("\n", 0)


def test_descriptions_follow_each_shells_protocol() -> None:
    zsh = fast_answer(requests("cancel -p aws-batch --status R")[1])
    assert zsh == (
        '_arguments \'*: :(("running":"phase\\\\: STARTING RUNNING"\n'
        '"RUNNABLE":"queued"\n"RUNNING":"running"))\'\n',
        0,
    )
    fish = fast_answer(requests("cancel -p ")[2])
    assert fish == (
        "aws-batch\tAWS Batch\naws-iot\tAWS IoT jobs\ntencent\tTencent Cloud Batch\n",
        0,
    )
    assert fast_answer(requests("cancel -p ")[3]) == ("", 0)
    assert fast_answer(requests("list x")[3]) == ("", 1)
    assert fast_answer(requests("list x")[1]) == ("_files\n", 0)


SDKS_AND_FRAMEWORKS = ("typer", "click", "rich", "pydantic", "boto3", "botocore", "tencentcloud")


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["jobctl", "ca"], ["cancel"]),
        (["jobctl", "cancel", "-p", ""], ["aws-batch", "aws-iot", "tencent"]),
        (
            ["jobctl", "cancel", "-p", "aws-batch", "--status", "RUN"],
            ["running", "RUNNABLE", "RUNNING"],
        ),
        (["jobctl", "list", "--status", "q"], ["queued"]),
    ],
)
def test_a_tab_imports_no_framework_and_no_sdk(words, expected, tmp_path: Path) -> None:
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write(' '.join(sorted(sys.modules))))\n"
        "from jobctl.__main__ import main\n"
        "main()\n"
    )
    env = {
        **os.environ,
        "_JOBCTL_COMPLETE": "complete_bash",
        "COMP_WORDS": "\n".join(words),
        "COMP_CWORD": str(len(words) - 1),
    }
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == expected
    loaded = {name.split(".")[0] for name in done.stderr.split()}
    assert not loaded & set(SDKS_AND_FRAMEWORKS)
    assert "jobctl.cli" not in done.stderr.split()


def test_completion_reads_the_config_file_jobctl_reads(monkeypatch, tmp_path: Path) -> None:
    """One resolver names the file for both: what a run loads is what TAB loads."""
    from jobctl import config, settings

    def run_reads() -> str:
        path = Path(settings.config_path())
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('[defaults]\nprovider = "tencent"\n')
        return str(config.load().path)

    def tab_reads() -> str:
        return str(settings.load(strict=False).file.where("defaults")).rsplit(":", 1)[0]

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert run_reads() == tab_reads()
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert run_reads() == tab_reads()
    monkeypatch.setenv("JOBCTL_CONFIG", str(tmp_path / "elsewhere.toml"))
    assert run_reads() == tab_reads()
