"""The memory provider's World: the conformance kit's example of one, run without a server.

A provider whose test server runs in-process can answer every question from the server
itself, as this one does; one behind HTTP can count requests with a recording proxy.
"""

from __future__ import annotations

import pytest

from jobctl.providers import ENABLE_MEMORY_ENV
from jobctl.providers._memory_cloud import FINAL, MemoryCloud, cloud, reset

_STATES = {"queued": "QUEUED", "running": "RUNNING", "finished": "SUCCEEDED"}
STOPS = ("Cancel", "Terminate")


class MemoryWorld:
    unknown_id = "mem-ffffffff"
    endpoint_url = None

    def __init__(self, memory: MemoryCloud, *, provider: str = "memory", region: str) -> None:
        self.cloud = memory
        self.provider = provider
        self.region: str | None = region

    def add(self, phase: str) -> str:
        return self.cloud.add(_STATES[phase], name=f"conformance-{phase}")

    def stopped(self, job_id: str) -> bool:
        job = self.cloud.jobs[job_id]
        return job.pending is not None or job.state in FINAL - {"SUCCEEDED", "FAILED"}

    def requests(self) -> int:
        return len(self.cloud.calls)

    def stop_requests(self) -> int:
        return self.cloud.count(*STOPS)

    def delay_stops(self, lookups: int) -> bool:
        self.cloud.stop_after_looks = lookups
        return True

    def hold_stops(self) -> bool:
        self.cloud.stop_after_looks = 10**9
        return True


def memory_world(monkeypatch: pytest.MonkeyPatch, *, region: str = "memory-1") -> MemoryWorld:
    """A fresh in-memory cloud, with the memory provider registered for this test."""
    monkeypatch.setenv(ENABLE_MEMORY_ENV, "1")
    reset()
    return MemoryWorld(cloud(region), region=region)
