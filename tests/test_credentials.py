"""Credentials a provider refuses: exit 4 and the fix on a lookup; one job's failure on a stop.

AWS: moto takes any credentials, so the recording proxy answers as AWS's front door does
(403 UnrecognizedClientException / AccessDeniedException). Tencent: the emulator checks every
TC3 signature, so a wrong secret key meets a real AuthFailure; the proxy plays the rest.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TENCENT_SECRET_KEY
from tests.support.faults import EXPECTED_CODE, Fault, Rule
from tests.support.proxy import STOPS, Proxy
from tests.support.worlds import (
    BatchConformance,
    ConformanceWorld,
    IotConformance,
    TencentConformance,
)

# What each provider's line tells the user to do about it.
FIX = {
    ("aws-batch", Fault.AUTH): "check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE",
    ("aws-iot", Fault.AUTH): "check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE",
    ("tencent", Fault.AUTH): "check TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY",
    ("aws-batch", Fault.DENIED): "grant that permission to the credentials in use",
    ("aws-iot", Fault.DENIED): "grant that permission to the credentials in use",
    ("tencent", Fault.DENIED): "grant the CAM user or role of these credentials access",
}


@pytest.fixture(params=["aws-batch", "aws-iot", "tencent"])
def world(request: pytest.FixtureRequest) -> ConformanceWorld:
    if request.param == "tencent":
        return TencentConformance(request.getfixturevalue("tencent"))
    url = request.getfixturevalue("aws_env").url
    if request.param == "aws-batch":
        return BatchConformance(request.getfixturevalue("batch"), url)
    return IotConformance(request.getfixturevalue("iot"), url)


@pytest.fixture
def proxies(world: ConformanceWorld) -> Iterator[list[Proxy]]:
    started: list[Proxy] = []
    yield started
    for proxy in started:
        proxy.stop()


def behind(proxies: list[Proxy], world: ConformanceWorld, *rules: Rule) -> Proxy:
    proxy = Proxy(world.target_url, rules=list(rules)).start()
    proxies.append(proxy)
    return proxy


def command_line(command: str, world: ConformanceWorld, url: str, job: str) -> list[str]:
    base = [command, "-p", world.provider, "--endpoint-url", url, "-o", "json"]
    return base if command == "list" else [*base, job]


def audit(tmp_path: Path) -> list[dict]:
    path = tmp_path / "state" / "jobctl" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.parametrize("fault", [Fault.AUTH, Fault.DENIED])
@pytest.mark.parametrize("command", ["cancel", "terminate", "status", "list"])
def test_refused_credentials_on_a_lookup_are_exit_4_with_the_fix(
    cli, world, proxies, fault, command, tmp_path
) -> None:
    job = world.add("queued")
    proxy = behind(proxies, world, Rule(fault))
    ran = cli(*command_line(command, world, proxy.url, job))
    assert ran.code == 4, ran.stderr
    assert ran.stdout == ""
    code = EXPECTED_CODE[(world.provider, fault)]
    lines = ran.stderr.splitlines()
    assert len(lines) == 1, ran.stderr
    assert lines[0].startswith("jobctl: ")
    assert f"({code})" in lines[0]
    assert FIX[(world.provider, fault)] in lines[0]
    assert [op for op in proxy.operations() if op in STOPS] == []
    assert not world.stopped(job)
    assert audit(tmp_path) == []


@pytest.mark.parametrize("command", ["cancel", "status", "list"])
def test_a_wrong_tencent_secret_key_is_exit_4_and_nothing_is_sent(
    cli, tencent, monkeypatch, command
) -> None:
    job = tencent.add_job(name="kept", state="RUNNABLE", pinned=True)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "not-" + TENCENT_SECRET_KEY)
    ran = cli(*([command, "-p", "tencent"] + ([] if command == "list" else [job])))
    assert ran.code == 4, ran.stderr
    assert ran.stdout == ""
    assert ran.stderr == (
        "jobctl: Tencent Cloud rejected the credentials (AuthFailure.SignatureFailure): "
        "check TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY "
        "(or ~/.tencentcloud/credentials)\n"
    )
    # The emulator checked the signature and refused it: a real AuthFailure, one request.
    assert tencent.stats.errors == {"AuthFailure.SignatureFailure": 1}
    assert "TerminateJob" not in tencent.stats.requests
    assert not tencent.job(job).terminate_requested


def test_refused_credentials_on_one_stop_fail_that_job_only(
    cli, world, proxies, tmp_path, no_bulk
) -> None:
    jobs = [world.add("queued") for _ in range(3)]
    # The lookup goes through; the first single stop request meets the auth fault.
    proxy = behind(
        proxies, world, Rule(Fault.AUTH, actions=frozenset({"canceljob", "terminatejob"}), times=1)
    )
    ran = cli("cancel", "-p", world.provider, "--endpoint-url", proxy.url, "-o", "json", *jobs)
    assert ran.code == 3, ran.stderr
    assert proxy.injected[Fault.AUTH] == 1
    results = ran.by_job()
    assert set(results) == set(jobs)
    failed = [job for job, r in results.items() if r["outcome"] == "failed"]
    assert len(failed) == 1
    code = EXPECTED_CODE[(world.provider, Fault.AUTH)]
    message = results[failed[0]]["message"]
    assert message.startswith(f"{code}: ")
    assert FIX[(world.provider, Fault.AUTH)] in message
    assert not world.stopped(failed[0])
    for job in set(jobs) - set(failed):
        assert results[job]["outcome"] in ("cancelled", "stopping")
        assert world.stopped(job)
    # Nothing lost: every job a request was sent for is in the audit log, as reported.
    outcomes = {line["job"]: line["outcome"] for line in audit(tmp_path)}
    assert outcomes == {job: r["outcome"] for job, r in results.items()}
