"""`status` and `list`: jobs as their providers describe them now, as typed rows.

Nothing here stops anything or prints anything; `jobctl.api` and the command line call it.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from jobctl import config as cfg
from jobctl import providers, selection, settings
from jobctl.connect import connect, list_selection, remember, resolve_refs, selected_provider
from jobctl.engine import Group, Summary, exit_code_for
from jobctl.errors import CredentialsError, UsageError
from jobctl.flags import Connection
from jobctl.models import Children, JobState
from jobctl.sanitize import redact
from jobctl.selection import FilterArgs


@dataclass(frozen=True)
class JobStatus:
    """One job as its provider describes it now: a row of `jobctl status` or `jobctl list`."""

    provider: str
    region: str | None
    job_id: str
    # The provider's own state (RUNNABLE, IN_PROGRESS...); None when the provider does not
    # know the job or could not be asked.
    state: str | None
    # The state normalized (queued, running, finished, unknown), else not-found or failed.
    phase: str
    name: str | None = None
    # The provider's reason for the state, or why there is no state.
    message: str = ""
    # When the job was created, seconds since the epoch; None when the provider does not say.
    created_at: float | None = None
    # Provider-specific details (queue, status reason, executions in progress...).
    extra: Mapping[str, Any] = field(default_factory=dict)
    # Its children by phase, when the job is made of child jobs (a Batch array parent).
    children: Children | None = None

    @property
    def found(self) -> bool:
        return self.state is not None

    @property
    def unfinished(self) -> bool:
        """The job can still change: its phase is not final, or a child of it is not."""
        return self.phase in UNFINISHED or (self.children is not None and not self.children.done)

    @property
    def created(self) -> str | None:
        """`created_at` as an ISO 8601 time in UTC, to the second."""
        if self.created_at is None:
            return None
        return dt.datetime.fromtimestamp(self.created_at, dt.UTC).isoformat(timespec="seconds")

    @classmethod
    def of(cls, provider: str, region: str | None, job: JobState) -> JobStatus:
        if job.lookup_error is not None:
            # Looked up with the others, but the provider would not say what this one is.
            message = f"lookup failed: {job.lookup_error}"
            return cls(provider, region, job.job_id, None, "failed", None, message)
        message = _message(job)
        extra = dict(job.extra)
        if job.kind is not None:
            # Not an ordinary job of its provider (a Batch service job): the row says so in
            # every output, as a stop's result does in `target_kind`.
            extra["kind"] = job.kind
            message = f"{job.kind}: {message}" if message else job.kind
        return cls(
            provider=provider,
            region=region,
            job_id=job.job_id,
            state=job.native_state,
            phase=str(job.phase),
            name=job.name,
            message=message,
            created_at=job.created_at,
            extra=extra,
            children=job.children,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "region": self.region,
            "job_id": self.job_id,
            "name": self.name,
            "state": self.state,
            "phase": self.phase,
            "message": self.message,
            "created": self.created,
            "children": self.children.as_dict() if self.children is not None else None,
            "extra": dict(self.extra),
        }


def _message(job: JobState) -> str:
    """The provider's reason for the state, after the children's counts when it has any."""
    reason = str(job.extra.get("status_reason", ""))
    if job.children is None:
        return reason
    return f"{job.children.words()}; {reason}" if reason else job.children.words()


# Phases a job can still leave: `status --wait` looks again while any row is in one.
UNFINISHED = frozenset({"queued", "running", "unknown"})


def summary(
    rows: Sequence[JobStatus], *, ignore_not_found: bool = False, waited: bool = False
) -> Summary:
    """A row with no state (unknown job, failed lookup) is a failure, as for a stop; with
    `ignore_not_found`, a job its provider does not know counts as ok, as for a stop. After
    `status --wait`, a job still unfinished is a wait that timed out (exit 5, as for a stop)."""
    failed = sum(
        1 for row in rows if not row.found and not (ignore_not_found and row.phase == "not-found")
    )
    ok = len(rows) - failed
    timed_out = waited and any(row.unfinished for row in rows)
    return Summary(len(rows), ok, failed, exit_code_for(ok, failed, timed_out=timed_out))


@dataclass(frozen=True)
class Waiting:
    """`status --wait`: look again every `poll_interval` until no job is unfinished, for at
    most `timeout` seconds; `stop` set from any thread ends the wait early."""

    timeout: float
    poll_interval: float
    stop: threading.Event = field(default_factory=threading.Event)


def status(
    jobs: Sequence[str],
    conn: Connection,
    file: cfg.FileConfig,
    stdin: BinaryIO | None,
    waiting: Waiting | None = None,
) -> list[JobStatus]:
    if not jobs:
        msg = "no jobs given: name job ids, or '-' to read them from standard input"
        raise UsageError(msg)
    resolved, _ = resolve_refs(jobs, conn, file, stdin, things=None)
    groups = connect(resolved, conn, file)
    rows = {id(group): _status_rows(group) for group in groups}
    if waiting is not None:
        deadline = time.monotonic() + waiting.timeout
        while True:
            pending = [g for g in groups if any(r.unfinished for r in rows[id(g)])]
            remaining = deadline - time.monotonic()
            if not pending or remaining <= 0:
                break
            if waiting.stop.wait(min(waiting.poll_interval, remaining)):
                break
            for group in pending:
                rows[id(group)] = _status_rows(group)
    for group in groups:
        group_rows = rows[id(group)]
        remember(conn, group, [(r.job_id, r.state, r.name, None) for r in group_rows])
    return [row for group in groups for row in rows[id(group)]]


def _status_rows(group: Group) -> list[JobStatus]:
    from jobctl.ratelimit import lookups

    try:
        with lookups(group.concurrency):
            states = group.provider.describe(refs=group.refs)
        error = None
    except CredentialsError:
        raise  # the provider refuses these credentials: no row can say more than the error
    except Exception as exc:
        states, error = {}, redact(str(exc))
    rows = []
    for ref in group.refs:
        state = states.get(ref)
        if state is not None:
            rows.append(JobStatus.of(ref.provider, group.region, state))
            continue
        if error is not None:
            phase, message = "failed", f"lookup failed: {error}"
        else:
            phase, message = "not-found", f"{ref.provider} does not know this job"
        rows.append(JobStatus(ref.provider, group.region, ref.job_id, None, phase, None, message))
    return rows


def list_jobs(
    conn: Connection,
    filters: FilterArgs,
    file: cfg.FileConfig,
    on_notice: Callable[[str], None],
) -> list[JobStatus]:
    """What a filter selection would pick (unfinished jobs unless `statuses` says otherwise).

    With no provider given anywhere, every provider the config file has a table for, in one
    list: what an operator who set them up expects `jobctl list` to mean.
    """
    rows: list[JobStatus] = []
    for name in listed_providers(conn, file):
        info = providers.info(name)
        chosen = selection.build(info, filters)
        listed = list_selection(name, info, chosen, filters, conn, file, settings.DEFAULT_TIMEOUT)
        jobs = listed.jobs
        seen = [(j.job_id, j.native_state, j.name, j.extra.get("queue")) for j in jobs]
        remember(conn, name, seen, listed=chosen)
        if not jobs:
            on_notice(f"no jobs matched: {listed.scope}")
        rows += [JobStatus.of(name, listed.region, job) for job in jobs]
    return rows


def listed_providers(conn: Connection, file: cfg.FileConfig) -> list[str]:
    """The provider given (flag, environment, config default), else the config file's own."""
    given = settings.load(settings.Flags(provider=conn.provider), file=file).provider_name.value
    if given is None and file.providers:
        names = [name for name in file.providers if name in providers.names()]
        if names:
            return names
    return [selected_provider(conn, file, "list")]
