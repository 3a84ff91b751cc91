"""aws-iot end to end: the CLI, real boto3, moto's server on 127.0.0.1.

Where moto cannot produce an answer (a real InvalidStateTransition, throttling), the provider's
real boto3 client is driven by botocore's Stubber or answered inside botocore's send step, so
the request parameters and botocore's own retries are what get tested.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest

BASE = ("-p", "aws-iot", "-o", "json")


def by_thing(ran: Any) -> dict[str, dict[str, Any]]:
    results = ran.json()["results"]
    assert {r["target_kind"] for r in results} == {"thing"}
    return {r["target"]: r for r in results}


def stop_requests(proxy: Any) -> list[Any]:
    return [seen for seen in proxy.seen if seen.method == "PUT"]


def test_cancel_sends_reason_code_and_comment(cli, iot) -> None:
    iot.add_job("IN_PROGRESS", job_id="my-job", executions={"dev-1": "QUEUED"})
    ran = cli("cancel", *BASE, "my-job", "--reason-code", "DEPLOY_ROLLBACK", "-r", "bad firmware")
    assert ran.code == 0, ran.stderr
    result = ran.by_job()["my-job"]
    assert (result["outcome"], result["operation"]) == ("cancelled", "CancelJob")
    assert (result["state_before"], result["state_after"]) == ("IN_PROGRESS", "CANCELED")
    assert result["message"] == "DEPLOY_ROLLBACK: bad firmware"
    described = iot.client.describe_job(jobId="my-job")["job"]
    assert described["status"] == "CANCELED"
    assert (described["reasonCode"], described["comment"]) == ("DEPLOY_ROLLBACK", "bad firmware")
    assert described["forceCanceled"] is False
    assert ran.stderr == ""


def test_cancel_without_force_reports_executions_left_running(cli, iot, proxy) -> None:
    job = iot.add_job(
        executions={"dev-1": "IN_PROGRESS", "dev-2": "IN_PROGRESS", "dev-3": "QUEUED"}
    )
    ran = cli("cancel", *BASE, "--endpoint-url", proxy.url, job, "-r", "halt rollout")
    assert ran.code == 0, ran.stderr
    result = ran.by_job()[job]
    assert result["outcome"] == "cancelled"
    assert "2 executions are still IN_PROGRESS" in result["message"]
    assert "--force would cancel them" in result["message"]
    assert result["extra"] == {"in_progress_executions": 2}
    assert [s.path for s in stop_requests(proxy)] == [f"/jobs/{job}/cancel?force=false"]
    assert json.loads(stop_requests(proxy)[0].body) == {"comment": "halt rollout"}
    # Only the queued execution was cancelled; the devices keep running theirs.
    assert iot.execution(job, "dev-1").status == "IN_PROGRESS"
    assert iot.execution(job, "dev-3").status == "CANCELED"


@pytest.mark.parametrize(("verb", "extra"), [("terminate", ()), ("cancel", ("--force",))])
def test_terminate_and_cancel_force_send_force_true_and_warn_once(
    cli, iot, proxy, verb, extra
) -> None:
    jobs = [iot.add_job(executions={"dev-1": "IN_PROGRESS"}) for _ in range(2)]
    ran = cli(verb, *BASE, "--endpoint-url", proxy.url, *extra, *jobs)
    assert ran.code == 0, ran.stderr
    outcome = "terminated" if verb == "terminate" else "cancelled"
    assert {r["outcome"] for r in ran.json()["results"]} == {outcome}
    assert {s.path.rsplit("/", 1)[-1] for s in stop_requests(proxy)} == {"cancel?force=true"}
    assert ran.stderr.count("cannot report its status") == 1
    for job in jobs:
        assert iot.job(job).force is True
        assert iot.execution(job, "dev-1").status == "CANCELED"
        assert "still IN_PROGRESS" not in ran.by_job()[job]["message"]


def test_thing_cancels_single_executions(cli, iot, proxy) -> None:
    job = iot.add_job(executions={"dev-1": "QUEUED", "dev-2": "QUEUED", "dev-3": "QUEUED"})
    ran = cli(
        "cancel", *BASE, "--endpoint-url", proxy.url, job, "--thing", "dev-1", "--thing", "dev-2"
    )
    assert ran.code == 0, ran.stderr
    rows = by_thing(ran)
    assert set(rows) == {"dev-1", "dev-2"}
    for thing, row in rows.items():
        assert (row["job_id"], row["operation"], row["outcome"]) == (
            job,
            "CancelJobExecution",
            "cancelled",
        )
        assert row["request"] == {"jobId": job, "thingName": thing, "force": False}
        assert (row["state_before"], row["state_after"]) == ("QUEUED", "CANCELED")
    assert sorted(s.path for s in stop_requests(proxy)) == [
        f"/things/dev-1/jobs/{job}/cancel?force=false",
        f"/things/dev-2/jobs/{job}/cancel?force=false",
    ]
    assert [iot.execution(job, t).status for t in ("dev-1", "dev-2", "dev-3")] == [
        "CANCELED",
        "CANCELED",
        "QUEUED",
    ]
    assert iot.job(job).status == "IN_PROGRESS"


def test_a_things_result_row_piped_back_stops_that_execution_only(cli, iot, proxy) -> None:
    """`cancel --thing dev-1 -o plain | terminate -`: the result row's TARGET column names the
    execution, so the terminate forces dev-1's execution, not the whole job (which would stop
    dev-2's running one too). `status -` of the same row looks at the job."""
    job = iot.add_job(executions={"dev-1": "QUEUED", "dev-2": "IN_PROGRESS"})
    planned = cli("cancel", "-p", "aws-iot", "--dry-run", "-o", "plain", job, "--thing", "dev-1")
    assert planned.code == 0, planned.stderr
    (row,) = planned.stdout.splitlines()
    assert row.split("\t")[-1] == "dev-1"
    ran = cli("terminate", "-o", "json", "--endpoint-url", proxy.url, "-", stdin=row.encode())
    assert ran.code == 0, ran.stderr
    assert [s.path for s in stop_requests(proxy)] == [f"/things/dev-1/jobs/{job}/cancel?force=true"]
    assert [iot.execution(job, t).status for t in ("dev-1", "dev-2")] == ["CANCELED", "IN_PROGRESS"]
    looked = cli("status", "-o", "json", "-", stdin=row.encode())
    assert [(r["job_id"], r["state"]) for r in looked.json()["results"]] == [(job, "IN_PROGRESS")]


