"""One settings resolver for runs, the Python API and TAB (docs/ARCHITECTURE.md, "Settings").

Every value is the first one set of: a flag (or an API keyword), the environment, the config
file, a built-in default; and each keeps where it came from, for messages and `jobctl config
show`:

    s = settings.load(settings.Flags(region="eu-west-1"))
    s.output.source                        # "not set": table on a terminal, else plain
    batch = s.provider("aws-batch")
    batch.region.value, batch.region.source   # "eu-west-1", "--region"
    batch.profile.source      # "AWS_PROFILE", "profile in [providers.aws-batch] of FILE:7"...
    batch.config              # a checked ProviderConfig for providers.create
    batch.scope               # TAB's cache key: the same rule, so the same account

Standard library only, and nothing but `os` until a config file exists: TAB resolves here too.
A provider's environment variables come from its static facts: its `ProviderInfo` in a run,
the generated completion table at TAB (`complete.catalog`), the same values by test.
"""

from __future__ import annotations

import os

from jobctl.defaults import DEFAULT_TIMEOUT as _DEFAULT_TIMEOUT

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any, Protocol

    from jobctl.providers.base import ProviderConfig

    class ProviderFacts(Protocol):
        """What the resolver needs of a provider: `ProviderInfo` and `catalog.Facts` have it."""

        @property
        def region_env(self) -> Sequence[str]: ...
        @property
        def profile_env(self) -> Sequence[str]: ...
        @property
        def endpoint_env(self) -> Sequence[str]: ...
        @property
        def default_concurrency(self) -> int: ...
        @property
        def default_rate(self) -> float | None: ...

    class File(Protocol):
        """A loaded config file (`config.FileConfig`), or none at all."""

        @property
        def defaults(self) -> Mapping[str, Any]: ...
        def provider(self, name: str) -> Mapping[str, Any]: ...
        def where(self, *keys: str) -> str: ...


# Longest --wait, and each request's retry budget, when nothing says otherwise (its one home
# is jobctl/defaults.py, a leaf the provider contract imports too).
DEFAULT_TIMEOUT = _DEFAULT_TIMEOUT
CONFIG_ENV = "JOBCTL_CONFIG"
PROVIDER_ENV = "JOBCTL_PROVIDER"
OUTPUT_ENV = "JOBCTL_OUTPUT"
# The longest wait for one answer, connecting included (a duration); unset, the SDKs' own.
REQUEST_TIMEOUT_ENV = "JOBCTL_REQUEST_TIMEOUT"

# The source of a value nothing set, and of a built-in default.
NOT_SET = "not set"
DEFAULT = "default"
# What a caller can say outright: each is a flag (--endpoint-url) and a jobctl.api keyword.
_FLAG_NAMES: tuple[str, ...] = ("provider", "region", "profile", "endpoint_url", "output")
_FLAG_NAMES += ("reason", "concurrency", "rate", "timeout")


def config_path(environ: Mapping[str, str] = os.environ) -> str:
    """$JOBCTL_CONFIG, else $XDG_CONFIG_HOME/jobctl/config.toml (~/.config when unset)."""
    return str(config_path_source(environ).value)


def config_path_source(environ: Mapping[str, str] = os.environ) -> Value:
    """The config file's path, and what named it: JOBCTL_CONFIG, XDG_CONFIG_HOME or default."""
    if env := environ.get(CONFIG_ENV):
        return Value(env, CONFIG_ENV)
    if base := environ.get("XDG_CONFIG_HOME"):
        return Value(os.path.join(base, "jobctl", "config.toml"), "XDG_CONFIG_HOME")
    home = os.path.join(os.path.expanduser("~"), ".config")
    return Value(os.path.join(home, "jobctl", "config.toml"), DEFAULT)


class Value:
    """A resolved setting and where it came from: "--region", "AWS_REGION",
    "region in [providers.aws-batch] of FILE:LINE", "default" or "not set"."""

    __slots__ = ("source", "value")

    def __init__(self, value: Any, source: str) -> None:
        self.value = value
        self.source = source

    def __repr__(self) -> str:
        return f"Value({self.value!r}, {self.source!r})"


class Flags:
    """What the caller said outright; None (or "") is "not given". `api=True`: the values are
    `jobctl.api` keyword arguments, and messages name them so ("region=", not "--region")."""

    __slots__ = (*_FLAG_NAMES, "api")

    def __init__(
        self,
        *,
        provider: str | None = None,
        region: str | None = None,
        profile: str | None = None,
        endpoint_url: str | None = None,
        output: str | None = None,
        reason: str | None = None,
        concurrency: int | None = None,
        rate: float | None = None,
        timeout: float | None = None,
        api: bool = False,
    ) -> None:
        self.provider = provider
        self.region = region
        self.profile = profile
        self.endpoint_url = endpoint_url
        self.output = output
        self.reason = reason
        self.concurrency = concurrency
        self.rate = rate
        # Seconds: the run's longest --wait and each request's retry budget.
        self.timeout = timeout
        self.api = api

    def given(self, name: str) -> tuple[Any, str]:
        label = f"{name}=" if self.api else "--" + name.replace("_", "-")
        return getattr(self, name), label


