"""The AWS Batch operations moto 5.2 lacks, served in front of it (docs/ARCHITECTURE.md,
"The sandbox").

`BatchApi` wraps moto's WSGI application. For requests signed for `batch` it answers
CancelJobs / TerminateJobs (≤50 jobs, per-job `errors[]`, a job not found counted successful)
and the service-job operations itself, on moto's own backend; it takes CancelJob and
TerminateJob over too, so single and bulk calls share one code path (and an array parent's
stop reaches its children, as on AWS); and it adds what botocore 1.44's shapes have and moto
does not write: `isCancelled` / `isTerminated` in DescribeJobs, `jobQueueType` in
DescribeJobQueues. Everything else goes to moto untouched.

`bulk=False` (or a world's `bulk = False`) serves the old API: the bulk operations answer 404,
as moto does, for tests of jobctl's one-call-per-job fallback. A world's `fail_next` makes the
next stop of a job fail with a chosen error code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from jobctl.sandbox import batch_service
from jobctl.sandbox.batch_service import ServiceError

BULK_LIMIT = 50
# Per-job codes botocore documents for CancelJobsErrorDetail and its siblings, and the HTTP
# status each has as a whole-request error (a single CancelJob given the same fault).
ERROR_CODES = {
    "ValidationException": 400,
    "ClientException": 400,
    "ThrottlingException": 429,
    "ServerException": 500,
    "AccessDenied": 403,
}
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
# A job id the service would call malformed: empty, too long, or with space or control bytes.
_MALFORMED = re.compile(r"^$|[\s\x00-\x1f]|^.{1025,}$", re.DOTALL)

Handler = Callable[["Call"], dict[str, Any]]


class Call:
    """One request to a batch operation: its region's backend, body and world."""

    def __init__(self, *, region: str, body: dict[str, Any], api: BatchApi) -> None:
        from moto.batch.models import batch_backends

        from jobctl.sandbox.aws import ACCOUNT, world_of

        self.region = region
        self.body = body
        self.api = api
        self.backend = batch_backends[ACCOUNT][region]
        self.world = world_of(region)
        self.service = batch_service.store_of(self.backend)

    @property
    def bulk(self) -> bool:
        return self.api.bulk and (self.world is None or self.world.bulk)

    @property
    def stop_delay(self) -> float | None:
        return None if self.world is None else float(self.world.stop_delay)

    def fault(self, job_id: str, operation: str) -> tuple[str, str] | None:
        """The error injected for `job_id`'s next stop, as (code, message), if any."""
        return None if self.world is None else self.world.take_fault(job_id, operation)


def _reason(call: Call) -> str:
    reason = call.body.get("reason")
    if not isinstance(reason, str) or not reason:
        raise ServiceError("'reason' is a required field (cannot be an empty string)")
    return reason


def _jobs(call: Call) -> list[str]:
    jobs = call.body.get("jobs")
    if not isinstance(jobs, list) or not jobs:
        raise ServiceError("'jobs' is a required field: between 1 and 50 job IDs")
    if len(jobs) > BULK_LIMIT:
        msg = f"Too many jobs in the request: {len(jobs)}; at most {BULK_LIMIT} can be given"
        raise ServiceError(msg)
    return [str(job) for job in jobs]


def _stop(call: Call, job_id: str, reason: str, kind: str) -> None:
    """CancelJob's or TerminateJob's effect on moto's job, and on an array parent's children.

    moto's own `cancel_job` / `terminate_job` flag the job (BatchWorld's scheduler moves it to
    FAILED); the flag's kind is kept for DescribeJobs' isCancelled / isTerminated.
    """
    job = call.backend.get_job_by_id(job_id)
    if job is None or job.status is None or job.job_stopped:
        return
    taken = kind == "terminate" or job.status in ("SUBMITTED", "PENDING", "RUNNABLE")
    if not taken:
        return  # cancel of a STARTING or RUNNING job: 200 and no effect, as on AWS
    kinds = job.__dict__.setdefault("_jobctl_stops", set())
    kinds.add(kind)
    # Children first: a parent is only finished once its children are (AWS's array docs:
    # cancelling or terminating a parent cancels or terminates its children).
    for child in job._child_jobs or []:
        _stop(call, child.job_id, reason, kind)
    if kind == "cancel":
        call.backend.cancel_job(job_id, reason)
    else:
        call.backend.terminate_job(job_id, reason)


def _single(kind: str, operation: str) -> Handler:
    def handle(call: Call) -> dict[str, Any]:
        job_id = call.body.get("jobId")
        if not isinstance(job_id, str) or not job_id:
            raise ServiceError("'jobId' is a required field (cannot be an empty string)")
        reason = _reason(call)
        fault = call.fault(job_id, operation)
        if fault is not None:
            raise ServiceError(fault[1], fault[0])
        _stop(call, job_id, reason, kind)
        return {}

    return handle


