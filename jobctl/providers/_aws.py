"""What the two AWS adapters share: session, client settings and error translation.

Imported only from inside the AWS provider classes, never on the path of --help or TAB.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import boto3
import botocore.exceptions
from botocore.config import Config

from jobctl.errors import (
    ConfigError,
    CredentialsError,
    CredentialsRejected,
    NotFoundError,
    ProviderError,
)
from jobctl.sanitize import readable, redact
from jobctl.validate import shown

if TYPE_CHECKING:
    from jobctl.models import SendResult
    from jobctl.providers.base import ProviderConfig

# Codes AWS services use for "no such thing"; CancelJobs reports unknown jobs as successful.
NOT_FOUND_CODES = frozenset({"ResourceNotFoundException", "NotFoundException"})
# Tries per request, the first included. A throttled request is not a failed one: the service
# asks for patience, and a bulk run in a throttling storm must not lose jobs to it (at 30%
# throttling, 12 tries leave one request in two million unanswered). Server errors, timeouts
# and dropped connections keep the 6 tries jobctl has always given them, so a dead endpoint
# is reported within a second or two.
THROTTLED_ATTEMPTS = 12
OTHER_ATTEMPTS = 6
MALFORMED = "MalformedResponse"
# Answers botocore's parser is slow to walk (DescribeJobs: 100 full job descriptions, ~7 ms
# a page against ~1 ms for json.loads) and whose output shapes hold only what JSON holds as
# is (no timestamp, no blob: tests/test_aws_answers.py checks the model), so their JSON is the
# answer, read as it is (`_as_json`).
AS_JSON = {"batch": ("DescribeJobs", "ListJobs", "DescribeServiceJob", "ListServiceJobs")}
# Codes AWS answers when it does not accept the credentials themselves (unknown key, wrong
# secret, a signature it cannot check), whatever the service; expired ones start ExpiredToken
# and missing permissions AccessDenied (AccessDeniedException in the JSON services).
REJECTED_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
    }
)
EXPIRED_PREFIX = "ExpiredToken"
DENIED_PREFIX = "AccessDenied"
_CHECK_CREDENTIALS = (
    "check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE (--profile), "
    "or run 'aws sso login'"
)


def resolve_region(config: ProviderConfig, session: boto3.Session) -> str:
    # botocore reads AWS_DEFAULT_REGION and the profile; AWS_REGION is what the newer SDKs and
    # most CI systems set, so it is honoured too (after the explicit flag, before the rest).
    region = config.region or os.environ.get("AWS_REGION") or session.region_name
    if not region:
        msg = (
            "no AWS region: pass --region, set AWS_REGION or AWS_DEFAULT_REGION, "
            "or set region in the jobctl config file or your AWS profile"
        )
        raise ConfigError(msg)
    return region


def make_client(service: str, config: ProviderConfig) -> tuple[Any, str]:
    """A boto3 client with standard retries; raises ConfigError/CredentialsError before any call."""
    try:
        session = boto3.Session(profile_name=config.profile)
    except botocore.exceptions.ProfileNotFound as exc:
        profile = shown(config.profile or "")
        msg = f"AWS profile {profile} not found: check --profile or ~/.aws/config"
        raise ConfigError(msg) from exc
    region = resolve_region(config, session)
    try:
        credentials = session.get_credentials()
    except botocore.exceptions.BotoCoreError as exc:
        msg = f"could not load AWS credentials: {exc}"
        raise CredentialsError(msg) from exc
    if credentials is None:
        msg = (
            "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
            "run 'aws configure' or 'aws sso login', or pass --profile"
        )
        raise CredentialsError(msg)
    client_config = Config(
        region_name=region,
        retries={"mode": "standard", "total_max_attempts": THROTTLED_ATTEMPTS},
        connect_timeout=config.connect_timeout,
        read_timeout=config.read_timeout,
        # One connection per request in flight: botocore's pool of 10 would close and reopen
        # connections all run long at --concurrency above 10.
        max_pool_connections=max(10, config.concurrency or 0),
        user_agent_extra="jobctl",
    )
    try:
        client: Any = session.client(  # type: ignore[call-overload]
            service, endpoint_url=config.endpoint_url, config=client_config
        )
    except botocore.exceptions.InvalidRegionError as exc:
        # AWS_REGION / AWS_DEFAULT_REGION or the config file named something no URL can hold.
        msg = f"AWS region {region[:64]!a} is not a region name: check --region, AWS_REGION, "
        msg += "AWS_DEFAULT_REGION and the jobctl config file"
        raise ConfigError(msg) from exc
    RetryBudget(config.timeout).attach(client)
    for operation in AS_JSON.get(service, ()):
        client.meta.events.register(f"before-parse.{service}.{operation}", _as_json)
    return client, region


class RetryBudget:
    """botocore's standard retries, held to jobctl's retry budget (--timeout) per request.

    botocore still decides what is worth another try and how long to wait (its standard mode,
    allowed THROTTLED_ATTEMPTS tries); registered ahead of it, this handler vetoes a retry of a
    non-throttling failure past OTHER_ATTEMPTS, and any retry whose longest possible wait would
    end past the budget, so no request outlives --timeout by more than one request timeout.
    It also retries what botocore takes for success: a 2xx answer whose body is not JSON (cut
    short, or a page from a proxy in front of the service), which botocore would parse as an
    empty answer: no jobs found.
    """

    def __init__(self, budget: float) -> None:
        from botocore.retries.standard import RetryEventAdapter, ThrottlingErrorDetector

        # Seconds one request, its retries included, may take before the last retry starts.
        self.budget = budget
        self._throttling = ThrottlingErrorDetector(RetryEventAdapter())

    def attach(self, client: Any) -> None:
        service = client.meta.service_model.service_id.hyphenize()
        events = client.meta.events
        events.register(f"before-call.{service}", self.start, unique_id=f"jobctl-budget-{service}")
        events.register_first(
            f"needs-retry.{service}", self.needs_retry, unique_id=f"jobctl-retries-{service}"
        )

    def start(self, context: dict[str, Any], **_: Any) -> None:
        context["jobctl_deadline"] = time.monotonic() + self.budget

    def needs_retry(self, **kwargs: Any) -> float | bool | None:
        """None: let botocore decide; False: no retry; a number: retry after that many seconds."""
        attempts = int(kwargs["attempts"])
        deadline = kwargs["request_dict"]["context"].get("jobctl_deadline", float("inf"))
        throttled = self._throttling.is_throttling_error(**kwargs)
        # The longest wait botocore's backoff may pick before the next try.
        scale = 1.0 if throttled else 0.05
        longest = min(scale * 2.0 ** (attempts - 1), 20.0)
        if time.monotonic() + longest > deadline:
            return False
        if not throttled and attempts >= OTHER_ATTEMPTS:
            return False
        if malformed(kwargs.get("response")):
            return random.random() * longest
        return None


def _as_json(
    response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any
) -> None:
    """A 2xx JSON answer of an AS_JSON operation, read by json.loads instead of the model.

    Read as botocore's parser reads it: a member that is `null` is left out (a Go gateway
    writes an empty list as null), and ResponseMetadata is botocore's own, from the headers.
    The body botocore then parses is `{}`: it still adds ResponseMetadata and takes the
    rest from here. An error, or a body that is not a JSON object, is left to botocore (and
    to RetryBudget, which retries a 2xx answer that is not JSON).
    """
    if not 200 <= response_dict["status_code"] < 300:
        return
    try:
        answer = json.loads(response_dict["body"], object_hook=_without_nulls)
    except ValueError:
        return
    if isinstance(answer, dict):
        answer.pop("ResponseMetadata", None)
        customized_response_dict.update(answer)
        response_dict["body"] = b"{}"


def _without_nulls(members: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in members.items() if value is not None}


def malformed(response: Any) -> bool:
    """A 2xx answer with a body that is not the JSON every rest-json answer is.

    botocore has parsed the body already; where it found any field of the answer's shape, the
    body was JSON (a body it cannot parse yields none) and is not read again. Only an answer
    with no field (an empty `{}`, or one cut short or not JSON) is parsed here to tell which.
    """
    if response is None:
        return False
    http, parsed = response
    if not 200 <= http.status_code < 300 or not http.content:
        return False
    if isinstance(parsed, Mapping) and any(key != "ResponseMetadata" for key in parsed):
        return False
    try:
        json.loads(http.content)
    except ValueError:
        return True
    return False


def required(answer: Mapping[str, Any], key: str, operation: str) -> Any:
    """answer[key], which every real answer to `operation` has; else a MalformedResponse."""
    if key not in answer:
        msg = f"the answer to {operation} has no {key!r}: it was cut short or was not JSON"
        raise ProviderError(msg, code=MALFORMED, request_id=request_id_of(answer))
    return answer[key]


def error_code(exc: botocore.exceptions.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code") or "ClientError")


def translate(exc: Exception) -> ProviderError:
    """botocore's exceptions as jobctl's, most specific first."""
    if isinstance(exc, botocore.exceptions.ClientError):
        code = error_code(exc)
        message = readable(str(exc.response.get("Error", {}).get("Message") or exc))
        request_id = exc.response.get("ResponseMetadata", {}).get("RequestId")
        if code in NOT_FOUND_CODES:
            return NotFoundError(message, code=code, request_id=request_id)
        rejected = _rejected(code, message, exc.operation_name)
        if rejected is not None:
            return CredentialsRejected(*rejected, code=code, request_id=request_id)
        return ProviderError(message, code=code, request_id=request_id)
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        # Credentials that vanished mid-run (an SSO session ended): a ProviderError too, so a
        # stop request that meets it is that job's failure, never a lost job.
        fix = "set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or pass --profile"
        return CredentialsRejected("no AWS credentials", fix, code=type(exc).__name__)
    # EndpointConnectionError, ReadTimeoutError, ConnectTimeoutError, and the rest: their
    # messages quote the request's URL, user-info and query string included.
    return ProviderError(redact(str(exc)), code=type(exc).__name__)


def _rejected(code: str, message: str, operation: str) -> tuple[str, str] | None:
    """(what happened, the fix) when `code` says the credentials are the problem."""
    if code in REJECTED_CODES:
        return "AWS rejected the credentials", _CHECK_CREDENTIALS
    if code.startswith(EXPIRED_PREFIX):
        fix = "refresh them ('aws sso login', or a new AWS_SESSION_TOKEN) and run again"
        return "the AWS credentials have expired", fix
    if code.startswith(DENIED_PREFIX):
        fix = "grant that permission to the credentials in use, or pass --profile for ones with it"
        return f"AWS denied {operation}: {message}", fix
    return None


@contextmanager
def aws_errors() -> Iterator[None]:
    try:
        yield
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise translate(exc) from exc


def is_missing_operation(exc: botocore.exceptions.ClientError) -> bool:
    """The endpoint does not have this operation at all (older regions, moto, LocalStack)."""
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error_code(exc) in _NO_SUCH_OPERATION or status in (404, 405, 501)


def failed_send(exc: Exception) -> SendResult:
    """A stop request's botocore failure as its SendResult: not found, or `unanswered` when it
    went out and no answer said what became of it (the look after decides)."""
    from jobctl.models import SendResult

    failure = translate(exc)
    return SendResult(
        False,
        failure.request_id,
        failure.code,
        failure.message,
        not_found=isinstance(failure, NotFoundError),
        unanswered=answer_lost(exc),
    )


def answer_lost(exc: Exception) -> bool:
    """A request that went out and got no answer saying what became of it: a 5xx after every
    retry, a read timeout, a connection closed mid-answer. A refused connection sent nothing."""
    if isinstance(exc, botocore.exceptions.ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return int(status) >= 500
    return isinstance(
        exc, botocore.exceptions.ReadTimeoutError | botocore.exceptions.ConnectionClosedError
    )


_NO_SUCH_OPERATION = frozenset({"UnknownOperationException", "InvalidAction", "404", "NotFound"})


def request_id_of(response: Any) -> str | None:
    rid = response.get("ResponseMetadata", {}).get("RequestId")
    return str(rid) if rid else None