def test_thing_rows_follow_each_execution_state(cli, iot, proxy, clean_env) -> None:
    job = iot.add_job(executions={"busy": "IN_PROGRESS", "done": "SUCCEEDED", "idle": "QUEUED"})
    things = ("--thing", "busy", "--thing", "done", "--thing", "idle", "--thing", "gone")
    ran = cli("cancel", *BASE, "--endpoint-url", proxy.url, job, *things, "-r", "recall")
    assert ran.code == 3
    rows = by_thing(ran)
    assert {t: r["outcome"] for t, r in rows.items()} == {
        "busy": "refused",
        "done": "already-finished",
        "idle": "cancelled",
        "gone": "not-found",
    }
    assert "InvalidStateTransition" in rows["busy"]["message"]
    assert rows["idle"]["extra"] == {"reason": "recall"}
    assert (rows["idle"]["target"], rows["idle"]["target_kind"]) == ("idle", "thing")
    assert [s.path for s in stop_requests(proxy)] == [f"/things/idle/jobs/{job}/cancel?force=false"]
    assert iot.execution(job, "busy").status == "IN_PROGRESS"
    # The reason has no field in CancelJobExecution: said once, and kept in the audit log.
    assert ran.stderr.count("CancelJobExecution has no comment or reasonCode field") == 1
    audit = (clean_env / "state" / "jobctl" / "audit.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in audit if json.loads(line)["record"] == "final"]
    assert [(e["target"], e["target_kind"], e["operation"], e["reason"]) for e in entries] == [
        ("idle", "thing", "CancelJobExecution", "recall")
    ]

    forced = cli("terminate", *BASE, job, "--thing", "busy")
    assert forced.code == 0, forced.stderr
    assert by_thing(forced)["busy"]["outcome"] == "terminated"
    assert by_thing(forced)["busy"]["request"]["force"] is True
    assert iot.execution(job, "busy").status == "CANCELED"
    assert "cannot report its status" in forced.stderr


@pytest.mark.parametrize("state", ["CANCELED", "COMPLETED", "DELETION_IN_PROGRESS"])
@pytest.mark.parametrize("verb", ["cancel", "terminate"])
def test_finished_jobs_get_no_call(cli, iot, proxy, verb, state) -> None:
    job = iot.add_job(state, executions={"dev-1": "SUCCEEDED"})
    ran = cli(verb, *BASE, "--endpoint-url", proxy.url, "--force", job)
    assert ran.code == 0
    assert ran.by_job()[job]["outcome"] == "already-finished"
    assert [s.method for s in proxy.seen] == ["GET"]


def test_a_status_iot_does_not_document_is_never_acted_on(cli, iot, proxy) -> None:
    job = iot.add_job(executions={"dev-1": "QUEUED"})
    iot.set_state(job, "QUEUED")  # what moto shows for a new job; not an IoT job status
    ran = cli("terminate", *BASE, "--endpoint-url", proxy.url, job)
    assert ran.code == 1
    assert ran.by_job()[job]["outcome"] == "refused"
    assert stop_requests(proxy) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--reason-code", "deploy_rollback"), "--reason-code 'deploy_rollback' is not valid"),
        (("-r", "x" * 2029), "takes at most 2028 in comment"),
        (("--thing", "dev 1"), "--thing 'dev 1' is not a valid name for aws-iot"),
        (("--thing", "d" * 129), "is not a valid name for aws-iot"),
    ],
)
def test_bad_arguments_exit_2_and_send_nothing(cli, iot, proxy, args, message) -> None:
    job = iot.add_job()
    ran = cli("cancel", *BASE, "--endpoint-url", proxy.url, job, *args)
    assert ran.code == 2, ran.stderr
    assert message in ran.stderr
    assert (ran.stdout, proxy.seen) == ("", [])


