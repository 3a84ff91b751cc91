"""The engine against the in-memory reference provider: no server, no clock, requests counted.

Dispatch and chunking, interrupts, verification and escalation, --wait and its time-out, and
what the audit hooks are told, each from what the memory cloud saw.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from jobctl.engine import Engine, Group, Hooks, RunSettings, exit_code_for, summarize
from jobctl.errors import ExitCode
from jobctl.models import JobRef, Outcome, Result, StopOptions, Verb
from jobctl.providers._memory_cloud import MemoryCloud, cloud, reset
from jobctl.providers.base import ProviderConfig
from jobctl.providers.memory import MemoryProvider

REASON = "engine test"
STOPS = ("Cancel", "Terminate")


@pytest.fixture
def memory() -> MemoryCloud:
    reset()
    return cloud("memory-1")


@dataclass
class Heard:
    """Everything the hooks were told, in order."""

    results: list[Result] = field(default_factory=list)
    sent: list[Result] = field(default_factory=list)
    final: list[Result] = field(default_factory=list)
    unanswered: list[Result] = field(default_factory=list)
    updates: list[Result] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def hooks(self) -> Hooks:
        return Hooks(
            on_result=self.results.append,
            on_sent=self.sent.append,
            on_final=self.final.append,
            on_unanswered=self.unanswered.append,
            on_update=self.updates.append,
            on_notice=self.notices.append,
        )


def engine(
    ids: Sequence[str],
    *,
    verb: Verb = Verb.TERMINATE,
    force: bool = False,
    settings: RunSettings | None = None,
    hooks: Hooks | None = None,
    concurrency: int = 4,
) -> Engine:
    provider = MemoryProvider(config=ProviderConfig(region="memory-1"))
    refs = [JobRef("memory", job_id) for job_id in ids]
    group = Group(provider, provider.region, refs, concurrency, None)
    options = StopOptions(verb=verb, reason=REASON, force=force)
    return Engine([group], options, settings or RunSettings(), hooks)


def outcomes(results: Sequence[Result]) -> list[Outcome]:
    return [r.outcome for r in results]


def stop_calls(memory: MemoryCloud) -> list[tuple[str, ...]]:
    return [ids for operation, ids in memory.calls if operation in STOPS]


def test_every_job_comes_back_once_in_order_after_one_lookup(memory: MemoryCloud) -> None:
    ids = [memory.add("QUEUED"), memory.add("RUNNING"), memory.add("SUCCEEDED"), "mem-000000ff"]
    results = engine(ids, verb=Verb.CANCEL).run()
    assert [r.job_id for r in results] == ids
    assert outcomes(results) == [
        Outcome.CANCELLED,
        Outcome.REFUSED,
        Outcome.ALREADY_FINISHED,
        Outcome.NOT_FOUND,
    ]
    assert memory.calls[0] == ("DescribeJobs", tuple(ids))
    assert stop_calls(memory) == [(ids[0],)]


def test_stops_go_in_chunks_of_the_providers_send_batch(memory: MemoryCloud) -> None:
    ids = [memory.add("QUEUED") for _ in range(25)]
    results = engine(ids, concurrency=1).run()
    assert set(outcomes(results)) == {Outcome.TERMINATED}
    assert [len(chunk) for chunk in stop_calls(memory)] == [10, 10, 5]


def test_an_endpoint_without_the_bulk_call_gets_each_stop_alone(memory: MemoryCloud) -> None:
    memory.bulk = False
    ids = [memory.add("QUEUED") for _ in range(12)]
    run = engine(ids, concurrency=4)
    results = run.run()
    assert set(outcomes(results)) == {Outcome.TERMINATED}
    assert run.groups[0].provider.send_batch == 1
    singles = [chunk for chunk in stop_calls(memory) if len(chunk) == 1]
    assert sorted(job for (job,) in singles) == sorted(ids)


def test_dry_run_plans_every_stop_and_sends_none(memory: MemoryCloud) -> None:
    """It shows the one request the real run then sends both jobs in."""
    ids = [memory.add("QUEUED"), memory.add("RUNNING")]
    results = engine(ids, settings=RunSettings(dry_run=True)).run()
    assert outcomes(results) == [Outcome.PLANNED, Outcome.PLANNED]
    assert [r.request for r in results] == [{"jobIds": ids, "reason": REASON}] * 2
    assert [r.operation for r in results] == ["Terminate"] * 2
    assert stop_calls(memory) == []
    # A cloud not heard from yet: the row says what happens if it has no multi-job call.
    fallback = "one Terminate a job instead if this cloud has no multi-job Terminate"
    assert [r.message for r in results] == [f"Terminate request 1 of 1, 2 jobs; {fallback}"] * 2
    assert set(outcomes(engine(ids).run())) == {Outcome.TERMINATED}
    assert stop_calls(memory) == [tuple(ids)]
    # Now it is known to take one: the dry run shows the request and nothing more.
    later = [memory.add("QUEUED"), memory.add("QUEUED")]
    again = engine(later, settings=RunSettings(dry_run=True)).run()
    assert [r.request for r in again] == [{"jobIds": later, "reason": REASON}] * 2
    assert [r.message for r in again] == ["Terminate request 1 of 1, 2 jobs"] * 2


def test_dry_run_of_a_cloud_known_to_lack_the_bulk_call_plans_one_a_job(
    memory: MemoryCloud,
) -> None:
    memory.bulk = False
    ids = [memory.add("QUEUED") for _ in range(3)]
    first = engine(ids[:2]).run()  # the probe: the cloud has no bulk call
    assert set(outcomes(first)) == {Outcome.TERMINATED}
    later = [ids[2], memory.add("QUEUED")]
    results = engine(later, settings=RunSettings(dry_run=True)).run()
    assert [r.request for r in results] == [{"jobId": job, "reason": REASON} for job in later]
    assert [r.message for r in results] == ["", ""]  # no "if the cloud takes one": it is known


def test_a_failed_lookup_fails_each_job_and_sends_nothing(memory: MemoryCloud) -> None:
    ids = [memory.add("QUEUED"), memory.add("QUEUED")]
    memory.fail_next("DescribeJobs", "InternalError")
    results = engine(ids).run()
    assert outcomes(results) == [Outcome.FAILED, Outcome.FAILED]
    assert all(r.message.startswith("lookup failed: ") for r in results)
    assert stop_calls(memory) == []


def test_a_lookup_denied_for_one_job_fails_that_job_only(memory: MemoryCloud) -> None:
    """The provider answers the lookup but may not say what one job is: that job is `failed`
    ("lookup failed") with no state and nothing sent to it; the others go on."""
    ids = [memory.add("QUEUED"), memory.add("QUEUED"), memory.add("QUEUED")]
    memory.deny(ids[1], "AccessDenied")
    heard = Heard()
    results = engine(ids, hooks=heard.hooks()).run()
    assert outcomes(results) == [Outcome.TERMINATED, Outcome.FAILED, Outcome.TERMINATED]
    assert results[1].message == "lookup failed: AccessDenied: not allowed to look at this job"
    assert results[1].state_before is None
    assert [job for chunk in stop_calls(memory) for job in chunk] == [ids[0], ids[2]]
    assert sorted(r.job_id for r in heard.sent) == sorted([ids[0], ids[2]])
    assert memory.jobs[ids[1]].state == "QUEUED"


def test_a_job_whose_look_after_the_stop_is_denied_is_stopping_unverified(
    memory: MemoryCloud,
) -> None:
    """The stop was accepted, then the provider may not say what the job is (a permission
    taken away mid-run): `stopping`, "could not verify it", never judged from an empty state;
    and --wait's notice does not call that an unknown state."""
    ids = [memory.add("QUEUED"), memory.add("QUEUED")]
    memory.stop_after_looks = 10**6  # the stops never take effect: --wait has to look again

    def deny_after_stop(operation: str, job_ids: Sequence[str]) -> None:
        for job in job_ids:
            memory.deny(job, "AccessDenied")

    memory.before_stop = deny_after_stop
    heard = Heard()
    settings = RunSettings(wait=True, timeout=1.0, poll_interval=0.01)
    results = engine(ids, hooks=heard.hooks(), settings=settings).run()
    assert outcomes(results) == [Outcome.STOPPING, Outcome.STOPPING]
    expected = "stop accepted; could not verify it: AccessDenied: not allowed to look at this job"
    assert [r.message for r in results] == [expected, expected]
    (notice,) = heard.notices
    assert "does not know" not in notice


