"""What every provider's `judge` shares: the words for a stop whose effect is not known yet,
and for a job that reached a final state without it.

`judge` sits beside `plan` in each provider module: `plan` decides the request from the state
before, `judge` decides what that request did from the state after. Both are pure.
"""

from __future__ import annotations

from jobctl.models import JobState, Judgement, Outcome, Verb

NOT_SEEN = "stop accepted; could not verify it: the job was not found on the second lookup"


def stopped_outcome(verb: Verb) -> Outcome:
    """The outcome of a job this call brought to a final state, in the user's own verb."""
    return Outcome.CANCELLED if verb is Verb.CANCEL else Outcome.TERMINATED


def not_seen() -> Judgement:
    return Judgement(Outcome.STOPPING, NOT_SEEN)


def on_its_own(after: JobState, evidence: str | None = None) -> Judgement:
    """A job that finished, but not because of this call: never cancelled/terminated."""
    if after.succeeded:
        what = f"finished on its own ({after.native_state})"
    else:
        what = f"{after.native_state} on its own"
        if evidence:
            what += f" ({evidence})"
    return Judgement(Outcome.ALREADY_FINISHED, f"{what} before the stop took effect")


# The flags an AWS Batch endpoint that has them sets once it has taken a stop (botocore:
# isCancelled "indicates whether a cancellation request has been accepted for the job").
STOP_FLAGS = ("is_cancelled", "is_terminated")


def stop_not_taken(after: JobState, operation: str, retry: str) -> Judgement | None:
    """FAILED for an unfinished job whose endpoint reports the stop flags and sets none of
    them after a stop it answered with success: the call did nothing. None when a flag says
    the stop was taken, or when the endpoint reports no flags at all (older ones): then the
    job is `stopping`, as the answer said. `retry` is the command to run again."""
    flags = [bool(after.extra[key]) for key in STOP_FLAGS if key in after.extra]
    if not flags or any(flags):
        return None
    return Judgement(
        Outcome.FAILED,
        f"{operation} answered success, but the job is unchanged: still {after.native_state}, "
        f"and the endpoint says no stop was taken; check it and stop it again: {retry}",
    )
