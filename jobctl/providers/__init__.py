"""Provider registry: names to import paths, so an SDK loads only when its provider runs.

Each built-in provider's SDK comes with an extra (`jobctl[aws]`, `jobctl[tencent]`,
`jobctl[all]`); a missing one is exit 4 naming the extra to install. Third-party providers
register in the `jobctl.providers` entry-point group with a value `package.module:ClassName`;
the module must also define `INFO` (docs/providers.md).

The in-memory reference provider (`memory`) is registered only while
JOBCTL_ENABLE_MEMORY_PROVIDER=1: it stops nothing real, so a user never meets it in
`jobctl providers`, --help or TAB, yet a provider author and the conformance kit can drive it
through the real commands.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, cast

from jobctl import ENTRY_POINT_GROUP
from jobctl.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from jobctl.providers.aws_batch import AwsBatchProvider
    from jobctl.providers.aws_iot import AwsIotProvider
    from jobctl.providers.base import Provider, ProviderConfig, ProviderInfo
    from jobctl.providers.memory import MemoryProvider
    from jobctl.providers.tencent import TencentProvider

    # mypy holds every shipped class to the whole Provider protocol, constructor included.
    _KEPT: tuple[type[Provider], ...] = (
        AwsBatchProvider,
        AwsIotProvider,
        TencentProvider,
        MemoryProvider,
    )

__all__ = ["BUILTIN", "ENTRY_POINT_GROUP", "Registration", "create", "info", "names"]


@dataclass(frozen=True)
class Registration:
    name: str
    module: str
    class_name: str
    # Shown when the module's SDK is missing.
    install_hint: str


# The extras of pyproject.toml that bring each built-in provider's SDK.
AWS_HINT = "pip install 'jobctl[aws]'"
TENCENT_HINT = "pip install 'jobctl[tencent]'"

BUILTIN: dict[str, Registration] = {
    "aws-batch": Registration(
        "aws-batch", "jobctl.providers.aws_batch", "AwsBatchProvider", AWS_HINT
    ),
    "aws-iot": Registration("aws-iot", "jobctl.providers.aws_iot", "AwsIotProvider", AWS_HINT),
    "tencent": Registration("tencent", "jobctl.providers.tencent", "TencentProvider", TENCENT_HINT),
}


ENABLE_MEMORY_ENV = "JOBCTL_ENABLE_MEMORY_PROVIDER"
MEMORY = Registration(
    "memory", "jobctl.providers.memory", "MemoryProvider", "it ships with jobctl: reinstall jobctl"
)


def _registrations() -> dict[str, Registration]:
    found = _installed()
    if os.environ.get(ENABLE_MEMORY_ENV) == "1" and MEMORY.name not in found:
        found = {**found, MEMORY.name: MEMORY}
    return found


@cache
def _installed() -> dict[str, Registration]:
    """The built-in providers and those registered in the entry-point group."""
    from jobctl.plugins import registered_names

    found = dict(BUILTIN)
    if not registered_names():
        return found  # no plug-in installed: importlib.metadata would cost every run ~25 ms
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in found:
            continue
        module, _, class_name = ep.value.partition(":")
        found[ep.name] = Registration(ep.name, module, class_name, f"reinstall {ep.name}'s package")
    return found


def names() -> list[str]:
    return list(_registrations())


def registration(name: str) -> Registration:
    if name in BUILTIN:
        # A plug-in never replaces a built-in name (`_installed`): no need to read every
        # installed package's metadata, which costs --help and each command ~25 ms at start.
        return BUILTIN[name]
    regs = _registrations()
    if name not in regs:
        from jobctl.validate import shown

        msg = f"unknown provider {shown(name)}: choose one of {', '.join(regs)}"
        raise UsageError(msg)
    return regs[name]


def info(name: str) -> ProviderInfo:
    reg = registration(name)
    module = importlib.import_module(reg.module)
    return cast("ProviderInfo", module.INFO)


def declaring(wanted: Callable[[ProviderInfo], object], *, builtin: bool = False) -> list[str]:
    """Names of the registered providers whose INFO has `wanted` (for "applies to X only").

    `builtin`: the built-in ones only, as --help says, without reading installed packages.
    """
    found = []
    for name in list(BUILTIN) if builtin else names():
        try:
            if wanted(info(name)):
                found.append(name)
        except ImportError:
            continue  # a plug-in that cannot load says so when it is used
    return found


def either(names: list[str]) -> str:
    """'aws-batch, aws-iot or tencent'."""
    return names[-1] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def create(name: str, config: ProviderConfig) -> Provider:
    """Instantiate a provider; this is where its SDK gets imported and credentials resolved."""
    reg = registration(name)
    try:
        module = importlib.import_module(reg.module)
        cls = getattr(module, reg.class_name)
        return cast("Provider", cls(config=config))
    except ModuleNotFoundError as exc:
        package = (exc.name or "jobctl").partition(".")[0]
        if package == "jobctl":
            raise  # a module of jobctl's own is missing: a broken install, not an extra
        msg = f"provider {name} needs {package}, which is not installed: {reg.install_hint}"
        raise ConfigError(msg) from exc
