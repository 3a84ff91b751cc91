"""From parsed arguments to results: resolve, validate, connect, run, audit, render.

`cli.py` parses; this module does the work in the order DESIGN.md §10 draws, and everything
that can be refused is refused before the first request.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from io import BytesIO, TextIOWrapper
from typing import IO, Any, BinaryIO, TextIO

from jobctl import config as cfg
from jobctl import providers, refs, safety, selection, settings, validate
from jobctl.audit import AuditLog, Kind, default_path, user_and_host
from jobctl.audit import time_limit as audit_time_limit
from jobctl.engine import Engine, Group, Hooks, RunSettings, Summary, exit_code_for, summarize
from jobctl.errors import CredentialsError, UsageError
from jobctl.models import JobRef, JobState, Result, Selection, StopOptions, Verb
from jobctl.progress import LiveView
from jobctl.providers.base import Provider, ProviderConfig, ProviderInfo
from jobctl.render import STATUS_COLUMNS, STOP_COLUMNS, STOP_TABLE_COLUMNS, Renderer
from jobctl.sanitize import redact
from jobctl.selection import FilterArgs


@dataclass(frozen=True)
class Connection:
    """Flags shared by every command that talks to a provider."""

    provider: str | None = None
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    output: str | None = None
    quiet: bool = False
    debug: bool = False


@dataclass(frozen=True)
class StopArgs:
    verb: Verb
    jobs: Sequence[str]
    conn: Connection
    reason: str | None = None
    reason_code: str | None = None
    force: bool = False
    things: Sequence[str] = ()
    dry_run: bool = False
    ignore_not_found: bool = False
    yes: bool = False
    wait: bool = False
    timeout: float = settings.DEFAULT_TIMEOUT
    poll_interval: float = 2.0
    concurrency: int | None = None
    rate: float | None = None
    no_audit: bool = False
    filters: FilterArgs = field(default_factory=FilterArgs)


@dataclass
class Io:
    """The streams a run talks to; tests and the sandbox demo swap them.

    A standard stream the process was started without (sys.stdout is None after `>&-`) reads
    as empty and takes writes to nowhere, so the run goes on as for a reader that left.
    """

    stdin: BinaryIO = field(default_factory=lambda: _std("stdin").buffer)
    stdout: IO[str] = field(default_factory=lambda: _std("stdout"))
    stderr: IO[str] = field(default_factory=lambda: _std("stderr"))
    stdin_is_tty: Callable[[], bool] = field(default_factory=lambda: _std("stdin").isatty)
    stdout_is_tty: Callable[[], bool] = field(default_factory=lambda: _std("stdout").isatty)
    stderr_is_tty: Callable[[], bool] = field(default_factory=lambda: _std("stderr").isatty)
    # The answer to a [y/N] question; the terminal is standard input when asked.
    read_answer: Callable[[], str] = field(default_factory=lambda: _std("stdin").readline)

    def notice(self, text: str) -> None:
        from jobctl.sanitize import say

        say(self.stderr, text)


class _Nowhere(TextIOWrapper):
    """A missing standard stream: nothing to read, and writes go nowhere."""

    def __init__(self) -> None:
        super().__init__(BytesIO())

    def write(self, text: str) -> int:
        return len(text)


def _std(name: str) -> TextIO:
    stream: TextIO | None = getattr(sys, name)
    return stream if stream is not None else _Nowhere()


def output_format(conn: Connection, file: cfg.FileConfig, io: Io) -> str:
    resolved = settings.load(settings.Flags(output=conn.output), file=file)
    return resolved.output_format(stdout_is_tty=io.stdout_is_tty())


def resolve_refs(
    jobs: Sequence[str], conn: Connection, file: cfg.FileConfig, io: Io, things: Sequence[str] = ()
) -> tuple[list[JobRef], dict[str, ProviderInfo]]:
    default = settings.load(settings.Flags(provider=conn.provider), file=file).provider_name.value
    known = providers.names()
    resolved = refs.resolve(jobs, provider=default, known=known, stdin=io.stdin, targets=things)
    infos = {name: providers.info(name) for name in {ref.provider for ref in resolved}}
    validate.check_refs(resolved, infos)
    return resolved, infos


def provider_config(
    name: str,
    info: ProviderInfo,
    region: str | None,
    conn: Connection,
    file: cfg.FileConfig,
    timeout: float,
) -> ProviderConfig:
    flags = settings.Flags(
        region=conn.region, profile=conn.profile, endpoint_url=conn.endpoint_url, timeout=timeout
    )
    resolved = settings.load(flags, file=file)
    return resolved.provider(name, facts=info, region_hint=region).config


def open_provider(
    name: str, region: str | None, conn: Connection, file: cfg.FileConfig, timeout: float
) -> Provider:
    info = providers.info(name)
    return providers.create(name, provider_config(name, info, region, conn, file, timeout))


def connect(
    resolved: Sequence[JobRef],
    conn: Connection,
    file: cfg.FileConfig,
    *,
    concurrency: int | None = None,
    rate: float | None = None,
    timeout: float = settings.DEFAULT_TIMEOUT,
) -> list[Group]:
    """One provider instance per (provider, region): SDKs load and credentials resolve here.

    A plain id's region is known only now (flag, environment, config file, or the AWS
    profile's), so this is where a plain id and the ARN of the same job become one: groups
    that resolve to the same region merge, and a job named twice keeps its first mention.
    """
    by_key: dict[tuple[str, str | None], list[JobRef]] = {}
    for ref in resolved:
        by_key.setdefault((ref.provider, ref.region), []).append(ref)
    merged: dict[tuple[str, str | None], tuple[Provider, list[JobRef]]] = {}
    for (name, region), group_refs in by_key.items():
        instance = open_provider(name, region, conn, file, timeout)
        _, kept = merged.setdefault((name, instance.region), (instance, []))
        kept.extend(group_refs)
    position = {ref: index for index, ref in enumerate(resolved)}
    groups = []
    for instance, group_refs in merged.values():
        first: dict[tuple[str, str | None], JobRef] = {}
        for ref in sorted(group_refs, key=position.__getitem__):
            first.setdefault((ref.job_id, ref.target), ref)
        groups.append(
            make_group(instance, [*first.values()], file, concurrency=concurrency, rate=rate)
        )
    return groups


def make_group(
    instance: Provider,
    refs: list[JobRef],
    file: cfg.FileConfig,
    *,
    concurrency: int | None,
    rate: float | None,
) -> Group:
    info = instance.info
    flags = settings.Flags(concurrency=concurrency, rate=rate)
    resolved = settings.load(flags, file=file).provider(info.name, facts=info)
    return Group(
        provider=instance,
        region=instance.region,
        refs=refs,
        concurrency=int(resolved.concurrency.value),
        rate=resolved.rate.value,
    )


def default_reason(verb: Verb) -> str:
    user, host = user_and_host()
    return f"jobctl: {verb} by {user}@{host}"


def stop_options(args: StopArgs, file: cfg.FileConfig) -> StopOptions:
    validate.check_reason(args.reason)
    validate.check_reason_code(args.reason_code)
    user_reason = settings.load(settings.Flags(reason=args.reason), file=file).reason.value
    validate.check_reason(user_reason)
    return StopOptions(
        verb=args.verb,
        reason=user_reason or default_reason(args.verb),
        reason_is_default=user_reason is None,
        reason_code=args.reason_code,
        force=args.force,
    )


def selected_provider(conn: Connection, file: cfg.FileConfig, what: str) -> str:
    name = settings.load(settings.Flags(provider=conn.provider), file=file).require_provider(what)
    providers.registration(name)
    return name


def stop(args: StopArgs, io: Io) -> int:
    file = cfg.load()
    fmt = output_format(args.conn, file, io)
    options = stop_options(args, file)
    if args.jobs and args.filters.any:
        msg = (
            "name jobs or select them with filters "
            "(--queue, --status, --name, --older-than, --all), not both"
        )
        raise UsageError(msg)
    if not args.jobs and not args.filters.given:
        if args.filters.queue is not None:
            msg = "--queue only scopes a selection: add --status, --name, --older-than or --all"
        else:
            msg = (
                "no jobs given: name job ids, '-' to read them from standard input, "
                "or select with --status/--name/--older-than/--all"
            )
        raise UsageError(msg)
    renderer = Renderer(fmt, str(args.verb), stdout=io.stdout)
    if args.filters.given:
        groups = _select_groups(args, options, file, io)
        if not groups:
            summary = summarize([], ignore_not_found=args.ignore_not_found)
            renderer.finish([], summary, _stop_columns(fmt))
            return renderer.close(summary.exit_code)
    else:
        groups = _named_groups(args, options, file, io)
    return _run(args, options, groups, renderer, fmt, io)


def _named_groups(
    args: StopArgs, options: StopOptions, file: cfg.FileConfig, io: Io
) -> list[Group]:
    resolved, infos = resolve_refs(args.jobs, args.conn, file, io, args.things)
    for info in infos.values():
        validate.check_provider_options(info, options)
    confirming = safety.needs_confirmation(
        count=len(resolved), by_filter=False, yes=args.yes, dry_run=args.dry_run
    )
    if confirming:
        safety.refuse_without_terminal(io, str(args.verb), f"{len(resolved)} jobs")
    groups = connect(
        resolved,
        args.conn,
        file,
        concurrency=args.concurrency,
        rate=args.rate,
        timeout=args.timeout,
    )
    resolved = [ref for group in groups for ref in group.refs]  # duplicates gone
    if confirming:
        rows = [[f"{r.provider}:{r.job_id}", r.region or ""] for r in resolved]
        safety.preview(io, f"about to {args.verb} {len(resolved)} jobs:", rows)
        safety.ask(io, f"{str(args.verb).capitalize()} {len(resolved)} jobs?")
    return groups


def _select_groups(
    args: StopArgs, options: StopOptions, file: cfg.FileConfig, io: Io
) -> list[Group]:
    name = selected_provider(args.conn, file, "a filter selection")
    info = providers.info(name)
    validate.check_provider_options(info, options)
    for thing in args.things:
        validate.check_target(info, thing, f"an {info.name} filter selection")
    chosen = selection.build(info, args.filters)
    confirming = safety.needs_confirmation(
        count=0, by_filter=True, yes=args.yes, dry_run=args.dry_run
    )
    if confirming:
        safety.refuse_without_terminal(io, str(args.verb), "a filter selection")
    listed = _list_selection(name, info, chosen, args.filters, args.conn, file, args.timeout)
    if not listed.jobs:
        if not args.conn.quiet:
            io.notice(f"no jobs matched: {listed.scope}")
        return []
    if confirming:
        safety.preview(io, f"{len(listed.jobs)} {listed.scope}:", safety.job_rows(listed.jobs))
        safety.ask(io, f"{str(args.verb).capitalize()} these {len(listed.jobs)} jobs?")
    # --thing applies to a selection as to named jobs: each job's execution on each thing.
    targets: list[str | None] = [*args.things] or [None]
    refs = [JobRef(name, job.job_id, None, target) for job in listed.jobs for target in targets]
    validate.check_refs(refs, {name: info})
    return [make_group(listed.provider, refs, file, concurrency=args.concurrency, rate=args.rate)]


@dataclass(frozen=True)
class Listing:
    """What a filter selection picked, and where."""

    provider: Provider
    region: str | None
    jobs: list[JobState]
    # The selection in words: "RUNNABLE jobs in aws-batch queue prod-q, us-east-1".
    scope: str


def _list_selection(
    name: str,
    info: ProviderInfo,
    chosen: Selection,
    filters: FilterArgs,
    conn: Connection,
    file: cfg.FileConfig,
    timeout: float,
) -> Listing:
    """Connect, list every page, and keep the jobs that really match (shared by list and stop)."""
    instance = open_provider(name, None, conn, file, timeout)
    region = instance.region
    jobs = selection.select(instance.list_jobs(selection=chosen), chosen)
    return Listing(instance, region, jobs, selection.scope_words(info, filters, chosen, region))


def _stop_columns(fmt: str) -> tuple[str, ...]:
    return STOP_TABLE_COLUMNS if fmt == "table" else STOP_COLUMNS


def _run(
    args: StopArgs, options: StopOptions, groups: list[Group], renderer: Renderer, fmt: str, io: Io
) -> int:
    audit = None
    if not (args.no_audit or args.dry_run):
        audit = AuditLog(default_path(), warn=io.notice, limit=audit_time_limit())
    total = sum(len(g.refs) for g in groups)
    view = LiveView(
        total,
        enabled=io.stderr_is_tty() and not args.conn.quiet and total > 1,
        label="cancelling" if args.verb is Verb.CANCEL else "terminating",
    )
    notice = (lambda text: None) if args.conn.quiet else io.notice

    def sent(result: Result) -> None:
        view.seen(result)
        if audit is not None:
            audit.record(result, options, kind="answer")

    def audited(kind: Kind) -> Callable[[Result], None]:
        if audit is None:
            return lambda result: None
        return lambda result: audit.record(result, options, kind=kind)

    def decided(result: Result) -> None:
        view.seen(result)
        renderer.row(result.as_dict())

    hooks = Hooks(
        on_result=decided,
        on_sent=sent,
        on_final=audited("final"),
        on_unanswered=audited("unanswered"),
        on_update=view.seen,
        on_notice=notice,
    )
    settings = RunSettings(
        dry_run=args.dry_run,
        ignore_not_found=args.ignore_not_found,
        wait=args.wait,
        timeout=args.timeout,
        poll_interval=args.poll_interval,
    )
    engine = Engine(groups, options, settings, hooks)

    def leave() -> None:
        # A second signal: record what was sent, waiting on no lock and no file.
        if audit is not None:
            audit.hurry()
        engine.flush_unreported(wait=False)
        if audit is not None:
            audit.abandon()

    with safety.interruptible(hooks.stop, notice=io.notice, on_second=leave), view:
        try:
            results = engine.run()
        finally:
            if audit is not None:
                audit.close()
    summary = summarize(
        results, ignore_not_found=args.ignore_not_found, interrupted=hooks.stop.is_set()
    )
    renderer.finish([r.as_dict() for r in results], summary, _stop_columns(fmt))
    for group in groups:
        name = group.provider.info.name
        mine = [r for r in results if r.provider == name and r.region == group.region]
        seen = [(r.job_id, r.state_after or r.state_before, None, None) for r in mine]
        _remember(args.conn, group, seen)
    return renderer.close(summary.exit_code, audit_log=audit.path if audit else None)


def status(jobs: Sequence[str], conn: Connection, io: Io) -> int:
    file = cfg.load()
    fmt = output_format(conn, file, io)
    if not jobs:
        msg = "no jobs given: name job ids, or '-' to read them from standard input"
        raise UsageError(msg)
    resolved, _ = resolve_refs(jobs, conn, file, io)
    groups = connect(resolved, conn, file)
    rows: list[dict[str, Any]] = []
    for group in groups:
        group_rows = _status_rows(group)
        _remember(conn, group, [(r["job_id"], r["state"], r["name"], None) for r in group_rows])
        rows += group_rows
    failed = sum(1 for row in rows if row["state"] is None)
    ok = len(rows) - failed
    summary = Summary(len(rows), ok, failed, exit_code_for(ok, failed))
    renderer = Renderer(fmt, "status", stdout=io.stdout)
    for row in rows:
        renderer.row(row)
    renderer.finish(rows, summary, STATUS_COLUMNS)
    return renderer.close(summary.exit_code)


def _status_rows(group: Group) -> list[dict[str, Any]]:
    try:
        states = group.provider.describe(refs=group.refs)
        error = None
    except CredentialsError:
        raise  # the provider refuses these credentials: no row can say more than the error
    except Exception as exc:
        states, error = {}, redact(str(exc))
    rows = []
    for ref in group.refs:
        row: dict[str, Any] = {
            "provider": ref.provider,
            "region": group.region,
            "job_id": ref.job_id,
        }
        state = states.get(ref)
        if state is not None:
            row |= {
                "name": state.name,
                "state": state.native_state,
                "phase": str(state.phase),
                "message": str(state.extra.get("status_reason", "")),
                "extra": dict(state.extra),
            }
        elif error is not None:
            row |= {
                "name": None,
                "state": None,
                "phase": "failed",
                "message": f"lookup failed: {error}",
                "extra": {},
            }
        else:
            row |= {
                "name": None,
                "state": None,
                "phase": "not-found",
                "message": f"{ref.provider} does not know this job",
                "extra": {},
            }
        rows.append(row)
    return rows


def _remember(
    conn: Connection, where: Group | str, seen: Sequence[tuple[str, Any, Any, Any]]
) -> None:
    """Feed TAB's job-id cache (DESIGN.md §8): (job id, state, name, queue) as just seen.

    Keyed like the run's own connection; whatever happens to the cache, the run goes on.
    """
    from jobctl.complete.jobs import remember

    if isinstance(where, str):
        provider, ref_region = where, None
    else:  # a group's references share one region: an ARN's, or none
        provider, ref_region = where.provider.info.name, where.refs[0].region
    remember(provider, ref_region or conn.region, conn.profile, conn.endpoint_url, seen)


LIST_COLUMNS = ("job_id", "provider", "region", "state", "phase", "name", "created")


def list_jobs(conn: Connection, filters: FilterArgs, io: Io) -> int:
    """`jobctl list`: what a filter selection would pick, in every output format."""
    import datetime as dt

    file = cfg.load()
    fmt = output_format(conn, file, io)
    name = selected_provider(conn, file, "jobctl list")
    info = providers.info(name)
    chosen = selection.build(info, filters)
    listed = _list_selection(name, info, chosen, filters, conn, file, settings.DEFAULT_TIMEOUT)
    region, jobs = listed.region, listed.jobs
    _remember(conn, name, [(j.job_id, j.native_state, j.name, j.extra.get("queue")) for j in jobs])
    rows = [
        {
            "provider": name,
            "region": region,
            "job_id": job.job_id,
            "name": job.name,
            "state": job.native_state,
            "phase": str(job.phase),
            "created": (
                dt.datetime.fromtimestamp(job.created_at, dt.UTC).isoformat(timespec="seconds")
                if job.created_at is not None
                else None
            ),
            "extra": dict(job.extra),
        }
        for job in jobs
    ]
    if not rows and not conn.quiet:
        io.notice(f"no jobs matched: {listed.scope}")
    summary = Summary(len(rows), len(rows), 0, exit_code_for(len(rows), 0))
    renderer = Renderer(fmt, "list", stdout=io.stdout)
    for row in rows:
        renderer.row(row)
    renderer.finish(rows, summary, LIST_COLUMNS)
    return renderer.close(summary.exit_code)
