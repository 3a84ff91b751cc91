"""Durations take one form everywhere: a number and a unit, `0.5s`, `90s`, `30m`, `2h`, `1d`."""

from __future__ import annotations

import re

from jobctl.errors import UsageError

# ASCII digits only: `\d` would also take Arabic-Indic and other digits.
_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)(s|m|h|d)")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# A century: longer waits overflow the platform's timers (a thousand-digit number is inf).
LONGEST = 36500 * 86400.0


# The shortest --poll-interval and --timeout, and why: a poll every 0.0000001s sent 226
# DescribeJobs in 3s, and a budget under a second leaves no room for one retry's backoff.
SHORTEST_POLL = (0.1, "0.1s: polling faster only spends the provider's request quota")
SHORTEST_TIMEOUT = (1.0, "1s: it is also each request's retry budget")


def parse_duration(text: str, *, option: str, at_least: tuple[float, str] | None = None) -> float:
    """Seconds; `at_least` is (the shortest allowed, "0.1s: why") for options with a floor."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        msg = (
            f"{option} {text[:40]!a} is not a duration: "
            "use a number and a unit, e.g. 90s, 30m, 2h, 1d"
        )
        raise UsageError(msg)
    seconds = float(match.group(1)) * _SECONDS[match.group(2)]
    if seconds <= 0:
        msg = f"{option} must be longer than zero"
        raise UsageError(msg)
    if at_least is not None and seconds < at_least[0]:
        msg = f"{option} must be at least {at_least[1]}"
        raise UsageError(msg)
    if seconds > LONGEST:
        msg = f"{option} is too long: at most 36500d"
        raise UsageError(msg)
    return seconds


def format_duration(seconds: float) -> str:
    """A duration in the form the options take: 600 -> '10m', 90 -> '90s', 0.5 -> '0.5s'."""
    for unit in ("d", "h", "m"):
        size = _SECONDS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"
