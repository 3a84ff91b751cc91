"""The commands jobctl suggests run as printed, in the region the job was found in.

Providers word their hints (`run 'jobctl terminate -p aws-batch ID'`) from pure plan/judge
functions that know no region; the engine knows each group's resolved region and adds
`--region R` to every hint of that provider's (docs/ARCHITECTURE.md, "The engine"). Always
when the region is known, not only when it differs from today's default: the line is pasted
later, maybe in another shell with another AWS_REGION, profile or config, and an explicit
region finds the job from anywhere.
"""

from __future__ import annotations

import re
from dataclasses import replace

from jobctl.models import Result

_VERBS = "cancel|terminate|status"


def with_region(message: str, provider: str, region: str | None) -> str:
    """`message` with `--region R` after each `jobctl VERB -p PROVIDER` that lacks one."""
    if region is None or "jobctl" not in message:
        return message
    hint = re.compile(rf"(jobctl (?:{_VERBS}) -p {re.escape(provider)})(?! --region)(?=[ ']|$)")
    return hint.sub(lambda m: f"{m.group(1)} --region {region}", message)


def result_with_region(result: Result) -> Result:
    """The result with its message's hints pointing at the result's own region."""
    if result.message is None:
        return result
    message = with_region(result.message, result.provider, result.region)
    return result if message == result.message else replace(result, message=message)
