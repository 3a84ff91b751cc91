"""Safety for bulk work (DESIGN.md §4): preview and confirm, and Ctrl-C that loses nothing."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING

from jobctl.errors import UsageError
from jobctl.sanitize import clean

if TYPE_CHECKING:
    import threading

    from jobctl.models import JobState
    from jobctl.runner import Io

CONFIRM_THRESHOLD = 20
PREVIEW_ROWS = 10


def needs_confirmation(*, count: int, by_filter: bool, yes: bool, dry_run: bool) -> bool:
    return not (yes or dry_run) and (by_filter or count > CONFIRM_THRESHOLD)


def refuse_without_terminal(io: Io, verb: str, what: str) -> None:
    """Decided before any request: a script must say --yes."""
    if not io.stdin_is_tty():
        msg = (
            f"refusing to {verb} {what} without confirmation: standard input is not a "
            "terminal; pass -y/--yes"
        )
        raise UsageError(msg)


def preview(io: Io, headline: str, rows: Sequence[Sequence[str]]) -> None:
    io.stderr.write(clean(headline) + "\n")
    for row in rows[:PREVIEW_ROWS]:
        io.stderr.write("  " + "  ".join(clean(cell) for cell in row) + "\n")
    if len(rows) > PREVIEW_ROWS:
        io.stderr.write(f"  … and {len(rows) - PREVIEW_ROWS} more\n")
    io.stderr.flush()


def ask(io: Io, question: str) -> None:
    """[y/N] on the terminal; anything but yes is a refusal (exit 2, nothing sent)."""
    io.stderr.write(f"{question} [y/N] ")
    io.stderr.flush()
    answer = io.read_answer()
    if answer.strip().lower() not in ("y", "yes"):
        msg = "not confirmed; nothing sent"
        raise UsageError(msg)


def job_rows(jobs: Sequence[JobState], now: float | None = None) -> list[list[str]]:
    now = time.time() if now is None else now
    return [
        [job.job_id, job.native_state, job.name or "-", age(job.created_at, now)] for job in jobs
    ]


def age(created_at: float | None, now: float) -> str:
    if created_at is None:
        return "-"
    seconds = max(0, int(now - created_at))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} old"
    return f"{seconds}s old"


# SIGTERM (a scheduler, `kill`) and SIGHUP (a closed terminal) ask jobctl to stop as Ctrl-C does.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextmanager
def interruptible(
    stop: threading.Event, *, notice: Callable[[str], None], on_second: Callable[[], None]
) -> Iterator[None]:
    """First Ctrl-C, SIGTERM or SIGHUP: set `stop` (send nothing new, finish requests in flight).

    The second of any of them: run `on_second` (report what was sent, waiting on nothing) and
    leave at once with 130.
    """

    def handler(signum: int, frame: object) -> None:
        if stop.is_set():
            try:
                on_second()
            finally:
                with suppress(OSError, ValueError, RuntimeError):
                    sys.stderr.flush()
                os._exit(130)
        stop.set()
        by = "" if signum == signal.SIGINT else f" by {signal.Signals(signum).name}"
        # After SIGHUP the terminal may be gone, or the main thread may be mid-write on it
        # (RuntimeError: a reentrant call): the stop goes on without the notice.
        with suppress(OSError, ValueError, RuntimeError):
            notice(
                f"interrupted{by}: sending nothing more, finishing requests in flight "
                "(Ctrl-C again to leave now)"
            )

    previous = {signum: signal.signal(signum, handler) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, action in previous.items():
            signal.signal(signum, action)
