"""`jobctl providers`: the normalization matrix and what each provider cannot do, as data."""

from __future__ import annotations

from typing import Any

from jobctl import providers
from jobctl.providers.base import ProviderInfo


def describe(info: ProviderInfo) -> dict[str, Any]:
    phases: dict[str, list[str]] = {}
    for state, phase in info.state_map.items():
        phases.setdefault(str(phase), []).append(state)
    return {
        "name": info.name,
        "title": info.title,
        "phases": phases,
        "matrix": {verb: dict(cells) for verb, cells in info.matrix.items()},
        "reason": {
            "field": info.reason_field,
            "mode": str(info.reason_mode),
            "limit": info.reason_limit,
        },
        "reason_code": {"field": info.reason_code_field, "mode": str(info.reason_code_mode)},
        "limitations": dict(info.limitations),
        "target_option": info.target_option,
        "describe_batch": info.describe_batch,
        "send_batch": info.send_batch,
        "default_concurrency": info.default_concurrency,
        "default_rate": info.default_rate,
    }


def rows() -> list[dict[str, Any]]:
    """Every registered provider, described; `render.Renderer.providers` shows them."""
    return [describe(providers.info(name)) for name in providers.names()]