def test_a_65_character_job_id_exits_2_and_sends_nothing(cli, iot, proxy) -> None:
    ran = cli("cancel", *BASE, "--endpoint-url", proxy.url, iot.add_job(), "j" * 65)
    assert ran.code == 2
    assert "is not a valid aws-iot job id" in ran.stderr
    assert proxy.seen == []


def test_iot_arn_resolves_to_its_region(cli, iot, aws_env) -> None:
    from jobctl.sandbox.iot import IotWorld

    frankfurt = IotWorld(endpoint=aws_env.url, region="eu-central-1").start()
    job = frankfurt.add_job("SCHEDULED")
    arn = f"arn:aws:iot:eu-central-1:123456789012:job/{job}"
    ran = cli("cancel", "-o", "json", arn)  # no -p: the ARN names provider and region
    assert ran.code == 0, ran.stderr
    result = ran.by_job()[job]
    assert (result["provider"], result["region"], result["outcome"]) == (
        "aws-iot",
        "eu-central-1",
        "cancelled",
    )
    assert frankfurt.job(job).status == "CANCELED"


def test_dry_run_shows_the_exact_requests(cli, iot, proxy) -> None:
    job = iot.add_job(executions={"dev-1": "IN_PROGRESS"})
    ran = cli("cancel", *BASE, "--endpoint-url", proxy.url, "-n", job, "--reason-code", "R1")
    assert ran.code == 0
    result = ran.by_job()[job]
    assert result["outcome"] == "planned"
    assert result["request"]["force"] is False
    assert result["request"]["reasonCode"] == "R1"
    assert result["request"]["comment"].startswith("jobctl: cancel by ")
    assert "keep running" in result["message"]
    assert stop_requests(proxy) == []
    assert iot.job(job).status == "IN_PROGRESS"


