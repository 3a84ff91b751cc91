"""jobctl from Python: stop, look up and list batch jobs as the command line does.

    from jobctl import api

    report = api.stop(["aws-batch:1d828f65-7a6d-42a3-b5c6-8d2fa5b4e5e1"], verb="terminate",
                      reason="superseded by run 42")
    for result in report.results:
        print(result.job_id, result.outcome, result.message)
    if report.exit_code:
        raise SystemExit(report.exit_code)

The command line is a thin layer over this module: `jobctl cancel` calls `stop` with the flags
it parsed, then renders the report. A stop from Python resolves settings, looks every job up,
picks the native call, verifies and audits exactly as the command does; it prints nothing,
asks nothing and installs no signal handler unless given callbacks that do (see
`jobctl.callbacks`). Errors are the `JobctlError` tree, each with its exit code; an error
raised before any request means nothing was sent. Importing this module loads no SDK, no
Typer and no rich: a provider's SDK loads when a run first talks to that provider.

Versioned like the JSON envelope: `API_VERSION` changes only when a name in `__all__` is
removed or changes meaning; new keywords and fields may be added within a version.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

from jobctl import config as cfg
from jobctl import lookup, stopping
from jobctl.callbacks import Callbacks, Confirm, Guard, Preview, Progress
from jobctl.durations import (
    LONGEST,
    SHORTEST_POLL,
    SHORTEST_TIMEOUT,
    format_duration,
    parse_duration,
)
from jobctl.engine import Summary
from jobctl.errors import (
    ConfigError,
    CredentialsError,
    CredentialsRejected,
    ExitCode,
    JobctlError,
    NotFoundError,
    ProviderError,
    UsageError,
)
from jobctl.flags import Connection, StopArgs
from jobctl.lookup import JobStatus
from jobctl.models import Children, Outcome, Phase, Result, Verb
from jobctl.selection import FilterArgs as Filters
from jobctl.settings import DEFAULT_TIMEOUT
from jobctl.stopping import Report

if TYPE_CHECKING:
    from typing import BinaryIO

API_VERSION = 1

__all__ = [
    "API_VERSION",
    "Children",
    "ConfigError",
    "Confirm",
    "CredentialsError",
    "CredentialsRejected",
    "ExitCode",
    "Filters",
    "Guard",
    "JobStatus",
    "JobctlError",
    "NotFoundError",
    "Outcome",
    "Phase",
    "Preview",
    "Progress",
    "ProviderError",
    "Report",
    "Result",
    "Summary",
    "UsageError",
    "Verb",
    "list_jobs",
    "status",
    "stop",
]


def stop(
    jobs: Iterable[str] | str | None = None,
    *,
    select: Filters | None = None,
    verb: Verb | str = "cancel",
    provider: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    reason: str | None = None,
    reason_code: str | None = None,
    force: bool = False,
    things: Sequence[str] = (),
    dry_run: bool = False,
    wait: bool = False,
    timeout: float | str = DEFAULT_TIMEOUT,
    poll_interval: float | str = 2.0,
    ignore_not_found: bool = False,
    audit: bool = True,
    concurrency: int | None = None,
    rate: float | None = None,
    stdin: BinaryIO | None = None,
    confirm: Confirm | None = None,
    on_result: Callable[[Result], None] | None = None,
    on_notice: Callable[[str], None] | None = None,
    on_warning: Callable[[str], None] | None = None,
    progress: Progress | None = None,
    guard: Guard | None = None,
    interrupt: threading.Event | None = None,
) -> Report:
    """Stop jobs named by reference, or chosen by a filter selection; one Result per job.

    `jobs`: references as the command line takes them: a plain id (provider from `provider`
    or the config file), `PROVIDER:ID`, an AWS Batch or IoT job ARN, or `"-"` to read them
    from `stdin`. `select`: a `Filters` selection of `provider`'s jobs instead (unfinished
    ones matching every field given; `Filters(all=True)` for every unfinished job). One of
    the two, not both.

    `verb`: "cancel" stops jobs that have not started (with `force`, started ones too);
    "terminate" stops them whatever their state. `dry_run` looks every job up and returns
    the exact native requests as `planned` results, sending none. `wait` polls every
    `poll_interval` until each job is finished, for at most `timeout` (also the retry budget
    of each request); seconds, or a duration such as "10m". `audit=False` writes no audit
    log. `concurrency` and `rate` bound requests in flight and stop requests per second per
    provider (else the config file's, else the provider's defaults).

    Callbacks (all optional, see `jobctl.callbacks`): `confirm` is asked before anything is
    sent; `on_result` hears each job's result as it is decided (from worker threads);
    `on_notice` and `on_warning` hear what the command line prints on stderr; `progress`
    hears every answer and update; `guard` wraps the sending (the command line's signal
    handling); setting `interrupt` from any thread stops sending: unsent jobs come back
    `skipped` and the report's exit code is 130.

    Raises a JobctlError (UsageError, ConfigError, CredentialsError...) for anything that
    stops the whole run: nothing was sent unless the error says so. A job that fails is no
    exception: it is a Result with outcome `failed`, `refused` or `not-found`.
    """
    chosen_verb = _verb(verb)
    refs = _references(jobs, stdin)
    args = StopArgs(
        verb=chosen_verb,
        jobs=refs,
        conn=Connection(provider, region, profile, endpoint_url),
        reason=reason,
        reason_code=reason_code,
        force=force,
        things=_strings(things, "things"),
        dry_run=dry_run,
        ignore_not_found=ignore_not_found,
        wait=wait,
        timeout=_seconds(timeout, "timeout", SHORTEST_TIMEOUT),
        poll_interval=_seconds(poll_interval, "poll_interval", SHORTEST_POLL),
        concurrency=_concurrency(concurrency),
        rate=_rate(rate),
        no_audit=not audit,
        filters=_filters(select) if select is not None else Filters(),
    )
    callbacks = Callbacks(
        confirm=confirm,
        progress=progress,
        interrupt=interrupt if interrupt is not None else threading.Event(),
        stdin=stdin,
    )
    if on_warning is not None:
        callbacks.on_warning = _heard(on_warning, "on_warning", _ignore)
    if on_result is not None:
        callbacks.on_result = _heard(on_result, "on_result", callbacks.on_warning)
    if on_notice is not None:
        callbacks.on_notice = _heard(on_notice, "on_notice", callbacks.on_warning)
    if guard is not None:
        callbacks.guard = guard
    return stopping.run(args, cfg.load(), callbacks)


def status(
    jobs: Iterable[str] | str,
    *,
    provider: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    stdin: BinaryIO | None = None,
    wait: bool = False,
    timeout: float | str = DEFAULT_TIMEOUT,
    poll_interval: float | str = 2.0,
    interrupt: threading.Event | None = None,
) -> list[JobStatus]:
    """Each job's provider state and normalized phase, in the order given.

    A job its provider does not know comes back with `state` None and phase `not-found`; a
    lookup that failed, with phase `failed` and the reason in `message`. References are
    taken as by `stop`. `wait` looks again every `poll_interval` until every job is finished
    (or unknown), for at most `timeout`; a row still queued or running after it is a wait
    that timed out. Setting `interrupt` from any thread ends the wait with what was seen.
    """
    conn = Connection(provider, region, profile, endpoint_url)
    waiting = None
    if wait:
        waiting = lookup.Waiting(
            _seconds(timeout, "timeout", SHORTEST_TIMEOUT),
            _seconds(poll_interval, "poll_interval", SHORTEST_POLL),
            interrupt if interrupt is not None else threading.Event(),
        )
    return lookup.status(_references(jobs, stdin), conn, cfg.load(), stdin, waiting)


def list_jobs(
    provider: str | None = None,
    *,
    queue: str | None = None,
    statuses: Sequence[str] | str = (),
    name: str | None = None,
    older_than: str | float | timedelta | None = None,
    region: str | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    on_notice: Callable[[str], None] | None = None,
) -> list[JobStatus]:
    """The jobs a filter selection picks: what `stop(select=Filters(...))` would stop.

    Unfinished jobs unless `statuses` names others: provider states in any case, or the
    phases "queued" and "running". `queue`: an AWS Batch queue's name or ARN. `name`: a glob
    on the job name. `older_than`: seconds, a timedelta or a duration such as "2h".
    `provider` defaults to the config file's. `on_notice` hears "no jobs matched: ..." when
    nothing did.
    """
    filters = Filters(queue, _strings(statuses, "statuses"), name, _duration_text(older_than))
    conn = Connection(provider, region, profile, endpoint_url)
    return lookup.list_jobs(conn, filters, cfg.load(), on_notice or _ignore)


# -- what the command line's parser checks, checked for Python callers ---------------------


T = TypeVar("T")


def _heard(
    callback: Callable[[T], None], name: str, warn: Callable[[str], None]
) -> Callable[[T], None]:
    """The caller's callback, made harmless to the run: stops already sent must still be
    verified, reported and audited, so a callback that raises costs a warning, not a Report."""

    def call(value: T) -> None:
        try:
            callback(value)
        except Exception as exc:
            with contextlib.suppress(Exception):
                warn(f"{name} callback failed: {type(exc).__name__}: {exc}")

    return call


def _ignore(text: str) -> None:
    return None


def _verb(verb: Verb | str) -> Verb:
    try:
        return Verb(verb)
    except ValueError:
        msg = f"unknown verb {verb!r}: choose one of {', '.join(Verb)}"
        raise UsageError(msg) from None


def _strings(values: Sequence[str] | str, what: str) -> tuple[str, ...]:
    """A lone string is one value, not a sequence of characters."""
    items = (values,) if isinstance(values, str) else tuple(values)
    for item in items:
        if not isinstance(item, str):
            msg = f"{what} must be strings, not {type(item).__name__}"
            raise UsageError(msg)
    return items


def _references(jobs: Iterable[str] | str | None, stdin: BinaryIO | None) -> list[str]:
    if jobs is None:
        return []
    refs = list(_strings(jobs if isinstance(jobs, str) else tuple(jobs), "jobs"))
    if "-" in refs and stdin is None:
        msg = "'-' reads job references from standard input: pass stdin= (a binary stream)"
        raise UsageError(msg)
    return refs


def _filters(select: Filters) -> Filters:
    if not isinstance(select, Filters):
        msg = f"select must be a Filters, not {type(select).__name__}"
        raise UsageError(msg)
    statuses = _strings(select.statuses, "statuses")
    return replace(select, statuses=statuses, older_than=_duration_text(select.older_than))


def _duration_text(value: str | float | timedelta | None) -> str | None:
    """A duration as the command line's options take it ("2h"), whatever form it came in."""
    if value is None or isinstance(value, str):
        return value
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if not math.isfinite(seconds):
        msg = f"older_than must be a finite duration, not {seconds}"
        raise UsageError(msg)
    return format_duration(seconds)


def _seconds(value: float | str, what: str, at_least: tuple[float, str]) -> float:
    if isinstance(value, str):
        return parse_duration(value, option=what, at_least=at_least)
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"{what} must be seconds or a duration such as '10m', not {type(value).__name__}"
        raise UsageError(msg)
    seconds = float(value)
    if not (math.isfinite(seconds) and seconds >= at_least[0]):
        msg = f"{what} must be at least {at_least[1]}"
        raise UsageError(msg)
    if seconds > LONGEST:
        msg = f"{what} is too long: at most 36500d"
        raise UsageError(msg)
    return seconds


def _concurrency(value: int | None) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        msg = f"concurrency must be a whole number of requests in flight, at least 1, not {value!r}"
        raise UsageError(msg)
    return value


def _rate(value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"rate must be a number of stop requests per second, not {value!r}"
        raise UsageError(msg)
    if not (math.isfinite(value) and value >= cfg.MIN_RATE):
        least = cfg.MIN_RATE
        msg = f"rate must be a number of stop requests per second, at least {least}, not {value}"
        raise UsageError(msg)
    return float(value)
