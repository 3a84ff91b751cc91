"""The Tencent Cloud SDK behind the tencent adapter: client, credentials, errors, retries,
and its answers read as jobctl's values.

Imported only from inside TencentProvider's methods, never on the path of --help or TAB.

Credentials come from the SDK's own providers, in the SDK's order: environment
(TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY), then the [default] section of
~/.tencentcloud/credentials (or /etc/tencentcloud/credentials), then a CVM role. The SDK's
DefaultCredentialProvider would ask the instance metadata service on every machine, with no
timeout, and then fail with an OSError from its TKE step; jobctl asks for the CVM role only
when TENCENTCLOUD_CAM_ROLE_NAME names one (the variable Tencent's Terraform provider reads).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tencentcloud.batch.v20170312 import batch_client
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from jobctl.errors import (
    ConfigError,
    CredentialsError,
    CredentialsRejected,
    NotFoundError,
    ProviderError,
)
from jobctl.models import JobState, SendResult
from jobctl.sanitize import readable, redact_url
from jobctl.validate import shown

if TYPE_CHECKING:
    from jobctl.providers.base import ProviderConfig, ProviderInfo
    from jobctl.ratelimit import Pacing

ROLE_ENV = "TENCENTCLOUD_CAM_ROLE_NAME"
# Codes worth another try: throttling (RequestLimitExceeded and its .UinLimitExceeded kin),
# the service's InternalError, and the SDK's own transport failures (ServerNetworkError is
# any non-200 answer from the gateway). An answer cut short or not JSON reaches jobctl named
# after the exception reading it (the SDK wraps those in its own with the class name as code):
# TerminateJob is idempotent, so asking again is how to learn what happened.
_THROTTLED_PREFIX = "RequestLimitExceeded"
_RETRYABLE_PREFIXES = (_THROTTLED_PREFIX, "InternalError")
_RETRYABLE_CODES = frozenset(
    {
        "ClientNetworkError",
        "ServerNetworkError",
        "JSONDecodeError",
        "ChunkedEncodingError",
        "ContentDecodingError",
        "ConnectionError",
        "KeyError",
    }
)
_NO_CREDENTIALS = (
    "no Tencent Cloud credentials: set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, "
    "write them to the [default] section of ~/.tencentcloud/credentials, "
    f"or name a CVM role in {ROLE_ENV}"
)


def resolve_region(config: ProviderConfig) -> str:
    # The runner has already applied --region > TENCENTCLOUD_REGION > the config file.
    if not config.region:
        msg = (
            "no Tencent Cloud region: pass --region (e.g. ap-guangzhou), set TENCENTCLOUD_REGION, "
            "or set region in [providers.tencent] of the jobctl config file"
        )
        raise ConfigError(msg)
    return config.region


def load_credential() -> Any:
    """The first credential the SDK's providers find; CredentialsError before any request."""
    try:
        found = credential.EnvironmentVariableCredential().get_credential()
        if found is None:
            found = credential.ProfileCredential().get_credential()
        if found is None and os.environ.get(ROLE_ENV):
            found = credential.CVMRoleCredential(role_name=os.environ[ROLE_ENV]).get_credential()
    except TencentCloudSDKException as exc:
        # Credential() refuses empty ids and ones with spaces around them.
        msg = f"Tencent Cloud credentials are not usable: {exc.message}"
        raise CredentialsError(msg) from exc
    if found is None:
        raise CredentialsError(_NO_CREDENTIALS)
    return found


def endpoint_profile(endpoint_url: str | None, read_timeout: float) -> HttpProfile:
    """The SDK's HttpProfile for --endpoint-url, or its own default (batch.tencentcloudapi.com).

    The SDK only honours `protocol` when `endpoint` is a bare host[:port]: a URL with a
    scheme would be used as the Host header and signed as such.
    """
    if not endpoint_url:
        return HttpProfile(reqTimeout=read_timeout)
    parts = urlsplit(endpoint_url if "//" in endpoint_url else f"https://{endpoint_url}")
    # The runner has refused these already, naming where the URL came from; TAB's own lookup
    # comes straight here. User-info would go out as Basic authorization, in the clear.
    rest = parts.path.strip("/") or parts.query or parts.fragment or "@" in parts.netloc
    if parts.scheme not in ("http", "https") or not parts.hostname or rest:
        msg = (
            f"--endpoint-url {shown(redact_url(endpoint_url))} is not usable for tencent: "
            "give http(s)://HOST[:PORT], e.g. http://127.0.0.1:8080 for the sandbox"
        )
        raise ConfigError(msg)
    return HttpProfile(endpoint=parts.netloc, protocol=parts.scheme, reqTimeout=read_timeout)


def make_client(config: ProviderConfig) -> Callable[[], Any]:
    """A factory of Batch clients, for a `ClientPool`."""
    region = resolve_region(config)
    cred = load_credential()
    profile = endpoint_profile(config.endpoint_url, config.read_timeout)

    def client() -> Any:
        # English error messages (the SDK asks for Chinese ones by default), and "jobctl" in
        # X-TC-RequestClient so the calls can be told apart in CloudAudit.
        client_profile = ClientProfile(
            httpProfile=profile, language="en-US", request_client="jobctl"
        )
        return batch_client.BatchClient(cred, region, client_profile)

    return client


