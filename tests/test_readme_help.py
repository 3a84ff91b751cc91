"""The README's help excerpts are what the commands print today."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_help_excerpts_are_current() -> None:
    readme = (ROOT / "README.md").read_text()
    assert readme.count("<!-- help: ") >= 2
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_readme_help.py"), "--check"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, (
        "README.md help excerpts are stale: run `python scripts/gen_readme_help.py`"
    )
