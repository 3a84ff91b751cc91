"""A run's tally and its exit code, from the results alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jobctl.errors import ExitCode
from jobctl.models import Outcome, Result


@dataclass(frozen=True)
class Summary:
    total: int
    ok: int
    failed: int
    exit_code: ExitCode


def is_ok(result: Result, *, ignore_not_found: bool) -> bool:
    if result.outcome is Outcome.NOT_FOUND:
        return ignore_not_found
    return result.outcome.ok


def exit_code_for(
    ok: int, failed: int, *, interrupted: bool = False, timed_out: bool = False
) -> ExitCode:
    """Failures outrank a wait time-out, an interrupt outranks everything.

    See docs/ARCHITECTURE.md, "Outcomes and exit codes".
    """
    if interrupted:
        return ExitCode.INTERRUPTED
    if failed:
        return ExitCode.PARTIAL if ok else ExitCode.FAILED
    return ExitCode.WAIT_TIMEOUT if timed_out else ExitCode.OK


def summarize(
    results: Sequence[Result], *, ignore_not_found: bool, interrupted: bool = False
) -> Summary:
    ok = sum(is_ok(r, ignore_not_found=ignore_not_found) for r in results)
    failed = len(results) - ok
    timed_out = any(r.outcome is Outcome.STOPPING and r.wait_timed_out for r in results)
    code = exit_code_for(ok, failed, interrupted=interrupted, timed_out=timed_out)
    return Summary(len(results), ok, failed, code)
