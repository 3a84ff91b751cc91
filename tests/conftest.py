"""Shared fixtures: a clean environment, moto's server on loopback, and a CLI runner."""

from __future__ import annotations

import io
import json
import os
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jobctl.providers.base import BulkSupport
from jobctl.sandbox.aws import ACCESS_KEY, SECRET_KEY, BatchWorld, MotoServer, moto_server
from jobctl.sandbox.iot import IotWorld
from jobctl.sandbox.tencent_emulator import TencentBatchEmulator
from tests.hardening.tally import TALLY
from tests.support.proxy import Proxy


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No real credentials, config or state can leak in; every path points into tmp_path."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "TENCENTCLOUD_", "JOBCTL_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    # Never ask the instance metadata service: a test only talks to 127.0.0.1.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # Even a test that forgets its server cannot reach a cloud: the discard port on loopback.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("TENCENTCLOUD_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_COLOR", "1")
    # What endpoints take in bulk is learned once per process: each test starts knowing none.
    BulkSupport.forget()
    return tmp_path


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    with moto_server() as server:
        yield server


@pytest.fixture
def no_bulk(moto: MotoServer) -> Iterator[MotoServer]:
    """The old AWS Batch API for one test: CancelJobs/TerminateJobs/TerminateServiceJobs answer
    404, as before botocore 1.44 (jobctl's one-call-per-job fallback)."""
    moto.api.bulk = False
    yield moto
    moto.api.bulk = True


def reset_moto(server: MotoServer) -> None:
    request = urllib.request.Request(f"{server.url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()


@pytest.fixture
def aws_env(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    """Throwaway credentials and a region, as a user of the sandbox would have them."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.url)
    return moto


@pytest.fixture
def batch(aws_env: MotoServer) -> Iterator[BatchWorld]:
    reset_moto(aws_env)
    with BatchWorld(endpoint=aws_env.url) as world:
        yield world


@pytest.fixture
def iot(aws_env: MotoServer) -> Iterator[IotWorld]:
    reset_moto(aws_env)
    with IotWorld(endpoint=aws_env.url) as world:
        yield world


@pytest.fixture
def proxy(moto: MotoServer) -> Iterator[Proxy]:
    """A recording proxy in front of moto: what jobctl sent, and that it sent nothing."""
    recorder = Proxy(moto.url).start()
    yield recorder
    recorder.stop()


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def by_job(self) -> dict[str, dict[str, Any]]:
        return {r["job_id"]: r for r in self.json()["results"]}


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """Run jobctl's entry point in-process with the given argv and standard input."""
    from jobctl.cli import main

    def run(*args: str, stdin: bytes = b"") -> Ran:
        capsys.readouterr()
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        code = main(list(args))
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    return run


TENCENT_SECRET_ID, TENCENT_SECRET_KEY = "AKIDjobctltest", "jobctl-test-secret"


@pytest.fixture
def tencent(monkeypatch: pytest.MonkeyPatch) -> Iterator[TencentBatchEmulator]:
    """The Tencent Batch emulator on 127.0.0.1, and the environment a sandbox user would set.

    Its clock is manual (jobs move only when a test says so) and a terminated job is FAILED
    at the next look; tests that want `stopping` set `terminate_delay`.
    """
    with TencentBatchEmulator(
        secrets={TENCENT_SECRET_ID: TENCENT_SECRET_KEY}, terminate_delay=0.0
    ) as emulator:
        monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", TENCENT_SECRET_ID)
        monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", TENCENT_SECRET_KEY)
        monkeypatch.setenv("TENCENTCLOUD_REGION", "ap-guangzhou")
        monkeypatch.setenv("TENCENTCLOUD_ENDPOINT_URL", emulator.url)
        # The SDK and requests honour proxy variables; loopback must be reached directly.
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
        yield emulator


# The hardening suite's figures (tests/hardening/tally.py), at the end of the run. Under
# pytest-xdist each worker counts its own share and hands it over as it finishes; only the
# controller, which loads this file but not tests/hardening/conftest.py, prints the sum.


def pytest_sessionfinish(session: pytest.Session) -> None:
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["jobctl_tally"] = TALLY.snapshot()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    TALLY.add(getattr(node, "workeroutput", {}).get("jobctl_tally", {}))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TALLY.requests or TALLY.bad_inputs:
        terminalreporter.section("jobctl reliability figures")
        for line in TALLY.lines():
            terminalreporter.write_line(line)
