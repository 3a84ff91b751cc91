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


class Drawn:
    """Stands in for rich's Progress: keeps what each draw would show."""

    def __init__(self) -> None:
        self.shown: list[str] = []

    def update(self, task: object, *, completed: int, counts: str) -> None:
        self.shown.append(counts)


def test_a_drawn_view_with_array_parents_never_walks_the_jobs() -> None:
    from tests.test_batch_array_rules import parent

    view = LiveView(2000, enabled=True, label="cancelling")
    view._latest = Watched()
    view._progress = drawn = Drawn()
    Watched.walks = 0
    queued = parent("PENDING", {"RUNNABLE": 4}).children
    half = parent("PENDING", {"RUNNABLE": 2, "FAILED": 2}).children
    for job in range(2000):
        view.seen(Result("aws-batch", "r", f"p-{job}", "cancel", Outcome.STOPPING, children=queued))
    for job in range(1000):
        view.seen(Result("aws-batch", "r", f"p-{job}", "cancel", Outcome.STOPPING, children=half))
    view.seen(result(1, Outcome.CANCELLED))  # a plain job among the parents
    assert Watched.walks == 0
    assert drawn.shown[-1] == "cancelled 1 stopping 2000 · children 2000/8000 finished"
    view._progress = None
