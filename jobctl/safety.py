"""Safety for bulk work, the command line's side (docs/ARCHITECTURE.md): preview and confirm
on the terminal, and Ctrl-C that loses nothing.

`TerminalConfirm` is what the command line gives `jobctl.api.stop` to ask with; `interruptible`
is its guard around the sending.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING

from jobctl.errors import UsageError
from jobctl.sanitize import clean

if TYPE_CHECKING:
    from jobctl.callbacks import Preview
    from jobctl.context import Io
    from jobctl.models import JobState, Verb

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


def show_preview(io: Io, headline: str, rows: Sequence[Sequence[str]]) -> None:
    io.stderr.write(clean(headline) + "\n")
    for row in rows[:PREVIEW_ROWS]:
        io.stderr.write("  " + "  ".join(clean(cell) for cell in row) + "\n")
    if len(rows) > PREVIEW_ROWS:
        io.stderr.write(f"  … and {len(rows) - PREVIEW_ROWS} more\n")
    io.stderr.flush()


def ask(io: Io, question: str) -> bool:
    """[y/N] on the terminal; anything but yes is a refusal (exit 2, nothing sent)."""
    io.stderr.write(f"{question} [y/N] ")
    io.stderr.flush()
    answer = io.read_answer()
    return answer.strip().lower() in ("y", "yes")


class TerminalConfirm:
    """The command line's confirmation: a filter selection, or more than CONFIRM_THRESHOLD
    jobs, is previewed on stderr and asked about on the terminal, unless --yes or --dry-run.
    """

    def __init__(self, io: Io, *, yes: bool, dry_run: bool) -> None:
        self.io = io
        self.yes = yes
        self.dry_run = dry_run

    def needed(self, *, verb: Verb, count: int | None) -> bool:
        by_filter = count is None
        if not needs_confirmation(
            count=count or 0, by_filter=by_filter, yes=self.yes, dry_run=self.dry_run
        ):
            return False
        what = "a filter selection" if by_filter else f"{count} jobs"
        refuse_without_terminal(self.io, str(verb), what)
        return True

    def ask(self, preview: Preview) -> bool:
        verb = str(preview.verb)
        if preview.by_filter:
            count = len(preview.listed)
            show_preview(self.io, f"{count} {preview.scope}:", job_rows(preview.listed))
            return ask(self.io, f"{verb.capitalize()} these {count} jobs?")
        rows = [[f"{r.provider}:{r.job_id}", r.region or ""] for r in preview.refs]
        show_preview(self.io, f"about to {verb} {len(rows)} jobs:", rows)
        return ask(self.io, f"{verb.capitalize()} {len(rows)} jobs?")


def job_rows(jobs: Sequence[JobState], now: float | None = None) -> list[list[str]]:
    """The preview's rows; a job that is not its provider's ordinary kind says which it is
    ("RUNNING service-job": stopping it stops a training job)."""
    now = time.time() if now is None else now
    return [
        [
            job.job_id,
            job.native_state if job.kind is None else f"{job.native_state} {job.kind}",
            job.name or "-",
            age(job.created_at, now),
        ]
        for job in jobs
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
# The longest the second signal waits for what was sent to be written down before leaving.
LEAVE_GRACE = 0.5


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
            # Whatever on_second meets (a stalled stderr, a stream lock held by a thread that
            # is mid-write), the process is gone within LEAVE_GRACE: a watchdog thread ends it.
            watchdog = threading.Timer(LEAVE_GRACE, os._exit, args=(130,))
            watchdog.daemon = True
            watchdog.start()
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
