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
