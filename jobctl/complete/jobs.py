"""Job ids and Batch queues for TAB: from the cache runs write, else one live lookup.

`remember` is the writers' side (connect.remember calls it after `list`, `status` and stops);
`job_values` / `queue_values` are the readers', shared by both completion paths.
"""

from __future__ import annotations

import os

from jobctl.complete import cache, scope
from jobctl.complete.catalog import facts_anywhere
from jobctl.complete.values import describe, effective_provider, narrow

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from jobctl.complete.cache import Row, Seen
    from jobctl.complete.catalog import Catalog, Facts
    from jobctl.complete.values import Pair, Params

# `status` shows any job; the stop verbs offer only the jobs they could still stop.
_ANY_STATE_COMMANDS = frozenset({"status"})
_UNFINISHED = ("queued", "running")


def remember(
    provider: str,
    region: str | None,
    profile: str | None,
    endpoint: str | None,
    jobs: Iterable[Seen],
) -> None:
    """Record what a run saw; a cache that cannot be written changes nothing about the run."""
    try:
        facts = facts_anywhere(provider)
        if facts is not None:
            key = scope.resolve(facts, region=region, profile=profile, endpoint=endpoint)
            cache.store(key, jobs)
    except Exception:
        pass  # the cache is a convenience for TAB, never a reason for a run to fail


def job_values(
    catalog: Catalog,
    params: Params,
    command: str,
    incomplete: str,
    environ: Mapping[str, str] = os.environ,
) -> list[Pair]:
    any_state = command in _ANY_STATE_COMMANDS
    rows = _rows(catalog, params, environ, any_state=any_state)
    return narrow(((job_id, describe(state, name)) for job_id, state, name, _ in rows), incomplete)


def queue_values(
    catalog: Catalog,
    params: Params,
    command: str,
    incomplete: str,
    environ: Mapping[str, str] = os.environ,
) -> list[Pair]:
    counts: dict[str, int] = {}
    for _, _, _, queue in _rows(catalog, params, environ, any_state=False, queues=True):
        if queue:
            counts[queue] = counts.get(queue, 0) + 1
    pairs = [(queue, describe(f"{n} unfinished job(s)")) for queue, n in counts.items()]
    return narrow(pairs, incomplete)


def _rows(
    catalog: Catalog,
    params: Params,
    environ: Mapping[str, str],
    *,
    any_state: bool,
    queues: bool = False,
) -> list[Row]:
    name = effective_provider(params.get("provider"))
    facts = catalog.facts(name) if name else None
    if facts is None or (queues and not facts.queues):
        return []
    key = scope.resolve(
        facts,
        region=params.get("region"),
        profile=params.get("profile"),
        endpoint=params.get("endpoint_url"),
    )
    rows = _wanted(facts, cache.load(key), any_state=any_state)
    if rows:
        return rows
    from jobctl.complete import remote

    if not remote.enabled(environ):
        return []
    found = remote.lookup(key, seconds=remote.deadline(environ))
    if found is None:
        return []
    import contextlib

    # Offer what was found even when it cannot be kept; the next TAB looks again.
    with contextlib.suppress(OSError):
        cache.store(key, found)
    seen: list[Row] = [(i, s, n, q) for i, s, n, q in found if s is not None]
    return _wanted(facts, seen, any_state=any_state)


def _wanted(facts: Facts, rows: Iterable[Row], *, any_state: bool) -> list[Row]:
    return [row for row in rows if any_state or facts.states.get(row[1]) in _UNFINISHED]