def _bulk(operation: str, each: Callable[[Call, str, str], None]) -> Handler:
    """A bulk stop: the whole request checked first, then one result per job."""

    def handle(call: Call) -> dict[str, Any]:
        jobs, reason = _jobs(call), _reason(call)
        successful: list[str] = []
        errors: list[dict[str, str]] = []
        for job_id in jobs:
            fault = call.fault(job_id, operation)
            if fault is None and _MALFORMED.search(job_id):
                fault = ("ValidationException", f"Job identifier {job_id!r} is not valid")
            if fault is not None:
                errors.append({"job": job_id, "code": fault[0], "message": fault[1]})
                continue
            each(call, job_id, reason)
            successful.append(job_id)
        return {"successful": successful, "errors": errors}

    return handle


def _terminate_service(call: Call, job_id: str, reason: str) -> None:
    call.service.terminate(job_id, reason, stop_delay=call.stop_delay)


def _terminate_service_one(call: Call) -> dict[str, Any]:
    job_id = call.body.get("jobId")
    if not isinstance(job_id, str) or not job_id:
        raise ServiceError("'jobId' is a required field (cannot be an empty string)")
    reason = _reason(call)
    fault = call.fault(job_id, "TerminateServiceJob")
    if fault is not None:
        raise ServiceError(fault[1], fault[0])
    if not call.service.terminate(job_id, reason, stop_delay=call.stop_delay):
        raise ServiceError(f"Service job {job_id} does not exist")
    return {}


def _describe_service(call: Call) -> dict[str, Any]:
    job_id = call.body.get("jobId")
    job = call.service.get(str(job_id)) if isinstance(job_id, str) and job_id else None
    if job is None:
        raise ServiceError(f"Service job {job_id} does not exist")
    return job.detail()


def _submit_service(call: Call) -> dict[str, Any]:
    body = call.body
    for required in ("jobName", "jobQueue", "serviceRequestPayload", "serviceJobType"):
        if not body.get(required):
            raise ServiceError(f"'{required}' is a required field")
    if body["serviceJobType"] != batch_service.SERVICE_JOB_TYPE:
        raise ServiceError(f"serviceJobType must be {batch_service.SERVICE_JOB_TYPE}")
    job = call.service.add(
        name=str(body["jobName"]),
        queue=str(body["jobQueue"]),
        payload=str(body["serviceRequestPayload"]),
        tags=body.get("tags"),
        share_identifier=body.get("shareIdentifier"),
        scheduling_priority=body.get("schedulingPriority"),
    )
    return {"jobArn": job.arn, "jobName": job.name, "jobId": job.job_id}


HANDLERS: dict[str, Handler] = {
    "canceljob": _single("cancel", "CancelJob"),
    "terminatejob": _single("terminate", "TerminateJob"),
    "canceljobs": _bulk("CancelJobs", lambda c, j, r: _stop(c, j, r, "cancel")),
    "terminatejobs": _bulk("TerminateJobs", lambda c, j, r: _stop(c, j, r, "terminate")),
    "submitservicejob": _submit_service,
    "describeservicejob": _describe_service,
    "listservicejobs": lambda call: call.service.list(call.body),
    "terminateservicejob": _terminate_service_one,
    "terminateservicejobs": _bulk("TerminateServiceJobs", _terminate_service),
}
BULK = frozenset({"canceljobs", "terminatejobs", "terminateservicejobs"})


def _add_stop_flags(call: Call, answer: dict[str, Any]) -> None:
    """DescribeJobs: botocore's JobDetail.isCancelled / isTerminated ("whether the job is
    cancelled / terminated"): true from the moment such a stop is taken, and after the job ends
    only if that stop ended it (a job that failed on its own while flagged has them false)."""
    for detail in answer.get("jobs", []):
        job = call.backend.get_job_by_id(str(detail.get("jobId")))
        kinds = job.__dict__.get("_jobctl_stops", set()) if job is not None else set()
        if job is not None and job.job_stopped and not job.__dict__.get("_jobctl_ended_by_stop"):
            kinds = set()
        detail["isCancelled"] = "cancel" in kinds
        detail["isTerminated"] = "terminate" in kinds


def _add_queue_types(call: Call, answer: dict[str, Any]) -> None:
    """DescribeJobQueues: botocore's JobQueueDetail.jobQueueType (ECS, or SAGEMAKER_TRAINING)."""
    for queue in answer.get("jobQueues", []):
        arn = str(queue.get("jobQueueArn"))
        if arn in call.service.queues:
            queue["jobQueueType"] = batch_service.SERVICE_JOB_TYPE
            queue["computeEnvironmentOrder"] = []
            environment = arn.replace(":job-queue/", ":service-environment/") + "-env"
            queue["serviceEnvironmentOrder"] = [{"order": 1, "serviceEnvironment": environment}]
        else:
            queue.setdefault("jobQueueType", "ECS")


