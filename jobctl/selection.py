"""Choosing jobs by filter instead of by id, and saying what was chosen.

See docs/ARCHITECTURE.md, "References and selections".
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jobctl.durations import parse_duration
from jobctl.errors import UsageError
from jobctl.models import Phase, Selection
from jobctl.validate import check_text

if TYPE_CHECKING:
    from collections.abc import Sequence

    from jobctl.models import JobState
    from jobctl.providers.base import ProviderInfo

PHASE_WORDS = {"queued": Phase.QUEUED, "running": Phase.RUNNING}


@dataclass(frozen=True)
class FilterArgs:
    queue: str | None = None
    statuses: Sequence[str] = ()
    name: str | None = None
    older_than: str | None = None
    all: bool = False

    @property
    def given(self) -> bool:
        """True when any filter selects jobs (a queue alone only scopes them)."""
        return bool(self.statuses or self.name or self.older_than or self.all)

    @property
    def any(self) -> bool:
        return self.given or self.queue is not None


def unfinished(info: ProviderInfo) -> frozenset[str]:
    return frozenset(s for s, p in info.state_map.items() if p in (Phase.QUEUED, Phase.RUNNING))


def expand_statuses(info: ProviderInfo, values: Sequence[str]) -> frozenset[str]:
    """Native names (any case) and the phases `queued` / `running`, as native names."""
    states: set[str] = set()
    for value in values:
        word = value.strip()
        if word.lower() in PHASE_WORDS:
            phase = PHASE_WORDS[word.lower()]
            states |= {s for s, p in info.state_map.items() if p is phase}
        elif word.upper() in info.state_map:
            states.add(word.upper())
        else:
            known = ", ".join([*PHASE_WORDS, *info.state_map])
            msg = f"--status {value[:40]!a}: {info.name} has no such state; use one of {known}"
            raise UsageError(msg)
    return frozenset(states)


def build(info: ProviderInfo, args: FilterArgs, *, now: float | None = None) -> Selection:
    if args.queue is not None and not info.queues:
        from jobctl import providers

        owners = " and ".join(providers.declaring(lambda i: i.queues))
        msg = f"--queue applies to {owners} only, not to {info.name}"
        raise UsageError(msg)
    for option, value in (("--queue", args.queue), ("--name", args.name)):
        if value is None:
            continue
        if not value.strip():
            msg = f"{option} must not be empty"
            raise UsageError(msg)
        # Sent to the provider as a filter (Batch's queue, Tencent's exact name): never
        # control, bidi or line-breaking characters.
        check_text(value, what=option)
    states = expand_statuses(info, args.statuses) if args.statuses else unfinished(info)
    created_before = None
    if args.older_than is not None:
        age = parse_duration(args.older_than, option="--older-than")
        created_before = (time.time() if now is None else now) - age
    return Selection(
        states=states, queue=args.queue, name_glob=args.name, created_before=created_before
    )


def scope_words(
    info: ProviderInfo, args: FilterArgs, selection: Selection, region: str | None
) -> str:
    """'RUNNABLE/PENDING jobs in aws-batch queue prod-q, us-east-1'."""
    if selection.states == unfinished(info):
        states = "unfinished"
    else:
        states = "/".join(sorted(selection.states))
    parts = [f"{states} jobs in {info.name}"]
    if args.queue:
        parts[0] += f" queue {args.queue}"
    if args.name:
        parts.append(f"named {args.name}")
    if args.older_than:
        parts.append(f"older than {args.older_than}")
    if region:
        parts.append(region)
    return ", ".join(parts)


def select(jobs: Sequence[JobState], selection: Selection) -> list[JobState]:
    """The listed jobs that really match: endpoints do not all honour their filters."""
    return [job for job in jobs if selection.matches(job)]
