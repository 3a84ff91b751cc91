"""Durations take one form everywhere: a number and a unit, `0.5s`, `90s`, `30m`, `2h`, `1d`."""

from __future__ import annotations

import re

from jobctl.errors import UsageError

# ASCII digits only: `\d` would also take Arabic-Indic and other digits.
_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)(s|m|h|d)")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# A century: longer waits overflow the platform's timers (a thousand-digit number is inf).
LONGEST = 36500 * 86400.0


def parse_duration(text: str, *, option: str) -> float:
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
