"""AWS answers jobctl reads as JSON instead of through botocore's model (`_aws.AS_JSON`): the
model says the two readings cannot differ, and against moto's server they do not."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest

from jobctl.providers._aws import AS_JSON, make_client
from jobctl.providers.base import ProviderConfig


def _members(shape: Any, seen: set[str]) -> list[tuple[str, Any]]:
    """Every (path, shape) reachable from `shape`, each named shape walked once."""
    if shape.name in seen:
        return []
    seen.add(shape.name)
    found = [(shape.name, shape)]
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            found += [(f"{shape.name}.{name}", member), *_members(member, seen)]
    elif shape.type_name == "list":
        found += _members(shape.member, seen)
    elif shape.type_name == "map":
        found += _members(shape.key, seen) + _members(shape.value, seen)
    return found


@pytest.mark.parametrize(
    ("service", "operation"),
    [(service, op) for service, ops in AS_JSON.items() for op in ops],
)
def test_the_output_shape_holds_nothing_json_does_not_hold_as_is(
    service: str, operation: str
) -> None:
    """No timestamp or blob (botocore would convert them), no member read from a header or
    renamed on the wire: botocore's parse of the body is then the body itself. A newer
    botocore that adds one fails here, not in a user's run."""
    model = botocore.session.get_session().get_service_model(service)
    output = model.operation_model(operation).output_shape
    wrong = []
    for path, shape in _members(output, set()):
        if shape.type_name in ("timestamp", "blob"):
            wrong.append(f"{path}: {shape.type_name}")
        where = shape.serialization.get("location")
        if where is not None:
            wrong.append(f"{path}: read from the {where}")
        renamed = shape.serialization.get("name")
        if renamed is not None and "." in path and renamed != path.rsplit(".", 1)[1]:
            wrong.append(f"{path}: named {renamed} on the wire")
    assert wrong == []


def test_jobctls_client_reads_every_answer_as_botocore_does(batch, aws_env) -> None:
    """DescribeJobs (a container job, an array parent and a child), ListJobs, and the
    service-job calls, through jobctl's client and a plain boto3 client: the same answers."""
    plain = batch.client
    ours, _ = make_client(
        "batch", ProviderConfig(region="us-east-1", endpoint_url=plain.meta.endpoint_url)
    )
    job = batch.add_job("RUNNING", queue="answers-q")
    parent = batch.add_job("PENDING", queue="answers-q", array_size=3)
    batch.set_state(f"{parent}:1", "RUNNING")
    service_job = batch.add_service_job("RUNNING", queue="answers-sm-q")

    def same(call: str, **params: Any) -> dict[str, Any]:
        theirs = getattr(plain, call)(**params)
        mine = getattr(ours, call)(**params)
        theirs.pop("ResponseMetadata")
        assert mine.pop("ResponseMetadata")["HTTPStatusCode"] == 200
        assert mine == theirs
        return mine

    described = same("describe_jobs", jobs=[job, parent, f"{parent}:1"])
    assert [j["jobId"] for j in described["jobs"]] == [job, parent, f"{parent}:1"]
    assert described["jobs"][1]["arrayProperties"]["size"] == 3
    listed = same("list_jobs", jobQueue="answers-q", jobStatus="RUNNING")
    assert job in [j["jobId"] for j in listed["jobSummaryList"]]
    assert same("describe_service_job", jobId=service_job)["status"] == "RUNNING"
    queue = batch.service_queue("answers-sm-q")
    listed = same("list_service_jobs", jobQueue=queue, jobStatus="RUNNING")
    assert [j["jobId"] for j in listed["jobSummaryList"]] == [service_job]


ODD_BODIES = {
    "a null list": ("describe_jobs", {"jobs": ["j"]}, {"jobs": None}),
    "null members": (
        "describe_jobs",
        {"jobs": ["j"]},
        {
            "jobs": [
                {
                    "jobId": "j",
                    "jobName": "n",
                    "jobQueue": "q",
                    "status": None,
                    "startedAt": 1,
                    "jobDefinition": "d",
                    "createdAt": None,
                    "container": {"environment": None, "command": ["x"]},
                },
            ],
        },
    ),
    "a null page": ("list_jobs", {"jobQueue": "q"}, {"jobSummaryList": None, "nextToken": None}),
    "its own ResponseMetadata": (
        "describe_jobs",
        {"jobs": ["j"]},
        {"ResponseMetadata": {"RequestId": "forged"}, "jobs": []},
    ),
    "a null ResponseMetadata": ("describe_jobs", {"jobs": ["j"]}, {"ResponseMetadata": None}),
}


@pytest.mark.parametrize("case", ODD_BODIES, ids=list(ODD_BODIES))
def test_an_odd_answer_reads_as_botocore_reads_it(case: str, aws_env) -> None:
    """Answers no AWS endpoint sends but a gateway or an emulator might (Go writes an empty
    list as null): jobctl's reading is botocore's, field for field, request id included."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    call, params, body = ODD_BODIES[case]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            payload = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("x-amzn-RequestId", "the-real-one")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        config = ProviderConfig(region="us-east-1", endpoint_url=url)
        ours, _ = make_client("batch", config)
        import boto3

        plain = boto3.client(
            "batch", region_name="us-east-1", endpoint_url=url,
            aws_access_key_id="test", aws_secret_access_key="test",
        )  # fmt: skip
        theirs = getattr(plain, call)(**params)
        mine = getattr(ours, call)(**params)
    finally:
        server.shutdown()
        server.server_close()
    assert mine["ResponseMetadata"]["RequestId"] == "the-real-one"
    for answer in (mine, theirs):
        answer.pop("ResponseMetadata")
    assert mine == theirs