class ClientPool:
    """Batch clients reused from request to request, each lent to one request at a time.

    Not one client shared by all threads: the SDK's client keeps a requests.Session (which
    requests does not promise is safe across threads) and writes per-request fields
    (`request.request_size`). Not one per thread either: the engine's threads come and go with
    each batch of sends, and every new client is a new connection. The pool holds at most as
    many clients as there were requests in flight at once (the run's --concurrency), each
    keeping its connection open for the next request.
    """

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        # Clients made so far (what the pool saves is counted by tests).
        self.made = 0

    @contextmanager
    def lend(self) -> Iterator[Any]:
        with self._lock:
            client = self._idle.pop() if self._idle else None
            if client is None:
                self.made += 1
        if client is None:
            client = self._factory()
        try:
            yield client
        finally:
            with self._lock:
                self._idle.append(client)


def is_retryable(code: str) -> bool:
    return code in _RETRYABLE_CODES or code.startswith(_RETRYABLE_PREFIXES)


def is_throttled(code: str) -> bool:
    return code.startswith(_THROTTLED_PREFIX)


def translate(exc: TencentCloudSDKException) -> ProviderError:
    code = str(exc.code or "TencentCloudSDKException")
    message = readable(str(exc.message or exc))
    request_id = str(exc.requestId) if exc.requestId else None
    if code.startswith("ResourceNotFound"):
        return NotFoundError(message, code=code, request_id=request_id)
    rejected = _rejected(code, message)
    if rejected is not None:
        return CredentialsRejected(*rejected, code=code, request_id=request_id)
    return ProviderError(message, code=code, request_id=request_id)


def _rejected(code: str, message: str) -> tuple[str, str] | None:
    """(what happened, the fix) for the API 3.0 codes that blame the credentials.

    AuthFailure.* is the signature, the key or the token; AuthFailure.UnauthorizedOperation and
    UnauthorizedOperation.* are CAM permissions the credentials lack.
    """
    if code.endswith("UnauthorizedOperation") or code.startswith("UnauthorizedOperation"):
        fix = (
            "grant the CAM user or role of these credentials access to Batch, "
            "or use credentials that have it"
        )
        return f"Tencent Cloud denied the request: {message}", fix
    if code == "AuthFailure.SignatureExpire":
        fix = "set this machine's clock right (a signature is good for 5 minutes)"
        return "Tencent Cloud refused the request's time", fix
    if code.startswith("AuthFailure"):
        fix = (
            "check TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY "
            "(or ~/.tencentcloud/credentials)"
        )
        return "Tencent Cloud rejected the credentials", fix
    return None


@contextmanager
def tencent_errors() -> Iterator[None]:
    try:
        yield
    except TencentCloudSDKException as exc:
        raise translate(exc) from exc


@dataclass(frozen=True)
class Backoff:
    """Jittered exponential backoff: attempt n waits between half and all of base * 2**n."""

    base: float = 0.5
    cap: float = 8.0
    # Tries per request, the first included, for transient errors.
    attempts: int = 5
    # ...and for throttling, which asks for patience rather than reporting a failure: at 30%
    # of requests throttled, 12 tries leave one request in two million unanswered.
    throttled_attempts: int = 12

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        ceiling = min(self.cap, self.base * 2.0**attempt)
        # "Equal jitter": never less than half the ceiling, so a throttled caller really backs
        # off, and spread over the other half, so threads throttled together do not retry
        # together.
        uniform = random.uniform if rng is None else rng.uniform
        return ceiling / 2 + uniform(0, ceiling / 2)


def with_retries(
    call: Callable[[], Any],
    *,
    backoff: Backoff,
    deadline: float,
    sleep: Callable[[float], bool],
    before_retry: Callable[[float], bool] = lambda deadline: True,
    clock: Callable[[], float] = time.monotonic,
) -> Any:
    """`call()` under `tencent_errors`, retried while its error is transient.

    `sleep(seconds)` returns False to give up (interrupted); `before_retry(deadline)` (the
    rate limiter's token) returns False when interrupted or when it cannot be had before the
    deadline, so no retry starts after it. The last ProviderError is raised when the attempts
    or the time run out.
    """
    attempt = 0
    while True:
        try:
            with tencent_errors():
                return call()
        except ProviderError as exc:
            attempt += 1
            limit = backoff.throttled_attempts if is_throttled(exc.code) else backoff.attempts
            if not is_retryable(exc.code) or attempt >= limit:
                raise
            pause = backoff.delay(attempt - 1)
            if clock() + pause > deadline or not sleep(pause) or not before_retry(deadline):
                raise


# -- answers as jobctl's values ---------------------------------------------------------------


def timestamp(text: Any) -> float | None:
    """The API's times are ISO 8601 in UTC, "2024-05-01T08:00:00Z"."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text)).timestamp()
    except ValueError:
        return None


def job_state(view: Any, info: ProviderInfo) -> JobState:
    """A models.JobView (one row of DescribeJobs) as jobctl's JobState, in `info`'s phases."""
    state = str(view.JobState or "")
    extra: dict[str, Any] = {}
    zone = getattr(view.Placement, "Zone", None)
    if zone:
        extra["zone"] = zone
    return JobState(
        job_id=str(view.JobId),
        native_state=state,
        phase=info.phase_of(state),
        name=view.JobName,
        succeeded=state in info.success_states,
        created_at=timestamp(view.CreateTime),
        extra=extra,
    )


def failure(exc: ProviderError, pacing: Pacing) -> SendResult:
    message = exc.message
    if pacing.stop.is_set():
        message += " (not retried: interrupted)"
    return SendResult(
        False, exc.request_id, exc.code, message, not_found=isinstance(exc, NotFoundError)
    )
