"""Settings from flags, environment and the config file, in that order (DESIGN.md §7).

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

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobctl.errors import ConfigError
from jobctl.validate import shown

_DEFAULT_KEYS = {"provider": str, "output": str, "reason": str}
_PROVIDER_KEYS: dict[str, type | tuple[type, ...]] = {
    "region": str,
    "profile": str,
    "endpoint_url": str,
    "concurrency": int,
    "rate": (int, float),
}


@dataclass(frozen=True)
class FileConfig:
    path: Path | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)
    providers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def provider(self, name: str) -> Mapping[str, Any]:
        return self.providers.get(name, {})


def config_path() -> Path:
    if env := os.environ.get("JOBCTL_CONFIG"):
        return Path(env)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "jobctl" / "config.toml"


def _label(key: str) -> str:
    """A table name for a message: as written if short and printable, else quoted and clipped."""
    return key if key.isprintable() and len(key) <= 40 else shown(key, 40)


def _check_table(table: Any, keys: Mapping[str, Any], where: str, path: Path) -> dict[str, Any]:
    if not isinstance(table, dict):
        msg = f"{path}: [{where}] must be a table"
        raise ConfigError(msg)
    for key, value in table.items():
        if key not in keys:
            msg = f"{path}: unknown key {shown(key, 40)} in [{where}]; known: {', '.join(keys)}"
            raise ConfigError(msg)
        if not isinstance(value, keys[key]) or isinstance(value, bool):
            msg = f"{path}: {key} in [{where}] has the wrong type ({type(value).__name__})"
            raise ConfigError(msg)
    return dict(table)


def load(path: Path | None = None) -> FileConfig:
    """The config file, checked whole; a missing file is an empty config."""
    path = path or config_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return FileConfig()
    except OSError as exc:
        msg = f"cannot read config file {path}: {exc.strerror}"
        raise ConfigError(msg) from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        msg = f"config file {path} is not valid UTF-8"
        raise ConfigError(msg) from exc
    except tomllib.TOMLDecodeError as exc:
        # tomllib says where: "... (at line 3, column 7)".
        msg = f"config file {path} is malformed: {exc}"
        raise ConfigError(msg) from exc
    for key in data:
        if key not in ("defaults", "providers"):
            msg = f"{path}: unknown table [{_label(key)}]; known: [defaults], [providers.NAME]"
            raise ConfigError(msg)
    defaults = _check_table(data.get("defaults", {}), _DEFAULT_KEYS, "defaults", path)
    providers_raw = data.get("providers", {})
    if not isinstance(providers_raw, dict):
        msg = f"{path}: [providers] must hold one table per provider, e.g. [providers.aws-batch]"
        raise ConfigError(msg)
    providers = {
        name: _check_table(table, _PROVIDER_KEYS, f"providers.{_label(name)}", path)
        for name, table in providers_raw.items()
    }
    return FileConfig(path, defaults, providers)


def first(*values: Any) -> Any:
    """The first value that is set: flag, then environment, then file, then default."""
    return next((v for v in values if v is not None and v != ""), None)


def env_first(names: tuple[str, ...]) -> str | None:
    return next((os.environ[name] for name in names if os.environ.get(name)), None)
