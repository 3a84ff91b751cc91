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
from jobctl import providers, refs, selection, validate
from jobctl.context import Io
from jobctl.engine import Group
from jobctl.errors import UsageError
from jobctl.flags import Connection
from jobctl.models import JobRef, JobState, Selection
from jobctl.providers.base import Provider, ProviderConfig, ProviderInfo
from jobctl.selection import FilterArgs

# -- settings --------------------------------------------------------------------------------


def output_format(conn: Connection, file: cfg.FileConfig, io: Io) -> str:
    import os

    from jobctl.render import FORMATS

    fmt = cfg.first(conn.output, os.environ.get("JOBCTL_OUTPUT"), file.defaults.get("output"))
    if fmt is None:
        return "table" if io.stdout_is_tty() else "plain"
    if fmt not in FORMATS:
        given = validate.shown(str(fmt))
        msg = f"unknown output format {given}: choose one of {', '.join(FORMATS)}"
        raise UsageError(msg)
    return str(fmt)


def provider_config(
    name: str,
    info: ProviderInfo,
    region: str | None,
    conn: Connection,
    file: cfg.FileConfig,
    timeout: float,
) -> ProviderConfig:
    section = file.provider(name)
    where = f"in [providers.{name}] of {file.path}"
    chosen_region = _first_with_source(
        (region, "the job's ARN region"),
        (conn.region, "--region"),
        (cfg.env_first(info.region_env), "/".join(info.region_env)),
        (section.get("region"), f"region {where}"),
    )
    if chosen_region is not None:
        validate.check_region(chosen_region[0], source=chosen_region[1])
    env_name = next((n for n in info.endpoint_env if cfg.env_first((n,))), None)
    endpoint = _first_with_source(
        (conn.endpoint_url, "--endpoint-url"),
        (cfg.env_first(info.endpoint_env), env_name or ""),
        (section.get("endpoint_url"), f"endpoint_url {where}"),
    )
    if endpoint is not None:
        validate.check_endpoint(endpoint[0], source=endpoint[1], provider=name)
    return ProviderConfig(
        region=chosen_region[0] if chosen_region else None,
        profile=cfg.first(conn.profile, cfg.env_first(info.profile_env), section.get("profile")),
        endpoint_url=endpoint[0] if endpoint else None,
        timeout=timeout,
        **request_timeouts(),
    )


def _first_with_source(*candidates: tuple[Any, str]) -> tuple[str, str] | None:
    """The first value set, and where it came from (for an error message naming it)."""
    value = cfg.first(*(value for value, _ in candidates))
    if value is None:
        return None
    return str(value), next(source for v, source in candidates if v == value)


REQUEST_TIMEOUT_ENV = "JOBCTL_REQUEST_TIMEOUT"


def request_timeouts() -> dict[str, float]:
    """JOBCTL_REQUEST_TIMEOUT (a duration): the longest wait for one answer, connecting included.

    Unset, the SDK defaults stand (5s to connect, 30s to read an answer).
    """
    import os

    from jobctl.durations import parse_duration

    text = os.environ.get(REQUEST_TIMEOUT_ENV)
    if not text:
        return {}
    seconds = parse_duration(text, option=REQUEST_TIMEOUT_ENV)
    return {"connect_timeout": min(seconds, 5.0), "read_timeout": seconds}


def make_group(
    instance: Provider,
    refs: list[JobRef],
    file: cfg.FileConfig,
    *,
    concurrency: int | None,
    rate: float | None,
) -> Group:
    info = instance.info
    section = file.provider(info.name)
    return Group(
        provider=instance,
        region=getattr(instance, "region", None),
        refs=refs,
        concurrency=int(
            cfg.first(concurrency, section.get("concurrency"), info.default_concurrency)
        ),
        rate=cfg.first(rate, section.get("rate"), info.default_rate),
    )


def selected_provider(conn: Connection, file: cfg.FileConfig, what: str) -> str:
    name = cfg.first(conn.provider, file.defaults.get("provider"))
    if name is None:
        msg = f"{what} needs a provider: pass -p/--provider or set JOBCTL_PROVIDER"
        raise UsageError(msg)
    providers.registration(str(name))
    return str(name)


def remember(
    conn: Connection, where: Group | str, seen: Sequence[tuple[str, Any, Any, Any]]
) -> None:
    """Feed TAB's job-id cache: (job id, state, name, queue) as just seen.

    Keyed like the run's own connection; whatever happens to the cache, the run goes on.
    """
    from jobctl.complete.jobs import remember as store

    if isinstance(where, str):
        provider, ref_region = where, None
    else:  # a group's references share one region: an ARN's, or none
        provider, ref_region = where.provider.info.name, where.refs[0].region
    store(provider, ref_region or conn.region, conn.profile, conn.endpoint_url, seen)


# -- connecting ------------------------------------------------------------------------------


def resolve_refs(
    jobs: Sequence[str],
    conn: Connection,
    file: cfg.FileConfig,
    stdin: BinaryIO | None,
    things: Sequence[str] = (),
) -> tuple[list[JobRef], dict[str, ProviderInfo]]:
    default = cfg.first(conn.provider, file.defaults.get("provider"))
    known = providers.names()
    resolved = refs.resolve(jobs, provider=default, known=known, stdin=stdin, targets=things)
    infos = {name: providers.info(name) for name in {ref.provider for ref in resolved}}
    validate.check_refs(resolved, infos)
    return resolved, infos


def open_provider(
    name: str, region: str | None, conn: Connection, file: cfg.FileConfig, timeout: float
) -> Provider:
    info = providers.info(name)
    return providers.create(name, provider_config(name, info, region, conn, file, timeout))


def connect(
    resolved: Sequence[JobRef],
    conn: Connection,
    file: cfg.FileConfig,
    *,
    concurrency: int | None = None,
    rate: float | None = None,
    timeout: float = 600.0,
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
        instance = open_provider(name, region, conn, file, timeout)
        _, kept = merged.setdefault((name, getattr(instance, "region", None)), (instance, []))
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
) -> Listing:
    """Connect, list every page, and keep the jobs that really match (shared by list and stop)."""
    instance = open_provider(name, None, conn, file, timeout)
    region = getattr(instance, "region", None)
    jobs = selection.select(instance.list_jobs(selection=chosen), chosen)
    return Listing(instance, region, jobs, selection.scope_words(info, filters, chosen, region))
