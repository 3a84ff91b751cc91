"""The live view's counts: kept as each job's news comes, never recounted; none without a view.

Counted, not timed: recounting every job on every update grew as N² (0.85 s at 4000 jobs).
"""

from __future__ import annotations

from jobctl.models import Outcome, Result
from jobctl.progress import LiveView


class Watched(dict):  # type: ignore[type-arg]
    """The view's jobs, counting every walk over them."""

    walks = 0

    def values(self):  # type: ignore[no-untyped-def]
        Watched.walks += 1
        return super().values()

    def items(self):  # type: ignore[no-untyped-def]
        Watched.walks += 1
        return super().items()

    def __iter__(self):  # type: ignore[no-untyped-def]
        Watched.walks += 1
        return super().__iter__()


def result(job: int, outcome: Outcome) -> Result:
    return Result("aws-batch", "us-east-1", f"job-{job}", "cancel", outcome)


def test_counts_follow_each_jobs_latest_outcome_without_walking_the_jobs() -> None:
    view = LiveView(4000, enabled=True, label="cancelling")
    view._latest = Watched()
    Watched.walks = 0
    for job in range(4000):
        view.seen(result(job, Outcome.STOPPING))
    for job in range(1000):
        view.seen(result(job, Outcome.CANCELLED))
    view.seen(result(0, Outcome.CANCELLED))  # the same news twice counts once
    assert {k: v for k, v in view.counts.items() if v} == {"stopping": 3000, "cancelled": 1000}
    assert Watched.walks == 0


def test_without_a_view_nothing_is_counted() -> None:
    view = LiveView(4000, enabled=False, label="cancelling")
    view._latest = Watched()
    for job in range(4000):
        view.seen(result(job, Outcome.STOPPING))
    assert not view.counts
    assert len(view._latest) == 0
