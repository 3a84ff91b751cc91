"""What the conformance kit needs from a provider's test world, and how it runs jobctl.

A world places jobs in a phase on the provider's test server (an emulator, moto, an
in-memory cloud) and answers what the server saw, in the provider's own terms.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import pytest


class World(Protocol):
    # The provider's registered name (`-p`).
    provider: str
    # A well-formed id no job has.
    unknown_id: str
    # Given as --endpoint-url and --region when set (a test server, a test region).
    endpoint_url: str | None
    region: str | None

    def add(self, phase: str) -> str:
        """A new job in phase "queued", "running" or "finished"; its id as jobctl names it."""
        ...

    def stopped(self, job_id: str) -> bool:
        """The server shows the job stopped, or stopping, by a stop request."""
        ...

    def requests(self) -> int:
        """Requests of any kind the server has seen so far."""
        ...

    def stop_requests(self) -> int:
        """Stop requests the server has seen so far."""
        ...

    def delay_stops(self, lookups: int) -> bool:
        """Stops accepted from now on take effect once `lookups` lookups have seen them.

        False when the provider's stops always take effect at once (the --wait scenario
        is then skipped).
        """
        ...

    def hold_stops(self) -> bool:
        """Stops accepted from now on never take effect; False when that cannot be done."""
        ...


@dataclass
class Ran:
    """One jobctl run: exit code, standard output and standard error, apart."""

    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def by_job(self) -> dict[str, dict[str, Any]]:
        return {r["job_id"]: r for r in self.json()["results"]}


Runner = Callable[..., Ran]


def runner(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Runner:
    """Run jobctl's entry point in-process against `world`, JSON out, with the given stdin."""
    from jobctl.cli import main

    def run(*args: str, stdin: bytes = b"", output: str = "json") -> Ran:
        argv = [*args, "-p", world.provider, "-o", output]
        if world.endpoint_url is not None:
            argv += ["--endpoint-url", world.endpoint_url]
        if world.region is not None:
            argv += ["--region", world.region]
        capsys.readouterr()
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        code = main(argv)
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    return run
