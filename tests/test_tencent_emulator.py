"""The Tencent Cloud Batch emulator, reached by the real tencentcloud SDK over loopback HTTP."""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
import time
import types
from typing import TYPE_CHECKING, Any

import pytest
from tencentcloud.batch.v20170312 import batch_client, models
from tencentcloud.common import abstract_client, credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from jobctl.sandbox import tencent_faults
from jobctl.sandbox.tencent_emulator import RealClock, TencentBatchEmulator
from jobctl.sandbox.tencent_faults import SlidingWindowLimiter
from jobctl.sandbox.tencent_signing import sign_request

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

SECRET_ID = "AKIDtest"
SECRET_KEY = "secret"
REGION = "ap-guangzhou"
STATE_SECONDS = 10.0
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ISO_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDK and requests both honour proxy variables; loopback must be reached directly.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def emu() -> Iterator[TencentBatchEmulator]:
    with TencentBatchEmulator(
        secrets={SECRET_ID: SECRET_KEY}, terminate_delay=5.0, state_seconds=STATE_SECONDS
    ) as emulator:
        yield emulator


def make_client(
    emu: TencentBatchEmulator,
    secret_id: str = SECRET_ID,
    secret_key: str = SECRET_KEY,
    region: str = REGION,
) -> batch_client.BatchClient:
    http_profile = HttpProfile(endpoint=emu.endpoint, protocol="http", reqTimeout=5)
    return batch_client.BatchClient(
        credential.Credential(secret_id, secret_key),
        region,
        ClientProfile(httpProfile=http_profile),
    )


@pytest.fixture
def client(emu: TencentBatchEmulator) -> batch_client.BatchClient:
    return make_client(emu)


def describe(client: batch_client.BatchClient, job_id: str) -> Any:
    request = models.DescribeJobRequest()
    request.JobId = job_id
    return client.DescribeJob(request)


def describe_jobs(client: batch_client.BatchClient, **fields: Any) -> Any:
    request = models.DescribeJobsRequest()
    request.from_json_string(json.dumps(fields))
    return client.DescribeJobs(request)


def terminate(client: batch_client.BatchClient, job_id: str) -> Any:
    request = models.TerminateJobRequest()
    request.JobId = job_id
    return client.TerminateJob(request)


def delete(client: batch_client.BatchClient, job_id: str) -> Any:
    request = models.DeleteJobRequest()
    request.JobId = job_id
    return client.DeleteJob(request)


def submit(client: batch_client.BatchClient, name: str, token: str | None = None) -> str:
    request = models.SubmitJobRequest()
    job: dict[str, Any] = {
        "JobName": name,
        "Priority": 5,
        "Tasks": [{"TaskName": "hello", "TaskInstanceNum": 3, "Application": {"Command": "true"}}],
    }
    fields: dict[str, Any] = {"Placement": {"Zone": "ap-guangzhou-3"}, "Job": job}
    if token is not None:
        fields["ClientToken"] = token
    request.from_json_string(json.dumps(fields))
    job_id: str = client.SubmitJob(request).JobId
    return job_id


def error_code(call: Callable[[], object]) -> str:
    with pytest.raises(TencentCloudSDKException) as info:
        call()
    code: str = info.value.code
    return code


def outcome(call: Callable[[], object]) -> str:
    """ "ok", or the error code the SDK raised."""
    try:
        call()
    except TencentCloudSDKException as exc:
        return str(exc.code)
    return "ok"


def raw_post(
    emu: TencentBatchEmulator, headers: dict[str, str], body: bytes, method: str = "POST"
) -> tuple[http.client.HTTPResponse, dict[str, Any]]:
    connection = http.client.HTTPConnection(emu.endpoint, timeout=5)
    try:
        connection.request(method, "/", body=body, headers=headers)
        response = connection.getresponse()
        return response, json.loads(response.read())
    finally:
        connection.close()


