"""The bulk CancelJobs / TerminateJobs path, which moto lacks: botocore's Stubber.

The Stubber asserts the exact parameters of every call; the client is a real boto3 client.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from jobctl.models import Action, JobRef, JobState, Phase, PlannedStop, StopOptions, Verb
from jobctl.providers.aws_batch import AwsBatchProvider
from jobctl.providers.base import ProviderConfig


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> AwsBatchProvider:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    return AwsBatchProvider(config=ProviderConfig(region="eu-west-1"))


OPTIONS = StopOptions(verb=Verb.CANCEL, reason="why")


def stop(job_id: str, operation: str = "CancelJob", reason: str = "why") -> PlannedStop:
    state = JobState(job_id=job_id, native_state="RUNNABLE", phase=Phase.QUEUED)
    action = Action.send(operation, {"jobId": job_id, "reason": reason})
    return PlannedStop(JobRef("aws-batch", job_id), state, action)


def test_bulk_cancel_sends_one_call_and_reads_per_job_errors(provider) -> None:
    stops = [stop("a"), stop("b"), stop("c")]
    with Stubber(provider.client) as stubber:
        stubber.add_response(
            "cancel_jobs",
            {
                "successful": ["a", "c"],
                "errors": [{"job": "b", "code": "ClientException", "message": "job b is locked"}],
                "ResponseMetadata": {"RequestId": "req-1", "HTTPStatusCode": 200},
            },
            expected_params={"jobs": ["a", "b", "c"], "reason": "why"},
        )
        results = provider.send(stops=stops, options=OPTIONS)
        stubber.assert_no_pending_responses()
    assert [r.accepted for r in results] == [True, False, True]
    assert results[1].error_code == "ClientException"
    assert results[1].message == "job b is locked"
    assert {r.request_id for r in results} == {"req-1"}


def test_throttled_jobs_inside_a_bulk_answer_are_sent_again_alone(provider) -> None:
    stops = [stop("a"), stop("b"), stop("c")]
    with Stubber(provider.client) as stubber:
        stubber.add_response(
            "cancel_jobs",
            {
                "successful": ["a"],
                "errors": [
                    {"job": "b", "code": "ThrottlingException", "message": "slow down"},
                    {"job": "c", "code": "ValidationException", "message": "bad id"},
                ],
            },
            expected_params={"jobs": ["a", "b", "c"], "reason": "why"},
        )
        stubber.add_response("cancel_job", {}, expected_params={"jobId": "b", "reason": "why"})
        results = provider.send(stops=stops, options=OPTIONS)
        stubber.assert_no_pending_responses()
    assert [r.accepted for r in results] == [True, True, False]
    assert results[2].error_code == "ValidationException"


def test_throttled_jobs_inside_a_bulk_answer_keep_to_the_rate_and_the_interrupt(provider) -> None:
    """Each job sent again alone is one more request: it takes a token of --rate, and after
    the first Ctrl-C none is sent (the Stubber would fail on an unexpected cancel_job)."""
    import threading

    from jobctl.ratelimit import RateLimiter, pacing

    taken: list[str] = []

    class Counting(RateLimiter):
        def acquire(self, stop=None, *, deadline=None) -> bool:
            taken.append("token")
            return super().acquire(stop, deadline=deadline)

    answer = {
        "successful": ["a"],
        "errors": [
            {"job": "b", "code": "ThrottlingException", "message": "slow down"},
            {"job": "c", "code": "ServerException", "message": "try again"},
        ],
    }
    stops = [stop("a"), stop("b"), stop("c")]
    with Stubber(provider.client) as stubber, pacing(Counting(None), threading.Event()):
        stubber.add_response("cancel_jobs", answer)
        stubber.add_response("cancel_job", {}, expected_params={"jobId": "b", "reason": "why"})
        stubber.add_response("cancel_job", {}, expected_params={"jobId": "c", "reason": "why"})
        results = provider.send(stops=stops, options=OPTIONS)
        stubber.assert_no_pending_responses()
    assert [r.accepted for r in results] == [True, True, True]
    assert len(taken) == 2  # one token per job sent again

    interrupted = threading.Event()
    interrupted.set()
    with Stubber(provider.client) as stubber, pacing(RateLimiter(None), interrupted):
        stubber.add_response("cancel_jobs", answer)
        results = provider.send(stops=stops, options=OPTIONS)
        stubber.assert_no_pending_responses()
    assert [r.accepted for r in results] == [True, False, False]
    assert [r.error_code for r in results[1:]] == ["ThrottlingException", "ServerException"]
    assert all(r.message.endswith("(not retried: interrupted)") for r in results[1:])


def test_bulk_terminate(provider) -> None:
    stops = [stop("a", "TerminateJob"), stop("b", "TerminateJob")]
    with Stubber(provider.client) as stubber:
        stubber.add_response(
            "terminate_jobs",
            {"successful": ["a", "b"], "errors": []},
            expected_params={"jobs": ["a", "b"], "reason": "why"},
        )
        results = provider.send(stops=stops, options=OPTIONS)
    assert all(r.accepted for r in results)


def test_endpoint_without_bulk_asks_for_single_calls_and_remembers(provider) -> None:
    from jobctl.providers.base import BulkUnsupported

    stops = [stop("a"), stop("b")]
    with Stubber(provider.client) as stubber:
        stubber.add_client_error(
            "cancel_jobs", service_error_code="404", http_status_code=404,
            expected_params={"jobs": ["a", "b"], "reason": "why"},
        )  # fmt: skip
        stubber.add_response("cancel_job", {}, expected_params={"jobId": "a", "reason": "why"})
        stubber.add_client_error(
            "cancel_job", service_error_code="ClientException", service_message="nope",
            expected_params={"jobId": "b", "reason": "why"},
        )  # fmt: skip
        with pytest.raises(BulkUnsupported):
            provider.send(stops=stops, options=OPTIONS)
        # The engine then hands the same stops back one at a time, and never asks in bulk again.
        assert provider.send_batch == 1
        first = [
            *provider.send(stops=[stops[0]], options=OPTIONS),
            *provider.send(stops=[stops[1]], options=OPTIONS),
        ]
        stubber.assert_no_pending_responses()
    assert [r.accepted for r in first] == [True, False]
    assert first[1].error_code == "ClientException"


def test_a_bulk_call_that_fails_whole_fails_every_job_in_it(provider) -> None:
    stops = [stop("a"), stop("b")]
    with Stubber(provider.client) as stubber:
        stubber.add_client_error(
            "cancel_jobs", service_error_code="AccessDeniedException", http_status_code=403,
            service_message="not allowed",
        )  # fmt: skip
        results = provider.send(stops=stops, options=OPTIONS)
    assert [(r.accepted, r.error_code) for r in results] == [
        (False, "AccessDeniedException"),
        (False, "AccessDeniedException"),
    ]


def test_list_jobs_follows_every_page_and_every_status(provider, monkeypatch) -> None:
    from jobctl.models import Selection
    from jobctl.providers import aws_batch

    # The Stubber answers in the order it was given: one ListJobs at a time here (that they
    # overlap is shown against moto, in test_completion_jobs.py).
    monkeypatch.setattr(aws_batch, "_LIST_FAN_OUT", 1)

    def summary(job_id: str, status: str) -> dict[str, object]:
        return {"jobId": job_id, "jobName": f"n-{job_id}", "status": status, "createdAt": 1000}

    with Stubber(provider.client) as stubber:
        # The queue's type first: a SAGEMAKER_TRAINING queue would be listed by ListServiceJobs.
        queue = {"jobQueueName": "q", "jobQueueArn": "arn:q", "state": "ENABLED", "priority": 1}
        stubber.add_response(
            "describe_job_queues",
            {"jobQueues": [{**queue, "computeEnvironmentOrder": [], "jobQueueType": "ECS"}]},
            {"jobQueues": ["q"]},
        )
        stubber.add_response(
            "list_jobs",
            {"jobSummaryList": [summary("a", "PENDING")], "nextToken": "t1"},
            {"jobQueue": "q", "jobStatus": "PENDING"},
        )
        stubber.add_response(
            "list_jobs",
            {"jobSummaryList": [summary("b", "PENDING")]},
            {"jobQueue": "q", "jobStatus": "PENDING", "nextToken": "t1"},
        )
        stubber.add_response(
            "list_jobs",
            {"jobSummaryList": [summary("c", "RUNNABLE"), summary("a", "RUNNABLE")]},
            {"jobQueue": "q", "jobStatus": "RUNNABLE"},
        )
        jobs = provider.list_jobs(
            selection=Selection(states=frozenset({"PENDING", "RUNNABLE"}), queue="q")
        )
        stubber.assert_no_pending_responses()
    assert [j.job_id for j in jobs] == ["a", "b", "c"]
    assert jobs[0].created_at == 1.0


def test_real_clients_have_the_bulk_operations() -> None:
    client = boto3.client("batch", region_name="us-east-1")
    assert hasattr(client, "cancel_jobs")
    assert hasattr(client, "terminate_jobs")
