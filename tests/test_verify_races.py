"""The state after a stop, judged by what the call sent can do from there: real races.

Each test has the world change between jobctl's lookup and its stop request landing (the
proxy's `before` hook runs just before it forwards the request), against moto's server and the
Tencent emulator through the real SDKs, and checks what the user is told.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from jobctl.models import JobRef
from jobctl.sandbox.tencent_emulator import TencentBatchEmulator
from jobctl.wait_notice import wait_timeout_notice
from tests.support.faults import Fault, Rule
from tests.support.proxy import Proxy, Seen

BATCH = ("-p", "aws-batch", "-o", "json")
TENCENT = ("-p", "tencent", "-o", "json")


@pytest.fixture
def tencent_proxy(tencent: TencentBatchEmulator) -> Iterator[Proxy]:
    recorder = Proxy(tencent.url).start()
    yield recorder
    recorder.stop()


def fail_on_its_own(batch: Any, job_id: str, reason: str) -> None:
    """What AWS does to a job whose container exits non-zero: FAILED, with its own reason."""
    job = batch.job(job_id)
    job.job_started_at = dt.datetime.now()
    job.job_stopped_reason = reason
    job._mark_stopped(success=False)


def on_call(number: int, action: Any) -> Any:
    """A `before` hook that runs `action` on the number-th request of its operation only."""
    calls = iter(range(1, 10**6))

    def hook(_: Seen) -> None:
        if next(calls) == number:
            action()

    return hook


# -- aws-batch: CancelJob does nothing to a job that started --------------------------------


def test_cancel_of_a_job_that_started_before_canceljob_landed_is_failed(cli, batch, proxy) -> None:
    job = batch.add_job("RUNNABLE")
    proxy.before["canceljob"] = lambda _: batch.set_state(job, "RUNNING")
    ran = cli("cancel", *BATCH, "--endpoint-url", proxy.url, job)
    assert ran.code == 1, ran.stderr
    result = ran.by_job()[job]
    assert (result["outcome"], result["operation"]) == ("failed", "CancelJob")
    assert (result["state_before"], result["state_after"]) == ("RUNNABLE", "RUNNING")
    assert "it started before CancelJob arrived" in result["message"]
    assert result["message"].endswith(
        f"run 'jobctl terminate -p aws-batch --region us-east-1 {job}'"
    )
    # moto, like AWS, did nothing to it.
    assert batch.job(job).status == "RUNNING"
    assert batch.job(job).stop is False
    assert proxy.operations() == ["describejobs", "canceljob", "describejobs"]


def test_the_printed_fix_stops_the_job(cli, batch, proxy) -> None:
    job = batch.add_job("RUNNABLE")
    proxy.before["canceljob"] = lambda _: batch.set_state(job, "RUNNING")
    message = cli("cancel", *BATCH, "--endpoint-url", proxy.url, job).by_job()[job]["message"]
    command = message.rsplit("run '", 1)[1].rstrip("'").split()
    assert command[0] == "jobctl"
    ran = cli(*command[1:], "-o", "json")
    assert ran.code == 0, ran.stderr
    assert ran.by_job()[job]["outcome"] == "terminated"


def test_with_force_a_job_that_started_meanwhile_is_escalated_to_terminatejob(
    cli, batch, proxy, clean_env
) -> None:
    job = batch.add_job("RUNNABLE")
    proxy.before["canceljob"] = lambda _: batch.set_state(job, "RUNNING")
    ran = cli("cancel", *BATCH, "--endpoint-url", proxy.url, "--force", "-r", "bad data", job)
    assert ran.code == 0, ran.stderr
    result = ran.by_job()[job]
    assert (result["outcome"], result["operation"]) == ("cancelled", "TerminateJob")
    assert (result["state_before"], result["state_after"]) == ("RUNNABLE", "FAILED")
    assert (
        "started before CancelJob arrived; escalated to TerminateJob (--force)"
        in (result["message"])
    )
    assert result["request"] == {"jobId": job, "reason": "bad data"}
    assert proxy.operations() == [
        "describejobs",
        "canceljob",
        "describejobs",
        "terminatejob",
        "describejobs",
    ]
    assert batch.job(job).status == "FAILED"
    # Both requests are in the audit log, each with what it did.
    audit = (clean_env / "state" / "jobctl" / "audit.jsonl").read_text()
    assert '"operation": "CancelJob"' in audit
    assert '"operation": "TerminateJob"' in audit


def test_an_escalation_the_server_refuses_says_both_what_cancel_did_and_why(
    cli, batch, moto
) -> None:
    job = batch.add_job("RUNNABLE")
    failing = Proxy(moto.url, rules=[Rule(Fault.SERVER_ERROR, actions=frozenset({"terminatejob"}))])
    failing.start()
    try:
        failing.before["canceljob"] = lambda _: batch.set_state(job, "RUNNING")
        ran = cli("cancel", *BATCH, "--endpoint-url", failing.url, "--force", job)
    finally:
        failing.stop()
    assert ran.code == 1
    result = ran.by_job()[job]
    assert (result["outcome"], result["operation"]) == ("failed", "TerminateJob")
    # A 500 to TerminateJob: no answer says what became of it; the look after finds it running.
    assert result["message"] == (
        "started before CancelJob arrived; escalated to TerminateJob (--force); "
        "ServerException: injected server fault: no answer to the stop request, and the job is "
        "still RUNNING: it may not have been stopped; run the command again"
    )
    assert batch.job(job).status == "RUNNING"


def test_a_job_that_failed_on_its_own_meanwhile_is_not_claimed(cli, batch, proxy) -> None:
    job = batch.add_job("RUNNABLE")
    proxy.before["canceljob"] = lambda _: fail_on_its_own(
        batch, job, "Essential container in task exited"
    )
    ran = cli("cancel", *BATCH, "--endpoint-url", proxy.url, job)
    assert ran.code == 0, ran.stderr
    result = ran.by_job()[job]
    assert (result["outcome"], result["state_after"]) == ("already-finished", "FAILED")
    assert result["message"] == (
        "FAILED on its own (statusReason: Essential container in task exited) "
        "before the stop took effect"
    )


def test_wait_does_not_claim_a_job_that_failed_on_its_own_while_it_waited(
    cli, batch, proxy
) -> None:
    batch.stop_delay = 600.0  # RUNNABLE until the head of the queue
    job = batch.add_job("RUNNABLE")
    # The first poll of --wait (the third lookup) finds it failed for a reason of its own.
    proxy.before["describejobs"] = on_call(
        3, lambda: fail_on_its_own(batch, job, "Host EC2 terminated")
    )
    ran = cli(
        "cancel", *BATCH, "--endpoint-url", proxy.url, "--wait", "--poll-interval", "0.5s", job
    )
    assert ran.code == 0, ran.stderr
    result = ran.by_job()[job]
    assert result["outcome"] == "already-finished"
    assert "FAILED on its own (statusReason: Host EC2 terminated)" in result["message"]


def test_wait_with_force_escalates_a_job_that_started_after_cancel_was_accepted(
    cli, batch, proxy
) -> None:
    batch.stop_delay = 600.0
    job = batch.add_job("RUNNABLE")

    def started_all_the_same() -> None:
        # AWS let it start: the cancel never took; from now on stops land at once.
        batch.job(job).stop = False
        batch.set_state(job, "RUNNING")
        batch.stop_delay = 0.0

    proxy.before["describejobs"] = on_call(3, started_all_the_same)
    ran = cli(
        "cancel", *BATCH, "--endpoint-url", proxy.url, "--force", "--wait",
        "--poll-interval", "0.5s", job,
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    result = ran.by_job()[job]
    assert (result["outcome"], result["operation"], result["state_after"]) == (
        "cancelled",
        "TerminateJob",
        "FAILED",
    )
    assert result["message"] == (
        "started before CancelJob took effect; escalated to TerminateJob (--force)"
    )
    assert proxy.operations().count("terminatejob") == 1


def test_wait_timeout_says_how_many_are_still_stopping_and_what_to_run(cli, batch) -> None:
    batch.stop_delay = 600.0
    jobs = [batch.add_job("RUNNABLE") for _ in range(2)]
    ran = cli("cancel", *BATCH, "--wait", "--timeout", "1s", "--poll-interval", "0.5s", *jobs)
    assert ran.code == 5
    assert {r["outcome"] for r in ran.json()["results"]} == {"stopping"}
    command = f"jobctl status -p aws-batch --region us-east-1 {jobs[0]} {jobs[1]}"
    notice = f"--wait timed out after 1s: 2 jobs still stopping; see them with '{command}'"
    assert notice in ran.stderr


# -- tencent --------------------------------------------------------------------------------


def test_tencent_job_that_started_before_terminatejob_landed_says_it_had_started(
    cli, tencent, tencent_proxy
) -> None:
    tencent.terminate_delay = 30.0
    job = tencent.add_job(name="race", state="RUNNABLE", pinned=True)
    tencent_proxy.before["terminatejob"] = lambda _: tencent.set_state(job, "RUNNING")
    ran = cli("cancel", *TENCENT, "--endpoint-url", tencent_proxy.url, job)
    assert ran.code == 0, ran.stderr
    result = ran.by_job()[job]
    assert (result["outcome"], result["state_after"]) == ("stopping", "RUNNING")
    assert "it had started before TerminateJob landed" in result["message"]
    assert tencent.job(job).terminate_requested


def test_tencent_wait_keeps_saying_it_had_started_and_drops_the_stale_state(
    cli, tencent, tencent_proxy
) -> None:
    tencent.terminate_delay = 30.0
    job = tencent.add_job(name="race", state="RUNNABLE", pinned=True)
    tencent_proxy.before["terminatejob"] = lambda _: tencent.set_state(job, "RUNNING")
    # The verification sees it RUNNING; by the first poll of --wait, it is terminated.
    tencent_proxy.before["describejobs"] = on_call(3, lambda: tencent.advance(30.0))
    ran = cli(
        "cancel", *TENCENT, "--endpoint-url", tencent_proxy.url, "--wait",
        "--poll-interval", "0.5s", job,
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    result = ran.by_job()[job]
    assert (result["outcome"], result["state_after"]) == ("cancelled", "FAILED")
    assert "it had started before TerminateJob landed" in result["message"]
    assert "still" not in result["message"]


def test_tencent_wait_rewrites_the_message_with_the_final_state(
    cli, tencent, tencent_proxy
) -> None:
    tencent.terminate_delay = 30.0
    job = tencent.add_job(name="busy", state="RUNNING", pinned=True)
    tencent_proxy.before["describejobs"] = on_call(3, lambda: tencent.advance(30.0))
    ran = cli(
        "terminate", *TENCENT, "--endpoint-url", tencent_proxy.url, "--wait",
        "--poll-interval", "0.5s", job,
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    result = ran.by_job()[job]
    assert (result["outcome"], result["state_after"]) == ("terminated", "FAILED")
    assert "still" not in result["message"]
    assert "--wait waits" not in result["message"]


def test_tencent_job_that_succeeded_before_terminatejob_landed_is_not_claimed(
    cli, tencent, tencent_proxy
) -> None:
    job = tencent.add_job(name="quick", state="RUNNING", pinned=True)
    tencent_proxy.before["terminatejob"] = lambda _: tencent.set_state(job, "SUCCEED")
    ran = cli("terminate", *TENCENT, "--endpoint-url", tencent_proxy.url, job)
    assert ran.code == 0, ran.stderr
    result = ran.by_job()[job]
    assert (result["outcome"], result["state_after"]) == ("already-finished", "SUCCEED")
    assert "on its own" in result["message"]


def test_tencent_wait_timeout_notice(cli, tencent) -> None:
    tencent.terminate_delay = 600.0
    job = tencent.add_job(name="slow", state="RUNNING", pinned=True)
    ran = cli("terminate", *TENCENT, "--wait", "--timeout", "1s", "--poll-interval", "0.5s", job)
    assert ran.code == 5
    assert ran.by_job()[job]["outcome"] == "stopping"
    command = f"jobctl status -p tencent --region ap-guangzhou {job}"
    assert f"--wait timed out after 1s: 1 job still stopping; see it with '{command}'" in ran.stderr


def test_wait_timeout_notice_names_a_few_and_counts_the_rest() -> None:
    many = [JobRef("tencent", f"job-{i:08d}") for i in range(12)]
    elsewhere = [
        JobRef("aws-batch", "a-1", region="eu-west-1"),
        JobRef("aws-iot", "fw", target="d1"),
    ]
    said = wait_timeout_notice(600.0, [*many, *elsewhere, JobRef("aws-iot", "fw", target="d2")])
    assert said == (
        "--wait timed out after 10m: 15 jobs still stopping; see them with "
        "'jobctl status -p tencent -' and their ids on standard input "
        "(job-00000000, job-00000001, job-00000002 and 9 more) and "
        "'jobctl status -p aws-batch --region eu-west-1 a-1' and 'jobctl status -p aws-iot fw'"
    )


def test_a_things_execution_is_read_by_the_execution_states_for_the_notice() -> None:
    """An IoT thing's execution left QUEUED is in a state jobctl knows (an execution's, not a
    job's): --wait's notice must not call it unknown; a state neither map has is."""
    from types import SimpleNamespace

    from jobctl.engine import _in_unknown_state
    from jobctl.models import Outcome, Result
    from jobctl.providers._iot_rules import INFO

    group = SimpleNamespace(provider=SimpleNamespace(info=INFO))
    thing = JobRef("aws-iot", "fw", target="sensor-1")

    def left(state: str) -> Result:
        return Result("aws-iot", "us-east-1", "fw", "cancel", Outcome.STOPPING, state_after=state)

    assert "QUEUED" not in INFO.state_map
    assert not _in_unknown_state(group, thing, left("QUEUED"))  # type: ignore[arg-type]
    assert _in_unknown_state(group, thing, left("HIBERNATING"))  # type: ignore[arg-type]
    assert not _in_unknown_state(group, JobRef("aws-iot", "fw"), left("IN_PROGRESS"))  # type: ignore[arg-type]
