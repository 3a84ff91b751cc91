"""A stop, from its request to its report: check, resolve, connect, confirm, run, audit.

Everything that can be refused is refused before the first request. `jobctl.api.stop` and
the command line's `cancel` / `terminate` both end up here; this module prints nothing and
asks nothing itself: what it tells and asks goes through `Callbacks`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jobctl import config as cfg
from jobctl import providers, selection, settings, validate
from jobctl.audit import AuditLog, Kind, default_path, user_and_host
from jobctl.audit import time_limit as audit_time_limit
from jobctl.callbacks import Callbacks, Confirm, Preview
from jobctl.connect import (
    connect,
    list_selection,
    make_group,
    remember,
    resolve_refs,
    selected_provider,
)
from jobctl.engine import Engine, Group, Hooks, RunSettings, Summary, summarize
from jobctl.errors import ExitCode, UsageError
from jobctl.flags import StopArgs
from jobctl.models import JobRef, Result, StopOptions, Verb

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True)
class Report:
    """What a stop did: one Result per job, in the order asked, and what they add up to."""

    # The verb, as the JSON envelope's `command`: "cancel" or "terminate".
    command: str
    results: tuple[Result, ...]
    # Jobs, ok, failed, and the exit code they earn (the command line exits with it).
    summary: Summary
    # The audit log the stop requests went to; None for a dry run or with audit off.
    audit_log: Path | None = None

    @property
    def exit_code(self) -> ExitCode:
        return self.summary.exit_code

    def as_dict(self) -> dict[str, Any]:
        """The JSON envelope `jobctl cancel -o json` prints for the same run."""
        from jobctl.render import envelope

        return envelope(self.command, [r.as_dict() for r in self.results], self.summary)


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


def run(args: StopArgs, file: cfg.FileConfig, cb: Callbacks) -> Report:
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
    if args.filters.given:
        groups = _select_groups(args, options, file, cb)
        if not groups:
            return Report(str(args.verb), (), summarize([], ignore_not_found=args.ignore_not_found))
    else:
        groups = _named_groups(args, options, file, cb)
    return _execute(args, options, groups, cb)


def _confirmed(confirm: Confirm, preview: Preview) -> None:
    if not confirm.ask(preview):
        msg = "not confirmed; nothing sent"
        raise UsageError(msg)


def _named_groups(
    args: StopArgs, options: StopOptions, file: cfg.FileConfig, cb: Callbacks
) -> list[Group]:
    resolved, infos = resolve_refs(args.jobs, args.conn, file, cb.stdin, args.things)
    if not resolved:
        # Only `-` can name no job: an empty pipe (a `list` that matched nothing) is no
        # error, as an empty selection is not, but a run that did nothing says so.
        cb.on_notice("no jobs on standard input: nothing sent")
        return []
    for info in infos.values():
        validate.check_provider_options(info, options)
    confirm = cb.confirm
    confirming = confirm is not None and confirm.needed(verb=args.verb, count=len(resolved))
    groups = connect(
        resolved,
        args.conn,
        file,
        concurrency=args.concurrency,
        rate=args.rate,
        timeout=args.timeout,
    )
    if confirm is not None and confirming:
        kept = tuple(ref for group in groups for ref in group.refs)  # duplicates gone
        _confirmed(confirm, Preview(args.verb, kept))
    return groups


def _select_groups(
    args: StopArgs, options: StopOptions, file: cfg.FileConfig, cb: Callbacks
) -> list[Group]:
    name = selected_provider(args.conn, file, "a filter selection")
    info = providers.info(name)
    validate.check_provider_options(info, options)
    for thing in args.things:
        validate.check_target(info, thing, f"an {info.name} filter selection")
    chosen = selection.build(info, args.filters)
    confirm = cb.confirm
    confirming = confirm is not None and confirm.needed(verb=args.verb, count=None)
    listed = list_selection(
        name, info, chosen, args.filters, args.conn, file, args.timeout, args.concurrency
    )
    if not listed.jobs:
        cb.on_notice(f"no jobs matched: {listed.scope}")
        return []
    # --thing applies to a selection as to named jobs: each job's execution on each thing.
    targets: list[str | None] = [*args.things] or [None]
    refs = [JobRef(name, job.job_id, None, target) for job in listed.jobs for target in targets]
    if confirm is not None and confirming:
        preview = Preview(args.verb, tuple(refs), tuple(listed.jobs), listed.scope)
        _confirmed(confirm, preview)
    validate.check_refs(refs, {name: info})
    return [make_group(listed.provider, refs, file, concurrency=args.concurrency, rate=args.rate)]


def _execute(args: StopArgs, options: StopOptions, groups: list[Group], cb: Callbacks) -> Report:
    audit = None
    if not (args.no_audit or args.dry_run):
        audit = AuditLog(default_path(), warn=cb.on_warning, limit=audit_time_limit())
    progress = cb.progress

    def seen(result: Result) -> None:
        if progress is not None:
            progress.seen(result)

    def sent(result: Result) -> None:
        seen(result)
        if audit is not None:
            audit.record(result, options, kind="answer")

    def audited(kind: Kind) -> Callable[[Result], None]:
        if audit is None:
            return lambda result: None
        return lambda result: audit.record(result, options, kind=kind)

    def decided(result: Result) -> None:
        seen(result)
        cb.on_result(result)

    hooks = Hooks(
        on_result=decided,
        on_request=audited("request"),
        on_refused=audited("answer"),
        on_sent=sent,
        on_final=audited("final"),
        on_unanswered=audited("unanswered"),
        records=audit.burst if audit is not None else nullcontext,
        on_update=seen,
        on_notice=cb.on_notice,
        stop=cb.interrupt,
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

    with cb.guard(hooks.stop, leave):
        if progress is not None:
            progress.start(total=sum(len(g.refs) for g in groups), verb=args.verb)
        try:
            try:
                results = engine.run()
            finally:
                if audit is not None:
                    audit.close()
        finally:
            if progress is not None:
                progress.end()
    summary = summarize(
        results, ignore_not_found=args.ignore_not_found, interrupted=hooks.stop.is_set()
    )
    for group in groups:
        name = group.provider.info.name
        mine = [r for r in results if r.provider == name and r.region == group.region]
        seen_jobs = [(r.job_id, r.state_after or r.state_before, None, None) for r in mine]
        remember(args.conn, group, seen_jobs)
    return Report(str(args.verb), tuple(results), summary, audit.path if audit else None)
