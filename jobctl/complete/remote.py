"""One live lookup for a cold cache, under a hard deadline: answer in time or not at all.

The lookup (importing the SDK included) runs in a daemon thread; the TAB waits for it at most
`deadline()` seconds and then goes on without it, whatever the network or the credential
chain is doing. Nothing it raises reaches the shell: TAB shows no traceback and no prompt.
"""

from __future__ import annotations

import contextlib
import threading

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import TypeVar

    from jobctl.complete.cache import Seen
    from jobctl.complete.scope import Scope
    from jobctl.providers.base import Provider

    T = TypeVar("T")

DEFAULT_DEADLINE = 1.0
_OFF = ("0", "false", "no", "off")
_threads: list[threading.Thread] = []


def enabled(environ: Mapping[str, str]) -> bool:
    return environ.get("JOBCTL_COMPLETE_REMOTE", "").strip().lower() not in _OFF


def deadline(environ: Mapping[str, str]) -> float:
    """Seconds a TAB may wait (`JOBCTL_COMPLETE_TIMEOUT`, for slow links; at most 10)."""
    try:
        seconds = float(environ.get("JOBCTL_COMPLETE_TIMEOUT") or DEFAULT_DEADLINE)
    except ValueError:
        return DEFAULT_DEADLINE
    return min(max(seconds, 0.05), 10.0)


def pending() -> bool:
    """A lookup is still running: the process must not wait for it on the way out."""
    return any(thread.is_alive() for thread in _threads)


def lookup(scope: Scope, *, seconds: float) -> list[Seen] | None:
    """The scope's unfinished jobs, or None when the lookup failed or ran out of time."""
    return _within(seconds, lambda: _unfinished_jobs(scope, seconds))


def lookup_queues(scope: Scope, *, seconds: float) -> list[str] | None:
    """The scope's queue names (a provider with queues), or None, as `lookup`."""
    return _within(seconds, lambda: _queue_names(scope, seconds))


def _within(seconds: float, function: Callable[[], T]) -> T | None:
    found: list[T] = []

    def work() -> None:
        # A failed lookup offers nothing, silently.
        with contextlib.suppress(BaseException):
            found.append(function())

    _quiet()
    thread = threading.Thread(target=work, name="jobctl-complete-lookup", daemon=True)
    _threads.append(thread)
    thread.start()
    thread.join(seconds)
    return found[0] if found else None


def _quiet() -> None:
    """SDK warnings and log records would land on the user's terminal, mid-line."""
    import logging
    import warnings

    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)


def _open(scope: Scope, seconds: float) -> Provider:
    from jobctl import providers
    from jobctl.providers.base import ProviderConfig

    name, region, profile, endpoint = scope
    config = ProviderConfig(
        region=region,
        profile=profile,
        endpoint_url=endpoint,
        timeout=seconds,
        connect_timeout=seconds,
        read_timeout=seconds,
    )
    return providers.create(name, config)


def _queue_names(scope: Scope, seconds: float) -> list[str]:
    # Only providers declaring `queues` list them (ProviderInfo.queues, docs/ARCHITECTURE.md).
    names: list[str] = getattr(_open(scope, seconds), "queue_names")()  # noqa: B009
    return names


def _unfinished_jobs(scope: Scope, seconds: float) -> list[Seen]:
    from jobctl import providers
    from jobctl.models import Selection
    from jobctl.selection import unfinished

    info = providers.info(scope[0])
    instance = _open(scope, seconds)
    jobs = instance.list_jobs(selection=Selection(states=unfinished(info)))
    return [
        (job.job_id, job.native_state, job.name, _queue(job.extra.get("queue"))) for job in jobs
    ]


def _queue(value: object) -> str | None:
    return str(value) if value else None
