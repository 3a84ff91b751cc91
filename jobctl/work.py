"""What the engine is given: groups of jobs, how to run them, and where to report.

A module of its own so that the engine's helpers (jobctl/verify.py) can name these types without
importing the engine back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jobctl.defaults import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from jobctl.models import JobRef, Result
    from jobctl.providers.base import Provider


@dataclass
class Group:
    """The jobs of one provider instance (one provider, one region)."""

    provider: Provider
    region: str | None
    refs: list[JobRef]
    concurrency: int
    rate: float | None


@dataclass(frozen=True)
class RunSettings:
    dry_run: bool = False
    ignore_not_found: bool = False
    wait: bool = False
    timeout: float = DEFAULT_TIMEOUT
    poll_interval: float = 2.0


@dataclass
class Hooks:
    """Where the engine reports as it goes: results as decided, stop requests as answered."""

    on_result: Callable[[Result], None] = lambda result: None
    # The audit log's feed. on_request: once per job, just before its stop request leaves
    # (the request's jobs in one `records` burst), so a process killed while it is out still
    # leaves a line. on_sent: once per stop request, from the thread that got its answer, with
    # the outcome as first known. on_final: once per job a stop request was sent for, with the
    # outcome the user was told (after verification and --wait).
    # on_unanswered: requests sent and never answered, when the engine ends or is left.
    # on_refused: the answer to a bulk request the endpoint does not have (its probe), for
    # each of its jobs, which go again one a request.
    on_request: Callable[[Result], None] = lambda result: None
    on_refused: Callable[[Result], None] = lambda result: None
    on_sent: Callable[[Result], None] = lambda result: None
    on_final: Callable[[Result], None] = lambda result: None
    on_unanswered: Callable[[Result], None] = lambda result: None
    # Around a run of on_final or on_request calls: what they record may be written at once.
    records: Callable[[], AbstractContextManager[None]] = nullcontext
    # A job still stopping changed state while --wait polled (for a live view).
    on_update: Callable[[Result], None] = lambda result: None
    on_notice: Callable[[str], None] = lambda text: None
    # Set to stop sending: unsent jobs become `skipped`; requests in flight finish.
    stop: threading.Event = field(default_factory=threading.Event)
