"""The notice for a --wait that gives up: how many jobs are still stopping, and what to run."""

from __future__ import annotations

from collections.abc import Sequence

from jobctl.durations import format_duration
from jobctl.models import JobRef

# A timed-out --wait names at most this many ids in the command it prints.
_NAMED_IN_NOTICE = 10


def wait_timeout_notice(timeout: float, refs: Sequence[JobRef], unknown: int = 0) -> str:
    """What to say, and to run, when --wait gives up with jobs still stopping; `unknown` of
    them last seen in a state jobctl does not know (or with children in one).

    Ids and regions were checked against each provider's pattern before any request: none
    needs quoting, so the command runs as printed.
    """
    count = f"{len(refs)} job" if len(refs) == 1 else f"{len(refs)} jobs"
    by_scope: dict[tuple[str, str | None], list[str]] = {}
    for ref in refs:
        ids = by_scope.setdefault((ref.provider, ref.region), [])
        if ref.job_id not in ids:
            ids.append(ref.job_id)
    commands = []
    for (provider, region), ids in by_scope.items():
        words = ["jobctl", "status", "-p", provider]
        if region is not None:
            words += ["--region", region]
        if len(ids) <= _NAMED_IN_NOTICE:
            commands.append(f"'{' '.join([*words, *ids])}'")
        else:
            first = ", ".join(ids[:3])
            commands.append(
                f"'{' '.join([*words, '-'])}' and their ids on standard input "
                f"({first} and {len(ids) - 3} more)"
            )
    pronoun = "it" if len(refs) == 1 else "them"
    return (
        f"--wait timed out after {format_duration(timeout)}: {count} still stopping; "
        f"see {pronoun} with {' and '.join(commands)}{unknown_words(unknown, len(refs))}"
    )


def unknown_words(unknown: int, total: int) -> str:
    """What a timed-out --wait's notice adds when `unknown` of the `total` jobs it waited for
    were last seen in a state jobctl does not know (or with children in one): why it could
    not end. Empty when none were."""
    if not unknown:
        return ""
    which, has = ("it is", "has") if total == 1 else (f"{unknown} of them", "with")
    return (
        f"; {which} in a state jobctl does not know (or {has} children in one), "
        "whose end --wait cannot see"
    )
