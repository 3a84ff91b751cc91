"""Regenerate completions/* and jobctl/complete/table.py from the Typer app and the registry.

    python scripts/gen_completions.py            # in the repository
    python scripts/gen_completions.py OUT_DIR    # elsewhere (the staleness test does this)

Run it after changing a command, an option, a help text or a provider's states or regions;
tests/test_completion_generated.py fails until the checked-in files match.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    from jobctl.complete.build import write

    out = Path(argv[0]) if argv else ROOT
    for path in write(out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
