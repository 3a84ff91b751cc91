"""Pressing TAB from a test: the environment each shell's script sets, and the answers."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

from jobctl.complete import fast


def installed_jobctl() -> str | None:
    """The console script next to this interpreter (not a version manager's slow shim)."""
    beside = Path(sys.executable).parent / "jobctl"
    return str(beside) if beside.exists() else shutil.which("jobctl")


def bash_env(line: str) -> dict[str, str]:
    # What the shipped bash function sends: COMP_WORDS joined by its IFS (a newline).
    words = ["jobctl", *line.split()]
    if not line or line.endswith(" "):
        words.append("")
    return {"COMP_WORDS": "\n".join(words), "COMP_CWORD": str(len(words) - 1)}


def requests(line: str) -> list[dict[str, str]]:
    """bash, zsh, fish (get-args, is-args), PowerShell: a TAB after `jobctl {line}`."""
    full = f"jobctl {line}"
    last = "" if line.endswith(" ") or not line else line.rsplit(maxsplit=1)[-1]
    return [
        {"_JOBCTL_COMPLETE": "complete_bash", **bash_env(line)},
        {"_JOBCTL_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": full},
        *(
            {
                "_JOBCTL_COMPLETE": "complete_fish",
                "_TYPER_COMPLETE_FISH_ACTION": action,
                "_TYPER_COMPLETE_ARGS": full,
            }
            for action in ("get-args", "is-args")
        ),
        {
            "_JOBCTL_COMPLETE": "complete_powershell",
            "_TYPER_COMPLETE_ARGS": full.rstrip(),
            "_TYPER_COMPLETE_WORD_TO_COMPLETE": last,
        },
    ]


def fast_answer(request: dict[str, str]) -> tuple[str, int] | None:
    """The fast path in this process; None when it leaves the request to Typer."""
    out = io.StringIO()
    code = fast.answer({**os.environ, **request}, out)
    return None if code is None else (out.getvalue(), code)


def tab(line: str) -> list[str]:
    """What bash would offer, answered in this process by the fast path (no live lookup)."""
    answer = fast_answer({**requests(line)[0], "JOBCTL_COMPLETE_REMOTE": "0"})
    assert answer is not None, f"the fast path did not answer {line!r}"
    return answer[0].split()


def described(line: str) -> dict[str, str]:
    """value -> description, as fish shows them."""
    answer = fast_answer({**requests(line)[2], "JOBCTL_COMPLETE_REMOTE": "0"})
    assert answer is not None
    return dict(entry.split("\t") for entry in answer[0].splitlines() if entry)


def tab_process(
    line: str, *, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed jobctl answering a bash TAB (how long it takes is the machine's business:
    tests bound what jobctl controls, e.g. when its connection closes)."""
    jobctl = installed_jobctl()
    assert jobctl is not None
    return subprocess.run(
        [jobctl],
        env={**os.environ, **requests(line)[0], **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
