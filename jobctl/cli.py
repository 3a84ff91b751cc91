"""The command line: parse, hand over to `commands` (which calls `jobctl.api`), and one error
boundary (`main`)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from jobctl import __version__
from jobctl.cli_help import Command, Group
from jobctl.cli_options import (
    AllOpt,
    ConcurrencyOpt,
    DebugOpt,
    DryRunOpt,
    EndpointOpt,
    ForceCancelOpt,
    ForceTerminateOpt,
    IgnoreNotFoundOpt,
    Jobs,
    NameOpt,
    NoAuditOpt,
    OlderOpt,
    OutputOpt,
    PollOpt,
    ProfileOpt,
    ProviderFlagOpt,
    ProviderOpt,
    QueueOpt,
    QuietOpt,
    RateOpt,
    ReasonCodeOpt,
    ReasonOpt,
    RegionOpt,
    Shell,
    StatusOpt,
    StatusPollOpt,
    StatusTimeoutOpt,
    StatusWaitOpt,
    ThingOpt,
    TimeoutOpt,
    WaitOpt,
    YesOpt,
)
from jobctl.durations import format_duration
from jobctl.errors import ExitCode, JobctlError
from jobctl.models import Verb
from jobctl.settings import DEFAULT_TIMEOUT

TIMEOUT_DEFAULT = format_duration(DEFAULT_TIMEOUT)

SETTINGS = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    name="jobctl",
    cls=Group,
    help="Stop batch jobs on AWS Batch, AWS IoT and Tencent Cloud, and be told the truth "
    "about every one.",
    context_settings=SETTINGS,
    pretty_exceptions_show_locals=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"jobctl {__version__}")
        raise typer.Exit


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "-V", "--version", callback=_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Stop batch jobs on any cloud."""


def _stop_command(verb: Verb, summary: str) -> None:
    def command(
        jobs: Jobs = None,
        thing: ThingOpt = None,
        queue: QueueOpt = None,
        status: StatusOpt = None,
        name: NameOpt = None,
        older_than: OlderOpt = None,
        all_jobs: AllOpt = False,
        ignore_not_found: IgnoreNotFoundOpt = False,
        reason: ReasonOpt = None,
        reason_code: ReasonCodeOpt = None,
        force: ForceCancelOpt = False,
        dry_run: DryRunOpt = False,
        yes: YesOpt = False,
        wait: WaitOpt = False,
        timeout: TimeoutOpt = TIMEOUT_DEFAULT,
        poll_interval: PollOpt = "2s",
        concurrency: ConcurrencyOpt = None,
        rate: RateOpt = None,
        no_audit: NoAuditOpt = False,
        output: OutputOpt = None,
        quiet: QuietOpt = False,
        debug: DebugOpt = False,
        provider: ProviderOpt = None,
        region: RegionOpt = None,
        profile: ProfileOpt = None,
        endpoint_url: EndpointOpt = None,
    ) -> int:
        from jobctl.commands import stop
        from jobctl.context import Io
        from jobctl.durations import SHORTEST_POLL, SHORTEST_TIMEOUT, parse_duration
        from jobctl.flags import Connection, StopArgs
        from jobctl.selection import FilterArgs

        conn = Connection(
            provider=provider,
            region=region,
            profile=profile,
            endpoint_url=endpoint_url,
            output=output.value if output else None,
            quiet=quiet,
            debug=debug,
        )
        args = StopArgs(
            verb=verb,
            jobs=list(jobs or []),
            conn=conn,
            reason=reason,
            reason_code=reason_code,
            force=force,
            things=tuple(thing or ()),
            dry_run=dry_run,
            ignore_not_found=ignore_not_found,
            yes=yes,
            wait=wait,
            timeout=parse_duration(timeout, option="--timeout", at_least=SHORTEST_TIMEOUT),
            poll_interval=parse_duration(
                poll_interval, option="--poll-interval", at_least=SHORTEST_POLL
            ),
            concurrency=concurrency,
            rate=rate,
            no_audit=no_audit,
            filters=FilterArgs(queue, tuple(status or ()), name, older_than, all_jobs),
        )
        return stop(args, Io())

    command.__doc__ = summary
    if verb is Verb.TERMINATE:
        command.__annotations__ = {**command.__annotations__, "force": ForceTerminateOpt}
    app.command(name=str(verb), cls=Command, no_args_is_help=True)(command)


_stop_command(
    Verb.CANCEL,
    "Stop jobs that have not started; with --force, started ones too.\n\n"
    "Each job is looked up first: a job AWS Batch or Tencent would not stop is refused, "
    "not reported as cancelled.",
)
_stop_command(
    Verb.TERMINATE,
    "Stop jobs whatever their state: started ones too (Batch TerminateJob or, for a service "
    "job, TerminateServiceJob; IoT force=true; Tencent TerminateJob).",
)