def signed(emu: TencentBatchEmulator, action: str, body: bytes, **overrides: Any) -> dict[str, str]:
    fields: dict[str, Any] = {
        "secret_id": SECRET_ID,
        "secret_key": SECRET_KEY,
        "action": action,
        "body": body,
        "host": emu.endpoint,
        "timestamp": int(time.time()),
    }
    fields.update(overrides)
    return sign_request(**fields)


# --- signatures ----------------------------------------------------------------------------


def test_signed_request_is_accepted(
    emu: TencentBatchEmulator, client: batch_client.BatchClient
) -> None:
    job_id = emu.add_job(name="etl-1", state="RUNNING")

    answer = describe(client, job_id)

    assert (answer.JobId, answer.JobName, answer.JobState) == (job_id, "etl-1", "RUNNING")
    assert ISO_RE.fullmatch(answer.CreateTime)
    assert answer.EndTime is None
    assert answer.TaskMetrics.RunningCount == 1
    assert UUID_RE.fullmatch(answer.RequestId)
    assert emu.stats.requests == {"DescribeJob": 1}


def test_wrong_secret_key_is_a_signature_failure(emu: TencentBatchEmulator) -> None:
    job_id = emu.add_job()
    client = make_client(emu, secret_key="not-the-secret")
    assert error_code(lambda: describe(client, job_id)) == "AuthFailure.SignatureFailure"


def test_unknown_secret_id(emu: TencentBatchEmulator) -> None:
    client = make_client(emu, secret_id="AKIDnobody")
    assert error_code(lambda: describe(client, "job-aaaaaaaa")) == "AuthFailure.SecretIdNotFound"


@pytest.mark.parametrize(("skew", "expected"), [(-600, "expired"), (600, "expired"), (-200, "ok")])
def test_timestamp_must_be_within_five_minutes(
    emu: TencentBatchEmulator, monkeypatch: pytest.MonkeyPatch, skew: int, expected: str
) -> None:
    job_id = emu.add_job()
    client = make_client(emu)
    # Only the SDK's clock is moved: the emulator compares with the real wall clock.
    skewed = types.SimpleNamespace(time=lambda: time.time() + skew)
    monkeypatch.setattr(abstract_client, "time", skewed)
    if expected == "ok":
        assert describe(client, job_id).JobId == job_id
    else:
        assert error_code(lambda: describe(client, job_id)) == "AuthFailure.SignatureExpire"


def test_hand_signed_request_matches_the_sdk(emu: TencentBatchEmulator) -> None:
    job_id = emu.add_job()
    body = json.dumps({"JobId": job_id}).encode()
    response, answer = raw_post(emu, signed(emu, "DescribeJob", body), body)
    assert response.status == 200
    assert response.getheader("Content-Type") == "application/json"
    assert answer["Response"]["JobId"] == job_id


def test_tampered_body_fails_the_signature(emu: TencentBatchEmulator) -> None:
    headers = signed(emu, "DescribeJob", b'{"JobId": "job-aaaaaaaa"}')
    _, answer = raw_post(emu, headers, b'{"JobId": "job-bbbbbbbb"}')
    assert answer["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"Authorization": ""}, "AuthFailure.InvalidAuthorization"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "AuthFailure.InvalidAuthorization"),
        ({"X-TC-Version": "2099-01-01"}, "NoSuchVersion"),
        ({"X-TC-Action": "RunEverything"}, "InvalidAction"),
        ({"X-TC-Action": ""}, "MissingParameter"),
        ({"X-TC-Timestamp": "soon"}, "InvalidParameter"),
    ],
)
def test_malformed_requests_get_error_answers(
    emu: TencentBatchEmulator, change: dict[str, str], code: str
) -> None:
    body = b"{}"
    headers = {**signed(emu, "DescribeJobs", body), **change}
    response, answer = raw_post(emu, {k: v for k, v in headers.items() if v}, body)
    # Errors are HTTP 200 with exactly this Content-Type, or the SDK would not raise them.
    assert response.status == 200
    assert response.getheader("Content-Type") == "application/json"
    assert answer["Response"]["Error"]["Code"] == code
    assert UUID_RE.fullmatch(answer["Response"]["RequestId"])


