"""Fixtures for the hardening suite: every provider's world behind a fault-injecting proxy.

`python -m pytest tests/hardening -q` ends with the figures the README's Reliability section
quotes (tests/hardening/tally.py; printed by tests/conftest.py, which sums them over workers).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jobctl.sandbox.aws import MotoServer
from jobctl.sandbox.tencent_emulator import TencentBatchEmulator
from tests.hardening.helpers import Endpoints
from tests.hardening.tally import TALLY
from tests.support.faults import Rule
from tests.support.proxy import Proxy
from tests.support.worlds import WORLDS, ConformanceWorld, build_world


@pytest.fixture(autouse=True)
def built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Typer builds its Click command from the functions on every call (~25 ms); this suite
    runs jobctl in-process a few thousand times, so each app's command is built once."""
    import typer.main

    build = typer.main.get_command
    built: dict[int, Any] = {}

    def get_command(app: Any) -> Any:
        if id(app) not in built:
            built[id(app)] = build(app)
        return built[id(app)]

    monkeypatch.setattr(typer.main, "get_command", get_command)


@pytest.fixture(params=WORLDS)
def world(request: pytest.FixtureRequest) -> ConformanceWorld:
    return build_world(request, request.param)


MakeProxy = Callable[..., Proxy]


@pytest.fixture
def faulty(world: ConformanceWorld) -> Iterator[MakeProxy]:
    """Start a proxy in front of the world's server with the given fault rules."""
    started: list[Proxy] = []

    def make(*rules: Rule, seed: int = 0, slow_seconds: float = 3.0) -> Proxy:
        proxy = Proxy(world.target_url, rules=list(rules), seed=seed, slow_seconds=slow_seconds)
        started.append(proxy.start())
        return proxy

    yield make
    for proxy in started:
        proxy.stop()
        TALLY.traffic(
            requests=len(proxy.seen), forwarded=len(proxy.forwarded), faults=proxy.injected
        )


@pytest.fixture
def audit_log(clean_env: Path) -> Callable[[], list[dict[str, Any]]]:
    """The audit log's records so far (clean_env points XDG_STATE_HOME into tmp_path); given a
    kind ("answer", "final"), only the records of that kind."""
    path = clean_env / "state" / "jobctl" / "audit.jsonl"

    def read(kind: str | None = None) -> list[dict[str, Any]]:
        if not path.exists():
            return []
        records = [json.loads(line) for line in path.read_text().splitlines()]
        return [r for r in records if kind is None or r["record"] == kind]

    return read


@pytest.fixture
def endpoints(aws_env: MotoServer, tencent: TencentBatchEmulator) -> Iterator[Endpoints]:
    """Recording proxies in front of moto and the Tencent emulator, with credentials for both."""
    found = Endpoints(Proxy(aws_env.url).start(), Proxy(tencent.url).start())
    yield found
    found.aws.stop()
    found.tencent.stop()