AFTER: dict[str, Callable[[Call, dict[str, Any]], None]] = {
    "describejobs": _add_stop_flags,
    "describejobqueues": _add_queue_types,
}


class BatchApi:
    """WSGI middleware: the operations above on moto's backend, the rest to moto (`app`)."""

    def __init__(self, app: Any, *, bulk: bool = True) -> None:
        self.app = app
        # False: the bulk operations answer 404, as moto alone does.
        self.bulk = bulk

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        scope = _SCOPE.search(str(environ.get("HTTP_AUTHORIZATION", "")))
        if scope is None or scope.group(2) != "batch" or not path.startswith("/v1/"):
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        operation = path[len("/v1/") :].strip("/").lower()
        handler, after = HANDLERS.get(operation), AFTER.get(operation)
        if handler is None and after is None:
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        body = _read(environ)
        try:
            document = json.loads(body or b"{}")
            if not isinstance(document, dict):
                raise ValueError
        except ValueError:
            return _answer(start_response, 400, _error("SerializationException", "bad JSON"))
        call = _call(scope.group(1), document, self)
        if call is None:  # a region moto does not know: its own answer, whatever it is
            return self._forward(environ, start_response, body)
        if handler is None:
            return self._after(environ, start_response, body, call, after)
        if operation in BULK and not call.bulk:
            return self._forward(environ, start_response, body)
        from moto.core.exceptions import JsonRESTError

        try:
            with call.service.lock:
                return _answer(start_response, 200, handler(call))
        except ServiceError as exc:
            status = ERROR_CODES.get(exc.code, 400)
            return _answer(start_response, status, _error(exc.code, exc.message))
        except JsonRESTError as exc:  # moto's own checks (its ClientException), as moto words them
            return _answer(start_response, int(exc.code), _error(exc.error_type, exc.message))

    def _forward(
        self, environ: dict[str, Any], start_response: Any, body: bytes
    ) -> Iterable[bytes]:
        import io

        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)  # type: ignore[no-any-return]

    def _after(
        self,
        environ: dict[str, Any],
        start_response: Any,
        body: bytes,
        call: Call,
        after: Any,
    ) -> Iterable[bytes]:
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen.update(status=status, headers=headers)
            return lambda data: None

        answer = self._forward(environ, capture, body)
        try:
            raw = b"".join(answer)
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()
        status = str(seen["status"])
        headers = [(k, v) for k, v in seen["headers"] if k.lower() != "content-length"]
        if status.startswith("200"):
            document = json.loads(raw or b"{}")
            after(call, document)
            raw = json.dumps(document).encode()
        start_response(status, [*headers, ("Content-Length", str(len(raw)))])
        return [raw]


def _call(region: str, body: dict[str, Any], api: BatchApi) -> Call | None:
    try:
        return Call(region=region, body=body, api=api)
    except KeyError:
        return None


def _read(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""


def _error(code: str, message: str) -> dict[str, Any]:
    return {"__type": code, "message": message}


def _answer(start_response: Any, status: int, document: dict[str, Any]) -> list[bytes]:
    raw = json.dumps(document).encode()
    reasons = {200: "OK", 400: "Bad Request", 403: "Forbidden", 429: "Too Many Requests"}
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(raw)))]
    headers.append(("x-amzn-RequestId", _request_id()))
    if status != 200:
        headers.append(("x-amzn-ErrorType", str(document["__type"])))
    start_response(f"{status} {reasons.get(status, 'Internal Server Error')}", headers)
    return [raw]


def _request_id() -> str:
    import uuid

    return str(uuid.uuid4())


def threaded_server(*, port: int, bulk: bool) -> Any:
    """moto's ThreadedMotoServer on 127.0.0.1 and `port`, its application wrapped in BatchApi."""
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    class Handler(MotoRequestHandler):
        # werkzeug writes headers and body apart: without it, delayed ACKs add ~40 ms to
        # every answer (a sandbox slower than the cloud it stands for).
        disable_nagle_algorithm = True

    class Server(ThreadedMotoServer):
        def _server_entry(self) -> None:
            app = BatchApi(DomainDispatcherApplication(create_backend_app), bulk=bulk)
            self.api = app
            self._server = make_server(
                self._ip_address, self._port, app, True, request_handler=Handler
            )
            self._server_ready_event.set()
            self._server.serve_forever()

    return Server(ip_address="127.0.0.1", port=port, verbose=False)
