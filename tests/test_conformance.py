"""Every provider passes jobctl.testing's scenarios, each against its own test server.

The built-in providers run behind a recording proxy in front of moto's server or the Tencent
emulator; the reference provider runs in memory. tests/test_third_party_provider.py runs the
same kit against a provider found through the entry-point group.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from jobctl.testing import ProviderConformance, World
from jobctl.testing.memory import memory_world
from tests.support.proxy import Proxy
from tests.support.worlds import (
    BatchConformance,
    ConformanceWorld,
    IotConformance,
    Recorded,
    TencentConformance,
)

Record = Callable[[ConformanceWorld, str], Recorded]


@pytest.fixture
def recorded() -> Iterator[Record]:
    proxies: list[Proxy] = []

    def record(world: ConformanceWorld, region: str) -> Recorded:
        proxies.append(Proxy(world.target_url).start())
        return Recorded(world, proxies[-1], region)

    yield record
    for proxy in proxies:
        proxy.stop()


class TestAwsBatch(ProviderConformance):
    @pytest.fixture
    def world(self, batch, aws_env, recorded: Record) -> World:
        return recorded(BatchConformance(batch, aws_env.url), "us-east-1")


class TestAwsIot(ProviderConformance):
    @pytest.fixture
    def world(self, iot, aws_env, recorded: Record) -> World:
        return recorded(IotConformance(iot, aws_env.url), "us-east-1")


class TestTencent(ProviderConformance):
    @pytest.fixture
    def world(self, tencent, recorded: Record) -> World:
        return recorded(TencentConformance(tencent), "ap-guangzhou")


class TestMemory(ProviderConformance):
    @pytest.fixture
    def world(self, monkeypatch: pytest.MonkeyPatch) -> World:
        return memory_world(monkeypatch)
