"""From parsed arguments to results: resolve, validate, connect, run, audit, render.

`cli.py` parses; this module does the work in the order DESIGN.md §10 draws, and everything
that can be refused is refused before the first request.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, BinaryIO

from jobctl import config as cfg
from jobctl import providers, refs, validate
from jobctl.audit import AuditLog, default_path, user_and_host
from jobctl.engine import Engine, Group, Hooks, RunSettings, Summary, exit_code_for, summarize
from jobctl.errors import UsageError
from jobctl.models import JobRef, StopOptions, Verb
from jobctl.providers.base import ProviderConfig, ProviderInfo
from jobctl.render import STATUS_COLUMNS, STOP_COLUMNS, STOP_TABLE_COLUMNS, Renderer

CONFIRM_THRESHOLD = 20


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
    timeout: float = 600.0
    poll_interval: float = 2.0
    concurrency: int | None = None
    rate: float | None = None
    no_audit: bool = False


@dataclass
class Io:
    """The streams a run talks to; tests and the sandbox demo swap them."""

    stdin: BinaryIO = field(default_factory=lambda: sys.stdin.buffer)
    stdout: IO[str] = field(default_factory=lambda: sys.stdout)
    stderr: IO[str] = field(default_factory=lambda: sys.stderr)
    stdin_is_tty: Callable[[], bool] = field(default_factory=lambda: sys.stdin.isatty)
    stdout_is_tty: Callable[[], bool] = field(default_factory=lambda: sys.stdout.isatty)

    def notice(self, text: str) -> None:
        from jobctl.sanitize import clean

        self.stderr.write(f"jobctl: {clean(text)}\n")
        self.stderr.flush()


def output_format(conn: Connection, file: cfg.FileConfig, io: Io) -> str:
    import os

    from jobctl.render import FORMATS

    fmt = cfg.first(conn.output, os.environ.get("JOBCTL_OUTPUT"), file.defaults.get("output"))
    if fmt is None:
        return "table" if io.stdout_is_tty() else "plain"
    if fmt not in FORMATS:
        msg = f"unknown output format {fmt!r}: choose one of {', '.join(FORMATS)}"
        raise UsageError(msg)
    return str(fmt)


def resolve_refs(
    jobs: Sequence[str], conn: Connection, file: cfg.FileConfig, io: Io, things: Sequence[str] = ()
) -> tuple[list[JobRef], dict[str, ProviderInfo]]:
    default = cfg.first(conn.provider, file.defaults.get("provider"))
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
    section = file.provider(name)
    return ProviderConfig(
        region=cfg.first(
            region, conn.region, cfg.env_first(info.region_env), section.get("region")
        ),
        profile=cfg.first(conn.profile, section.get("profile")),
        endpoint_url=cfg.first(
            conn.endpoint_url, cfg.env_first(info.endpoint_env), section.get("endpoint_url")
        ),
        timeout=timeout,
    )


def connect(
    resolved: Sequence[JobRef],
    infos: dict[str, ProviderInfo],
    conn: Connection,
    file: cfg.FileConfig,
    *,
    concurrency: int | None = None,
    rate: float | None = None,
    timeout: float = 600.0,
) -> list[Group]:
    """One provider instance per (provider, region): SDKs load and credentials resolve here."""
    by_key: dict[tuple[str, str | None], list[JobRef]] = {}
    for ref in resolved:
        by_key.setdefault((ref.provider, ref.region), []).append(ref)
    groups = []
    for (name, region), group_refs in by_key.items():
        info = infos[name]
        pconfig = provider_config(name, info, region, conn, file, timeout)
        instance = providers.create(name, pconfig)
        section = file.provider(name)
        groups.append(
            Group(
                provider=instance,
                region=getattr(instance, "region", pconfig.region),
                refs=group_refs,
                concurrency=int(
                    cfg.first(concurrency, section.get("concurrency"), info.default_concurrency)
                ),
                rate=cfg.first(rate, section.get("rate"), info.default_rate),
            )
        )
    return groups


def default_reason(verb: Verb) -> str:
    user, host = user_and_host()
    return f"jobctl: {verb} by {user}@{host}"


def stop(args: StopArgs, io: Io) -> int:
    file = cfg.load()
    fmt = output_format(args.conn, file, io)
    validate.check_reason(args.reason)
    validate.check_reason_code(args.reason_code)
    user_reason = cfg.first(args.reason, file.defaults.get("reason"))
    validate.check_reason(user_reason)
    options = StopOptions(
        verb=args.verb,
        reason=user_reason or default_reason(args.verb),
        reason_is_default=user_reason is None,
        reason_code=args.reason_code,
        force=args.force,
    )
    if not args.jobs:
        msg = "no jobs given: name job ids, or '-' to read them from standard input"
        raise UsageError(msg)
    resolved, infos = resolve_refs(args.jobs, args.conn, file, io, args.things)
    for info in infos.values():
        validate.check_provider_options(info, options)
    confirm(resolved, args, io)
    groups = connect(
        resolved,
        infos,
        args.conn,
        file,
        concurrency=args.concurrency,
        rate=args.rate,
        timeout=args.timeout,
    )

    renderer = Renderer(fmt, str(args.verb), stdout=io.stdout)
    audit = None if args.no_audit or args.dry_run else AuditLog(default_path(), warn=io.notice)
    hooks = Hooks(
        on_result=lambda result: renderer.row(result.as_dict()),
        on_sent=(lambda result: audit.record(result, options)) if audit else (lambda result: None),
        on_notice=io.notice,
    )
    settings = RunSettings(
        dry_run=args.dry_run,
        ignore_not_found=args.ignore_not_found,
        wait=args.wait,
        timeout=args.timeout,
        poll_interval=args.poll_interval,
    )
    results = Engine(groups, options, settings, hooks).run()
    summary = summarize(results, ignore_not_found=args.ignore_not_found)
    columns = STOP_TABLE_COLUMNS if fmt == "table" else STOP_COLUMNS
    renderer.finish([r.as_dict() for r in results], summary, columns)
    return int(summary.exit_code)


def confirm(resolved: Sequence[JobRef], args: StopArgs, io: Io) -> None:
    """More than CONFIRM_THRESHOLD jobs: preview and ask, or refuse without a terminal."""
    if len(resolved) <= CONFIRM_THRESHOLD or args.yes or args.dry_run:
        return
    preview = ", ".join(f"{r.provider}:{r.job_id}" for r in resolved[:5])
    more = f" and {len(resolved) - 5} more" if len(resolved) > 5 else ""
    io.notice(f"about to {args.verb} {len(resolved)} jobs: {preview}{more}")
    if not io.stdin_is_tty():
        msg = (
            f"refusing to {args.verb} {len(resolved)} jobs without confirmation: "
            "standard input is not a terminal; pass -y/--yes"
        )
        raise UsageError(msg)
    io.stderr.write(f"{args.verb} {len(resolved)} jobs? [y/N] ")
    io.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        msg = "not confirmed; nothing sent"
        raise UsageError(msg)


def status(jobs: Sequence[str], conn: Connection, io: Io) -> int:
    file = cfg.load()
    fmt = output_format(conn, file, io)
    if not jobs:
        msg = "no jobs given: name job ids, or '-' to read them from standard input"
        raise UsageError(msg)
    resolved, infos = resolve_refs(jobs, conn, file, io)
    groups = connect(resolved, infos, conn, file)
    rows = [row for group in groups for row in _status_rows(group)]
    failed = sum(1 for row in rows if row["state"] is None)
    ok = len(rows) - failed
    summary = Summary(len(rows), ok, failed, exit_code_for(ok, failed))
    renderer = Renderer(fmt, "status", stdout=io.stdout)
    for row in rows:
        renderer.row(row)
    renderer.finish(rows, summary, STATUS_COLUMNS)
    return int(summary.exit_code)


def _status_rows(group: Group) -> list[dict[str, Any]]:
    try:
        states = group.provider.describe(refs=group.refs)
        error = None
    except Exception as exc:
        states, error = {}, str(exc)
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