def test_a_failed_stop_request_is_the_failure_of_each_job_in_it(memory: MemoryCloud) -> None:
    ids = [memory.add("QUEUED") for _ in range(3)]
    memory.fail_next("Terminate", "Throttled")
    heard = Heard()
    results = engine(ids, hooks=heard.hooks()).run()
    assert outcomes(results) == [Outcome.FAILED] * 3
    assert all(r.message.startswith("Throttled: ") for r in results)
    assert [r.outcome for r in heard.sent] == [Outcome.FAILED] * 3


def test_ctrl_c_while_sending_skips_what_was_not_sent(memory: MemoryCloud) -> None:
    ids = [memory.add("QUEUED") for _ in range(30)]
    heard = Heard()
    hooks = heard.hooks()
    memory.before_stop = lambda operation, chunk: hooks.stop.set()
    results = engine(ids, hooks=hooks, concurrency=1).run()
    sent = [job for chunk in stop_calls(memory) for job in chunk]
    assert len(sent) == 10  # the chunk in flight finished; nothing more went
    assert {r.job_id for r in results if r.outcome is Outcome.TERMINATED} == set(sent)
    skipped = [r for r in results if r.outcome is Outcome.SKIPPED]
    assert len(skipped) == 20
    assert {r.message for r in skipped} == {"not sent: interrupted"}
    summary = summarize(results, ignore_not_found=False, interrupted=True)
    assert summary.exit_code is ExitCode.INTERRUPTED


