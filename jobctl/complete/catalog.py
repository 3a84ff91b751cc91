"""What completion knows about providers, from the generated table or from the registry.

The fast path reads `Table` (no provider module imported); Typer's path reads `Registry`,
the source the table is generated from. The value functions take either, so the equivalence
test compares the table against the registry too.
"""

from __future__ import annotations

from jobctl.complete import Defer

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Protocol

    class Catalog(Protocol):
        def names(self) -> list[str]: ...

        def facts(self, name: str) -> Facts | None:
            """None: no such provider."""
            ...

        def phase_words(self) -> list[str]: ...


class Facts:
    """One provider's static facts: what TAB offers, and what `jobctl.settings` resolves with."""

    __slots__ = (
        "default_concurrency",
        "default_rate",
        "endpoint_env",
        "name",
        "profile_env",
        "queues",
        "region_env",
        "regions",
        "states",
        "title",
    )

    def __init__(
        self,
        name: str,
        title: str,
        states: Mapping[str, str],
        regions: Sequence[str],
        *,
        region_env: Sequence[str],
        profile_env: Sequence[str],
        endpoint_env: Sequence[str],
        default_concurrency: int,
        default_rate: float | None,
        queues: bool,
    ) -> None:
        self.name = name
        self.title = title
        # Native state -> phase name (queued, running, finished).
        self.states = states
        self.regions = regions
        self.region_env = region_env
        self.profile_env = profile_env
        self.endpoint_env = endpoint_env
        self.default_concurrency = default_concurrency
        self.default_rate = default_rate
        self.queues = queues


class Table:
    """The built-in providers as generated into `table`."""

    def names(self) -> list[str]:
        from jobctl.complete.table import PROVIDERS

        # Only Typer's path can describe a third-party provider (it imports its module).
        from jobctl.plugins import registered_names

        if any(name not in PROVIDERS for name in registered_names()):
            raise Defer
        return list(PROVIDERS)

    def facts(self, name: str) -> Facts | None:
        from jobctl.complete.table import PROVIDERS

        spec = PROVIDERS.get(name)
        if spec is None:
            raise Defer  # a typo, or a third-party provider: the registry knows which
        return Facts(
            name,
            spec["title"],
            spec["states"],
            spec["regions"],
            region_env=spec["region_env"],
            profile_env=spec["profile_env"],
            endpoint_env=spec["endpoint_env"],
            default_concurrency=spec["default_concurrency"],
            default_rate=spec["default_rate"],
            queues=spec["queues"],
        )

    def phase_words(self) -> list[str]:
        from jobctl.complete.table import PHASE_WORDS

        return list(PHASE_WORDS)


class Registry:
    """The provider registry itself: imports provider modules (never their SDKs)."""

    def names(self) -> list[str]:
        from jobctl import providers

        return providers.names()

    def facts(self, name: str) -> Facts | None:
        from jobctl import providers

        try:
            info = providers.info(name)
        except Exception:
            return None
        return Facts(
            info.name,
            info.title,
            {state: str(phase) for state, phase in info.state_map.items()},
            info.regions,
            region_env=info.region_env,
            profile_env=info.profile_env,
            endpoint_env=info.endpoint_env,
            default_concurrency=info.default_concurrency,
            default_rate=info.default_rate,
            queues=info.queues,
        )

    def phase_words(self) -> list[str]:
        from jobctl.selection import PHASE_WORDS

        return list(PHASE_WORDS)


def facts_anywhere(name: str) -> Facts | None:
    """For writers of the cache: the table when it knows the provider, else the registry."""
    try:
        return Table().facts(name)
    except Defer:
        return Registry().facts(name)
