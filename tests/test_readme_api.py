"""The README's Python API example, run exactly as written against the sandbox."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
JOBCTL = shutil.which("jobctl")
pytestmark = pytest.mark.skipif(JOBCTL is None, reason="jobctl is not installed on PATH")


def readme_example() -> str:
    """The first python block of the README's "Python API" section."""
    section = README.read_text().split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_example_stops_jobs_against_the_sandbox(tmp_path) -> None:
    assert JOBCTL is not None
    script = tmp_path / "stop_backfill.py"
    script.write_text(readme_example())
    done = subprocess.run(
        [JOBCTL, "sandbox", "run", "--", sys.executable, str(script)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env=dict(os.environ),
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    listed = [line for line in lines if " RUNNABLE backfill-" in line]
    assert len(listed) == 3, done.stdout
    # Waited for: every listed job is finally cancelled, with the reason given.
    stopped = [line.split()[0] for line in lines if line.endswith(" cancelled superseded")]
    assert sorted(stopped) == sorted(line.split()[0] for line in listed)
    assert "terminated 1/1 ok" in lines
    assert lines[-1].startswith("refused (exit 2): unknown provider prefix 'tencnet'")
    # The API printed nothing of its own: no notice, no warning, no progress.
    assert done.stderr == ""
