"""A provider from another package, found the way a user's would be: through an installed
distribution's entry point in the `jobctl.providers` group, on sys.path. It then runs
jobctl.testing's whole kit, as its author would in their own repository.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobctl import providers
from jobctl.providers._memory_cloud import cloud, reset
from jobctl.testing import ProviderConformance, World
from jobctl.testing.memory import MemoryWorld

# The whole third-party package: its own INFO and class, on the reference provider's cloud.
ACME_MODULE = """
from dataclasses import replace
from typing import ClassVar

from jobctl.providers import memory
from jobctl.providers.base import ProviderInfo

INFO = replace(memory.INFO, name="acme", title="Acme Batch (a third-party test provider)")


class AcmeProvider(memory.MemoryProvider):
    info: ClassVar[ProviderInfo] = INFO
"""


@pytest.fixture
def acme_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """acme-jobs 1.0 installed in a directory on sys.path, as pip would leave it."""
    site = tmp_path / "site-packages"
    (site / "acme_jobs").mkdir(parents=True)
    (site / "acme_jobs" / "__init__.py").write_text(ACME_MODULE)
    dist = site / "acme_jobs-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-jobs\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[jobctl.providers]\nacme = acme_jobs:AcmeProvider\n")
    monkeypatch.syspath_prepend(str(site))
    providers._installed.cache_clear()
    yield site
    providers._installed.cache_clear()
    sys.modules.pop("acme_jobs", None)


def test_the_entry_point_registers_the_provider(acme_installed: Path, cli) -> None:
    assert "acme" in providers.names()
    assert "memory" not in providers.names()  # acme needs no switch, only its dist-info
    ran = cli("providers", "-o", "json")
    assert ran.code == 0, ran.stderr
    assert "acme" in [p["name"] for p in ran.json()["providers"]]


def test_without_the_distribution_acme_is_unknown(cli) -> None:
    providers._installed.cache_clear()
    ran = cli("status", "-p", "acme", "mem-00000001")
    assert ran.code == 2
    assert "unknown provider 'acme'" in ran.stderr


class TestAcme(ProviderConformance):
    @pytest.fixture
    def world(self, acme_installed: Path) -> World:
        reset()
        return MemoryWorld(cloud("memory-1"), provider="acme", region="memory-1")