def _pick(*candidates: tuple[Any, str]) -> Value:
    """The first candidate set (None and "" are not), else "not set"."""
    for value, source in candidates:
        if value is not None and value != "":
            return Value(value, source)
    return Value(None, NOT_SET)


def _env(environ: Mapping[str, str], names: Sequence[str]) -> tuple[str | None, str]:
    """The first of `names` set in the environment, and its name."""
    for name in names:
        if environ.get(name):
            return environ[name], name
    return None, ""


class Settings:
    """Everything resolved for one run (or one TAB); see the module's docstring."""

    __slots__ = ("environ", "file", "flags")

    def __init__(self, flags: Flags, file: File, environ: Mapping[str, str]) -> None:
        self.flags = flags
        self.file = file
        self.environ = environ

    def _from_file(self, key: str, table: tuple[str, ...] = ("defaults",)) -> tuple[Any, str]:
        values = self.file.defaults if table == ("defaults",) else self.file.provider(table[1])
        value = values.get(key)
        if value is None:
            return None, ""
        label = ".".join(table)
        return value, f"{key} in [{label}] of {self.file.where(*table, key)}"

    @property
    def output(self) -> Value:
        """-o; "not set" means table on a terminal, else plain (`output_format`)."""
        return _pick(
            self.flags.given("output"),
            (self.environ.get(OUTPUT_ENV), OUTPUT_ENV),
            self._from_file("output"),
        )

    def output_format(self, *, stdout_is_tty: bool) -> str:
        from jobctl.errors import UsageError
        from jobctl.render import FORMATS

        chosen = self.output
        if chosen.value is None:
            return "table" if stdout_is_tty else "plain"
        if chosen.value not in FORMATS:
            from jobctl.validate import shown

            given = shown(str(chosen.value))
            msg = f"unknown output format {given}: choose one of {', '.join(FORMATS)}"
            raise UsageError(msg)
        return str(chosen.value)

    @property
    def provider_name(self) -> Value:
        """The provider for plain ids and filter selections."""
        return _pick(
            self.flags.given("provider"),
            (self.environ.get(PROVIDER_ENV), PROVIDER_ENV),
            self._from_file("provider"),
        )

    @property
    def provider_said(self) -> str | None:
        """The provider the caller named outright: the flag (or keyword), or JOBCTL_PROVIDER,
        which the command line's -p also reads; not the file's default."""
        said = _pick(self.flags.given("provider"), (self.environ.get(PROVIDER_ENV), PROVIDER_ENV))
        return None if said.value is None else str(said.value)

    def require_provider(self, what: str) -> str:
        """The provider name, or a usage error saying how to give one; not checked known."""
        name = self.provider_name.value
        if name is None:
            from jobctl.errors import UsageError

            flag = "provider=" if self.flags.api else "-p/--provider"
            msg = f"{what} needs a provider: pass {flag} or set {PROVIDER_ENV}"
            raise UsageError(msg)
        return str(name)

    @property
    def timeout(self) -> Value:
        """Seconds: the longest --wait, and each request's retry budget."""
        return _pick(self.flags.given("timeout"), (DEFAULT_TIMEOUT, DEFAULT))

    @property
    def request_timeout(self) -> Value:
        """JOBCTL_REQUEST_TIMEOUT as written (a duration); "not set": the SDKs' own."""
        return _pick((self.environ.get(REQUEST_TIMEOUT_ENV), REQUEST_TIMEOUT_ENV))

    @property
    def reason(self) -> Value:
        """The user's reason; "not set" means jobctl's own ("jobctl: cancel by USER@HOST")."""
        return _pick(self.flags.given("reason"), self._from_file("reason"))

    def provider(
        self, name: str, *, facts: ProviderFacts | None = None, region_hint: str | None = None
    ) -> ProviderSettings:
        """One provider's settings. `facts`: its ProviderInfo if at hand, else the completion
        table's (or the registry's) facts. `region_hint`: the region a job's ARN, or its row
        on standard input, names."""
        if facts is None:
            from jobctl.complete.catalog import facts_anywhere

            facts = facts_anywhere(name)
            if facts is None:
                from jobctl import providers

                # Raises the registry's own error: no such provider, or one that fails to load.
                facts = providers.info(name)
        table = ("providers", name)
        flags, environ = self.flags, self.environ
        return ProviderSettings(
            name,
            region=_pick(
                (region_hint, "the job's own region (its ARN, or the row it was read from)"),
                flags.given("region"),
                _env(environ, facts.region_env),
                self._from_file("region", table),
            ),
            profile=_pick(
                flags.given("profile"),
                # Only the provider's own variables: AWS_PROFILE never picks a Tencent profile.
                _env(environ, facts.profile_env),
                self._from_file("profile", table),
            ),
            endpoint_url=_pick(
                flags.given("endpoint_url"),
                _env(environ, facts.endpoint_env),
                self._from_file("endpoint_url", table),
            ),
            concurrency=_pick(
                flags.given("concurrency"),
                self._from_file("concurrency", table),
                (facts.default_concurrency, DEFAULT),
            ),
            rate=_pick(
                flags.given("rate"),
                self._from_file("rate", table),
                (facts.default_rate, DEFAULT),
            ),
            timeout=self.timeout,
            request_timeout=self.request_timeout,
        )


