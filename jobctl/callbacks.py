"""How a caller of `jobctl.api` hears about a run as it goes, and is asked before it sends.

Every callback is optional and the defaults are silent and never ask: a stop from Python
prints nothing, prompts for nothing and installs no signal handler. The command line passes
its own (a [y/N] on the terminal, a live view on stderr, rows streamed to stdout, Ctrl-C
handling); docs/ARCHITECTURE.md shows where each one is called.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from typing import BinaryIO

    from jobctl.models import JobRef, JobState, Result, Verb


@dataclass(frozen=True)
class Preview:
    """What a stop is about to do, shown before its first stop request."""

    verb: Verb
    # The jobs about to be stopped, once regions are resolved and duplicates dropped. For a
    # filter selection with things, one per job and thing.
    refs: tuple[JobRef, ...]
    # A filter selection's jobs as listed, and the selection in words ("RUNNABLE jobs in
    # aws-batch queue prod-q, us-east-1"); empty and None for jobs named by reference.
    listed: tuple[JobState, ...] = ()
    scope: str | None = None

    @property
    def by_filter(self) -> bool:
        return self.scope is not None

    @property
    def count(self) -> int:
        """Jobs to stop, as a person counts them: a selection's jobs, else the references."""
        return len(self.listed) if self.by_filter else len(self.refs)


class Confirm(Protocol):
    """Asked twice by a stop: whether to ask at all, before any request, then the question."""

    def needed(self, *, verb: Verb, count: int | None) -> bool:
        """Before any request: should `ask` be called for this run?

        `count` is the number of jobs named, or None for a filter selection (not listed yet).
        Raise a JobctlError to refuse the run outright (the command line does when it cannot
        ask: standard input is no terminal and --yes was not given).
        """
        ...

    def ask(self, preview: Preview) -> bool:
        """After the lookup, before the first stop request: True to go on.

        False ends the stop with UsageError "not confirmed; nothing sent".
        """
        ...


class Progress(Protocol):
    """Every piece of news of every job, for a live view (the command line's progress bar)."""

    def start(self, *, total: int, verb: Verb) -> None: ...

    def seen(self, result: Result) -> None:
        """A stop request answered, a job decided, or a job still stopping changed state."""
        ...

    def end(self) -> None: ...


# Wraps the sending: given the event that stops it (set it: nothing more is sent, unsent jobs
# come back `skipped`, requests in flight finish) and `leave`, which records what was sent in
# the audit log waiting on nothing (call it before ending the process abruptly). The command
# line installs its Ctrl-C, SIGTERM and SIGHUP handling here.
Guard = Callable[[threading.Event, Callable[[], None]], AbstractContextManager[object]]


def _ignore(value: object) -> None:
    return None


def _no_guard(stop: threading.Event, leave: Callable[[], None]) -> AbstractContextManager[object]:
    return nullcontext()


@dataclass
class Callbacks:
    """All of a stop's callbacks, as `jobctl.api.stop` was given them (the defaults: none)."""

    confirm: Confirm | None = None
    # Each job's result as it is decided, from the engine's threads (streamed output).
    on_result: Callable[[Result], None] = _ignore
    # What a person would want to know (a wait that gave up, a reason that could not be sent).
    on_notice: Callable[[str], None] = _ignore
    # Trouble that changes no outcome (the audit log could not be written).
    on_warning: Callable[[str], None] = _ignore
    progress: Progress | None = None
    guard: Guard = _no_guard
    # Set from any thread to stop sending, as the first Ctrl-C does.
    interrupt: threading.Event = field(default_factory=threading.Event)
    # Where '-' among the job references reads them; None: '-' is refused.
    stdin: BinaryIO | None = None