def test_ctrl_c_before_the_lookup_looks_nothing_up(memory: MemoryCloud) -> None:
    ids = [memory.add("QUEUED")]
    hooks = Hooks()
    hooks.stop.set()
    [result] = engine(ids, hooks=hooks).run()
    assert (result.outcome, result.message) == (Outcome.SKIPPED, "not looked up: interrupted")
    assert memory.calls == []


def test_a_job_that_started_before_cancel_landed_is_failed_not_cancelled(
    memory: MemoryCloud,
) -> None:
    job = memory.add("QUEUED")
    memory.before_stop = lambda operation, ids: memory.set_state(job, "RUNNING")
    [result] = engine([job], verb=Verb.CANCEL).run()
    assert result.outcome is Outcome.FAILED
    assert result.message.startswith("it started before Cancel arrived")
    assert memory.jobs[job].state == "RUNNING"


def test_with_force_it_is_escalated_and_the_row_says_why(memory: MemoryCloud) -> None:
    job = memory.add("QUEUED")
    memory.before_stop = lambda operation, ids: (
        memory.set_state(job, "RUNNING") if operation == "Cancel" else None
    )
    heard = Heard()
    [result] = engine([job], verb=Verb.CANCEL, force=True, hooks=heard.hooks()).run()
    assert [op for op, _ in memory.calls if op in STOPS] == ["Cancel", "Terminate"]
    assert result.outcome is Outcome.CANCELLED
    assert result.operation == "Terminate"
    assert result.message == "started before Cancel arrived; escalated (--force)"
    assert [r.operation for r in heard.sent] == ["Cancel", "Terminate"]
    assert [(r.operation, r.outcome) for r in heard.final] == [("Terminate", Outcome.CANCELLED)]


@pytest.mark.parametrize(
    ("meanwhile", "reason", "said"),
    [
        ("CANCELLED", "someone else", "CANCELLED by another request (reason: someone else)"),
        ("SUCCEEDED", None, "finished on its own (SUCCEEDED)"),
        ("FAILED", "exit 1", "FAILED on its own"),
    ],
)
def test_a_job_that_ended_another_way_is_never_claimed(
    memory: MemoryCloud, meanwhile: str, reason: str | None, said: str
) -> None:
    job = memory.add("QUEUED")
    memory.before_stop = lambda operation, ids: memory.set_state(job, meanwhile, reason)
    [result] = engine([job]).run()
    assert result.outcome is Outcome.ALREADY_FINISHED
    assert result.message.startswith(said)


def test_wait_polls_until_the_stop_takes_effect(memory: MemoryCloud) -> None:
    job = memory.add("QUEUED")
    memory.stop_after_looks = 3
    heard = Heard()
    settings = RunSettings(wait=True, poll_interval=0.0)
    [result] = engine([job], settings=settings, hooks=heard.hooks()).run()
    assert (result.outcome, result.state_after) == (Outcome.TERMINATED, "TERMINATED")
    assert not result.wait_timed_out
    # The lookup, the check after the stop, and one poll per lookup the stop waited for.
    assert memory.count("DescribeJobs") == 1 + 1 + 3
    assert [r.outcome for r in heard.updates] == [Outcome.TERMINATED]
    assert [r.outcome for r in heard.final] == [Outcome.TERMINATED]


