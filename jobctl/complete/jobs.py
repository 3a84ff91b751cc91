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
    from collections.abc import Iterable, Mapping, Sequence

    from jobctl.complete.cache import Listed, Row, Seen
    from jobctl.complete.catalog import Catalog, Facts
    from jobctl.complete.scope import Scope
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
    *,
    listed: Listed | None = None,
) -> None:
    """Record what a run saw; a cache that cannot be written changes nothing about the run.

    `listed`: the selection a listing answered. A cached job it would have matched but did
    not return has finished or changed state since, and is forgotten: an empty answer
    clears what it covers.
    """
    try:
        facts = facts_anywhere(provider)
        if facts is not None:
            key = scope.resolve(facts, region=region, profile=profile, endpoint=endpoint)
            forget = None if listed is None else (lambda row: _covers(listed, row))
            cache.store(key, jobs, forget=forget)
    except Exception:
        pass  # the cache is a convenience for TAB, never a reason for a run to fail


def _covers(listed: Listed, row: Row) -> bool:
    """The listing would have returned this cached job, were it still as cached."""
    from fnmatch import fnmatchcase

    _, state, name, queue = row
    if state not in listed.states or listed.created_before is not None:
        return False  # the cache keeps no creation times: such a listing proves nothing
    if listed.name_glob is not None and not fnmatchcase(name or "", listed.name_glob):
        return False
    if listed.queue is not None:
        # A queue given by name or by ARN; a job whose queue was not seen cannot be judged.
        wanted = listed.queue.rsplit("/", 1)[-1]
        return queue is not None and queue.rsplit("/", 1)[-1] == wanted
    return True


def job_values(
    catalog: Catalog,
    params: Params,
    command: str,
    incomplete: str,
    environ: Mapping[str, str] = os.environ,
    *,
    taken: Sequence[str] = (),
) -> list[Pair]:
    """Ids of the provider on the line, or PROVIDER:ID after `PROVIDER:`; none already given
    (`taken`: a second TAB after a completed id must not insert it again)."""
    prefix, colon, rest = incomplete.partition(":")
    label = ""
    if colon and prefix in catalog.names():
        params = {**params, "provider": prefix}
        label, incomplete = f"{prefix}:", rest
    provider = effective_provider(params.get("provider"))
    given = set(taken)
    any_state = command in _ANY_STATE_COMMANDS
    pairs = [
        (f"{label}{job_id}", describe(state, name))
        for job_id, state, name, _ in _rows(catalog, params, environ, any_state=any_state)
        if job_id not in given and f"{provider}:{job_id}" not in given
    ]
    return narrow(pairs, label + incomplete)


def queue_values(
    catalog: Catalog,
    params: Params,
    command: str,
    incomplete: str,
    environ: Mapping[str, str] = os.environ,
) -> list[Pair]:
    """The scope's queues (DescribeJobQueues, cached), each with its unfinished jobs counted."""
    name = effective_provider(params.get("provider"))
    facts = catalog.facts(name) if name else None
    if facts is None or not facts.queues:
        return []
    key = _key(facts, params)
    counts: dict[str, int] = dict.fromkeys(_queue_names(key, environ), 0)
    for _, _, _, queue in _rows(catalog, params, environ, any_state=False, remote_ok=False):
        if queue:
            counts[queue] = counts.get(queue, 0) + 1
    # A queue with no cached job may still have some: say nothing rather than "0".
    pairs = [(q, describe(f"{n} unfinished job(s)") if n else None) for q, n in counts.items()]
    return narrow(pairs, incomplete)


def _queue_names(key: Scope, environ: Mapping[str, str]) -> list[str]:
    names = cache.load_queues(key)
    if names is not None:
        return names
    from jobctl.complete import remote

    if not remote.enabled(environ):
        return []
    found = remote.lookup_queues(key, seconds=remote.deadline(environ))
    if found is None:
        return []
    import contextlib

    with contextlib.suppress(OSError):
        cache.store_queues(key, found)
    return found


def _key(facts: Facts, params: Params) -> Scope:
    return scope.resolve(
        facts,
        region=params.get("region"),
        profile=params.get("profile"),
        endpoint=params.get("endpoint_url"),
    )


def _rows(
    catalog: Catalog,
    params: Params,
    environ: Mapping[str, str],
    *,
    any_state: bool,
    remote_ok: bool = True,
) -> list[Row]:
    name = effective_provider(params.get("provider"))
    facts = catalog.facts(name) if name else None
    if facts is None:
        return []
    key = _key(facts, params)
    rows = _wanted(facts, cache.load(key), any_state=any_state)
    if rows or not remote_ok:
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
