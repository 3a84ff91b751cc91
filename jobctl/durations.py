"""Durations take one form everywhere: a number and a unit, `0.5s`, `90s`, `30m`, `2h`, `1d`."""

from __future__ import annotations

import re

from jobctl.errors import UsageError

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(s|m|h|d)")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


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
    return seconds