def test_a_wait_out_of_time_is_exit_5_and_not_in_the_report(memory: MemoryCloud) -> None:
    job = memory.add("QUEUED")
    memory.stop_after_looks = 10**9
    heard = Heard()
    settings = RunSettings(wait=True, timeout=0.0, poll_interval=0.0)
    [result] = engine([job], settings=settings, hooks=heard.hooks()).run()
    assert (result.outcome, result.wait_timed_out) == (Outcome.STOPPING, True)
    assert "wait_timed_out" not in result.as_dict()["extra"]
    assert summarize([result], ignore_not_found=False).exit_code is ExitCode.WAIT_TIMEOUT
    assert heard.notices[-1].startswith("--wait timed out after 0s: 1 job still stopping")
    assert [r.outcome for r in heard.final] == [Outcome.STOPPING]


def test_audit_hooks_hear_each_answer_and_each_final_outcome(memory: MemoryCloud) -> None:
    sent_to = [memory.add("QUEUED"), memory.add("QUEUED")]
    not_sent = [memory.add("SUCCEEDED"), "mem-000000ff"]
    heard = Heard()
    engine([*sent_to, *not_sent], hooks=heard.hooks()).run()
    assert sorted(r.job_id for r in heard.sent) == sorted(sent_to)
    assert {r.message for r in heard.sent} == {"stop accepted; not verified yet"}
    assert sorted((r.job_id, r.outcome) for r in heard.final) == [
        (job, Outcome.TERMINATED) for job in sorted(sent_to)
    ]
    assert heard.unanswered == []
    assert len(heard.results) == 4


def test_a_second_ctrl_c_reports_the_requests_still_in_flight(memory: MemoryCloud) -> None:
    ids = [memory.add("QUEUED") for _ in range(3)]
    heard = Heard()
    run = engine(ids, hooks=heard.hooks(), concurrency=1)
    memory.before_stop = lambda operation, chunk: run.flush_unreported(wait=False)
    run.run()
    assert sorted(r.job_id for r in heard.unanswered) == sorted(ids)
    assert {(r.outcome, r.message) for r in heard.unanswered} == {
        (Outcome.STOPPING, "stop request sent; no answer yet")
    }


def test_a_sub_target_is_a_typed_field_of_its_result(memory: MemoryCloud) -> None:
    job = memory.add("SUCCEEDED")
    provider = MemoryProvider(config=ProviderConfig(region="memory-1"))
    group = Group(provider, provider.region, [JobRef("memory", job, None, "part-1")], 1, None)
    options = StopOptions(verb=Verb.CANCEL, reason=REASON)
    [result] = Engine([group], options, RunSettings()).run()
    assert (result.target, result.target_kind, result.extra) == ("part-1", None, {})
    assert result.as_dict()["target"] == "part-1"


@pytest.mark.parametrize(
    ("ok", "failed", "interrupted", "timed_out", "code"),
    [
        (1, 0, False, False, ExitCode.OK),
        (0, 1, False, False, ExitCode.FAILED),
        (1, 1, False, True, ExitCode.PARTIAL),
        (1, 0, False, True, ExitCode.WAIT_TIMEOUT),
        (1, 1, True, True, ExitCode.INTERRUPTED),
    ],
)
def test_failures_outrank_a_wait_time_out_and_an_interrupt_outranks_all(
    ok: int, failed: int, interrupted: bool, timed_out: bool, code: ExitCode
) -> None:
    assert exit_code_for(ok, failed, interrupted=interrupted, timed_out=timed_out) is code


def test_a_groups_own_timeout_error_is_raised_not_waited_on() -> None:
    """The main thread waits for each group in short waits (a signal is heard within 0.1 s);
    a group that raised TimeoutError (a socket time-out) is raised at once, not taken for the
    short wait's own time-out and waited on again for ever."""
    from concurrent.futures import ThreadPoolExecutor

    from jobctl.engine import _wait_for

    def timed_out() -> None:
        raise TimeoutError("the socket timed out")

    caught: list[BaseException] = []

    def wait() -> None:
        with ThreadPoolExecutor(max_workers=1) as pool:
            try:
                _wait_for(pool.submit(timed_out))
            except TimeoutError as exc:
                caught.append(exc)

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()
    waiter.join(timeout=60)  # a guard against a loop without end, not a measure of speed
    assert not waiter.is_alive()
    assert [str(exc) for exc in caught] == ["the socket timed out"]
