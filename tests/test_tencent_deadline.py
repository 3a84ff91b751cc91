"""--timeout bounds Tencent's retries, the wait for a rate-limit token included.

With many workers sharing a slow rate, the token for a retry may come long after the retry
budget ends: the retry must then not be sent at all. Checked on an injected clock, and by
counting the requests the emulator received.
"""

from __future__ import annotations

import threading

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from jobctl.errors import ProviderError
from jobctl.models import JobRef, PlannedStop, StopOptions, Verb
from jobctl.providers._tencent import Backoff, with_retries
from jobctl.providers.base import ProviderConfig
from jobctl.providers.tencent import TencentProvider, plan
from jobctl.ratelimit import Pacing, RateLimiter, pacing
from jobctl.sandbox.tencent_emulator import TencentBatchEmulator


class Clock:
    """Time that moves only when someone waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float, stop: threading.Event | None = None) -> bool:
        self.waits.append(seconds)
        self.now += seconds
        return True


def throttled(clock: Clock, calls: list[float]) -> object:
    def call() -> object:
        calls.append(clock())
        raise TencentCloudSDKException("RequestLimitExceeded", "slow down", "req-1")

    return call


def drained(clock: Clock, rate: float) -> RateLimiter:
    """A limiter whose one token another worker has just taken."""
    limiter = RateLimiter(rate, clock=clock, wait=clock.wait)
    assert limiter.acquire()
    return limiter


def test_no_retry_waits_for_a_token_that_comes_after_the_deadline() -> None:
    clock = Clock()
    limiter = drained(clock, rate=0.1)  # the next token in about 10s
    calls: list[float] = []
    deadline = clock() + 5.0
    with pytest.raises(ProviderError) as caught:
        with_retries(
            throttled(clock, calls),  # type: ignore[arg-type]
            backoff=Backoff(base=0.2, cap=0.2),
            deadline=deadline,
            sleep=clock.wait,
            before_retry=Pacing(limiter).acquire,
            clock=clock,
        )
    assert caught.value.code == "RequestLimitExceeded"
    assert calls == [1000.0]
    assert clock() <= deadline


def test_a_token_that_comes_in_time_is_waited_for_and_every_try_starts_before_the_deadline() -> (
    None
):
    clock = Clock()
    limiter = drained(clock, rate=1.0)  # a token about every second
    calls: list[float] = []
    deadline = clock() + 3.5
    with pytest.raises(ProviderError):
        with_retries(
            throttled(clock, calls),  # type: ignore[arg-type]
            backoff=Backoff(base=0.2, cap=0.2),
            deadline=deadline,
            sleep=clock.wait,
            before_retry=Pacing(limiter).acquire,
            clock=clock,
        )
    assert len(calls) == 4
    assert all(at <= deadline for at in calls)
    assert clock() <= deadline


def test_the_limiter_gives_up_at_once_when_the_token_is_past_the_deadline() -> None:
    clock = Clock()
    limiter = drained(clock, rate=0.5)
    assert limiter.acquire(deadline=clock() + 1.0) is False
    assert clock.waits == []
    assert limiter.acquire(deadline=clock() + 3.0) is True
    assert clock() <= 1003.0


def test_terminatejob_is_not_sent_again_once_the_token_would_come_too_late(
    tencent: TencentBatchEmulator,
) -> None:
    tencent.set_faults(internal_error_rate=1.0, actions=["TerminateJob"])
    job = tencent.add_job(name="busy", state="RUNNING", pinned=True)
    provider = TencentProvider(
        config=ProviderConfig(region="ap-guangzhou", endpoint_url=tencent.url, timeout=2.0)
    )
    provider.backoff = Backoff(base=0.01, cap=0.01)
    ref = JobRef("tencent", job)
    before = provider.describe(refs=[ref])[ref]
    options = StopOptions(verb=Verb.TERMINATE, reason="x")
    stop = PlannedStop(ref, before, plan(job=before, options=options))
    # Other workers hold the rate: the next token is about 50s away, far past --timeout (2s).
    limiter = RateLimiter(0.02)
    assert limiter.acquire()
    with pacing(limiter, threading.Event()):
        [answer] = provider.send(stops=[stop], options=options)
    assert (answer.accepted, answer.error_code) == (False, "InternalError")
    assert tencent.stats.requests.get("TerminateJob", 0) == 1
