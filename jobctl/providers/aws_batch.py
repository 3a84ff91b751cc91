"""AWS Batch: CancelJob / TerminateJob, and their bulk forms CancelJobs / TerminateJobs; for
service jobs (SageMaker Training through Batch) TerminateServiceJob(s).

The trap this adapter exists for: CancelJob answers 200 for a STARTING or RUNNING job and does
nothing. jobctl looks every job up first and refuses (or, with --force, escalates to
TerminateJob) instead of reporting a success that did not happen. Service jobs' calls are in
`_batch_service_api.py`, their rules in `_batch_service.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from jobctl.models import Action, JobRef, JobState, Selection, SendResult, StopOptions
from jobctl.providers._batch_rules import (
    CANCEL,
    INFO,
    TERMINATE,
    job_state,
    judge,
    native_reason,
    plan,
)
from jobctl.providers._batch_service import ONLY_SERVICE_STATES, TERMINATE_SERVICE
from jobctl.providers.base import BulkSupport, BulkUnsupported, ProviderConfig, ProviderInfo

if TYPE_CHECKING:
    from jobctl.models import PlannedStop

# INFO and the pure plan/judge live in jobctl/providers/_batch_rules.py; imported from here as
# before.
__all__ = ["CANCEL", "INFO", "TERMINATE", "AwsBatchProvider", "judge", "native_reason", "plan"]

_BULK = {
    CANCEL: ("cancel_jobs", "CancelJobs"),
    TERMINATE: ("terminate_jobs", "TerminateJobs"),
    TERMINATE_SERVICE: ("terminate_service_jobs", "TerminateServiceJobs"),
}
_SINGLE = {
    CANCEL: "cancel_job",
    TERMINATE: "terminate_job",
    TERMINATE_SERVICE: "terminate_service_job",
}
# ListJobs calls in flight at once: every queue x state of a listing, within the API's rate.
_LIST_FAN_OUT = 8
# Per-job error codes in a bulk answer that the API documents as "retry the request".
_RETRY_ALONE = frozenset({"ThrottlingException", "ServerException", "TooManyRequestsException"})


class AwsBatchProvider:
    info: ClassVar[ProviderInfo] = INFO

    def __init__(self, *, config: ProviderConfig) -> None:
        from jobctl.providers._aws import make_client

        self.client, self.region = make_client("batch", config)
        # Whether the endpoint has CancelJobs/TerminateJobs: learned once per process, by one
        # probe, for every instance reaching the same URL (AWS's own names its region).
        self.endpoint: str = self.client.meta.endpoint_url
        self.bulk = BulkSupport.of(INFO.name, self.endpoint)
        self._bulk_methods = all(hasattr(self.client, m) for m, _ in _BULK.values())
        # Ids known to be service jobs (looked up with DescribeServiceJob straight away) and
        # container jobs (never asked for as service jobs, even once they are gone).
        self._service_ids: set[str] = set()
        self._container_ids: set[str] = set()

    @property
    def send_batch(self) -> int:
        """50 while the endpoint may have the bulk calls; 1 once it is known not to."""
        return INFO.send_batch if self._bulk_methods and self.bulk.known is not False else 1

    def bulk_action(self, *, stops: Sequence[PlannedStop]) -> Action:
        """The CancelJobs/TerminateJobs request `send` makes for `stops`, as --dry-run shows it.

        Nothing is sent to find out: AWS's own endpoint, or one this process has heard answer
        in bulk, has the call; of any other the note says what happens if it has not.
        """
        from urllib.parse import urlsplit

        operation = str(stops[0].action.operation)
        _, name = _BULK[operation]
        request = {
            "jobs": [str(stop.action.request["jobId"]) for stop in stops],
            "reason": str(stops[0].action.request["reason"]),
        }
        host = urlsplit(self.endpoint).hostname or ""
        if self.bulk.known or host.endswith((".amazonaws.com", ".amazonaws.com.cn")):
            return Action.send(name, request)
        note = f"one {operation} a job instead if this endpoint has no {name}"
        return Action.send(name, request, note)

    def describe(self, *, refs: Sequence[JobRef]) -> Mapping[JobRef, JobState]:
        """DescribeJobs, 100 ids a page, the pages in flight together as the run allows
        (`ratelimit.paged`), read in their order; then DescribeServiceJob for each id
        DescribeJobs did not know (`_batch_service_api.py`)."""
        from jobctl.providers._batch_service_api import could_be_service_job, describe_service_jobs

        by_id = {ref.job_id: ref for ref in refs}
        found = self._describe_jobs([i for i in by_id if i not in self._service_ids], by_id)
        self._container_ids.update(state.job_id for state in found.values())
        unknown = [
            i
            for i in by_id
            if by_id[i] not in found and i not in self._container_ids and could_be_service_job(i)
        ]
        for job_id, state in describe_service_jobs(self.client, unknown).items():
            if state.kind is not None:  # not one DescribeServiceJob was denied for
                self._service_ids.add(job_id)
            found[by_id[job_id]] = state
        return found

    def _describe_jobs(self, ids: list[str], by_id: Mapping[str, JobRef]) -> dict[JobRef, JobState]:
        from jobctl.ratelimit import paged

        pages = [
            ids[start : start + INFO.describe_batch]
            for start in range(0, len(ids), INFO.describe_batch)
        ]
        found: dict[JobRef, JobState] = {}
        for raws in paged(self._describe_page, pages):
            for raw in raws:
                state = job_state(raw)
                if state.job_id in by_id:
                    found[by_id[state.job_id]] = state
        return found

    def _describe_page(self, ids: list[str]) -> list[Mapping[str, Any]]:
        from jobctl.providers._aws import aws_errors, required

        with aws_errors():
            answer = self.client.describe_jobs(jobs=ids)
        # An unreadable answer has no `jobs`: its jobs are unknown, not missing.
        return list(required(answer, "jobs", "DescribeJobs"))

    def list_jobs(self, *, selection: Selection) -> Sequence[JobState]:
        """ListJobs takes one queue and one status a call: fan out over both, merge, dedupe.

        The calls run concurrently (boto3 clients are thread-safe): one after another, a cold
        TAB's lookup of 3 queues x 5 states missed its 1 s deadline at a 25 ms round trip.
        """
        from concurrent.futures import ThreadPoolExecutor

        from jobctl.providers._batch_service_api import queue_types

        calls = [
            (queue, status, service)
            for queue, service in queue_types(self.client, selection.queue)
            for status in sorted(selection.states)
        ]
        found: dict[str, JobState] = {}
        with ThreadPoolExecutor(max_workers=min(_LIST_FAN_OUT, len(calls) or 1)) as pool:
            # map keeps the calls' order, so which duplicate wins does not depend on timing.
            for states in pool.map(lambda call: self._list_one(*call), calls):
                for state in states:
                    found.setdefault(state.job_id, state)
        return list(found.values())

    def _list_one(self, queue: str, status: str, service: bool = False) -> list[JobState]:
        from jobctl.providers._aws import aws_errors, required
        from jobctl.providers._batch_service_api import list_service_jobs

        if service:  # a SAGEMAKER_TRAINING queue holds service jobs only
            return list_service_jobs(self.client, queue, status)
        if status in ONLY_SERVICE_STATES:
            return []  # ListJobs knows no SCHEDULED
        states = []
        with aws_errors():
            for page in self.client.get_paginator("list_jobs").paginate(
                jobQueue=queue, jobStatus=status
            ):
                for raw in required(page, "jobSummaryList", "ListJobs"):
                    states.append(job_state(raw, queue=queue))
        return states

    def queue_names(self) -> list[str]:
        """Every job queue's name (DescribeJobQueues): what `--queue` TAB offers."""
        from jobctl.providers._batch_service_api import queue_types

        return [name for name, _ in queue_types(self.client)]

    def plan(self, *, ref: JobRef, job: JobState, options: StopOptions) -> Action:
        return plan(job=job, options=options)

    # The module's pure function, as the Provider protocol's method.
    judge = staticmethod(judge)

    def send(self, *, stops: Sequence[PlannedStop], options: StopOptions) -> Sequence[SendResult]:
        if len(stops) == 1:
            return [self._send_one(stops[0])]
        bulk = self._send_bulk(stops)
        if bulk is None:
            raise BulkUnsupported
        return bulk

    def _send_one(self, stop: PlannedStop) -> SendResult:
        import botocore.exceptions

        from jobctl.providers._aws import failed_send, request_id_of

        operation = str(stop.action.operation)
        method = getattr(self.client, _SINGLE[operation])
        try:
            response = method(**stop.action.request)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            return failed_send(exc)
        return SendResult(True, request_id_of(response))

    def _send_bulk(self, stops: Sequence[PlannedStop]) -> list[SendResult] | None:
        """One CancelJobs/TerminateJobs call; None when the endpoint does not have it."""
        import botocore.exceptions

        from jobctl.providers._aws import failed_send, is_missing_operation, request_id_of
        from jobctl.ratelimit import current_pacing

        operation = str(stops[0].action.operation)
        method_name, _ = _BULK[operation]
        method = getattr(self.client, method_name, None)
        if method is None or self.bulk.known is False:
            return None
        ids = [str(stop.action.request["jobId"]) for stop in stops]
        reason = str(stops[0].action.request["reason"])
        try:
            response = method(jobs=ids, reason=reason)
        except botocore.exceptions.ClientError as exc:
            if is_missing_operation(exc):
                self.bulk.settle(False)
                return None
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 500
            if status < 500:
                self.bulk.settle(True)  # refused, throttled: the call is there
            return [failed_send(exc)] * len(stops)
        except botocore.exceptions.BotoCoreError as exc:
            return [failed_send(exc)] * len(stops)
        self.bulk.settle(True)
        request_id = request_id_of(response)
        errors = {str(e.get("job")): e for e in response.get("errors", [])}
        results = []
        for stop, job_id in zip(stops, ids, strict=True):
            err = errors.get(job_id)
            if err is None:
                results.append(SendResult(True, request_id))
            elif str(err.get("code")) in _RETRY_ALONE:
                # Throttled or failed on the server inside a 200 answer, where botocore's
                # retries cannot see it: the single call is retried by botocore as usual,
                # as one more request under --rate, and not at all once the run is interrupted.
                if current_pacing().acquire():
                    alone = self._send_one(stop)
                    results.append(
                        replace(alone, operation=operation, request=dict(stop.action.request))
                    )
                else:
                    code, message = str(err.get("code")), str(err.get("message"))
                    message += " (not retried: interrupted)"
                    results.append(SendResult(False, request_id, code, message))
            else:
                results.append(
                    SendResult(False, request_id, str(err.get("code")), str(err.get("message")))
                )
        return results

    def notices(self, *, options: StopOptions, stops: Sequence[PlannedStop]) -> Sequence[str]:
        return []
