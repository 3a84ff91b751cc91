"""Provider worlds for the conformance suite: the same scenarios against every provider.

A world places jobs in a phase on its provider's real test server and answers what happened
to them, in the provider's own terms. `Recorded` puts one behind a recording proxy and gives
it the shape jobctl.testing's World has, for tests/test_conformance.py; WORLDS and
`build_world` below give the hardening suite one world per provider.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import pytest

from jobctl.sandbox.aws import BatchWorld
from jobctl.sandbox.iot import IotWorld
from jobctl.sandbox.tencent_emulator import TencentBatchEmulator
from tests.support.proxy import STOPS, Proxy, Seen

# Far past any test's --timeout: a stop that takes this long is held.
HELD = 3600.0


def on_call(number: int, action: Callable[[], None]) -> Callable[[Seen], None]:
    """A proxy `before` hook that runs `action` on the number-th request of its operation."""
    calls = iter(range(1, 10**6))

    def hook(_: Seen) -> None:
        if next(calls) == number:
            action()

    return hook


class ConformanceWorld(Protocol):
    provider: str
    # Path/action names (as the recording proxy sees them) of the provider's stop requests.
    stop_actions: frozenset[str]
    # A well-formed id no job has.
    unknown_id: str
    # True where `cancel` of a running job is refused without --force (Batch, Tencent).
    cancel_running_refused: bool
    # The URL jobctl should be given with --endpoint-url (the recording proxy's target).
    target_url: str

    def add(self, phase: str) -> str:
        """A job in phase 'queued', 'running' or 'finished'; its id as jobctl names it."""
        ...

    def stopped(self, job_id: str) -> bool:
        """The provider shows the job stopped (or stopping) by a request."""
        ...

    def delay_stops(self, proxy: Proxy, lookups: int) -> bool:
        """Stops take effect once `lookups` lookups went through `proxy`; False: cannot."""
        ...

    def hold_stops(self) -> bool:
        """Stops never take effect; False: cannot."""
        ...


class Recorded:
    """A world behind a recording proxy, as jobctl.testing's World: requests are counted there."""

    def __init__(self, world: ConformanceWorld, proxy: Proxy, region: str) -> None:
        self.world = world
        self.proxy = proxy
        self.provider = world.provider
        self.unknown_id = world.unknown_id
        self.endpoint_url: str | None = proxy.url
        self.region: str | None = region

    def add(self, phase: str) -> str:
        return self.world.add(phase)

    def stopped(self, job_id: str) -> bool:
        return self.world.stopped(job_id)

    def requests(self) -> int:
        return len(self.proxy.operations())

    def stop_requests(self) -> int:
        return sum(1 for operation in self.proxy.operations() if operation in STOPS)

    def delay_stops(self, lookups: int) -> bool:
        return self.world.delay_stops(self.proxy, lookups)

    def hold_stops(self) -> bool:
        return self.world.hold_stops()


class BatchConformance:
    provider = "aws-batch"
    stop_actions = frozenset({"canceljob", "terminatejob", "canceljobs", "terminatejobs"})
    unknown_id = "00000000-0000-4000-8000-000000000000"
    cancel_running_refused = True

    def __init__(self, world: BatchWorld, url: str) -> None:
        self.world = world
        self.target_url = url

    def add(self, phase: str) -> str:
        state = {"queued": "RUNNABLE", "running": "RUNNING", "finished": "SUCCEEDED"}[phase]
        return self.world.add_job(state)

    def stopped(self, job_id: str) -> bool:
        return bool(self.world.job(job_id).stop)

    def delay_stops(self, proxy: Proxy, lookups: int) -> bool:
        # The world's scheduler marks a flagged job FAILED once stop_delay has passed.
        self.world.stop_delay = HELD
        release = on_call(lookups, lambda: setattr(self.world, "stop_delay", 0.0))
        proxy.before["describejobs"] = release
        return True

    def hold_stops(self) -> bool:
        self.world.stop_delay = HELD
        return True


class IotConformance:
    provider = "aws-iot"
    # The proxy names a request by its path's last segment: PUT /jobs/ID/cancel?force=...
    # and PUT /things/T/jobs/ID/cancel?force=... alike.
    stop_actions = frozenset({"cancel", "cancel?force=false", "cancel?force=true"})
    unknown_id = "no-such-iot-job"
    cancel_running_refused = False

    def __init__(self, world: IotWorld, url: str) -> None:
        self.world = world
        self.target_url = url

    def add(self, phase: str) -> str:
        state, executions = {
            "queued": ("SCHEDULED", {"dev-1": "QUEUED"}),
            "running": ("IN_PROGRESS", {"dev-1": "IN_PROGRESS", "dev-2": "QUEUED"}),
            "finished": ("COMPLETED", {"dev-1": "SUCCEEDED"}),
        }[phase]
        return self.world.add_job(state, executions=executions)

    def stopped(self, job_id: str) -> bool:
        return bool(self.world.job(job_id).status == "CANCELED")

    def delay_stops(self, proxy: Proxy, lookups: int) -> bool:
        return False  # CancelJob marks the job CANCELED at once

    def hold_stops(self) -> bool:
        return False


class TencentConformance:
    provider = "tencent"
    # The proxy names a Tencent request by its X-TC-Action header.
    stop_actions = frozenset({"terminatejob"})
    unknown_id = "job-00000000"
    cancel_running_refused = True

    def __init__(self, emulator: TencentBatchEmulator) -> None:
        self.emulator = emulator
        self.target_url = emulator.url

    def add(self, phase: str) -> str:
        # Pinned, so the manual clock never moves them; SUBMITTED has tests of its own.
        state = {"queued": "RUNNABLE", "running": "RUNNING", "finished": "SUCCEED"}[phase]
        return self.emulator.add_job(name=f"conformance-{phase}", state=state, pinned=True)

    def stopped(self, job_id: str) -> bool:
        return self.emulator.job(job_id).terminate_requested

    def delay_stops(self, proxy: Proxy, lookups: int) -> bool:
        # A terminated job turns FAILED after terminate_delay seconds of the emulator's clock.
        self.emulator.terminate_delay = 30.0
        proxy.before["describejobs"] = on_call(lookups, lambda: self.emulator.advance(30.0))
        return True

    def hold_stops(self) -> bool:
        self.emulator.terminate_delay = HELD
        return True


WORLDS = ["aws-batch", "aws-iot", "tencent"]


def build_world(request: pytest.FixtureRequest, provider: str) -> ConformanceWorld:
    """The world for `provider`, on the fixtures that start its test server."""
    if provider == "aws-batch":
        batch = request.getfixturevalue("batch")
        return BatchConformance(batch, request.getfixturevalue("aws_env").url)
    if provider == "aws-iot":
        iot = request.getfixturevalue("iot")
        return IotConformance(iot, request.getfixturevalue("aws_env").url)
    if provider == "tencent":
        return TencentConformance(request.getfixturevalue("tencent"))
    msg = f"no conformance world for {provider}"
    raise AssertionError(msg)
