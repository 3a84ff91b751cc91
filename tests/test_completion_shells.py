"""The shipped scripts in real shells, driving the installed `jobctl` as a TAB would.

bash: the completion function called with COMP_WORDS / COMP_CWORD, COMPREPLY read back.
zsh: compsys only runs inside a completion widget, so `_arguments` is replaced by a probe
that prints the spec the script hands it. fish: its own engine, `complete -C`.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.completion import installed_jobctl

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "jobctl" / "completions"
JOBCTL = installed_jobctl()
pytestmark = pytest.mark.skipif(JOBCTL is None, reason="jobctl is not installed")

# SCHEDULED is a service job's only (handed to SageMaker AI, not started).
BATCH_STATES = [
    "SUBMITTED",
    "PENDING",
    "RUNNABLE",
    "SCHEDULED",
    "STARTING",
    "RUNNING",
    "SUCCEEDED",
    "FAILED",
]


def shell(program: str, script: str, **env: str) -> list[str]:
    if shutil.which(program) is None:
        pytest.skip(f"{program} is not installed (apt-get install {program})")
    assert JOBCTL is not None
    path = f"{Path(JOBCTL).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    argv = {
        "bash": ["bash", "--norc", "--noprofile", "-c", script],
        "zsh": ["zsh", "-f", "-c", script],
        "fish": ["fish", "--no-config", "-c", script],
    }[program]
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "PATH": path, **env}, cwd=ROOT,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    return done.stdout.splitlines()


def bash_tab(*words: str, **env: str) -> list[str]:
    quoted = " ".join(f"'{word}'" for word in words)
    return shell(
        "bash",
        f"source {SCRIPTS / 'jobctl.bash'}\n"
        f"COMP_WORDS=(jobctl {quoted}); COMP_CWORD={len(words)}\n"
        # What readline sets beside them: the line, and the cursor at its end.
        f"COMP_LINE={shlex.quote(' '.join(('jobctl', *words)))}; COMP_POINT=${{#COMP_LINE}}\n"
        '_jobctl_completion jobctl; printf "%s\\n" "${COMPREPLY[@]}"',
        **env,
    )


def zsh_tab(*words: str, **env: str) -> list[str]:
    """Values of the `_arguments` spec zsh's script evaluates ('_files': none offered)."""
    quoted = " ".join(f"'{word}'" for word in words)
    spec = shell(
        "zsh",
        '_arguments() { print -r -- "$@" }; _files() { print -r -- FILES }\n'
        # Installed the way the README says: on $fpath, autoloaded as _jobctl.
        f"fpath=({SCRIPTS} $fpath); autoload -Uz _jobctl\n"
        f"words=(jobctl {quoted}); CURRENT={len(words) + 1}; _jobctl || true",
        **env,
    )
    if not spec:
        return []  # nothing fits: the script offers nothing (never file names)
    # *: :(("value":"description" "value" ...)): each item, its description consumed with it.
    items = re.findall(r'"((?:[^"]|"")*)"(?::"(?:[^"]|"")*")?', spec[0])
    return [value.replace('""', '"') for value in items]


def fish_tab(line: str, **env: str) -> dict[str, str]:
    """value -> description, from fish's own completion engine."""
    out = shell("fish", f"source {SCRIPTS / 'jobctl.fish'}; complete -C '{line}'", **env)
    return dict([*entry.split("\t"), ""][:2] for entry in out)


def test_bash_completes_commands_options_providers_and_statuses() -> None:
    assert bash_tab("ca") == ["cancel"]
    assert bash_tab("") == [
        "cancel",
        "terminate",
        "status",
        "list",
        "providers",
        "completion",
        "config",
        "sandbox",
    ]
    assert bash_tab("cancel", "--dr") == ["--dry-run"]
    assert bash_tab("cancel", "-p", "") == ["aws-batch", "aws-iot", "tencent"]
    assert bash_tab("cancel", "-p", "aws-batch", "--status", "") == [
        "queued",
        "running",
        *BATCH_STATES,
    ]
    assert bash_tab("cancel", "-p", "tencent", "--region", "ap-s") == [
        "ap-shanghai",
        "ap-singapore",
        "ap-seoul",
    ]
    assert bash_tab("cancel", "-o", "") == ["table", "plain", "json", "ndjson"]


