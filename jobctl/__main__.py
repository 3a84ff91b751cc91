"""`python -m jobctl` and the `jobctl` console script."""

from __future__ import annotations

import os
import sys


def main() -> None:
    _missing_streams_to_devnull()
    # A TAB: answer from the generated table before Typer, rich or any SDK is imported
    # (docs/ARCHITECTURE.md, "Tab completion"). JOBCTL_COMPLETE_FAST=0 sends every request
    # to Typer, for comparison.
    from jobctl.complete import COMPLETE_VAR

    if os.environ.get(COMPLETE_VAR) and os.environ.get("JOBCTL_COMPLETE_FAST") != "0":
        from jobctl.complete import fast

        code = fast.answer(os.environ, sys.stdout)
        if code is not None:
            fast.finish(code)
    _fast_help(sys.argv[1:])
    from jobctl.cli import main as cli_main

    sys.exit(cli_main())


def _fast_help(args: list[str]) -> None:
    """`jobctl [CMD...] --help` and `jobctl --version` without importing Typer (README "Start-up").

    The pages are Typer's own output at 80 columns (scripts/gen_help_pages.py), which is
    what Click prints on any terminal at least that wide; a narrower one goes to Typer.
    JOBCTL_FAST_HELP=0 sends every --help to Typer, for comparison and for the generator.
    """
    if os.environ.get("JOBCTL_FAST_HELP") == "0" or not args:
        return
    if args == ["--version"]:
        from jobctl import __version__

        sys.stdout.write(f"jobctl {__version__}\n")
        sys.exit(0)
    if args[-1] not in ("-h", "--help"):
        return
    from jobctl.help_pages import PAGES

    text = PAGES.get(" ".join(args[:-1]))
    if text is None or _columns() < 80:
        return
    sys.stdout.write(text)
    sys.exit(0)


def _columns() -> int:
    # Click wraps help at min(terminal width, 80): its shutil.get_terminal_size, in short.
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


def _missing_streams_to_devnull() -> None:
    """Started without stdin, stdout or stderr (`>&-`): that stream is /dev/null from here on.

    Else the next file or socket opened would take descriptor 0, 1 or 2, and what is meant for
    the terminal could land in it; and Python leaves the stream None, which every writer would
    have to know. No stdout is then a reader that left: the run goes on, the report goes nowhere.
    """
    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        try:
            os.fstat(fd)
            continue
        except OSError:
            pass
        null = os.open(os.devnull, os.O_RDWR)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
        if getattr(sys, name) is None:
            setattr(sys, name, open(fd, "r" if fd == 0 else "w", closefd=False))  # noqa: SIM115


if __name__ == "__main__":
    main()