class ProviderSettings:
    """One provider's resolved settings, each a `Value`."""

    FIELDS: tuple[str, ...] = ("region", "profile", "endpoint_url", "concurrency", "rate")
    FIELDS += ("timeout", "request_timeout")
    __slots__ = ("name", *FIELDS)

    def __init__(
        self,
        name: str,
        *,
        region: Value,
        profile: Value,
        endpoint_url: Value,
        concurrency: Value,
        rate: Value,
        timeout: Value,
        request_timeout: Value,
    ) -> None:
        self.name = name
        # A region of None: the SDK's own default (the AWS profile's region).
        self.region, self.profile, self.endpoint_url = region, profile, endpoint_url
        # A rate of None: no pacing beyond the SDK's backoff.
        self.concurrency, self.rate = concurrency, rate
        # Seconds; and JOBCTL_REQUEST_TIMEOUT as written (a duration).
        self.timeout, self.request_timeout = timeout, request_timeout

    def source(self, field: str) -> str:
        value: Value = getattr(self, field)
        return value.source

    def items(self) -> list[tuple[str, Value]]:
        return [(field, getattr(self, field)) for field in self.FIELDS]

    @property
    def scope(self) -> tuple[str, str | None, str | None, str | None]:
        """(provider, region, profile, endpoint): whose jobs these are, for TAB's cache.

        A region or profile only the SDK knows stays None: "this profile's default"."""
        return (self.name, self.region.value, self.profile.value, self.endpoint_url.value)

    @property
    def config(self) -> ProviderConfig:
        """The ProviderConfig to create the provider with; a region or endpoint that is not
        one is a ConfigError naming where it came from."""
        from jobctl import validate
        from jobctl.providers.base import ProviderConfig

        region, endpoint = self.region, self.endpoint_url
        if region.value is not None:
            validate.check_region(region.value, source=region.source)
        if endpoint.value is not None:
            validate.check_endpoint(endpoint.value, source=endpoint.source, provider=self.name)
        return ProviderConfig(
            region=region.value,
            profile=self.profile.value,
            endpoint_url=endpoint.value,
            timeout=float(self.timeout.value),
            concurrency=int(self.concurrency.value),
            **request_timeouts(self.request_timeout.value),
        )


def request_timeouts(text: str | None) -> dict[str, float]:
    """JOBCTL_REQUEST_TIMEOUT's text as ProviderConfig's timeouts: connecting takes at most 5s
    of it. None: the SDK defaults stand (5s to connect, 30s to read an answer)."""
    if not text:
        return {}
    from jobctl.durations import parse_duration

    seconds = parse_duration(text, option=REQUEST_TIMEOUT_ENV)
    return {"connect_timeout": min(seconds, 5.0), "read_timeout": seconds}


class _NoFile:
    """No config file (or, at TAB, one that does not load: TAB never reports errors)."""

    defaults: Mapping[str, Any] = {}

    def provider(self, name: str) -> Mapping[str, Any]:
        return {}

    def where(self, *keys: str) -> str:
        return ""


def load(
    flags: Flags | None = None,
    *,
    file: File | None = None,
    environ: Mapping[str, str] | None = None,
    strict: bool = True,
) -> Settings:
    """Resolve against the environment and the config file (or `file`, already loaded).

    strict: a malformed config file is a ConfigError naming FILE:LINE (runs); else it reads as
    no file at all (TAB, which must answer something and never print an error).
    """
    environ = os.environ if environ is None else environ
    if file is None:
        file = _load_file(environ, strict=strict)
    return Settings(flags or Flags(), file, environ)


def _load_file(environ: Mapping[str, str], *, strict: bool) -> File:
    path = config_path(environ)
    # The config module costs more than the rest of a warm TAB: only for a file that exists.
    if not strict and not os.path.exists(path):
        return _NoFile()
    from pathlib import Path

    from jobctl import config

    try:
        return config.load(Path(path))
    except Exception:
        if strict:
            raise
        return _NoFile()
