"""The dispatcher: chunks sized by the provider, concurrency kept when bulk is unavailable."""

from __future__ import annotations

import threading
from typing import ClassVar

from jobctl.dispatch import dispatch
from jobctl.models import Action, JobRef, JobState, Outcome, Phase, PlannedStop, Result
from jobctl.providers.aws_batch import INFO
from jobctl.providers.base import BulkUnsupported, ProviderInfo


class NoBulkEndpoint:
    """A provider whose endpoint turns out to lack the bulk call (like moto's Batch)."""

    info: ClassVar[ProviderInfo] = INFO

    def __init__(self) -> None:
        self.send_batch = 50
        self.active = 0
        self.most_active = 0
        self.lock = threading.Lock()


def planned(n: int) -> list[PlannedStop]:
    state = JobState(job_id="x", native_state="RUNNABLE", phase=Phase.QUEUED)
    return [
        PlannedStop(
            JobRef("aws-batch", f"j{i}"), state, Action.send("CancelJob", {"jobId": f"j{i}"})
        )
        for i in range(n)
    ]


def test_a_chunk_handed_back_is_sent_one_by_one_by_every_worker() -> None:
    provider = NoBulkEndpoint()
    # The first four single sends wait for each other: they all get through only if four
    # workers send at once (with fewer, the barrier breaks and the test fails).
    four = threading.Barrier(4, timeout=30)
    started = iter(range(12))

    def send(chunk: list[PlannedStop]) -> list[Result]:
        if len(chunk) > 1:
            provider.send_batch = 1
            raise BulkUnsupported
        with provider.lock:
            provider.active += 1
            provider.most_active = max(provider.most_active, provider.active)
            first_four = next(started) < 4
        if first_four:
            four.wait()
        with provider.lock:
            provider.active -= 1
        return [Result("aws-batch", None, chunk[0].ref.job_id, "cancel", Outcome.STOPPING)]

    done = dispatch(
        planned(12), provider=provider, concurrency=4, halt=threading.Event(), send=send,
        skip=lambda chunk: [],
    )  # fmt: skip
    assert sorted(r.job_id for _, r in done) == sorted(f"j{i}" for i in range(12))
    assert provider.most_active == 4


def test_halt_skips_what_was_not_sent() -> None:
    provider = NoBulkEndpoint()
    provider.send_batch = 1
    halt = threading.Event()
    sent: list[str] = []

    def send(chunk: list[PlannedStop]) -> list[Result]:
        sent.append(chunk[0].ref.job_id)
        if len(sent) == 3:
            halt.set()
        return [Result("aws-batch", None, chunk[0].ref.job_id, "cancel", Outcome.STOPPING)]

    def skip(chunk: list[PlannedStop]) -> list[Result]:
        return [Result("aws-batch", None, s.ref.job_id, "cancel", Outcome.SKIPPED) for s in chunk]

    done = dispatch(planned(10), provider=provider, concurrency=1, halt=halt, send=send, skip=skip)
    outcomes = {r.job_id: r.outcome for _, r in done}
    assert len(outcomes) == 10
    assert [j for j, o in outcomes.items() if o is Outcome.STOPPING] == sent == ["j0", "j1", "j2"]


class ProbedEndpoint:
    """A provider sharing what its endpoint takes (BulkSupport), like AWS Batch's adapter."""

    info: ClassVar[ProviderInfo] = INFO

    def __init__(self) -> None:
        from jobctl.providers.base import BulkSupport

        self.bulk = BulkSupport()

    @property
    def send_batch(self) -> int:
        return 1 if self.bulk.known is False else 50


def test_workers_wait_for_the_probe_and_then_send_one_stop_a_request() -> None:
    provider = ProbedEndpoint()
    sent: list[int] = []
    lock = threading.Lock()
    probe_out = threading.Event()

    def send(chunk: list[PlannedStop]) -> list[Result]:
        with lock:
            sent.append(len(chunk))
        if len(chunk) > 1:
            probe_out.set()
            # Held until every other worker could have taken a chunk of its own.
            threading.Event().wait(0.3)
            provider.bulk.settle(False)
            raise BulkUnsupported
        return [Result("aws-batch", None, chunk[0].ref.job_id, "cancel", Outcome.STOPPING)]

    done = dispatch(
        planned(200), provider=provider, concurrency=8, halt=threading.Event(), send=send,
        skip=lambda chunk: [],
    )  # fmt: skip
    assert sorted(r.job_id for _, r in done) == sorted(f"j{i}" for i in range(200))
    assert sent[0] == 50
    assert sorted(sent[1:]) == [1] * 200


def test_a_worker_waiting_for_the_probe_stops_waiting_on_halt() -> None:
    provider = ProbedEndpoint()
    halt = threading.Event()

    def send(chunk: list[PlannedStop]) -> list[Result]:
        # The probe is out; the run is interrupted before its answer, which then says nothing.
        halt.set()
        threading.Event().wait(0.2)
        return [Result("aws-batch", None, s.ref.job_id, "cancel", Outcome.STOPPING) for s in chunk]

    def skip(chunk: list[PlannedStop]) -> list[Result]:
        return [Result("aws-batch", None, s.ref.job_id, "cancel", Outcome.SKIPPED) for s in chunk]

    done = dispatch(planned(120), provider=provider, concurrency=4, halt=halt, send=send, skip=skip)
    outcomes = [r.outcome for _, r in done]
    assert outcomes.count(Outcome.STOPPING) == 50
    assert outcomes.count(Outcome.SKIPPED) == 70
    assert provider.bulk.known is None  # never settled: a later run probes again
