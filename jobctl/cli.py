"""The command line: parse, hand over to `commands` (which calls `jobctl.api`), and one error
boundary (`main`)."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from jobctl import __version__
from jobctl import providers as registry
from jobctl.complete import hooks
from jobctl.durations import format_duration
from jobctl.errors import ExitCode, JobctlError
from jobctl.models import Verb
from jobctl.providers.base import ProviderInfo
from jobctl.settings import DEFAULT_TIMEOUT

EXIT_CODES = """\
Exit codes: 0 every job ok · 1 every job failed, an unexpected error, or standard output
refused the results (every job was still handled: see the audit log) · 2 usage or input
error, nothing sent · 3 partial: some ok, some failed · 4 configuration or credentials error ·
5 --wait timed out with jobs still stopping · 130 interrupted. A reader that goes away
(| head) changes no exit code."""

app = typer.Typer(
    name="jobctl",
    help=f"Stop batch jobs on AWS Batch, AWS IoT and Tencent Cloud, and be told the truth "
    f"about every one.\n\n{EXIT_CODES}",
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_show_locals=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    rich_markup_mode=None,
)


class Output(StrEnum):
    table = "table"
    plain = "plain"
    json = "json"
    ndjson = "ndjson"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"jobctl {__version__}")
        raise typer.Exit


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Stop batch jobs on any cloud."""


Jobs = Annotated[
    list[str] | None,
    typer.Argument(
        help="Job references: ID, PROVIDER:ID, an ARN, or '-' to read them from standard input.",
        show_default=False,
        autocompletion=hooks.jobs,
    ),
]
ProviderOpt = Annotated[
    str | None,
    typer.Option(
        "-p",
        "--provider",
        envvar="JOBCTL_PROVIDER",
        show_envvar=False,
        help=f"Provider for plain ids: {registry.either([*registry.BUILTIN])} "
        "[env: JOBCTL_PROVIDER].",
        autocompletion=hooks.providers,
    ),
]
RegionOpt = Annotated[
    str | None,
    typer.Option(
        "--region",
        help="Region (else the provider's env, config, profile).",
        autocompletion=hooks.regions,
    ),
]
ProfileOpt = Annotated[
    str | None, typer.Option("--profile", help="AWS profile or Tencent profile name.")
]
EndpointOpt = Annotated[
    str | None,
    typer.Option("--endpoint-url", help="Send requests here (an emulator, a private endpoint)."),
]
OutputOpt = Annotated[
    Output | None,
    typer.Option(
        "-o",
        "--output",
        show_default=False,
        help="table, plain, json or ndjson [env: JOBCTL_OUTPUT; default: table on a "
        "terminal, else plain].",
    ),
]
QuietOpt = Annotated[
    bool, typer.Option("-q", "--quiet", help="No progress or notices on stderr; errors still.")
]
QueueOpt = Annotated[
    str | None,
    typer.Option(
        "--queue",
        help=f"{' and '.join(registry.declaring(lambda i: i.queues, builtin=True))}: "
        "only jobs in this queue (name or ARN).",
        autocompletion=hooks.queues,
    ),
]
StatusOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--status",
        help="Only jobs in this state: a provider state (any case) or queued/running; repeatable.",
        autocompletion=hooks.statuses,
    ),
]
NameOpt = Annotated[
    str | None, typer.Option("--name", help="Only jobs whose name matches this glob.")
]
OlderOpt = Annotated[
    str | None,
    typer.Option("--older-than", help="Only jobs created longer ago than this (e.g. 2h)."),
]
AllOpt = Annotated[bool, typer.Option("--all", help="Every unfinished job in scope.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks for unexpected errors.")]


def _takes_things(info: ProviderInfo) -> bool:
    return info.target_option == "--thing"


