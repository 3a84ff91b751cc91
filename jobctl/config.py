"""The config file: read, checked whole, and able to say which line holds a key.

Which value wins (flag > environment > this file > default) is `jobctl.settings`' business
(docs/ARCHITECTURE.md, "Settings"); this module only reads the file it names.

    # ~/.config/jobctl/config.toml
    [defaults]
    provider = "aws-batch"
    output = "table"
    reason = "stopped by the on-call"

    [providers.aws-batch]
    region = "eu-west-1"
    profile = "prod"
    concurrency = 8

Credentials are never read here: each SDK's own chain finds them.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobctl import settings, validate
from jobctl.errors import ConfigError, UsageError
from jobctl.validate import shown

_DEFAULT_KEYS = {"provider": str, "output": str, "reason": str}
_PROVIDER_KEYS: dict[str, type | tuple[type, ...]] = {
    "region": str,
    "profile": str,
    "endpoint_url": str,
    "concurrency": int,
    "rate": (int, float),
}
# The --rate flag's lower bound: one stop request every 100 seconds.
MIN_RATE = 0.01


@dataclass(frozen=True)
class FileConfig:
    path: Path | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)
    providers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # The line each table and key is written on (`key_lines`), for "FILE:LINE" in messages.
    lines: Mapping[tuple[str, ...], int] = field(default_factory=dict)

    def provider(self, name: str) -> Mapping[str, Any]:
        return self.providers.get(name, {})

    def where(self, *keys: str) -> str:
        """The "FILE:LINE" of a key ("providers", "aws-batch", "region"), else of its table."""
        return _Where(self.path, self.lines)(*keys) if self.path is not None else ""


def _label(key: str) -> str:
    """A table name for a message: as written if short and printable, else quoted and clipped."""
    return key if key.isprintable() and len(key) <= 40 else shown(key, 40)


class _Where:
    """Where a table or key is in the file, for messages: "FILE:LINE"."""

    def __init__(self, path: Path, lines: Mapping[tuple[str, ...], int]) -> None:
        self.path = path
        self._lines = lines

    def __call__(self, *keys: str) -> str:
        # The key's own line, else the line of the nearest table that holds it.
        for end in range(len(keys), 0, -1):
            if (line := self._lines.get(keys[:end])) is not None:
                return f"{self.path}:{line}"
        return str(self.path)


def _check_table(table: Any, keys: Mapping[str, Any], name: tuple[str, ...], where: _Where) -> None:
    label = ".".join(_label(part) for part in name)
    if not isinstance(table, dict):
        msg = f"{where(*name)}: [{label}] must be a table"
        raise ConfigError(msg)
    for key, value in table.items():
        if key not in keys:
            msg = (
                f"{where(*name, key)}: unknown key {shown(key, 40)} in [{label}]; "
                f"known: {', '.join(keys)}"
            )
            raise ConfigError(msg)
        if not isinstance(value, keys[key]) or isinstance(value, bool):
            wrong = type(value).__name__
            msg = f"{where(*name, key)}: {key} in [{label}] has the wrong type ({wrong})"
            raise ConfigError(msg)
        problem = _value_problem(name, key, value)
        if problem is not None:
            msg = f"{where(*name, key)}: {key} in [{label}] {problem}"
            raise ConfigError(msg)


def _value_problem(table: tuple[str, ...], key: str, value: Any) -> str | None:
    """What is wrong with a well-typed value: the checks its flag makes, made here."""
    if key == "concurrency" and value < 1:
        return f"must be at least 1 (requests in flight per provider), not {value}"
    if key == "rate" and not (math.isfinite(value) and value >= MIN_RATE):
        return f"must be a number of stop requests per second, at least {MIN_RATE}, not {value}"
    if table == ("defaults",):
        return _default_problem(key, value)
    return None


def _default_problem(key: str, value: str) -> str | None:
    if key == "provider" and not validate.provider_known(value):
        hint = validate.did_you_mean(value, "{}")
        return f"is {shown(value, 40)}, which is no provider; {hint}"
    if key == "output":
        from jobctl.render import FORMATS

        if value not in FORMATS:
            return f"is {shown(value, 40)}: choose one of {', '.join(FORMATS)}"
    if key == "reason" and not value.strip():
        return "must not be blank: leave it out to send jobctl's default reason"
    if key == "reason":
        try:
            validate.check_text(value, what="it")
        except UsageError as exc:
            return str(exc).removeprefix("it ")
    return None


def _check_place(name: str, table: Mapping[str, Any], where: _Where) -> None:
    """region and endpoint_url: the checks the runner makes of them, with the line."""
    for key, check in (("region", validate.check_region), ("endpoint_url", None)):
        if key not in table:
            continue
        source = f"{where('providers', name, key)}: {key} in [providers.{name}]"
        if check is not None:
            check(table[key], source=source)
        else:
            validate.check_endpoint(table[key], source=source, provider=name)


def load(path: Path | None = None) -> FileConfig:
    """The config file, checked whole; a missing file is an empty config."""
    path = path or Path(settings.config_path())
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return FileConfig()
    except OSError as exc:
        msg = f"cannot read config file {path}: {exc.strerror}"
        raise ConfigError(msg) from exc
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        msg = f"config file {path} is not valid UTF-8"
        raise ConfigError(msg) from exc
    except tomllib.TOMLDecodeError as exc:
        # tomllib says where: "... (at line 3, column 7)".
        msg = f"config file {path} is malformed: {exc}"
        raise ConfigError(msg) from exc
    lines = key_lines(text)
    where = _Where(path, lines)
    for key in data:
        if key not in ("defaults", "providers"):
            msg = (
                f"{where(key)}: unknown table [{_label(key)}]; known: [defaults], [providers.NAME]"
            )
            raise ConfigError(msg)
    defaults = data.get("defaults", {})
    _check_table(defaults, _DEFAULT_KEYS, ("defaults",), where)
    providers_raw = data.get("providers", {})
    if not isinstance(providers_raw, dict):
        msg = (
            f"{where('providers')}: [providers] must hold one table per provider, "
            "e.g. [providers.aws-batch]"
        )
        raise ConfigError(msg)
    for name, table in providers_raw.items():
        if not validate.provider_known(name):
            msg = (
                f"{where('providers', name)}: unknown provider [providers.{_label(name)}]; "
                f"{validate.did_you_mean(name, '[providers.{}]')}"
            )
            raise ConfigError(msg)
        _check_table(table, _PROVIDER_KEYS, ("providers", name), where)
        _check_place(name, table, where)
    providers = {n: dict(t) for n, t in providers_raw.items()}
    return FileConfig(path, dict(defaults), providers, lines)


# tomllib gives values, not lines: a small scanner finds the line a key is written on.
_KEY_PART = re.compile(r"""[A-Za-z0-9_-]+|"((?:[^"\\]|\\.)*)"|'([^']*)'""")
_DOTTED = rf"""(?:{_KEY_PART.pattern})(?:\s*\.\s*(?:{_KEY_PART.pattern}))*"""
_HEADER = re.compile(rf"\s*\[\[?\s*({_DOTTED})\s*\]\]?\s*(?:#.*)?")
_ASSIGN = re.compile(rf"\s*({_DOTTED})\s*=")


def _parts(dotted: str) -> tuple[str, ...]:
    return tuple(
        next((g for g in m.groups() if g is not None), m.group())
        for m in _KEY_PART.finditer(dotted)
    )


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """The first line (from 1) that names each table and key, as a path: ("providers",
    "aws-batch", "rate"); a dotted key or a table header names its prefixes too.

    Enough to point at a line, not a TOML parser: lines inside a multi-line string are
    skipped, and a key inside an inline table is found at the line of its table.
    """
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    in_string = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_string is not None:
            if line.count(in_string) % 2:
                in_string = None
            continue
        if header := _HEADER.fullmatch(line):
            table = _parts(header.group(1))
            path = table
        elif assign := _ASSIGN.match(line):
            path = table + _parts(assign.group(1))
        else:
            continue
        for end in range(1, len(path) + 1):
            lines.setdefault(path[:end], number)
        for quotes in ('"""', "'''"):
            if line.count(quotes) % 2:
                in_string = quotes
                break
    return lines
