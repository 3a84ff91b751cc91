"""Settings and connections: from a command's flags to provider instances, one per region.

The settings functions here (`output_format`, `provider_config`, `make_group`,
`selected_provider`, `remember`) are where flags, the environment and the config file meet;
they are the one place a run resolves them. Connecting is where SDKs load and credentials
resolve: nothing before it sends a request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from jobctl import config as cfg
from jobctl import providers, refs, selection, settings, validate
from jobctl.context import Io
from jobctl.engine import Group
from jobctl.flags import Connection
from jobctl.models import JobRef, JobState, Selection
from jobctl.providers.base import Provider, ProviderConfig, ProviderInfo
from jobctl.selection import FilterArgs

# -- settings --------------------------------------------------------------------------------


def output_format(conn: Connection, file: cfg.FileConfig, io: Io) -> str:
    resolved = settings.load(settings.Flags(output=conn.output), file=file)
    return resolved.output_format(stdout_is_tty=io.stdout_is_tty())


def provider_config(
    name: str,
    info: ProviderInfo,
    region: str | None,
    conn: Connection,
    file: cfg.FileConfig,
    timeout: float,
    concurrency: int | None = None,
) -> ProviderConfig:
    flags = settings.Flags(
        region=conn.region,
        profile=conn.profile,
        endpoint_url=conn.endpoint_url,
        timeout=timeout,
        concurrency=concurrency,
    )
    resolved = settings.load(flags, file=file)
    return resolved.provider(name, facts=info, region_hint=region).config


def make_group(
    instance: Provider,
    refs: list[JobRef],
    file: cfg.FileConfig,
    *,
    concurrency: int | None,
    rate: float | None,
) -> Group:
    info = instance.info
    flags = settings.Flags(concurrency=concurrency, rate=rate)
    resolved = settings.load(flags, file=file).provider(info.name, facts=info)
    return Group(
        provider=instance,
        region=instance.region,
        refs=refs,
        concurrency=int(resolved.concurrency.value),
        rate=resolved.rate.value,
    )


def selected_provider(conn: Connection, file: cfg.FileConfig, what: str) -> str:
    name = settings.load(settings.Flags(provider=conn.provider), file=file).require_provider(what)
    providers.registration(name)
    return name


def remember(
    conn: Connection,
    where: Group | str,
    seen: Sequence[tuple[str, Any, Any, Any]],
    *,
    listed: Selection | None = None,
) -> None:
    """Feed TAB's job-id cache: (job id, state, name, queue) as just seen; `listed`: the
    selection a listing answered, whose cached jobs it did not return are forgotten.

    Keyed like the run's own connection; whatever happens to the cache, the run goes on.
    """
    from jobctl.complete.jobs import remember as store

    if isinstance(where, str):
        provider, region = where, conn.region
    else:  # the region the group's provider resolved: an ARN's, a flag's, or the config's
        provider, region = where.provider.info.name, where.region or conn.region
    store(provider, region, conn.profile, conn.endpoint_url, seen, listed=listed)


# -- connecting ------------------------------------------------------------------------------


def resolve_refs(
    jobs: Sequence[str],
    conn: Connection,
    file: cfg.FileConfig,
    stdin: BinaryIO | None,
    things: Sequence[str] | None = (),
) -> tuple[list[JobRef], dict[str, ProviderInfo]]:
    """`things`: the run's --thing names; None for a command that looks at whole jobs only
    (`status`), where a stop's result row about one thing names its job."""
    chosen = settings.load(settings.Flags(provider=conn.provider), file=file)
    known = providers.names()
    resolved = refs.resolve(
        jobs,
        provider=chosen.provider_name.value,
        known=known,
        stdin=stdin,
        targets=things or (),
        whole_jobs=things is None,
        # Said outright, and so not to be contradicted by a row on standard input.
        pinned=(chosen.provider_said, conn.region),
    )
    infos = {name: providers.info(name) for name in {ref.provider for ref in resolved}}
    validate.check_refs(resolved, infos)
    return resolved, infos


def open_provider(
    name: str,
    region: str | None,
    conn: Connection,
    file: cfg.FileConfig,
    timeout: float,
    concurrency: int | None = None,
) -> Provider:
    info = providers.info(name)
    config = provider_config(name, info, region, conn, file, timeout, concurrency)
    return providers.create(name, config)


def connect(
    resolved: Sequence[JobRef],
    conn: Connection,
    file: cfg.FileConfig,
    *,
    concurrency: int | None = None,
    rate: float | None = None,
    timeout: float = settings.DEFAULT_TIMEOUT,
) -> list[Group]:
    """One provider instance per (provider, region): SDKs load and credentials resolve here.

    A plain id's region is known only now (flag, environment, config file, or the AWS
    profile's), so this is where a plain id and the ARN of the same job become one: groups
    that resolve to the same region merge, and a job named twice keeps its first mention.
    """
    by_key: dict[tuple[str, str | None], list[JobRef]] = {}
    for ref in resolved:
        by_key.setdefault((ref.provider, ref.region), []).append(ref)
    merged: dict[tuple[str, str | None], tuple[Provider, list[JobRef]]] = {}
    for (name, region), group_refs in by_key.items():
        instance = open_provider(name, region, conn, file, timeout, concurrency)
        _, kept = merged.setdefault((name, instance.region), (instance, []))
        kept.extend(group_refs)
    position = {ref: index for index, ref in enumerate(resolved)}
    groups = []
    for instance, group_refs in merged.values():
        first: dict[tuple[str, str | None], JobRef] = {}
        for ref in sorted(group_refs, key=position.__getitem__):
            first.setdefault((ref.job_id, ref.target), ref)
        groups.append(
            make_group(instance, [*first.values()], file, concurrency=concurrency, rate=rate)
        )
    return groups


@dataclass(frozen=True)
class Listing:
    """What a filter selection picked, and where."""

    provider: Provider
    region: str | None
    jobs: list[JobState]
    # The selection in words: "RUNNABLE jobs in aws-batch queue prod-q, us-east-1".
    scope: str


def list_selection(
    name: str,
    info: ProviderInfo,
    chosen: Selection,
    filters: FilterArgs,
    conn: Connection,
    file: cfg.FileConfig,
    timeout: float,
    concurrency: int | None = None,
) -> Listing:
    """Connect, list every page, and keep the jobs that really match (shared by list and stop).

    `concurrency`: the stop's --concurrency, for the client its stops will go through."""
    instance = open_provider(name, None, conn, file, timeout, concurrency)
    region = instance.region
    jobs = selection.select(instance.list_jobs(selection=chosen), chosen)
    return Listing(instance, region, jobs, selection.scope_words(info, filters, chosen, region))
