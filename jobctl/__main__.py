"""`python -m jobctl` and the `jobctl` console script."""

from __future__ import annotations

import os
import sys


def main() -> None:
    # A TAB: answer from the generated table before Typer, rich or any SDK is imported
    # (DESIGN.md §8). JOBCTL_COMPLETE_FAST=0 sends every request to Typer, for comparison.
    if os.environ.get("_JOBCTL_COMPLETE") and os.environ.get("JOBCTL_COMPLETE_FAST") != "0":
        from jobctl.complete import fast

        code = fast.answer(os.environ, sys.stdout)
        if code is not None:
            fast.finish(code)
    from jobctl.cli import main as cli_main

    sys.exit(cli_main())


if __name__ == "__main__":
    main()