def test_status_shows_state_phase_and_executions(cli, iot) -> None:
    running = iot.add_job(executions={"a": "IN_PROGRESS", "b": "QUEUED"})
    scheduled = iot.add_job("SCHEDULED")
    ran = cli("status", *BASE, running, scheduled, "unknown-job")
    assert ran.code == 3
    rows = {r["job_id"]: r for r in ran.json()["results"]}
    assert (rows[running]["state"], rows[running]["phase"]) == ("IN_PROGRESS", "running")
    assert rows[running]["extra"]["in_progress_executions"] == 1
    assert rows[running]["extra"]["queued_executions"] == 1
    assert rows[scheduled]["phase"] == "queued"
    assert rows["unknown-job"]["phase"] == "not-found"


def test_many_jobs_are_looked_up_concurrently_and_all_get_outcomes(cli, iot) -> None:
    jobs = [iot.add_job("SCHEDULED") for _ in range(30)]
    ran = cli("cancel", *BASE, "--yes", *jobs)
    assert ran.code == 0, ran.stderr
    assert [r["job_id"] for r in ran.json()["results"]] == jobs
    assert {r["outcome"] for r in ran.json()["results"]} == {"cancelled"}


def test_filter_selection_lists_by_status_and_age(cli, iot) -> None:
    old_running = iot.add_job("IN_PROGRESS", age=7200)
    old_scheduled = iot.add_job("SCHEDULED", age=7200)
    iot.add_job("COMPLETED", age=7200)
    iot.add_job("SCHEDULED")
    listed = cli("list", *BASE, "--status", "queued", "--older-than", "1h")
    assert [r["job_id"] for r in listed.json()["results"]] == [old_scheduled]
    ran = cli("terminate", *BASE, "--all", "--older-than", "1h", "--yes")
    assert ran.code == 0, ran.stderr
    assert {r["job_id"]: r["outcome"] for r in ran.json()["results"]} == {
        old_running: "terminated",
        old_scheduled: "terminated",
    }


def test_thing_applies_to_a_filter_selection_too(cli, iot) -> None:
    a = iot.add_job("IN_PROGRESS", executions={"dev-1": "QUEUED", "dev-2": "QUEUED"}, age=7200)
    b = iot.add_job("IN_PROGRESS", executions={"dev-1": "QUEUED", "dev-3": "QUEUED"}, age=7200)
    ran = cli("cancel", *BASE, "--all", "--older-than", "1h", "--thing", "dev-1", "--yes")
    assert ran.code == 0, ran.stderr
    rows = {(r["job_id"], r["target"]): r for r in ran.json()["results"]}
    assert set(rows) == {(a, "dev-1"), (b, "dev-1")}
    assert {r["operation"] for r in rows.values()} == {"CancelJobExecution"}
    assert iot.execution(a, "dev-2").status == "QUEUED"
    assert iot.job(a).status == "IN_PROGRESS"


def test_providers_shows_the_iot_matrix_and_limitations(cli) -> None:
    ran = cli("providers", "-o", "json")
    iot = next(p for p in ran.json()["providers"] if p["name"] == "aws-iot")
    assert iot["matrix"]["terminate"]["running"] == "CancelJob(force=true)"
    assert iot["matrix"]["cancel --thing"]["queued"].endswith("CancelJobExecution(force=false)")
    assert iot["phases"]["finished"] == ["CANCELED", "COMPLETED", "DELETION_IN_PROGRESS"]
    assert "QUEUED" not in iot["phases"]["queued"]
    assert iot["reason"] == {"field": "comment", "mode": "field", "limit": 2028}
    assert iot["reason_code"] == {"field": "reasonCode", "mode": "field"}
    assert iot["target_option"] == "--thing"
    assert "audit log only" in iot["limitations"]["execution_reason"]