def test_invalid_json_body(emu: TencentBatchEmulator) -> None:
    body = b"{not json"
    _, answer = raw_post(emu, signed(emu, "DescribeJobs", body), body)
    assert answer["Response"]["Error"]["Code"] == "InvalidParameter"


def test_unknown_parameter(emu: TencentBatchEmulator) -> None:
    body = b'{"JobId": "job-aaaaaaaa", "Force": true}'
    _, answer = raw_post(emu, signed(emu, "TerminateJob", body), body)
    assert answer["Response"]["Error"]["Code"] == "UnknownParameter"


def test_get_is_refused(emu: TencentBatchEmulator) -> None:
    _, answer = raw_post(emu, signed(emu, "DescribeJobs", b""), b"", method="GET")
    assert answer["Response"]["Error"]["Code"] == "InvalidParameter"


def test_missing_region(emu: TencentBatchEmulator) -> None:
    client = make_client(emu, region="")
    assert error_code(lambda: describe_jobs(client)) == "MissingParameter"


# --- DescribeJobs --------------------------------------------------------------------------


def test_describe_jobs_by_ids(emu: TencentBatchEmulator, client: batch_client.BatchClient) -> None:
    first = emu.add_job(name="a", state="RUNNING")
    second = emu.add_job(name="b", state="SUCCEED")
    emu.add_job(name="c")

    answer = describe_jobs(client, JobIds=[second, first, "job-zzzzzzzz"])

    # Unknown ids are left out; the caller sees them missing.
    assert answer.TotalCount == 2
    views = {view.JobId: view for view in answer.JobSet}
    assert set(views) == {first, second}
    assert views[second].JobState == "SUCCEED"
    assert ISO_RE.fullmatch(views[second].EndTime)
    assert views[first].TaskMetrics.RunningCount == 1
    assert views[first].Placement.Zone == "ap-guangzhou-3"


def test_describe_jobs_by_filters(
    emu: TencentBatchEmulator, client: batch_client.BatchClient
) -> None:
    running = emu.add_job(name="etl", state="RUNNING", pinned=True)
    emu.add_job(name="etl", state="PENDING", pinned=True)
    emu.add_job(name="train", state="RUNNING", pinned=True)
    emu.add_job(name="etl", state="RUNNING", region="ap-shanghai")

    by_state = describe_jobs(client, Filters=[{"Name": "job-state", "Values": ["RUNNING"]}])
    both = describe_jobs(
        client,
        Filters=[
            {"Name": "job-name", "Values": ["etl"]},
            {"Name": "job-state", "Values": ["RUNNING", "SUCCEED"]},
        ],
    )
    by_id = describe_jobs(client, Filters=[{"Name": "job-id", "Values": [running]}])

    assert by_state.TotalCount == 2
    assert [view.JobId for view in both.JobSet] == [running]
    assert [view.JobId for view in by_id.JobSet] == [running]


def test_describe_jobs_pages(emu: TencentBatchEmulator, client: batch_client.BatchClient) -> None:
    created = {emu.add_job(name=f"job-{n}") for n in range(25)}

    first = describe_jobs(client)
    second = describe_jobs(client, Offset=20, Limit=10)
    wide = describe_jobs(client, Limit=100)

    assert (first.TotalCount, len(first.JobSet)) == (25, 20)
    assert (second.TotalCount, len(second.JobSet)) == (25, 5)
    assert {view.JobId for view in first.JobSet + second.JobSet} == created
    assert len(wide.JobSet) == 25


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"Limit": 101}, "InvalidParameterValue"),
        ({"Offset": -1}, "InvalidParameterValue"),
        (
            {"JobIds": ["job-aaaaaaaa"], "Filters": [{"Name": "job-state", "Values": ["RUNNING"]}]},
            "InvalidParameter",
        ),
        ({"Filters": [{"Name": "owner", "Values": ["me"]}]}, "InvalidParameterValue.InvalidFilter"),
        ({"JobIds": ["job-1"]}, "InvalidParameter.JobIdMalformed"),
    ],
)
def test_describe_jobs_rejects(
    client: batch_client.BatchClient, fields: dict[str, Any], code: str
) -> None:
    assert error_code(lambda: describe_jobs(client, **fields)) == code


