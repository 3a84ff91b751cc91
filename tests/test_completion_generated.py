"""The checked-in completion scripts and fast-path table are what the generator makes today."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = [f"jobctl/completions/{name}" for name in ("jobctl.bash", "_jobctl", "jobctl.fish",
                                                     "jobctl.ps1")]  # fmt: skip
TABLE = "jobctl/complete/table.py"


def test_checked_in_files_are_current(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_completions.py"), str(tmp_path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for name in [*SCRIPTS, TABLE]:
        fresh = (tmp_path / name).read_text()
        assert (ROOT / name).read_text() == fresh, (
            f"{name} is stale: run `python scripts/gen_completions.py` and commit the result"
        )


def test_zsh_script_is_a_compdef_function_file() -> None:
    assert (ROOT / "jobctl" / "completions" / "_jobctl").read_text().splitlines()[
        0
    ] == "#compdef jobctl"


def test_readme_says_how_to_install_each_script() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in [*SCRIPTS, "jobctl completion bash", "jobctl --install-completion"]:
        assert name in readme
