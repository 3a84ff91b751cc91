"""The shape of the generated `table`: what Typer's completion needs to know about the app.

Only type checkers import this module; the fast path reads `table`'s plain literals.
"""

from __future__ import annotations

from typing import TypedDict

# A description as each shell's completion shows it, rendered the way Typer renders it:
# (zsh, fish, powershell). Bash shows values only.
Help = tuple[str, str, str]


class Values(TypedDict):
    # "choice", "file", "none", "custom" (a completer fast does not know: Typer answers),
    # or a value function of `values` / `jobs`: "providers", "statuses", "regions", "queues",
    # "jobs".
    kind: str
    choices: list[str]
    case_sensitive: bool


class Option(TypedDict):
    name: str
    opts: list[str]
    # The --no-x of a --x/--no-x flag.
    secondary: list[str]
    # False for flags and counters: they never wait for a value.
    takes_value: bool
    multiple: bool
    hidden: bool
    envvar: list[str]
    help: Help | None
    values: Values
    # Parsing it runs code with side effects (--version prints): fast leaves the line to Typer.
    callback: bool


class Argument(TypedDict):
    name: str
    nargs: int
    values: Values


class Command(TypedDict):
    # The short help shown beside the command's name.
    help: Help | None
    hidden: bool
    group: bool
    # Options may follow positional arguments (False for groups: the command name ends them).
    interspersed: bool
    # False when the command uses a Click feature fast does not model: Typer answers.
    supported: bool
    # Leading characters that make a word an option (Click's `_opt_prefixes`).
    prefixes: list[str]
    options: list[Option]
    arguments: list[Argument]
    commands: dict[str, Command]


class Provider(TypedDict):
    title: str
    # Native state -> phase (queued, running, finished).
    states: dict[str, str]
    regions: list[str]
    region_env: list[str]
    profile_env: list[str]
    endpoint_env: list[str]
    default_concurrency: int
    default_rate: float | None
    queues: bool
