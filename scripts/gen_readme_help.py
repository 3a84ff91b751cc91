"""Regenerate the README's help excerpts from the commands themselves.

    python scripts/gen_readme_help.py          # rewrite README.md in place
    python scripts/gen_readme_help.py --check  # exit 1 if an excerpt is stale

Each excerpt sits between `<!-- help: ARGS -->` and `<!-- /help -->` and is the output of
`jobctl ARGS --help` at 80 columns. tests/test_readme_help.py fails while one is stale.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- help: (?P<args>[^>]*?) -->\n).*?(<!-- /help -->)", re.DOTALL)


def help_of(args: str) -> str:
    env = {**os.environ, "COLUMNS": "80", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "jobctl", *args.split(), "--help"],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    return done.stdout


def render(text: str) -> str:
    def fill(match: re.Match[str]) -> str:
        body = help_of(match["args"]).rstrip("\n")
        return f"{match[1]}```text\n{body}\n```\n{match[3]}"

    return BLOCK.sub(fill, text)


def main(argv: list[str]) -> int:
    current = README.read_text()
    fresh = render(current)
    if "--check" in argv:
        return 0 if fresh == current else 1
    README.write_text(fresh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
