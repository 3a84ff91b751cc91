"""AWS Batch array jobs, the pure part: child ranges as references and a parent's children.

An array job is a parent with a UUID and children UUID:0 ... UUID:N-1, N from 2 to 10,000.
DescribeJobs gives a parent `arrayProperties.size` and `.statusSummary` (children per state)
and a child `arrayProperties.index`. A parent is only ever SUBMITTED, PENDING, FAILED or
SUCCEEDED, and ends when its last child does, so its own status says little while the children
run: jobctl judges a parent by its children (docs/ARCHITECTURE.md, "Jobs made of jobs"). The
parent's rows of the matrix are `plan` and `judge` in jobctl/providers/_batch_rules.py. No I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from jobctl.errors import UsageError
from jobctl.models import Children, Phase
from jobctl.providers.base import IdRanges
from jobctl.validate import shown

# What AWS calls a job made of children, in messages: "array of 100: 40 queued, ...".
LABEL = "array"
# AWS: an array job has 2 to 10,000 children, indexed from 0.
MAX_SIZE = 10_000
# A child's index, 0-9999, as ID:N takes it (leading zeros aside, at most four digits).
INDEX = r"[0-9]{1,4}"
UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_UUID = re.compile(UUID)
_BOUNDS = re.compile(r"([0-9]+)-([0-9]+)")


def expand_range(job_id: str) -> list[str] | None:
    """`ID:0-99` as the ids ID:0 ... ID:99; None for an id that is no range.

    A range is an id whose part after its last colon starts with a digit and has a dash:
    anything else is left to the id check (`ID:3` is one child, `ID#3` a multi-node node).
    Raises UsageError for a range that is malformed, backwards or past the largest array.
    Whether each child exists is the lookup's to say: one past the array's size is not-found,
    like any unknown id.
    """
    parent, sep, bounds = job_id.rpartition(":")
    if not sep or "-" not in bounds or not bounds[:1].isdigit():
        return None
    if not _UUID.fullmatch(parent):
        msg = (
            f"array child range {shown(job_id)}: {shown(parent)} is not an AWS Batch job id; "
            f"write the array job's UUID, then :START-END, e.g. "
            f"1d828f65-7a6d-42a3-b5c6-8d2fa5b4e5e1:0-99"
        )
        raise UsageError(msg)
    match = _BOUNDS.fullmatch(bounds)
    if match is None:
        msg = (
            f"malformed array child range {shown(job_id)}: write ID:START-END with whole "
            f"numbers, e.g. {parent}:0-99"
        )
        raise UsageError(msg)
    # Past the largest index first, read as text: int() of thousands of digits is refused
    # by Python itself, and a backwards range's swap must be a valid range to suggest.
    if any(_past_last_index(bound) for bound in match.groups()):
        msg = (
            f"array child range {shown(job_id)} goes past index {MAX_SIZE - 1}: an AWS Batch "
            f"array job has at most {MAX_SIZE:,} children, indexed 0-{MAX_SIZE - 1}"
        )
        raise UsageError(msg)
    start, end = int(match.group(1)), int(match.group(2))
    if start > end:
        msg = (
            f"array child range {shown(job_id)} runs backwards: START must not be past END; "
            f"write {parent}:{end}-{start}"
        )
        raise UsageError(msg)
    return [f"{parent}:{index}" for index in range(start, end + 1)]


def _past_last_index(bound: str) -> bool:
    digits = bound.lstrip("0")
    return len(digits) > len(str(MAX_SIZE - 1)) or (digits != "" and int(digits) >= MAX_SIZE)


RANGES = IdRanges(
    expand=expand_range,
    # All of one run's ranges together: as many children as the largest array has.
    limit=MAX_SIZE,
    noun="array child ranges",
    instead="to stop a whole array, name its parent job id: its children are stopped with it",
)


def children_of(raw: Mapping[str, Any], phase_of: Callable[[str], Phase]) -> Children | None:
    """A parent's children by phase, from DescribeJobs' `arrayProperties`; None for a job
    that is no array parent (a child has an index and no summary)."""
    props = raw.get("arrayProperties")
    if not isinstance(props, Mapping):
        return None
    size, summary = props.get("size"), props.get("statusSummary")
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        return None
    if not isinstance(summary, Mapping):
        return None
    by_phase = dict.fromkeys(Phase, 0)
    states: dict[str, int] = {}
    for state, count in summary.items():
        if isinstance(count, int) and not isinstance(count, bool) and count > 0:
            states[str(state)] = count
            by_phase[phase_of(str(state))] += count
    # Children not counted yet (a parent just submitted has an empty summary) have not started.
    by_phase[Phase.QUEUED] += max(size - sum(by_phase.values()), 0)
    return Children(
        label=LABEL,
        total=size,
        queued=by_phase[Phase.QUEUED],
        running=by_phase[Phase.RUNNING],
        finished=by_phase[Phase.FINISHED],
        unknown=by_phase[Phase.UNKNOWN],
        states=states,
    )
