"""The figures the README's Reliability section quotes, summed over one run of this suite
(over every worker's share of it when the run is spread by pytest-xdist: tests/conftest.py)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class Tally:
    requests: int = 0
    forwarded: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    jobs: int = 0
    # Jobs given but not reported, or reported with an outcome the provider contradicts.
    lost: int = 0
    bad_inputs: int = 0
    requests_on_bad_input: int = 0
    hostile_texts_shown: int = 0
    secret_scans: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def traffic(self, *, requests: int, forwarded: int, faults: Counter[str]) -> None:
        with self._lock:
            self.requests += requests
            self.forwarded += forwarded
            self.faults.update(faults)

    def outcomes(self, *, jobs: int, lost: int) -> None:
        with self._lock:
            self.jobs += jobs
            self.lost += lost

    def bad_input(self, *, tried: int, requests: int) -> None:
        with self._lock:
            self.bad_inputs += tried
            self.requests_on_bad_input += requests

    def snapshot(self) -> dict[str, Any]:
        """The figures as plain data: what a test worker hands to the controller (xdist)."""
        with self._lock:
            data: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
            data["faults"] = dict(self.faults)
        return data

    def add(self, data: Mapping[str, Any]) -> None:
        """Add another worker's snapshot to these figures."""
        with self._lock:
            for f in fields(self):
                if f.name == "faults":
                    self.faults.update(data.get("faults", {}))
                else:
                    setattr(self, f.name, getattr(self, f.name) + int(data.get(f.name, 0)))

    def lines(self) -> list[str]:
        faults = ", ".join(f"{kind} {n}" for kind, n in sorted(self.faults.items())) or "none"
        return [
            f"requests received by the fault proxy: {self.requests} "
            f"(forwarded to the server: {self.forwarded})",
            f"faults injected: {sum(self.faults.values())} ({faults})",
            f"jobs run through faults: {self.jobs}, lost or misreported: {self.lost}",
            f"bad inputs tried: {self.bad_inputs}, requests sent on bad input: "
            f"{self.requests_on_bad_input}",
            f"hostile provider/user texts rendered: {self.hostile_texts_shown}",
            f"runs scanned for secrets: {self.secret_scans}",
        ]


TALLY = Tally()