@app.command(cls=Command, no_args_is_help=True)
def status(
    jobs: Jobs = None,
    provider: ProviderOpt = None,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
    endpoint_url: EndpointOpt = None,
    output: OutputOpt = None,
    ignore_not_found: IgnoreNotFoundOpt = False,
    wait: StatusWaitOpt = False,
    timeout: StatusTimeoutOpt = TIMEOUT_DEFAULT,
    poll_interval: StatusPollOpt = "2s",
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> int:
    """Show each job's provider state and normalized phase."""
    from jobctl.commands import status as run_status
    from jobctl.context import Io
    from jobctl.durations import SHORTEST_POLL, SHORTEST_TIMEOUT, parse_duration
    from jobctl.flags import Connection, StatusArgs

    conn = Connection(
        provider, region, profile, endpoint_url, output.value if output else None, quiet, debug
    )
    look = StatusArgs(
        ignore_not_found=ignore_not_found,
        wait=wait,
        timeout=parse_duration(timeout, option="--timeout", at_least=SHORTEST_TIMEOUT),
        poll_interval=parse_duration(
            poll_interval, option="--poll-interval", at_least=SHORTEST_POLL
        ),
    )
    return run_status(list(jobs or []), conn, Io(), look)


@app.command(name="list", cls=Command)
def list_command(
    provider: ProviderOpt = None,
    queue: QueueOpt = None,
    status: StatusOpt = None,
    name: NameOpt = None,
    older_than: OlderOpt = None,
    all_jobs: AllOpt = False,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
    endpoint_url: EndpointOpt = None,
    output: OutputOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> int:
    """List jobs matching filters (unfinished ones unless --status says otherwise)."""
    from jobctl.commands import list_jobs
    from jobctl.context import Io
    from jobctl.flags import Connection
    from jobctl.selection import FilterArgs

    conn = Connection(
        provider, region, profile, endpoint_url, output.value if output else None, quiet, debug
    )
    filters = FilterArgs(queue, tuple(status or ()), name, older_than, all_jobs)
    return list_jobs(conn, filters, Io())


@app.command(cls=Command)
def providers(output: OutputOpt = None) -> int:
    """The capability matrix: what each provider's cancel and terminate send."""
    from jobctl.commands import providers as show
    from jobctl.context import Io

    return show(output.value if output else None, Io())


config_app = typer.Typer(
    name="config",
    cls=Group,
    help="Where each setting comes from: flag > environment > config file > default.",
    context_settings=SETTINGS,
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(config_app)


@config_app.command(name="show", cls=Command)
def config_show(
    provider: ProviderFlagOpt = None,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
    endpoint_url: EndpointOpt = None,
    output: OutputOpt = None,
) -> int:
    """Every resolved setting per provider, and where it came from (secrets as ***); with
    connection flags, what a command given the same flags would use."""
    from jobctl import config_show as command
    from jobctl.settings import Flags

    given = Flags(
        provider=provider,
        region=region,
        profile=profile,
        endpoint_url=endpoint_url,
        output=output.value if output else None,
    )
    return command.show(given)


@config_app.command(name="path", cls=Command)
def config_path(output: OutputOpt = None, quiet: QuietOpt = False) -> int:
    """The config file jobctl reads ($JOBCTL_CONFIG, else $XDG_CONFIG_HOME/jobctl/config.toml)."""
    from jobctl import config_show as command

    return command.path(output.value if output else None, quiet=quiet)


def _add_sandbox() -> None:
    from jobctl.sandbox.cli import sandbox_app

    app.add_typer(sandbox_app, name="sandbox")


_add_sandbox()


# -- jobctl completion (TAB that never lies, issue 14): self-contained, kept at the end. ------


@app.command(cls=Command, no_args_is_help=True)
def completion(
    shell: Annotated[
        Shell,
        typer.Argument(metavar="SHELL", help="bash, zsh, fish or powershell.", show_default=False),
    ],
) -> int:
    """Print the TAB completion script for a shell."""
    from jobctl.complete.scripts import script_text

    sys.stdout.write(script_text(shell.value))
    return 0


def main(argv: list[str] | None = None) -> int:
    """The one error boundary: every failure becomes one stderr line and an exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    from typer._click.exceptions import NoArgsIsHelpError  # Click as Typer vendors it

    try:
        if any(arg.startswith(("--show-completion", "--install-completion")) for arg in args):
            from jobctl.complete.scripts import serve_typer_flags

            serve_typer_flags()
        rv = app(args=args, prog_name="jobctl", standalone_mode=False)
    except NoArgsIsHelpError as exc:
        # A bare `jobctl` or `jobctl cancel`: the help is the answer, shown as it is.
        sys.stderr.write(exc.format_message().rstrip("\n") + "\n")
        return int(ExitCode.USAGE)
    except typer.TyperException as exc:  # Click's usage errors, vendored by Typer
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        known = args[0] if args and args[0] in _command_names() else None
        hint = f"jobctl {known} --help" if known else "jobctl --help"
        _error(f"{_clip(message)} (see '{hint}')")
        return int(getattr(exc, "exit_code", ExitCode.USAGE))
    except JobctlError as exc:
        _error(str(exc))
        return int(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        _error("interrupted")
        return int(ExitCode.INTERRUPTED)
    except Exception as exc:
        if debug:
            import traceback

            from jobctl.sanitize import redact

            sys.stderr.write(redact(traceback.format_exc()))
        what = _clip(f"{type(exc).__name__}: {exc}")
        _error(f"unexpected error: {what} (rerun with --debug for details)")
        return int(ExitCode.FAILED)
    return rv if isinstance(rv, int) else 0


def _command_names() -> set[str]:
    names = {
        info.name or (info.callback.__name__ if info.callback else "")
        for info in app.registered_commands
    }
    return names | {group.name or "" for group in app.registered_groups}


def _clip(text: str, limit: int = 300) -> str:
    """Click's messages and exceptions quote what was typed, at any length: keep a line short."""
    return text if len(text) <= limit else text[:limit] + "…"


def _error(text: str) -> None:
    from jobctl.render import discard_pending
    from jobctl.sanitize import say

    try:
        say(sys.stderr, text)
    except OSError:
        # stderr is gone or full too: the exit code is all that is left to say it.
        discard_pending(sys.stderr)
