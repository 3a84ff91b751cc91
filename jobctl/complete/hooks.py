"""Typer's side: the `autocompletion=` functions cli.py attaches to its options and arguments.

They hand Typer's parsed context to the same value functions the fast path calls, with the
provider registry as their catalog; whatever fails offers nothing (never a traceback at TAB).
"""

from __future__ import annotations

from collections.abc import Callable

import typer

from jobctl.complete import jobs as job_functions
from jobctl.complete import values
from jobctl.complete.catalog import Registry

Result = list[tuple[str, str] | str]
Pairs = list[tuple[str, str | None]]


def _offer(
    ctx: typer.Context,
    incomplete: str,
    function: Callable[..., Pairs],
    *,
    with_command: bool = False,
) -> Result:
    params = {name: ctx.params.get(name) for name in values.SCOPE_PARAMS}
    try:
        if with_command:
            pairs = function(Registry(), params, str(ctx.info_name), incomplete)
        else:
            pairs = function(Registry(), params, incomplete)
    except Exception:
        return []
    return [(value, help) if help else value for value, help in pairs]


def providers(ctx: typer.Context, incomplete: str) -> Result:
    return _offer(ctx, incomplete, values.providers)


def statuses(ctx: typer.Context, incomplete: str) -> Result:
    return _offer(ctx, incomplete, values.statuses)


def regions(ctx: typer.Context, incomplete: str) -> Result:
    return _offer(ctx, incomplete, values.regions)


def queues(ctx: typer.Context, incomplete: str) -> Result:
    return _offer(ctx, incomplete, job_functions.queue_values, with_command=True)


def jobs(ctx: typer.Context, incomplete: str) -> Result:
    # The ids already on the line, as the fast path reads them: never offered twice.
    taken = [str(word) for word in ctx.params.get("jobs") or ()]

    def job_values(catalog: Registry, params: values.Params, command: str, word: str) -> Pairs:
        return job_functions.job_values(catalog, params, command, word, taken=taken)

    return _offer(ctx, incomplete, job_values, with_command=True)


# The table records which of these each parameter uses, so the fast path calls the same one.
COMPLETERS: dict[str, Callable[[typer.Context, str], Result]] = {
    "providers": providers,
    "statuses": statuses,
    "regions": regions,
    "queues": queues,
    "jobs": jobs,
}