# --- job ids -------------------------------------------------------------------------------


@pytest.mark.parametrize("job_id", ["job-1", "JOB-ABCDEFGH", "job-abcdefghi", "rybewp57"])
@pytest.mark.parametrize("call", [describe, terminate, delete])
def test_malformed_job_id(
    client: batch_client.BatchClient, call: Callable[[Any, str], Any], job_id: str
) -> None:
    assert error_code(lambda: call(client, job_id)) == "InvalidParameter.JobIdMalformed"


@pytest.mark.parametrize("call", [describe, terminate, delete])
def test_unknown_job_id(client: batch_client.BatchClient, call: Callable[[Any, str], Any]) -> None:
    assert error_code(lambda: call(client, "job-rybewp57")) == "ResourceNotFound.Job"


def test_job_in_another_region_is_not_found(
    emu: TencentBatchEmulator, client: batch_client.BatchClient
) -> None:
    job_id = emu.add_job(region="ap-shanghai")
    assert error_code(lambda: describe(client, job_id)) == "ResourceNotFound.Job"
    assert describe(make_client(emu, region="ap-shanghai"), job_id).JobId == job_id


# --- TerminateJob --------------------------------------------------------------------------


def test_terminate_submitted_is_refused(
    emu: TencentBatchEmulator, client: batch_client.BatchClient
) -> None:
    job_id = emu.add_job(state="SUBMITTED", pinned=True)
    assert error_code(lambda: terminate(client, job_id)) == "ResourceInUse.Job"
    assert emu.job(job_id).state == "SUBMITTED"
    assert not emu.job(job_id).terminate_requested
    assert emu.stats.terminate_accepted == 0


@pytest.mark.parametrize("state", ["SUCCEED", "FAILED"])
def test_terminate_finished_job_has_no_effect(
    emu: TencentBatchEmulator, client: batch_client.BatchClient, state: str
) -> None:
    job_id = emu.add_job(state=state)
    before = describe(client, job_id)

    assert UUID_RE.fullmatch(terminate(client, job_id).RequestId)
    emu.advance(60)

    after = describe(client, job_id)
    assert (after.JobState, after.EndTime) == (state, before.EndTime)
    assert emu.stats.terminate_accepted == 1


@pytest.mark.parametrize("state", ["PENDING", "RUNNABLE", "STARTING", "RUNNING"])
def test_terminate_lands_after_the_delay(
    emu: TencentBatchEmulator, client: batch_client.BatchClient, state: str
) -> None:
    job_id = emu.add_job(state=state, pinned=True)

    terminate(client, job_id)
    assert describe(client, job_id).JobState == state
    assert emu.job(job_id).terminate_requested
    emu.advance(4.9)
    assert describe(client, job_id).JobState == state

    emu.advance(0.2)
    answer = describe(client, job_id)
    assert answer.JobState == "FAILED"
    assert ISO_RE.fullmatch(answer.EndTime)
    assert answer.StateReason
    assert answer.TaskInstanceMetrics.FailedCount == 1


def test_terminate_with_no_delay_is_done_by_the_next_look(
    emu: TencentBatchEmulator, client: batch_client.BatchClient
) -> None:
    emu.terminate_delay = 0.0
    job_id = emu.add_job(state="RUNNING")
    terminate(client, job_id)
    assert describe(client, job_id).JobState == "FAILED"


def test_job_that_finishes_first_stays_succeeded(
    emu: TencentBatchEmulator, client: batch_client.BatchClient
) -> None:
    emu.terminate_delay = 3 * STATE_SECONDS
    job_id = emu.add_job(state="RUNNING")
    terminate(client, job_id)
    emu.advance(5 * STATE_SECONDS)
    assert describe(client, job_id).JobState == "SUCCEED"


