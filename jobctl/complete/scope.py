"""Which account and place a job id belongs to: the cache's key, the same for writer and reader.

A scope is (provider, region, profile, endpoint), each resolved the way the runner resolves
it (flag, then environment, then config file; DESIGN.md §7) but without any SDK: a region
or profile the SDK finds on its own stays None, which means "this profile's default".
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

    from jobctl.complete.catalog import Facts

    Scope = tuple[str, str | None, str | None, str | None]


class _NoFile:
    defaults: Mapping[str, Any] = {}

    def provider(self, name: str) -> Mapping[str, Any]:
        return {}


def config_path() -> str:
    """jobctl.config.config_path, without importing what that module needs (tomllib,
    dataclasses: more than the rest of a warm TAB); a test holds the two to the same path."""
    if env := os.environ.get("JOBCTL_CONFIG"):
        return env
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "jobctl", "config.toml")


def _file() -> Any:
    """The config file; a missing or broken one is an empty one (TAB never reports errors)."""
    if not os.path.exists(config_path()):
        return _NoFile()
    from jobctl import config

    try:
        return config.load()
    except Exception:
        return _NoFile()


def config_defaults() -> Mapping[str, Any]:
    return dict(_file().defaults)


def _env_first(names: Sequence[str]) -> str | None:
    return next((os.environ[name] for name in names if os.environ.get(name)), None)


def resolve(
    facts: Facts, *, region: str | None, profile: str | None, endpoint: str | None
) -> Scope:
    section = _file().provider(facts.name)
    return (
        facts.name,
        region or _env_first(facts.region_env) or section.get("region") or None,
        # boto3's own default profile too: two AWS accounts must not share ids.
        profile or section.get("profile") or os.environ.get("AWS_PROFILE") or None,
        endpoint or _env_first(facts.endpoint_env) or section.get("endpoint_url") or None,
    )
