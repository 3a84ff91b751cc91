"""Provider registry: names to import paths, so an SDK loads only when its provider runs.

Each built-in provider's SDK comes with an extra (`jobctl[aws]`, `jobctl[tencent]`,
`jobctl[all]`); a missing one is exit 4 naming the extra to install. Third-party providers
register in the `jobctl.providers` entry-point group with a value `package.module:ClassName`;
the module must also define `INFO`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, cast

from jobctl import ENTRY_POINT_GROUP
from jobctl.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from jobctl.providers.base import Provider, ProviderConfig, ProviderInfo

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


@cache
def _registrations() -> dict[str, Registration]:
    found = dict(BUILTIN)
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
