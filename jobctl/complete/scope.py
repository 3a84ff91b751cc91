"""Which account and place a job id belongs to: the cache's key, the same for writer and reader.

A scope is (provider, region, profile, endpoint), resolved by `jobctl.settings`, the resolver
runs use (docs/ARCHITECTURE.md, "Settings"), without any SDK: a region or profile the SDK
finds on its own stays None, which means "this profile's default".
"""

from __future__ import annotations

from jobctl import settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from jobctl.complete.catalog import Facts

    Scope = tuple[str, str | None, str | None, str | None]


def resolve(
    facts: Facts, *, region: str | None, profile: str | None, endpoint: str | None
) -> Scope:
    """The scope of a run given these flags, or of a TAB with them on the line.

    A config file that does not load is no file here: TAB never reports errors, and a run
    that got this far has loaded it already.
    """
    flags = settings.Flags(region=region, profile=profile, endpoint_url=endpoint)
    return settings.load(flags, strict=False).provider(facts.name, facts=facts).scope


def default_provider(line_value: str | None) -> str | None:
    """The provider a command would use: the line (or JOBCTL_PROVIDER), else the config."""
    name = settings.load(settings.Flags(provider=line_value), strict=False).provider_name.value
    return str(name) if name else None
