"""`--help` before Typer: the generated pages are current and are what Typer prints."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jobctl.help_pages import PAGES

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobctl", *args], capture_output=True, text=True, check=False,
        env={**os.environ, "COLUMNS": "80", **env},
    )  # fmt: skip


def test_checked_in_pages_are_current(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_help_pages.py"), str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    fresh = (tmp_path / "jobctl" / "help_pages.py").read_text()
    assert (ROOT / "jobctl" / "help_pages.py").read_text() == fresh, (
        "jobctl/help_pages.py is stale: run `python scripts/gen_help_pages.py` and commit it"
    )


@pytest.mark.parametrize("path", ["", "cancel", "terminate", "sandbox serve", "config show"])
def test_fast_page_is_what_typer_prints(path: str) -> None:
    fast = run(*path.split(), "--help")
    slow = run(*path.split(), "--help", JOBCTL_FAST_HELP="0")
    assert fast.returncode == slow.returncode == 0
    assert fast.stdout == slow.stdout == PAGES[path]
    assert run(*path.split(), "-h").stdout == fast.stdout


def test_a_narrow_terminal_gets_typers_wrapping() -> None:
    narrow = run("cancel", "--help", COLUMNS="60")
    assert narrow.stdout != PAGES["cancel"]
    assert narrow.stdout == run("cancel", "--help", COLUMNS="60", JOBCTL_FAST_HELP="0").stdout


@pytest.mark.parametrize("argv", [["cancel", "--help"], ["--help"], ["--version"]])
def test_help_and_version_import_neither_typer_nor_rich(argv: list[str]) -> None:
    code = (
        "import sys\n"
        f"sys.argv = ['jobctl', *{argv!r}]\n"
        "from jobctl.__main__ import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert exc.code == 0, exc.code\n"
        "loaded = [m for m in ('typer', 'rich', 'pydantic', 'boto3') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