def test_bash_completes_job_ids_from_a_warm_cache(cli, batch) -> None:
    queued, running = batch.add_job("RUNNABLE"), batch.add_job("RUNNING")
    assert cli("list", "-p", "aws-batch").code == 0
    offered = bash_tab("cancel", "-p", "aws-batch", "", JOBCTL_COMPLETE_REMOTE="0")
    assert sorted(offered) == sorted([queued, running])


def test_bash_completes_job_ids_from_moto_when_the_cache_is_cold(batch) -> None:
    queued = batch.add_job("PENDING")
    batch.add_job("SUCCEEDED")
    # A generous deadline: the lookup imports boto3, slow on a busy CI machine.
    assert bash_tab("cancel", "-p", "aws-batch", "", JOBCTL_COMPLETE_TIMEOUT="10") == [queued]
    # The lookup filled the cache: the next TAB needs no server.
    assert bash_tab("cancel", "-p", "aws-batch", "", JOBCTL_COMPLETE_REMOTE="0") == [queued]


def test_zsh_completes_through_the_autoloaded_script(cli, batch) -> None:
    assert zsh_tab("ca") == ["cancel"]
    assert zsh_tab("cancel", "-p", "") == ["aws-batch", "aws-iot", "tencent"]
    assert zsh_tab("cancel", "-p", "aws-batch", "--status", "R") == [
        "running",
        "RUNNABLE",
        "RUNNING",
    ]
    assert zsh_tab("list", "x") == []
    job = batch.add_job("RUNNABLE")
    assert cli("list", "-p", "aws-batch").code == 0
    assert zsh_tab("cancel", "-p", "aws-batch", "", JOBCTL_COMPLETE_REMOTE="0") == [job]


def test_fish_completes_with_descriptions(cli, batch) -> None:
    assert fish_tab("jobctl ca") == {"cancel": "Stop jobs that have not started; with..."}
    assert fish_tab("jobctl cancel -p ") == {
        "aws-batch": "AWS Batch",
        "aws-iot": "AWS IoT jobs",
        "tencent": "Tencent Cloud Batch",
    }
    assert fish_tab("jobctl cancel -p aws-batch --status RUN") == {
        "RUNNABLE": "queued",
        "RUNNING": "running",
    }
    job = batch.add_job("RUNNABLE", name="etl-7")
    assert cli("list", "-p", "aws-batch").code == 0
    offered = fish_tab("jobctl cancel -p aws-batch ", JOBCTL_COMPLETE_REMOTE="0")
    assert offered == {job: "RUNNABLE, etl-7"}


@pytest.mark.parametrize("program", ["bash", "zsh", "fish"])
def test_typers_root_flags_show_and_install_the_shipped_scripts(program, tmp_path) -> None:
    """`--show-completion` and `--install-completion` (Typer's, on the root) detect the shell
    jobctl runs in and give the same script as `jobctl completion SHELL`, not Typer's stock one
    (which offers file names and, in bash, splits PROVIDER:ID at the colon)."""
    if shutil.which(program) is None:
        pytest.skip(f"{program} is not installed")
    from jobctl.complete.scripts import script_text

    assert JOBCTL is not None
    env = {**os.environ, "HOME": str(tmp_path)}

    def in_shell(flag: str) -> subprocess.CompletedProcess[str]:
        # `; true`: the shell stays jobctl's parent (a lone command would be exec'd in its place).
        return subprocess.run(
            [program, "-c", f"{JOBCTL} {flag}; true"], env=env, cwd=tmp_path,
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    shown = in_shell("--show-completion")
    assert shown.stdout.strip() == script_text(program).strip(), shown.stderr
    installed = in_shell("--install-completion")
    assert f"{program} completion installed in" in installed.stdout, installed.stderr
    where = {
        "bash": ".bash_completions/jobctl.sh",
        "zsh": ".zfunc/_jobctl",
        "fish": ".config/fish/completions/jobctl.fish",
    }[program]
    assert (tmp_path / where).read_text().strip() == script_text(program).strip()
