"""`status` and `list`: jobs as their providers describe them now, as typed rows.

Nothing here stops anything or prints anything; `jobctl.api` and the command line call it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from jobctl import config as cfg
from jobctl import providers, selection, settings
from jobctl.connect import connect, list_selection, remember, resolve_refs, selected_provider
from jobctl.engine import Group, Summary, exit_code_for
from jobctl.errors import CredentialsError, UsageError
from jobctl.flags import Connection
from jobctl.models import JobState
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

    @property
    def found(self) -> bool:
        return self.state is not None

    @property
    def created(self) -> str | None:
        """`created_at` as an ISO 8601 time in UTC, to the second."""
        if self.created_at is None:
            return None
        return dt.datetime.fromtimestamp(self.created_at, dt.UTC).isoformat(timespec="seconds")

    @classmethod
    def of(cls, provider: str, region: str | None, job: JobState) -> JobStatus:
        return cls(
            provider=provider,
            region=region,
            job_id=job.job_id,
            state=job.native_state,
            phase=str(job.phase),
            name=job.name,
            message=str(job.extra.get("status_reason", "")),
            created_at=job.created_at,
            extra=dict(job.extra),
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
            "extra": dict(self.extra),
        }


def summary(rows: Sequence[JobStatus]) -> Summary:
    """A row with no state (unknown job, failed lookup) is a failure, as for a stop."""
    failed = sum(1 for row in rows if not row.found)
    ok = len(rows) - failed
    return Summary(len(rows), ok, failed, exit_code_for(ok, failed))


def status(
    jobs: Sequence[str], conn: Connection, file: cfg.FileConfig, stdin: BinaryIO | None
) -> list[JobStatus]:
    if not jobs:
        msg = "no jobs given: name job ids, or '-' to read them from standard input"
        raise UsageError(msg)
    resolved, _ = resolve_refs(jobs, conn, file, stdin)
    rows: list[JobStatus] = []
    for group in connect(resolved, conn, file):
        group_rows = _status_rows(group)
        remember(conn, group, [(r.job_id, r.state, r.name, None) for r in group_rows])
        rows += group_rows
    return rows


def _status_rows(group: Group) -> list[JobStatus]:
    try:
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
    """What a filter selection would pick (unfinished jobs unless `statuses` says otherwise)."""
    name = selected_provider(conn, file, "jobctl list")
    info = providers.info(name)
    chosen = selection.build(info, filters)
    listed = list_selection(name, info, chosen, filters, conn, file, settings.DEFAULT_TIMEOUT)
    jobs = listed.jobs
    seen = [(j.job_id, j.native_state, j.name, j.extra.get("queue")) for j in jobs]
    remember(conn, name, seen, listed=chosen)
    rows = [JobStatus.of(name, listed.region, job) for job in jobs]
    if not rows:
        on_notice(f"no jobs matched: {listed.scope}")
    return rows
