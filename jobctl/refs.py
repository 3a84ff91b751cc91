"""Job references (DESIGN.md §1): plain ids, PROVIDER:ID, ARNs, and `-` for standard input."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import BinaryIO

from jobctl.errors import UsageError
from jobctl.models import JobRef
from jobctl.validate import shown

# arn:PARTITION:SERVICE:REGION:ACCOUNT:job/ID
_ARN = re.compile(r"arn:([^:]*):(batch|iot):([a-z0-9-]+):(\d{12}):job/(.+)")
_ARN_PROVIDERS = {"batch": "aws-batch", "iot": "aws-iot"}
# AWS's partitions: commercial, China, GovCloud, and the isolated ones.
PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f")


def read_stdin_refs(stream: BinaryIO) -> list[str]:
    """One reference a line; blank lines and `#` comments skipped.

    Only the first tab-separated field counts, so the plain output of `list` and `status`
    pipes straight back in.
    """
    data = stream.read()
    tokens = []
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            msg = f"standard input line {number} is not valid UTF-8"
            raise UsageError(msg) from None
        field = line.split("\t", 1)[0].strip()
        if field and not field.startswith("#"):
            tokens.append(field)
    return tokens


def parse_ref(token: str, *, provider: str | None, known: Sequence[str]) -> JobRef:
    arn = _ARN.fullmatch(token)
    if arn is not None:
        partition, service, region, _, job_id = arn.groups()
        if partition not in PARTITIONS:
            msg = (
                f"unknown AWS partition {shown(partition, 20)} in ARN {shown(token)}: "
                f"expected one of {', '.join(PARTITIONS)}"
            )
            raise UsageError(msg)
        return JobRef(provider=_ARN_PROVIDERS[service], job_id=job_id, region=region)
    if token.startswith("arn:"):
        msg = f"unsupported ARN {shown(token)}: jobctl takes AWS Batch and IoT job ARNs"
        raise UsageError(msg)
    prefix, sep, rest = token.partition(":")
    if sep and prefix in known:
        if not rest:
            msg = f"empty job id in {shown(token)}"
            raise UsageError(msg)
        return JobRef(provider=prefix, job_id=rest)
    if sep and rest:
        _refuse_misspelt_prefix(token, prefix, rest, known)
    if provider is None:
        msg = (
            f"no provider for job {shown(token)}: pass -p/--provider, set JOBCTL_PROVIDER, "
            f"or write it as PROVIDER:ID (one of {', '.join(known)})"
        )
        raise UsageError(msg)
    return JobRef(provider=provider, job_id=token)


def _refuse_misspelt_prefix(token: str, prefix: str, rest: str, known: Sequence[str]) -> None:
    """`tencnet:job-abc` is no id of any provider (none has a name before a colon: Batch's
    array children are UUID:N): a prefix close to a provider's name was meant as one."""
    import difflib

    close = difflib.get_close_matches(prefix.lower(), known, n=1)
    if close:
        msg = (
            f"unknown provider prefix {shown(prefix, 20)} in {shown(token)}: "
            f"did you mean {close[0]}:{rest}?"
        )
        raise UsageError(msg)


def resolve(
    tokens: Iterable[str],
    *,
    provider: str | None,
    known: Sequence[str],
    stdin: BinaryIO | None,
    targets: Sequence[str] = (),
) -> list[JobRef]:
    """Every reference as a JobRef, `-` expanded, duplicates removed (first one wins)."""
    if provider is not None and provider not in known:
        msg = f"unknown provider {shown(provider)}: choose one of {', '.join(known)}"
        raise UsageError(msg)
    expanded: list[str] = []
    stdin_used = False
    for token in tokens:
        if token == "-":
            if stdin is None or stdin_used:
                msg = "'-' (read job ids from standard input) may be given once"
                raise UsageError(msg)
            stdin_used = True
            expanded.extend(read_stdin_refs(stdin))
        else:
            expanded.append(token)
    refs: dict[tuple[str, str | None, str, str | None], JobRef] = {}
    for token in expanded:
        if not token.strip():
            msg = "empty job id"
            raise UsageError(msg)
        ref = parse_ref(token, provider=provider, known=known)
        per_target: list[str | None] = [*targets] or [None]
        for target in per_target:
            with_target = JobRef(ref.provider, ref.job_id, ref.region, target)
            refs.setdefault(with_target.key, with_target)
    return list(refs.values())
