"""A live view on stderr for runs on a terminal: a bar and counts by outcome for many jobs, a
spinner with the job's state and the time waited for one; notices are printed above it.

Only ever drawn when stderr is a terminal and not --quiet: a pipe or a CI log gets plain lines.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    from jobctl.models import Result


class LiveView:
    """Counts jobs as their stop is answered, each once, under its latest outcome; counts and
    draws nothing unless `enabled` (stderr is a terminal, not --quiet)."""

    def __init__(self, total: int, *, enabled: bool, label: str) -> None:
        self.total = total
        self.enabled = enabled and total > 0
        self.counts: Counter[str] = Counter()
        self._latest: dict[tuple[str, str | None, str, str | None], Result] = {}
        # Jobs made of children among the latest results, and their children: running totals,
        # as `counts` is, so a draw never walks every job.
        self._parents = 0
        self._children_finished = 0
        self._children_total = 0
        # Reentrant: the Ctrl-C notice is printed from a signal handler on the main thread.
        self._lock = threading.RLock()
        self._progress: Any = None
        self._task: Any = None
        self._label = label

    @property
    def running(self) -> bool:
        return self._progress is not None

    def __enter__(self) -> LiveView:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            console = Console(stderr=True, highlight=False)
            if self.total == 1:
                # One job: no bar to fill, but a sign of life, its state, and the time waited.
                columns: tuple[Any, ...] = (
                    SpinnerColumn(),
                    TextColumn("{task.description}"),
                    TextColumn("{task.fields[counts]}"),
                    TimeElapsedColumn(),
                )
            else:
                columns = (
                    TextColumn("{task.description}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TextColumn("{task.fields[counts]}"),
                )
            self._progress = Progress(*columns, console=console, transient=True)
            self._progress.start()
            self._task = self._progress.add_task(self._label, total=self.total, counts="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def notice(self, line: str) -> bool:
        """Print a finished stderr line above the view; False when no view is drawn."""
        with self._lock:
            if self._progress is None:
                return False
            from rich.text import Text

            self._progress.console.print(Text(line), soft_wrap=True)
            return True

    def seen(self, result: Result) -> None:
        """The latest known outcome of one job (answered, updated while waiting, or decided).

        A job is counted in the bar from its first news: the engine says nothing of a job before
        its stop request is answered (or it is decided without one), so a job held back by its
        provider never keeps the others' answers out of the bar. Later news only relabels it.
        """
        if not self.enabled:
            return  # no view, nothing to count
        key = (result.provider, result.region, result.job_id, result.target)
        outcome = str(result.outcome)
        with self._lock:
            # Counted as it changes, never recounted: a run of N jobs draws N times, not N².
            before = self._latest.get(key)
            if before is not None:
                self.counts[str(before.outcome)] -= 1
                self._count_children(before, -1)
            self._latest[key] = result
            self.counts[outcome] += 1
            self._count_children(result, 1)
            self._draw()

    def _count_children(self, result: Result, sign: int) -> None:
        if result.children is not None:
            self._parents += sign
            self._children_finished += sign * result.children.finished
            self._children_total += sign * result.children.total

    def _draw(self) -> None:
        if self._progress is None:
            return
        answered = len(self._latest)
        if self.total == 1 and self._latest:
            (only,) = self._latest.values()
            counts = one_job(only)
        else:
            counts = " ".join(f"{k} {v}" for k, v in sorted(self.counts.items()) if v)
            if self._parents:
                counts += _children_words(self._children_finished, self._children_total)
        self._progress.update(self._task, completed=answered, counts=counts)


def one_job(result: Result) -> str:
    """The spinner's words for one job: its outcome and state, and its children's progress
    while --wait waits for them ("stopping (PENDING) array of 100: 40 queued, ...")."""
    state = result.state_after or result.state_before
    line = f"{result.job_id}: {result.outcome}" + (f" ({state})" if state else "")
    if result.children is not None:
        line += f" {result.children.words()}"
    return line


def children_progress(results: Iterable[Result]) -> str:
    """What the bar's counts add for jobs made of children: how many of those have finished."""
    known = [r.children for r in results if r.children is not None]
    if not known:
        return ""
    return _children_words(sum(c.finished for c in known), sum(c.total for c in known))


def _children_words(finished: int, total: int) -> str:
    return f" · children {finished}/{total} finished"
