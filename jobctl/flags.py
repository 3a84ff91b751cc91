"""What a command was asked to do, as plain data: the command line's flags, parsed.

`cli.py` fills these from the flags; `jobctl.api` fills `StopArgs` from its keywords, so a
stop asked for from Python and one typed at a terminal are the same request from here on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from jobctl.models import Verb
from jobctl.selection import FilterArgs
from jobctl.settings import DEFAULT_TIMEOUT


@dataclass(frozen=True)
class Connection:
    """Flags shared by every command that talks to a provider."""

    provider: str | None = None
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    # The command line's own: how results are shown. jobctl.api leaves them unset.
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
    # -y/--yes: the command line's confirmation is not asked (jobctl.api never asks).
    yes: bool = False
    wait: bool = False
    timeout: float = DEFAULT_TIMEOUT
    poll_interval: float = 2.0
    concurrency: int | None = None
    rate: float | None = None
    no_audit: bool = False
    filters: FilterArgs = field(default_factory=FilterArgs)


@dataclass(frozen=True)
class StatusArgs:
    """`jobctl status`'s own flags, beyond the connection."""

    ignore_not_found: bool = False
    wait: bool = False
    timeout: float = DEFAULT_TIMEOUT
    poll_interval: float = 2.0