def _stop_command(verb: Verb, summary: str) -> None:
    def command(
        jobs: Jobs = None,
        provider: ProviderOpt = None,
        reason: Annotated[
            str | None,
            typer.Option(
                "-r", "--reason", "--comment", help="Why: sent as Batch reason / IoT comment."
            ),
        ] = None,
        reason_code: Annotated[
            str | None, typer.Option("--reason-code", help="A code, [A-Z0-9_]{1,128}.")
        ] = None,
        force: Annotated[
            bool, typer.Option("-f", "--force", help="Also stop started jobs (cancel escalates).")
        ] = False,
        thing: Annotated[
            list[str] | None,
            typer.Option(
                "--thing",
                help=f"{' and '.join(registry.declaring(_takes_things, builtin=True))}: "
                "stop the job's execution on this thing (repeatable).",
            ),
        ] = None,
        region: RegionOpt = None,
        profile: ProfileOpt = None,
        endpoint_url: EndpointOpt = None,
        output: OutputOpt = None,
        ignore_not_found: Annotated[
            bool, typer.Option("--ignore-not-found", help="Count unknown jobs as ok.")
        ] = False,
        dry_run: Annotated[
            bool,
            typer.Option("-n", "--dry-run", help="Look up and show the exact requests; send none."),
        ] = False,
        yes: Annotated[
            bool, typer.Option("-y", "--yes", help="Do not ask for confirmation.")
        ] = False,
        wait: Annotated[
            bool, typer.Option("--wait", help="Wait until every job is finished.")
        ] = False,
        timeout: Annotated[
            str, typer.Option("--timeout", help="Longest --wait, and retry budget (e.g. 90s, 10m).")
        ] = format_duration(DEFAULT_TIMEOUT),
        poll_interval: Annotated[
            str, typer.Option("--poll-interval", help="Time between --wait lookups.")
        ] = "2s",
        concurrency: Annotated[
            int | None,
            typer.Option("--concurrency", min=1, help="Requests in flight per provider."),
        ] = None,
        rate: Annotated[
            float | None,
            typer.Option("--rate", min=0.01, help="Stop requests per second per provider."),
        ] = None,
        no_audit: Annotated[
            bool, typer.Option("--no-audit", help="Do not write the audit log.")
        ] = False,
        queue: QueueOpt = None,
        status: StatusOpt = None,
        name: NameOpt = None,
        older_than: OlderOpt = None,
        all_jobs: AllOpt = False,
        quiet: QuietOpt = False,
        debug: DebugOpt = False,
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
    app.command(name=str(verb), no_args_is_help=True, epilog=EXIT_CODES)(command)


_stop_command(
    Verb.CANCEL,
    "Stop jobs that have not started; with --force, started ones too.\n\n"
    "Each job is looked up first: a job AWS Batch or Tencent would not stop is refused, "
    "not reported as cancelled.",
)
_stop_command(Verb.TERMINATE, "Stop jobs whatever their state.")


@app.command(no_args_is_help=True)
def status(
    jobs: Jobs = None,
    provider: ProviderOpt = None,
    region: RegionOpt = None,
    profile: ProfileOpt = None,
    endpoint_url: EndpointOpt = None,
    output: OutputOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> int:
    """Show each job's provider state and normalized phase."""
    from jobctl.commands import status as run_status
    from jobctl.context import Io
    from jobctl.flags import Connection

    conn = Connection(
        provider, region, profile, endpoint_url, output.value if output else None, quiet, debug
    )
    return run_status(list(jobs or []), conn, Io())


@app.command(name="list")
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


@app.command()
def providers(output: OutputOpt = None) -> int:
    """The capability matrix: what each provider's cancel and terminate send."""
    from jobctl.commands import providers as show
    from jobctl.context import Io

    return show(output.value if output else None, Io())


config_app = typer.Typer(
    name="config",
    help="Where each setting comes from: flag > environment > config file > default.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(config_app)


@config_app.command(name="show")
def config_show(output: OutputOpt = None) -> int:
    """Every resolved setting per provider, and where it came from (secrets as ***)."""
    from jobctl import config_show as command

    return command.show(output.value if output else None)


@config_app.command(name="path")
def config_path(output: OutputOpt = None, quiet: QuietOpt = False) -> int:
    """The config file jobctl reads ($JOBCTL_CONFIG, else $XDG_CONFIG_HOME/jobctl/config.toml)."""
    from jobctl import config_show as command

    return command.path(output.value if output else None, quiet=quiet)


def _add_sandbox() -> None:
    from jobctl.sandbox.cli import sandbox_app

    app.add_typer(sandbox_app, name="sandbox")


_add_sandbox()


# -- jobctl completion (TAB that never lies, issue 14): self-contained, kept at the end. ------


class CompletionShell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"
    powershell = "powershell"


@app.command(
    no_args_is_help=True,
    epilog='bash: eval "$(jobctl completion bash)" in ~/.bashrc · '
    "zsh: jobctl completion zsh > ~/.zfunc/_jobctl · "
    "fish: jobctl completion fish > ~/.config/fish/completions/jobctl.fish · "
    "PowerShell: jobctl completion powershell | Out-String | Invoke-Expression",
)
def completion(
    shell: Annotated[
        CompletionShell, typer.Argument(help="bash, zsh, fish or powershell.", show_default=False)
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
    try:
        rv = app(args=args, prog_name="jobctl", standalone_mode=False)
    except typer.TyperException as exc:  # Click's usage errors, vendored by Typer
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        if type(exc).__name__ == "NoArgsIsHelpError":
            # A bare `jobctl` or `jobctl cancel`: the help is the answer, shown as it is.
            sys.stderr.write(message.rstrip("\n") + "\n")
            return int(ExitCode.USAGE)
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
