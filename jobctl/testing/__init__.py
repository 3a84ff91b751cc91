"""jobctl's conformance kit: the scenarios every provider passes, importable by any provider.

    from jobctl.testing import ProviderConformance, World

    class TestMyCloud(ProviderConformance):
        @pytest.fixture
        def world(self, my_emulator) -> World:
            return MyCloudWorld(my_emulator)

`World` (jobctl/testing/world.py) is what a provider's test world answers; the mixins
(scenarios.py) run jobctl's real command line against it, and `contract` checks plan() against
INFO.matrix and judge() against the rules every provider keeps. Needs pytest. How to write a
provider, and run this against it: docs/providers.md.
"""

from __future__ import annotations

from jobctl.testing.scenarios import (
    Auditing,
    PlanAndJudge,
    ProviderConformance,
    Selections,
    StatusAndList,
    StopScenarios,
    Waiting,
)
from jobctl.testing.world import Ran, Runner, World, runner

__all__ = [
    "Auditing",
    "PlanAndJudge",
    "ProviderConformance",
    "Ran",
    "Runner",
    "Selections",
    "StatusAndList",
    "StopScenarios",
    "Waiting",
    "World",
    "runner",
]
