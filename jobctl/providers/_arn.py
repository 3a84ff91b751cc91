"""AWS job ARNs, which both AWS adapters take as job references: SDK-free, pure.

arn:PARTITION:SERVICE:REGION:ACCOUNT:job/ID names a job and the region it lives in, so a
reference can carry its own region past --region and the environment. AWS Batch's service jobs
(SageMaker Training through Batch) have ARNs of their own resource type, `service-job/ID`,
which name no array child or node. An ARN's partition must be its region's.
"""

from __future__ import annotations

import re
from functools import partial

from jobctl.errors import UsageError
from jobctl.providers.base import References
from jobctl.validate import shown

# AWS's partitions: commercial, China, GovCloud, and the isolated ones.
PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f")
_ARN = re.compile(r"arn:([^:]*):([a-z0-9-]+):([a-z0-9-]+):(\d{12}):([a-z-]+)/(.*)")
# Each partition's regions start so; the rest are the commercial partition's ("aws").
_REGION_PREFIXES = (
    ("aws-cn", "cn-"),
    ("aws-us-gov", "us-gov-"),
    ("aws-iso-b", "us-isob-"),
    ("aws-iso-e", "eu-isoe-"),
    ("aws-iso-f", "us-isof-"),
    ("aws-iso", "us-iso-"),
)
# Resource types whose jobs have no children or nodes: their ids are bare (Batch's service
# jobs, SageMaker Training through Batch).
_CHILDLESS = frozenset({"service-job"})


def parse_job_arn(
    token: str, *, service: str, resources: tuple[str, ...] = ("job",)
) -> tuple[str, str | None] | None:
    """(job id, region) from an ARN of `service` whose resource type is one of `resources`
    ("job"; Batch also "service-job"); None for any other token."""
    arn = _ARN.fullmatch(token)
    if arn is None or arn.group(2) != service or arn.group(5) not in resources:
        return None
    partition, _, region, _, resource, job_id = arn.groups()
    if partition not in PARTITIONS:
        msg = (
            f"unknown AWS partition {shown(partition, 20)} in ARN {shown(token)}: "
            f"expected one of {', '.join(PARTITIONS)}"
        )
        raise UsageError(msg)
    if partition != partition_of(region):
        msg = (
            f"ARN {shown(token)} names region {region} in partition {partition}, but "
            f"{region} is in partition {partition_of(region)}: copy the ARN whole from AWS"
        )
        raise UsageError(msg)
    if not job_id:
        msg = f"ARN {shown(token)} names no job: write the id after {resource}/"
        raise UsageError(msg)
    if resource in _CHILDLESS and (":" in job_id or "#" in job_id):
        msg = (
            f"ARN {shown(token)}: a {resource} has no array children or nodes, so its ARN "
            f"takes no :N, :START-END or #N; name the {resource} by its id alone"
        )
        raise UsageError(msg)
    return job_id, region


def partition_of(region: str) -> str:
    """The AWS partition a region is in (cn-north-1: aws-cn)."""
    for partition, prefix in _REGION_PREFIXES:
        if region.startswith(prefix):
            return partition
    return "aws"


def job_arns(service: str, owner: str, resources: tuple[str, ...] = ("job",)) -> References:
    """The `references` of a provider whose jobs have ARNs of `service` ("batch", "iot"), of
    the resource types `resources`."""
    parse = partial(parse_job_arn, service=service, resources=resources)
    return References(prefix="arn:", noun="ARN", owner=owner, parse=parse)