# -- where moto cannot answer: the real client, Stubber, and botocore's own send step ----------


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Any:
    from jobctl.providers.aws_iot import AwsIotProvider
    from jobctl.providers.base import ProviderConfig

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    return AwsIotProvider(config=ProviderConfig(region="eu-west-1"))


@pytest.mark.parametrize(
    ("thing", "code", "status", "outcome"),
    [
        # A device started the execution between jobctl's lookup and its cancel.
        ("dev-1", "InvalidStateTransitionException", 409, "failed"),
        ("dev-1", "VersionConflictException", 409, "failed"),
        # The job was deleted between lookup and cancel.
        (None, "ResourceNotFoundException", 404, "not-found"),
    ],
)
def test_errors_moto_cannot_produce_become_outcomes(provider, thing, code, status, outcome) -> None:
    from botocore.stub import Stubber

    from jobctl.engine import Engine, Group, RunSettings
    from jobctl.models import JobRef, StopOptions, Verb

    ref = JobRef("aws-iot", "fw-1", target=thing)
    with Stubber(provider.client) as stubber:
        if thing is None:
            stubber.add_response(
                "describe_job", {"job": {"jobId": "fw-1", "status": "SCHEDULED"}}, {"jobId": "fw-1"}
            )
            operation = "cancel_job"
            params = {"jobId": "fw-1", "force": False, "comment": "why"}
        else:
            stubber.add_response(
                "describe_job_execution",
                {"execution": {"jobId": "fw-1", "status": "QUEUED", "versionNumber": 3}},
                {"jobId": "fw-1", "thingName": thing},
            )
            operation = "cancel_job_execution"
            params = {"jobId": "fw-1", "thingName": thing, "force": False}
        stubber.add_client_error(
            operation,
            service_error_code=code,
            service_message="the provider's own words",
            http_status_code=status,
            expected_params=params,
        )
        group = Group(provider=provider, region="eu-west-1", refs=[ref], concurrency=1, rate=None)
        options = StopOptions(verb=Verb.CANCEL, reason="why")
        [result] = Engine([group], options, RunSettings()).run()
        stubber.assert_no_pending_responses()
    assert str(result.outcome) == outcome
    assert result.message == f"{code}: the provider's own words"


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: object) -> Any:
        yield self.body


@pytest.mark.parametrize(
    ("code", "status", "tries"),
    [
        ("ThrottlingException", 400, 12),
        ("ServiceUnavailableException", 503, 6),
        ("LimitExceededException", 410, 12),
    ],
)
def test_throttling_is_retried_by_botocore_then_failed_with_the_code(
    provider, monkeypatch, code, status, tries
) -> None:
    """botocore's standard mode retries all three; jobctl adds no retry loop of its own, only
    limits (providers/_aws.py RetryBudget): 12 tries for throttling, 6 for the rest."""
    from botocore.awsrequest import AWSResponse
    from botocore.retries.standard import ExponentialBackoff

    from jobctl.models import JobRef, JobState, Phase, PlannedStop, StopOptions, Verb
    from jobctl.providers.aws_iot import plan

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)
    attempts: list[str] = []

    def answer(request: Any, **_: object) -> AWSResponse:
        attempts.append(request.url)
        if len(attempts) == succeed_on:
            return AWSResponse(request.url, 200, {}, _Raw(b'{"jobId": "fw-1"}'))
        headers = {"x-amzn-ErrorType": code, "Content-Type": "application/json"}
        return AWSResponse(request.url, status, headers, _Raw(b'{"message": "slow down"}'))

    provider.client.meta.events.register("before-send.iot.CancelJob", answer)
    ref = JobRef("aws-iot", "fw-1")
    before = JobState(job_id="fw-1", native_state="IN_PROGRESS", phase=Phase.RUNNING)
    options = StopOptions(verb=Verb.TERMINATE, reason="x")
    action = plan(ref=ref, job=before, options=options)
    stop = PlannedStop(ref, before, action)

    succeed_on = 0
    [result] = provider.send(stops=[stop], options=options)
    assert len(attempts) == tries
    assert (result.accepted, result.error_code, result.message) == (False, code, "slow down")
    assert attempts[0].endswith("/jobs/fw-1/cancel?force=true")

    attempts.clear()
    succeed_on = 3
    [result] = provider.send(stops=[stop], options=options)
    assert (len(attempts), result.accepted) == (3, True)


