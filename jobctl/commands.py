"""The commands' bodies: the command line's side of each command, over `jobctl.api`.

`cli.py` parses flags into `jobctl.flags`; each function here picks the output format, hands
the API the command line's callbacks (the [y/N] question, the live view, rows streamed as
decided, Ctrl-C handling), and renders what comes back through `render.Renderer`. The work
itself is the API's: a command does nothing Python could not do through it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from jobctl import api, safety
from jobctl import config as cfg
from jobctl.connect import output_format
from jobctl.context import Io
from jobctl.durations import format_duration
from jobctl.engine import Summary
from jobctl.errors import ExitCode
from jobctl.flags import Connection, StatusArgs, StopArgs
from jobctl.lookup import JobStatus, summary
from jobctl.models import Result, Verb
from jobctl.render import (
    LIST_COLUMNS,
    LIST_FIELDS,
    STATUS_COLUMNS,
    STATUS_FIELDS,
    Renderer,
    fields,
    stop_columns,
)
from jobctl.selection import FilterArgs
from jobctl.wait_notice import unknown_words

if TYPE_CHECKING:
    import threading

    from jobctl.progress import LiveView


def stop(args: StopArgs, io: Io) -> int:
    """`jobctl cancel` and `jobctl terminate`."""
    file = cfg.load()
    fmt = output_format(args.conn, file, io)
    renderer = Renderer(fmt, str(args.verb), stdout=io.stdout)

    conn = args.conn
    live = LiveProgress(io, quiet=conn.quiet)

    def guard(stop: threading.Event, leave: Callable[[], None]) -> AbstractContextManager[None]:
        return safety.interruptible(stop, notice=live.notice, on_second=leave)

    report = api.stop(
        args.jobs,
        select=args.filters if args.filters.any else None,
        verb=args.verb,
        provider=conn.provider,
        region=conn.region,
        profile=conn.profile,
        endpoint_url=conn.endpoint_url,
        reason=args.reason,
        reason_code=args.reason_code,
        force=args.force,
        things=args.things,
        dry_run=args.dry_run,
        wait=args.wait,
        timeout=args.timeout,
        poll_interval=args.poll_interval,
        ignore_not_found=args.ignore_not_found,
        audit=not args.no_audit,
        concurrency=args.concurrency,
        rate=args.rate,
        stdin=io.stdin,
        confirm=safety.TerminalConfirm(io, yes=args.yes, dry_run=args.dry_run),
        on_result=lambda result: renderer.row(result.as_dict()),
        on_notice=(lambda text: None) if conn.quiet else live.notice,
        # Trouble with the audit log is said even with --quiet.
        on_warning=live.notice,
        progress=live,
        guard=guard,
    )
    rows = [result.as_dict() for result in report.results]
    renderer.finish(rows, report.summary, stop_columns(fmt))
    return renderer.close(report.exit_code, audit_log=report.audit_log)


def status(jobs: Sequence[str], conn: Connection, io: Io, look: StatusArgs | None = None) -> int:
    """`jobctl status`, and with --wait, until every job is finished."""
    look = look or StatusArgs()
    fmt = output_format(conn, cfg.load(), io)
    found = api.status(
        jobs,
        provider=conn.provider,
        region=conn.region,
        profile=conn.profile,
        endpoint_url=conn.endpoint_url,
        stdin=io.stdin,
        wait=look.wait,
        timeout=look.timeout,
        poll_interval=look.poll_interval,
    )
    counted = summary(found, ignore_not_found=look.ignore_not_found, waited=look.wait)
    if not found and not conn.quiet:
        # Only `-` can name no job (an empty pipe): as `cancel -` says, not silence.
        io.notice("no jobs on standard input: nothing looked up")
    if counted.exit_code == ExitCode.WAIT_TIMEOUT and not conn.quiet:
        left = [job for job in found if job.unfinished]
        ids = " ".join(job.job_id for job in left[:10])
        more = f" and {len(left) - 10} more" if len(left) > 10 else ""
        # A state jobctl does not know (a job's, or a child's) is not finished: say so, as the
        # reason the wait could not end.
        unknown = sum(
            job.phase == "unknown" or (job.children is not None and job.children.unknown > 0)
            for job in left
        )
        why = unknown_words(unknown, len(left))
        io.notice(
            f"--wait timed out after {format_duration(look.timeout)}: {len(left)} "
            f"{'job' if len(left) == 1 else 'jobs'} not finished ({ids}{more}){why}"
        )
    return _render(fmt, "status", found, io, STATUS_FIELDS, STATUS_COLUMNS, counted)


def list_jobs(conn: Connection, filters: FilterArgs, io: Io) -> int:
    """`jobctl list`: what a filter selection would pick, in every output format."""
    fmt = output_format(conn, cfg.load(), io)
    listed = api.list_jobs(
        conn.provider,
        queue=filters.queue,
        statuses=filters.statuses,
        name=filters.name,
        older_than=filters.older_than,
        region=conn.region,
        profile=conn.profile,
        endpoint_url=conn.endpoint_url,
        on_notice=_notices(conn, io),
    )
    return _render(fmt, "list", listed, io, LIST_FIELDS, LIST_COLUMNS)


def providers(output: str | None, io: Io) -> int:
    """`jobctl providers`: the capability matrix, as data."""
    from jobctl import capabilities

    rows = capabilities.rows()
    # The same choice of format, with the same precedence and checks, as every other command.
    fmt = output_format(Connection(output=output), cfg.load(), io)
    renderer = Renderer(fmt, "providers", stdout=io.stdout)
    renderer.providers(rows)
    return renderer.close(0)


def _render(
    fmt: str,
    command: str,
    jobs: Sequence[JobStatus],
    io: Io,
    names: Sequence[str],
    columns: Sequence[str],
    counted: Summary | None = None,
) -> int:
    rows = [fields(job.as_dict(), names) for job in jobs]
    counted = counted or summary(jobs)
    renderer = Renderer(fmt, command, stdout=io.stdout, counts=command != "list")
    for row in rows:
        renderer.row(row)
    renderer.finish(rows, counted, columns)
    return renderer.close(counted.exit_code)


def _notices(conn: Connection, io: Io) -> Callable[[str], None]:
    return (lambda text: None) if conn.quiet else io.notice


class LiveProgress:
    """The live view on stderr, for a run on a terminal, not --quiet: a bar for many jobs, a
    spinner for one. Notices said while it is drawn are printed above it, never into its line."""

    def __init__(self, io: Io, *, quiet: bool) -> None:
        self.io = io
        self.quiet = quiet
        self.view: LiveView | None = None

    def start(self, *, total: int, verb: Verb) -> None:
        from jobctl.progress import LiveView

        self.view = LiveView(
            total,
            enabled=self.io.stderr_is_tty() and not self.quiet,
            label="cancelling" if verb is Verb.CANCEL else "terminating",
        )
        self.view.__enter__()

    def notice(self, text: str) -> None:
        """One stderr line: above the live view while it is drawn, else as any notice."""
        from jobctl.sanitize import clean, redact

        view = self.view
        if view is None or not view.notice(f"jobctl: {clean(redact(text))}"):
            self.io.notice(text)

    def seen(self, result: Result) -> None:
        if self.view is not None:
            self.view.seen(result)

    def end(self) -> None:
        if self.view is not None:
            self.view.__exit__(None, None, None)
