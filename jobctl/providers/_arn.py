"""AWS job ARNs, which both AWS adapters take as job references: SDK-free, pure.

arn:PARTITION:SERVICE:REGION:ACCOUNT:job/ID names a job and the region it lives in, so a
reference can carry its own region past --region and the environment. AWS Batch's service jobs
(SageMaker Training through Batch) have ARNs of their own resource type, `service-job/ID`.
"""

from __future__ import annotations

import re
from functools import partial

from jobctl.errors import UsageError
from jobctl.providers.base import References
from jobctl.validate import shown

# AWS's partitions: commercial, China, GovCloud, and the isolated ones.
PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f")
_ARN = re.compile(r"arn:([^:]*):([a-z0-9-]+):([a-z0-9-]+):(\d{12}):([a-z-]+)/(.+)")


def parse_job_arn(
    token: str, *, service: str, resources: tuple[str, ...] = ("job",)
) -> tuple[str, str | None] | None:
    """(job id, region) from an ARN of `service` whose resource type is one of `resources`
    ("job"; Batch also "service-job"); None for any other token."""
    arn = _ARN.fullmatch(token)
    if arn is None or arn.group(2) != service or arn.group(5) not in resources:
        return None
    partition, _, region, _, _, job_id = arn.groups()
    if partition not in PARTITIONS:
        msg = (
            f"unknown AWS partition {shown(partition, 20)} in ARN {shown(token)}: "
            f"expected one of {', '.join(PARTITIONS)}"
        )
        raise UsageError(msg)
    return job_id, region


def job_arns(service: str, owner: str, resources: tuple[str, ...] = ("job",)) -> References:
    """The `references` of a provider whose jobs have ARNs of `service` ("batch", "iot"), of
    the resource types `resources`."""
    parse = partial(parse_job_arn, service=service, resources=resources)
    return References(prefix="arn:", noun="ARN", owner=owner, parse=parse)