def test_text_output_names_the_thing_of_each_row(cli, iot) -> None:
    iot.add_job("IN_PROGRESS", job_id="fw", executions={"dev-1": "QUEUED", "dev-2": "QUEUED"})
    ran = cli("cancel", "-p", "aws-iot", "fw", "--thing", "dev-1", "--thing", "dev-2")
    assert ran.code == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["fw", "fw"]
    # MESSAGE names the thing for a reader; TARGET, last, for a pipe back into `cancel -`.
    assert [line.split("\t")[7].split(":")[0] for line in lines] == ["thing dev-1", "thing dev-2"]
    assert [line.split("\t")[8] for line in lines] == ["dev-1", "dev-2"]


def test_a_bad_thing_name_on_a_selection_is_refused_before_any_request(cli, iot, proxy) -> None:
    iot.add_job("IN_PROGRESS", age=7200)
    ran = cli("cancel", *BASE, "--endpoint-url", proxy.url, "--all", "--thing", "bad name", "--yes")
    assert ran.code == 2
    assert "--thing 'bad name' is not a valid name for aws-iot" in ran.stderr
    assert proxy.actions() == []


def test_a_cancel_whose_answer_is_lost_but_took_is_reported_cancelled(
    cli, iot, proxy, monkeypatch
) -> None:
    """IoT cancels the job, then answers 500 to it and to each of botocore's retries: the look
    after finds it CANCELED, so it is cancelled, exit 0, and the row says the answer was lost."""
    from moto.iot.models import IoTBackend

    original = IoTBackend.cancel_job

    def cancel_then_fall_over(self: Any, *args: Any, **kwargs: Any) -> Any:
        # A retry meets the job cancelled already, and moto says so: that answer is lost too.
        with contextlib.suppress(Exception):
            original(self, *args, **kwargs)
        raise RuntimeError("the server fell over after cancelling")

    monkeypatch.setattr(IoTBackend, "cancel_job", cancel_then_fall_over)
    job = iot.add_job(executions={"dev-1": "QUEUED"})
    ran = cli("cancel", *BASE, "--endpoint-url", proxy.url, job)
    assert ran.code == 0, ran.stderr
    result = ran.by_job()[job]
    assert (result["outcome"], result["state_after"]) == ("cancelled", "CANCELED")
    assert "the stop request's answer was lost: 500" in result["message"]


def test_a_cancel_whose_answer_is_lost_and_did_not_take_is_failed(cli, iot, moto) -> None:
    from tests.support.faults import Fault, Rule
    from tests.support.proxy import Proxy

    job = iot.add_job(executions={"dev-1": "QUEUED"})
    failing = Proxy(moto.url, rules=[Rule(Fault.SERVER_ERROR, actions=frozenset({"canceljob"}))])
    failing.start()
    try:
        ran = cli("cancel", *BASE, "--endpoint-url", failing.url, job)
    finally:
        failing.stop()
    assert ran.code == 1, ran.stderr
    result = ran.by_job()[job]
    assert result["outcome"] == "failed"
    assert "no answer to the stop request, and the job is still IN_PROGRESS" in result["message"]
    assert "run the command again" in result["message"]
    assert iot.client.describe_job(jobId=job)["job"]["status"] == "IN_PROGRESS"