def test_terminate_is_rate_limited_per_secret_id(monkeypatch: pytest.MonkeyPatch) -> None:
    # The limiter's clock stands still: three requests are within one second however slowly
    # a loaded machine sends them.
    monkeypatch.setattr(tencent_faults, "time", types.SimpleNamespace(monotonic=lambda: 100.0))
    secrets = {SECRET_ID: SECRET_KEY, "AKIDother": "other"}
    with TencentBatchEmulator(secrets=secrets, terminate_rate=2.0) as emu:
        job_id = emu.add_job(state="RUNNING", pinned=True)
        client = make_client(emu)
        codes = [outcome(lambda: terminate(client, job_id)) for _ in range(3)]
        other = make_client(emu, secret_id="AKIDother", secret_key="other")
        terminate(other, job_id)
        # Only TerminateJob is limited.
        describe(client, job_id)

        assert codes == ["ok", "ok", "RequestLimitExceeded"]
        assert emu.stats.rate_limited == codes.count("RequestLimitExceeded")
        assert emu.stats.terminate_accepted == codes.count("ok") + 1


def test_rate_limit_can_be_disabled() -> None:
    with TencentBatchEmulator(secrets={SECRET_ID: SECRET_KEY}, terminate_rate=None) as emu:
        job_id = emu.add_job(state="RUNNING", pinned=True)
        client = make_client(emu)
        for _ in range(5):
            terminate(client, job_id)
        assert emu.stats.rate_limited == 0
        assert emu.stats.terminate_accepted == 5


