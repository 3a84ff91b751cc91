"""`jobctl config show` and `jobctl config path`: what jobctl would use, and why.

Both resolve through `jobctl.settings`, the resolver every run and TAB use, so what they print
is what a run would do (docs/ARCHITECTURE.md, "Settings"). Secrets never show: an endpoint's
user-info and query are `***`, and credentials are never jobctl's to read.
"""

from __future__ import annotations

import sys
from typing import Any

from jobctl import providers, settings
from jobctl.settings import NOT_SET, Value

COLUMNS = ("provider", "setting", "value", "source")
PATH_COLUMNS = ("path",)

# What an unset value means, said after "not set".
_UNSET = {
    "output": "table on a terminal, else plain",
    "reason": "jobctl's own, 'jobctl: VERB by USER@HOST'",
    "request_timeout": "the SDKs' own, 5s to connect and 30s to read",
    "region": "the SDK's default (for AWS, the profile's region)",
    "profile": "the SDK's default credential chain",
    "endpoint_url": "the provider's public endpoint",
    "rate": "no pacing beyond the SDK's backoff",
}


def rows(resolved: settings.Settings) -> list[dict[str, Any]]:
    """One row per setting: the global ones (provider None), then each provider's."""
    out = [
        _row(None, "config_file", settings.config_path_source(resolved.environ)),
        _row(None, "provider", resolved.provider_name),
        _row(None, "output", resolved.output),
        _row(None, "reason", resolved.reason),
        _row(None, "timeout", resolved.timeout),
        _row(None, "request_timeout", resolved.request_timeout),
    ]
    for name in providers.names():
        info = providers.info(name)
        mine = resolved.provider(name, facts=info)
        for field in ("region", "profile", "endpoint_url", "concurrency", "rate"):
            if field == "profile" and "profile" in info.limitations:
                # A provider that takes no profile (Tencent): what it reads instead, not a
                # value it would ignore.
                reason = f"does not apply: {info.limitations['profile'].split(': ', 1)[-1]}"
                out.append(_row(name, field, Value(None, reason)))
                continue
            out.append(_row(name, field, getattr(mine, field)))
    return out


def _row(provider: str | None, setting: str, value: Value) -> dict[str, Any]:
    """The value as one would write it in a flag or the file; where it came from."""
    shown = value.value
    if shown is not None and setting == "endpoint_url":
        from jobctl.sanitize import redact_url

        shown = redact_url(str(shown))
    elif shown is not None and setting == "timeout":
        from jobctl.durations import format_duration

        shown = format_duration(float(shown))
    source = value.source
    if value.source == NOT_SET and setting in _UNSET:
        source = f"{NOT_SET}: {_UNSET[setting]}"
    return {"provider": provider, "setting": setting, "value": shown, "source": source}


def show(flags: settings.Flags) -> int:
    """Every resolved setting per provider, the flags given counted as a run would count them;
    a malformed config file is exit 4 naming its line."""
    from jobctl.engine import Summary, exit_code_for
    from jobctl.render import Renderer

    resolved = settings.load(flags)
    _check(flags, resolved)
    fmt = resolved.output_format(stdout_is_tty=_stdout_is_tty())
    found = rows(resolved)
    summary = Summary(len(found), len(found), 0, exit_code_for(len(found), 0))
    renderer = Renderer(fmt, "config show", noun=None)
    for row in found:
        renderer.row(row)
    renderer.finish(found, summary, COLUMNS)
    return renderer.close(summary.exit_code)


def _check(flags: settings.Flags, resolved: settings.Settings) -> None:
    """The connection flags refused as a run would refuse them: an unknown provider is exit 2,
    a region or endpoint that is not one exit 4, naming the flag (an endpoint as the provider
    a run would pick takes it: Tencent's SDK takes HOST[:PORT] only)."""
    from jobctl import validate
    from jobctl.errors import UsageError

    chosen = resolved.provider_name  # the flag, JOBCTL_PROVIDER or the file's [defaults]
    if chosen.value is not None and not validate.provider_known(str(chosen.value)):
        msg = (
            f"unknown provider {validate.shown(str(chosen.value))} ({chosen.source}): choose "
            f"one of {', '.join(providers.names())}"
        )
        raise UsageError(msg)
    if flags.region is not None:
        validate.check_region(flags.region, source="--region")
    if flags.endpoint_url is not None:
        provider = str(chosen.value) if chosen.value else None
        validate.check_endpoint(flags.endpoint_url, source="--endpoint-url", provider=provider)


def path(output: str | None, *, quiet: bool = False) -> int:
    """The config file's path on stdout, whether or not it exists (a notice says so); a
    malformed file does not stand in the way of finding it."""
    from jobctl.engine import Summary, exit_code_for
    from jobctl.render import Renderer

    where = settings.config_path_source()
    exists = _exists(str(where.value))
    # A malformed file still has a path: it is read here only for its [defaults] output.
    chosen = settings.load(settings.Flags(output=output), strict=False)
    fmt = chosen.output_format(stdout_is_tty=_stdout_is_tty())
    if fmt == "table":
        fmt = "plain"  # one path, as `$(jobctl config path)` wants it
    row = {"path": where.value, "exists": exists, "source": where.source}
    summary = Summary(1, 1, 0, exit_code_for(1, 0))
    renderer = Renderer(fmt, "config path", noun=None)
    renderer.row(row)
    renderer.finish([row], summary, PATH_COLUMNS)
    if not exists and not quiet:
        from jobctl.sanitize import say

        say(sys.stderr, "no config file there yet: jobctl uses flags, environment and defaults")
    return renderer.close(summary.exit_code)


def _exists(file: str) -> bool:
    import os

    return os.path.isfile(file)


def _stdout_is_tty() -> bool:
    try:
        return sys.stdout is not None and sys.stdout.isatty()
    except (OSError, ValueError):
        return False
