"""The fast path: answer a completion request from the generated table, before Typer loads.

`jobctl.__main__` calls `answer` when `_JOBCTL_COMPLETE` is set. It prints exactly what
Typer's completion would print (tests/test_completion_fast.py holds it to that), or returns
None and lets Typer answer whatever it cannot model. Standard library only: importing Typer
and rich is most of what a Python CLI spends on a TAB.
"""

from __future__ import annotations

import sys

from jobctl.complete import COMPLETE_VAR, Defer, shells

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import IO, NoReturn

    from jobctl.complete.parse import Context
    from jobctl.complete.shells import Item
    from jobctl.complete.spec import Command, Values


def answer(environ: Mapping[str, str], out: IO[str]) -> int | None:
    """Print the completions and return the exit code, or None: Typer must answer."""
    action, _, shell = environ.get(COMPLETE_VAR, "").partition("_")
    # Typer's test switch changes its own options; leave such requests to Typer.
    if action != "complete" or shell not in shells.SHELLS:
        return None
    if environ.get("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION"):
        return None
    try:
        args, incomplete = shells.request(shell, environ)
        items = complete(args, incomplete, environ)
    except Exception:  # Defer, or anything unforeseen: Typer's own completion answers
        return None
    text, code = shells.response(shell, items, environ)
    out.write(text)
    out.flush()
    return code


def complete(args: list[str], incomplete: str, environ: Mapping[str, str]) -> list[Item]:
    from jobctl.complete import parse
    from jobctl.complete.table import APP

    ctx, target, incomplete = parse.resolve(APP, args, incomplete)
    if target is ctx.command:
        return _names(ctx, incomplete)
    assert isinstance(target, dict)
    return _values(ctx, target["values"], incomplete, environ)


def _names(ctx: Context, incomplete: str) -> list[Item]:
    """Click's Group/Command.shell_complete: subcommands, then options for a '-' word."""
    command: Command = ctx.command
    items: list[Item] = [
        (name, sub["help"])
        for name, sub in command["commands"].items()
        if name.startswith(incomplete) and not sub["hidden"]
    ]
    if incomplete and not incomplete[0].isalnum():
        for option in command["options"]:
            # An option already on the line is offered again only if it may repeat.
            if option["hidden"] or (not option["multiple"] and option["name"] in ctx.given):
                continue
            names = [*option["opts"], *option["secondary"]]
            items.extend((name, option["help"]) for name in names if name.startswith(incomplete))
    return items


def _values(
    ctx: Context, values: Values, incomplete: str, environ: Mapping[str, str]
) -> list[Item]:
    kind = values["kind"]
    if kind == "choice":
        if values["case_sensitive"]:
            return [(c, None) for c in values["choices"] if c.startswith(incomplete)]
        lower = incomplete.lower()
        return [(c, None) for c in values["choices"] if c.lower().startswith(lower)]
    if kind == "file":
        return [(incomplete, None)]  # Typer's answer for file parameters: the word itself
    if kind == "none":
        return []
    from jobctl.complete.catalog import Table
    from jobctl.complete.values import SCOPE_PARAMS

    params = {name: ctx.value(name, environ) for name in SCOPE_PARAMS}
    if kind == "jobs":
        from jobctl.complete import jobs

        given = ctx.given.get("jobs")
        taken = [str(word) for word in given] if isinstance(given, list) else []
        pairs = jobs.job_values(Table(), params, ctx.path[-1], incomplete, environ, taken=taken)
    elif kind == "queues":
        from jobctl.complete import jobs

        pairs = jobs.queue_values(Table(), params, ctx.path[-1], incomplete, environ)
    elif kind in ("providers", "statuses", "regions"):
        from jobctl.complete import values as fixed

        pairs = getattr(fixed, kind)(Table(), params, incomplete)
    else:
        raise Defer  # a completer only Typer's path knows
    return [(value, shells.plain_help(help)) for value, help in pairs]


def finish(code: int) -> NoReturn:
    """Exit without waiting for a live lookup that missed its deadline."""
    sys.stdout.flush()
    remote = sys.modules.get("jobctl.complete.remote")
    if remote is not None and remote.pending():
        import os

        os._exit(code)
    sys.exit(code)