def test_sliding_window_frees_a_slot_after_one_second(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(tencent_faults, "time", types.SimpleNamespace(monotonic=lambda: now[0]))
    limiter = SlidingWindowLimiter(2.0)
    assert [limiter.allow("a"), limiter.allow("a"), limiter.allow("a")] == [True, True, False]
    now[0] += 0.5
    assert not limiter.allow("a")
    now[0] += 0.5
    assert limiter.allow("a")
    assert limiter.allow("b")


# --- SubmitJob, DeleteJob, states ----------------------------------------------------------


def test_submitted_job_walks_through_the_states(
    emu: TencentBatchEmulator, client: batch_client.BatchClient
) -> None:
    job_id = submit(client, "nightly")
    seen = [describe(client, job_id).JobState]
    for _ in range(5):
        emu.advance(STATE_SECONDS)
        seen.append(describe(client, job_id).JobState)

    assert seen == ["SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEED"]
    answer = describe(client, job_id)
    assert (answer.JobName, answer.Priority, answer.Zone) == ("nightly", 5, "ap-guangzhou-3")
    assert [task.TaskName for task in answer.TaskSet] == ["hello"]
    assert answer.TaskInstanceMetrics.SucceedCount == 3


def test_submit_job_is_idempotent_with_a_client_token(client: batch_client.BatchClient) -> None:
    assert submit(client, "once", token="t-1") == submit(client, "once", token="t-1")
    assert submit(client, "twice") != submit(client, "twice")


def test_terminate_after_the_job_leaves_submitted(
    emu: TencentBatchEmulator, client: batch_client.BatchClient
) -> None:
    job_id = submit(client, "late")
    assert error_code(lambda: terminate(client, job_id)) == "ResourceInUse.Job"
    emu.advance(STATE_SECONDS)
    terminate(client, job_id)
    emu.advance(5)
    assert describe(client, job_id).JobState == "FAILED"


def test_delete_job(emu: TencentBatchEmulator, client: batch_client.BatchClient) -> None:
    running = emu.add_job(state="RUNNING", pinned=True)
    done = emu.add_job(state="SUCCEED")

    assert error_code(lambda: delete(client, running)) == "UnsupportedOperation"
    delete(client, done)
    assert error_code(lambda: describe(client, done)) == "ResourceNotFound.Job"


def test_pinned_job_never_moves(emu: TencentBatchEmulator) -> None:
    job_id = emu.add_job(state="RUNNABLE", pinned=True)
    emu.advance(100 * STATE_SECONDS)
    assert emu.job(job_id).state == "RUNNABLE"
    emu.pin(job_id, pinned=False)
    emu.advance(STATE_SECONDS)
    assert emu.job(job_id).state == "STARTING"


# --- faults --------------------------------------------------------------------------------


def test_internal_errors_only_for_chosen_actions(
    emu: TencentBatchEmulator, client: batch_client.BatchClient
) -> None:
    job_id = emu.add_job(state="RUNNING")
    emu.set_faults(internal_error_rate=1.0, actions=["DescribeJob"])
    assert error_code(lambda: describe(client, job_id)) == "InternalError"
    assert describe_jobs(client).TotalCount == 1


def test_internal_error_share_is_seeded(
    emu: TencentBatchEmulator, client: batch_client.BatchClient
) -> None:
    job_id = emu.add_job(state="RUNNING")

    def run() -> list[str]:
        return [outcome(lambda: describe(client, job_id)) for _ in range(20)]

    emu.set_faults(internal_error_rate=0.5, seed=7)
    first = run()
    emu.set_faults(internal_error_rate=0.5, seed=7)
    assert run() == first
    assert set(first) == {"ok", "InternalError"}
    assert emu.stats.errors["InternalError"] == 2 * first.count("InternalError")


def test_dropped_connection_reaches_the_sdk_as_an_error(
    emu: TencentBatchEmulator, client: batch_client.BatchClient
) -> None:
    job_id = emu.add_job(state="RUNNING")
    emu.set_faults(drop_rate=1.0)
    assert error_code(lambda: describe(client, job_id)) == "ClientNetworkError"
    assert emu.stats.dropped == 1
    emu.set_faults()
    assert describe(client, job_id).JobId == job_id


def test_added_delay(emu: TencentBatchEmulator, client: batch_client.BatchClient) -> None:
    emu.set_faults(delay=0.2)
    started = time.monotonic()
    describe_jobs(client)
    assert time.monotonic() - started >= 0.2


def test_nothing_is_written_to_stderr(
    emu: TencentBatchEmulator, client: batch_client.BatchClient, capfd: pytest.CaptureFixture[str]
) -> None:
    job_id = emu.add_job(state="RUNNING")
    describe(client, job_id)
    error_code(lambda: describe(client, "bad"))
    emu.set_faults(drop_rate=1.0)
    error_code(lambda: describe(client, job_id))
    assert capfd.readouterr().err == ""


# --- lifecycle -----------------------------------------------------------------------------


def test_stop_frees_the_port() -> None:
    with TencentBatchEmulator() as emu:
        endpoint = emu.endpoint
        assert emu.url == f"http://{endpoint}"
    connection = http.client.HTTPConnection(endpoint, timeout=2)
    with pytest.raises(ConnectionRefusedError):
        connection.request("POST", "/", body=b"{}")
    connection.close()


def test_command_line_serves_a_seeded_emulator() -> None:
    command = [sys.executable, "-m", "jobctl.sandbox.tencent_emulator", "--seed-demo"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        rows = [process.stdout.readline() for _ in range(4)]
        assert banner.startswith("Tencent Cloud Batch emulator on http://127.0.0.1:")
        assert rows[0].startswith("export TENCENTCLOUD_SECRET_ID=")
        assert re.match(r"job-[a-z0-9]{8}\tSUBMITTED\t", rows[2])
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_real_clock_moves_jobs_by_itself() -> None:
    with TencentBatchEmulator(clock=RealClock(), state_seconds=0.05) as emu:
        job_id = emu.add_job(state="RUNNING")
        with pytest.raises(TypeError):
            emu.advance(1)
        time.sleep(0.1)
        assert emu.job(job_id).state == "SUCCEED"
