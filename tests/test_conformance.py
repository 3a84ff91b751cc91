"""Scenarios every provider passes, through the CLI, against its real test server."""

from __future__ import annotations

import pytest

from tests.support.proxy import Proxy
from tests.support.worlds import WORLDS, ConformanceWorld, build_world


@pytest.fixture(params=WORLDS)
def world(request: pytest.FixtureRequest) -> ConformanceWorld:
    return build_world(request, request.param)


@pytest.fixture
def recorder(world: ConformanceWorld):
    proxy = Proxy(world.target_url).start()
    yield proxy
    proxy.stop()


def run(cli, world: ConformanceWorld, recorder: Proxy, *args: str):
    return cli(*args, "-p", world.provider, "--endpoint-url", recorder.url, "-o", "json")


def stops_sent(world: ConformanceWorld, recorder: Proxy) -> list[str]:
    return [a for a in recorder.actions() if a.lower() in world.stop_actions]


def test_terminate_queued_and_running(cli, world, recorder) -> None:
    queued, running = world.add("queued"), world.add("running")
    ran = run(cli, world, recorder, "terminate", queued, running)
    assert ran.code == 0, ran.stderr
    outcomes = {r["job_id"]: r["outcome"] for r in ran.json()["results"]}
    assert set(outcomes.values()) <= {"terminated", "stopping"}
    assert world.stopped(queued)
    assert world.stopped(running)


def test_cancel_queued(cli, world, recorder) -> None:
    job = world.add("queued")
    ran = run(cli, world, recorder, "cancel", job, "-r", "conformance")
    assert ran.code == 0, ran.stderr
    assert ran.by_job()[job]["outcome"] in {"cancelled", "stopping"}
    assert world.stopped(job)


def test_cancel_running_follows_the_matrix(cli, world, recorder) -> None:
    job = world.add("running")
    ran = run(cli, world, recorder, "cancel", job)
    if world.cancel_running_refused:
        assert ran.code == 1
        assert ran.by_job()[job]["outcome"] == "refused"
        assert stops_sent(world, recorder) == []
        assert not world.stopped(job)
        forced = run(cli, world, recorder, "cancel", "--force", job)
        assert forced.code == 0, forced.stderr
        assert world.stopped(job)
    else:
        assert ran.code == 0, ran.stderr
        assert ran.by_job()[job]["outcome"] in {"cancelled", "stopping"}


def test_finished_job_gets_no_stop_request(cli, world, recorder) -> None:
    job = world.add("finished")
    for verb in ("cancel", "terminate"):
        ran = run(cli, world, recorder, verb, job)
        assert ran.code == 0
        assert ran.by_job()[job]["outcome"] == "already-finished"
    assert stops_sent(world, recorder) == []


def test_unknown_job_is_not_found(cli, world, recorder) -> None:
    ran = run(cli, world, recorder, "terminate", world.unknown_id)
    assert ran.code == 1
    assert ran.by_job()[world.unknown_id]["outcome"] == "not-found"
    assert stops_sent(world, recorder) == []
    ignored = run(cli, world, recorder, "terminate", "--ignore-not-found", world.unknown_id)
    assert ignored.code == 0


def test_partial_failure_is_exit_3(cli, world, recorder) -> None:
    job = world.add("queued")
    ran = run(cli, world, recorder, "terminate", job, world.unknown_id)
    assert ran.code == 3
    assert ran.json()["summary"] == {"total": 2, "ok": 1, "failed": 1}


def test_dry_run_sends_no_stop_request(cli, world, recorder) -> None:
    queued, running = world.add("queued"), world.add("running")
    ran = run(cli, world, recorder, "terminate", "-n", queued, running)
    assert ran.code == 0, ran.stderr
    results = ran.by_job()
    assert {r["outcome"] for r in results.values()} == {"planned"}
    assert all(r["request"] and r["operation"] for r in results.values())
    assert stops_sent(world, recorder) == []
    assert not world.stopped(queued)


def test_bad_input_exits_2_and_sends_nothing(cli, world, recorder) -> None:
    job = world.add("queued")
    bad = [
        ("terminate", job, "--reason-code", "lower_case"),
        ("terminate", job, "-r", "two\nlines"),
        ("terminate", job, "-r", "bidi \u202e trick"),
        ("terminate", job, "has space"),
        ("terminate", job, ""),
    ]
    if world.provider != "tencent":  # no reason field there: nothing to be too long for
        bad.append(("terminate", job, "-r", "x" * 3000))
    for args in bad:
        ran = run(cli, world, recorder, *args)
        assert ran.code == 2, (args, ran.stderr)
        assert ran.stdout == ""
        assert len(ran.stderr.strip().splitlines()) == 1, ran.stderr
        assert "Traceback" not in ran.stderr
    assert recorder.actions() == []
    assert not world.stopped(job)
