"""AWS job ARNs, which both AWS adapters take as job references: SDK-free, pure.

arn:PARTITION:SERVICE:REGION:ACCOUNT:job/ID names a job and the region it lives in, so a
reference can carry its own region past --region and the environment.
"""

from __future__ import annotations

import re
from functools import partial

from jobctl.errors import UsageError
from jobctl.providers.base import References
from jobctl.validate import shown

# AWS's partitions: commercial, China, GovCloud, and the isolated ones.
PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f")
_ARN = re.compile(r"arn:([^:]*):([a-z0-9-]+):([a-z0-9-]+):(\d{12}):job/(.+)")


def parse_job_arn(token: str, *, service: str) -> tuple[str, str | None] | None:
    """(job id, region) from a job ARN of `service`; None for any other token."""
    arn = _ARN.fullmatch(token)
    if arn is None or arn.group(2) != service:
        return None
    partition, _, region, _, job_id = arn.groups()
    if partition not in PARTITIONS:
        msg = (
            f"unknown AWS partition {shown(partition, 20)} in ARN {shown(token)}: "
            f"expected one of {', '.join(PARTITIONS)}"
        )
        raise UsageError(msg)
    return job_id, region


def job_arns(service: str, owner: str) -> References:
    """The `references` of a provider whose jobs have ARNs of `service` ("batch", "iot")."""
    return References(
        prefix="arn:", noun="ARN", owner=owner, parse=partial(parse_job_arn, service=service)
    )
