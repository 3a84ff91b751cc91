"""The options of jobctl's commands: names, help, metavars in words, and the panel of each.

Shared by the commands in `cli.py`; `--help` reads these and nothing else, so nothing here
imports an SDK (docs: README "Start-up").
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from jobctl import providers as registry
from jobctl.complete import hooks
from jobctl.providers.base import ProviderInfo

SELECTION = "Selection"
REASON = "Reason"
SAFETY = "Safety"
OUTPUT = "Output"
CONNECTION = "Connection"
WAITING = "Waiting"


class Shell(StrEnum):
    """The shells `jobctl completion` writes a script for."""

    bash = "bash"
    zsh = "zsh"
    fish = "fish"
    powershell = "powershell"


class Output(StrEnum):
    table = "table"
    plain = "plain"
    json = "json"
    ndjson = "ndjson"


def _takes_things(info: ProviderInfo) -> bool:
    return info.target_option == "--thing"


def _no_profile(info: ProviderInfo) -> bool:
    return "profile" in info.limitations


_PROFILED = registry.declaring(lambda i: not _no_profile(i), builtin=True)
_UNPROFILED = registry.declaring(_no_profile, builtin=True)
PROFILE_HELP = f"AWS profile name, for {' and '.join(_PROFILED)}" + (
    f"; does not apply to {' or '.join(_UNPROFILED)} (see 'jobctl providers')."
    if _UNPROFILED
    else "."
)

Jobs = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="JOB",
        help=(
            "Job references: ID, PROVIDER:ID, an ARN, ID:0-99 (Batch array children), or '-' "
            "to read them from standard input."
        ),
        show_default=False,
        autocompletion=hooks.jobs,
    ),
]
ProviderOpt = Annotated[
    str | None,
    typer.Option(
        "-p",
        "--provider",
        metavar="PROVIDER",
        envvar="JOBCTL_PROVIDER",
        show_envvar=False,
        help=f"Provider for plain ids: {registry.either([*registry.BUILTIN])} "
        "[env: JOBCTL_PROVIDER].",
        autocompletion=hooks.providers,
        rich_help_panel=CONNECTION,
    ),
]
# `config show -p`: the flag alone (the resolver reads JOBCTL_PROVIDER itself, and says so).
ProviderFlagOpt = Annotated[
    str | None,
    typer.Option(
        "-p",
        "--provider",
        metavar="PROVIDER",
        help=f"As a run given -p would: {registry.either([*registry.BUILTIN])}.",
        autocompletion=hooks.providers,
        rich_help_panel=CONNECTION,
    ),
]
RegionOpt = Annotated[
    str | None,
    typer.Option(
        "--region",
        metavar="REGION",
        help="Region (else the provider's env, config, profile).",
        autocompletion=hooks.regions,
        rich_help_panel=CONNECTION,
    ),
]
ProfileOpt = Annotated[
    str | None,
    typer.Option("--profile", metavar="NAME", help=PROFILE_HELP, rich_help_panel=CONNECTION),
]
EndpointOpt = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        metavar="URL",
        help="Send requests here (an emulator, a private endpoint).",
        rich_help_panel=CONNECTION,
    ),
]
OutputOpt = Annotated[
    Output | None,
    typer.Option(
        "-o",
        "--output",
        metavar="FORMAT",
        show_default=False,
        help="table, plain, json or ndjson [env: JOBCTL_OUTPUT; default: table on a "
        "terminal, else plain].",
        rich_help_panel=OUTPUT,
    ),
]
QuietOpt = Annotated[
    bool,
    typer.Option(
        "-q", "--quiet", help="No progress or notices on stderr; errors still.",
        rich_help_panel=OUTPUT,
    ),
]  # fmt: skip
DebugOpt = Annotated[
    bool,
    typer.Option("--debug", help="Show tracebacks for unexpected errors.", rich_help_panel=OUTPUT),
]
QueueOpt = Annotated[
    str | None,
    typer.Option(
        "--queue",
        metavar="QUEUE",
        help=f"{' and '.join(registry.declaring(lambda i: i.queues, builtin=True))}: "
        "only jobs in this queue (name or ARN).",
        autocompletion=hooks.queues,
        rich_help_panel=SELECTION,
    ),
]
StatusOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--status",
        metavar="STATE",
        help="Only jobs in this state: a provider state (any case) or queued/running; repeatable.",
        autocompletion=hooks.statuses,
        rich_help_panel=SELECTION,
    ),
]
NameOpt = Annotated[
    str | None,
    typer.Option(
        "--name", metavar="GLOB", help="Only jobs whose name matches this glob.",
        rich_help_panel=SELECTION,
    ),
]  # fmt: skip
OlderOpt = Annotated[
    str | None,
    typer.Option(
        "--older-than", metavar="DURATION",
        help="Only jobs created longer ago than this (e.g. 2h).", rich_help_panel=SELECTION,
    ),
]  # fmt: skip
AllOpt = Annotated[
    bool,
    typer.Option("--all", help="Every unfinished job in scope.", rich_help_panel=SELECTION),
]
ThingOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--thing",
        metavar="THING",
        help=f"{' and '.join(registry.declaring(_takes_things, builtin=True))}: "
        "stop the job's execution on this thing (repeatable).",
        rich_help_panel=SELECTION,
    ),
]
IgnoreNotFoundOpt = Annotated[
    bool,
    typer.Option("--ignore-not-found", help="Count unknown jobs as ok.", rich_help_panel=SELECTION),
]
ReasonOpt = Annotated[
    str | None,
    typer.Option(
        "-r", "--reason", "--comment", metavar="TEXT",
        help="Why: sent as Batch reason / IoT comment.", rich_help_panel=REASON,
    ),
]  # fmt: skip
ReasonCodeOpt = Annotated[
    str | None,
    typer.Option(
        "--reason-code", metavar="CODE", help="A code, [A-Z0-9_]{1,128}.",
        rich_help_panel=REASON,
    ),
]  # fmt: skip
ForceCancelOpt = Annotated[
    bool,
    typer.Option(
        "-f", "--force",
        help="Also stop started jobs: a RUNNING Batch job gets TerminateJob (a service job "
        "TerminateServiceJob), IoT gets force=true (executions in progress are cancelled too).",
        rich_help_panel=SAFETY,
    ),
]  # fmt: skip
# terminate already stops jobs whatever their state: --force changes nothing there. Hidden,
# still accepted, so `cancel --force` and `terminate --force` lines keep working.
ForceTerminateOpt = Annotated[
    bool,
    typer.Option("-f", "--force", hidden=True, help="No effect: terminate stops started jobs."),
]
DryRunOpt = Annotated[
    bool,
    typer.Option(
        "-n", "--dry-run", help="Look up and show the exact requests; send none.",
        rich_help_panel=SAFETY,
    ),
]  # fmt: skip
YesOpt = Annotated[
    bool,
    typer.Option("-y", "--yes", help="Do not ask for confirmation.", rich_help_panel=SAFETY),
]
WaitOpt = Annotated[
    bool,
    typer.Option("--wait", help="Wait until every job is finished.", rich_help_panel=SAFETY),
]
TimeoutOpt = Annotated[
    str,
    typer.Option(
        "--timeout", metavar="DURATION",
        help="Longest --wait, and retry budget (e.g. 90s, 10m).", rich_help_panel=SAFETY,
    ),
]  # fmt: skip
PollOpt = Annotated[
    str,
    typer.Option(
        "--poll-interval", metavar="DURATION", help="Time between --wait lookups.",
        rich_help_panel=SAFETY,
    ),
]  # fmt: skip
ConcurrencyOpt = Annotated[
    int | None,
    typer.Option(
        "--concurrency", metavar="N", help="Requests in flight per provider (1 or more).",
        rich_help_panel=SAFETY,
    ),
]  # fmt: skip
RateOpt = Annotated[
    float | None,
    typer.Option(
        "--rate", metavar="N", help="Stop requests per second per provider (e.g. 2, 0.5).",
        rich_help_panel=SAFETY,
    ),
]  # fmt: skip
NoAuditOpt = Annotated[
    bool,
    typer.Option("--no-audit", help="Do not write the audit log.", rich_help_panel=SAFETY),
]

# `status --wait`: the same durations as a stop's, waiting for jobs someone else stopped.
StatusWaitOpt = Annotated[
    bool,
    typer.Option(
        "--wait", help="Look again until every job is finished (exit 5 at --timeout).",
        rich_help_panel=WAITING,
    ),
]  # fmt: skip
StatusTimeoutOpt = Annotated[
    str,
    typer.Option(
        "--timeout", metavar="DURATION", help="Longest --wait (e.g. 90s, 10m).",
        rich_help_panel=WAITING,
    ),
]  # fmt: skip
StatusPollOpt = Annotated[
    str,
    typer.Option(
        "--poll-interval", metavar="DURATION", help="Time between --wait lookups.",
        rich_help_panel=WAITING,
    ),
]  # fmt: skip
