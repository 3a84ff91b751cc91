"""A live view on stderr for long runs on a terminal: a progress bar and counts by outcome."""

from __future__ import annotations

import threading
from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jobctl.models import Result


class LiveView:
    """Counts decided jobs; draws nothing unless `enabled` (stderr is a terminal, not --quiet)."""

    def __init__(self, total: int, *, enabled: bool, label: str) -> None:
        self.total = total
        self.enabled = enabled and total > 0
        self.counts: Counter[str] = Counter()
        self._latest: dict[tuple[str, str | None, str, str | None], str] = {}
        self._lock = threading.Lock()
        self._progress: Any = None
        self._task: Any = None
        self._label = label

    def __enter__(self) -> LiveView:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[counts]}"),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(self._label, total=self.total, counts="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def seen(self, result: Result) -> None:
        """The latest known outcome of one job (sent, updated while waiting, or decided)."""
        key = (result.provider, result.region, result.job_id, result.target)
        with self._lock:
            self._latest[key] = str(result.outcome)
            self.counts = Counter(self._latest.values())
            self._draw()

    def _draw(self) -> None:
        if self._progress is None:
            return
        final = sum(n for outcome, n in self.counts.items() if outcome != "stopping")
        counts = " ".join(f"{k} {v}" for k, v in sorted(self.counts.items()) if v)
        self._progress.update(self._task, completed=final, counts=counts)
