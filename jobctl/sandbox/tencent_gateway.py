"""What the Tencent API gateway does with one request before and after the Batch action runs.

In order: injected faults, action and version routing, the TC3 signature, the region, the
TerminateJob rate limit, the JSON body, then the action. Every outcome becomes one Response
document, errors included, and is counted.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from jobctl.sandbox.tencent_actions import PARAMETERS, dispatch
from jobctl.sandbox.tencent_faults import FaultInjector, SlidingWindowLimiter
from jobctl.sandbox.tencent_signing import API_VERSION, verify
from jobctl.sandbox.tencent_state import ApiError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from jobctl.sandbox.tencent_state import JobStore

Json = dict[str, Any]


@dataclass(frozen=True)
class EmulatorStats:
    # Requests received per X-TC-Action ("" when absent), faulted and refused ones included.
    requests: Mapping[str, int]
    # Error answers per error code, injected ones included.
    errors: Mapping[str, int]
    # TerminateJob requests answered with success.
    terminate_accepted: int
    # Connections closed without an answer by drop_rate.
    dropped: int
    # time.monotonic() of each accepted TerminateJob, in order: the rate callers achieved.
    terminate_times: tuple[float, ...] = ()

    @property
    def rate_limited(self) -> int:
        return self.errors.get("RequestLimitExceeded", 0)

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())


class BatchGateway:
    def __init__(
        self,
        store: JobStore,
        secrets: Mapping[str, str],
        terminate_rate: float | None,
        terminate_delay: float,
    ) -> None:
        self.store = store
        self.secrets = dict(secrets)
        self.limiter = SlidingWindowLimiter(terminate_rate)
        self.faults = FaultInjector()
        # Clock seconds between an accepted TerminateJob and the job turning FAILED.
        self.terminate_delay = terminate_delay
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._errors: Counter[str] = Counter()
        self._terminate_times: list[float] = []
        self._dropped = 0

    @property
    def stats(self) -> EmulatorStats:
        with self._lock:
            return EmulatorStats(
                requests=MappingProxyType(dict(self._requests)),
                errors=MappingProxyType(dict(self._errors)),
                terminate_accepted=len(self._terminate_times),
                dropped=self._dropped,
                terminate_times=tuple(self._terminate_times),
            )

    def answer(
        self, *, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> Json | None:
        """The Response document for one request (lower-case header names); None to hang up."""
        action = headers.get("x-tc-action", "")
        fault = self.faults.decide(action)
        with self._lock:
            self._requests[action] += 1
            self._dropped += int(fault.drop)
        if fault.delay > 0:
            time.sleep(fault.delay)
        if fault.drop:
            return None
        request_id = str(uuid.uuid4())
        try:
            if fault.internal_error:
                msg = "An internal error has occurred (injected by the emulator). Retry later."
                raise ApiError("InternalError", msg)
            result = self._handle(method, path, headers, body, action)
        except ApiError as exc:
            return self._error(exc, request_id)
        except Exception:
            # A slip in the emulator reaches the caller as the API's InternalError, not a hang-up.
            msg = "An internal error has occurred in the emulator."
            return self._error(ApiError("InternalError", msg), request_id)
        return {"Response": {**result, "RequestId": request_id}}

    def _error(self, exc: ApiError, request_id: str) -> Json:
        with self._lock:
            self._errors[exc.code] += 1
        error = {"Code": exc.code, "Message": exc.message}
        return {"Response": {"Error": error, "RequestId": request_id}}

    def _handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, action: str
    ) -> Json:
        if method != "POST":
            msg = "The emulator accepts only POST with a JSON body signed with TC3-HMAC-SHA256."
            raise ApiError("InvalidParameter", msg)
        _route(action, headers.get("x-tc-version"))
        secret_id = verify(
            method=method,
            path=path,
            headers=headers,
            body=body,
            secrets=self.secrets,
            now=time.time(),
        )
        region = headers.get("x-tc-region")
        if not region:
            msg = "The request is missing a required parameter `Region`."
            raise ApiError("MissingParameter", msg)
        if action == "TerminateJob" and not self.limiter.allow(secret_id):
            msg = f"Requests to TerminateJob exceed the limit of {self.limiter.rate} per second."
            raise ApiError("RequestLimitExceeded", msg)
        result = dispatch(
            self.store, action, region, _params(body), terminate_delay=self.terminate_delay
        )
        if action == "TerminateJob":
            with self._lock:
                self._terminate_times.append(time.monotonic())
        return result


def _route(action: str, version: str | None) -> None:
    # The gateway routes before it authenticates: these errors come whatever the signature.
    if not action:
        msg = "The request is missing a required parameter `Action`."
        raise ApiError("MissingParameter", msg)
    if action not in PARAMETERS:
        emulated = ", ".join(PARAMETERS)
        msg = f"The requested action `{action}` does not exist (emulated: {emulated})."
        raise ApiError("InvalidAction", msg)
    if not version:
        msg = "The request is missing a required parameter `Version`."
        raise ApiError("MissingParameter", msg)
    if version != API_VERSION:
        msg = f"The requested version `{version}` of service `batch` does not exist."
        raise ApiError("NoSuchVersion", msg)


def _params(body: bytes) -> Json:
    try:
        params = json.loads(body or b"{}")
    except ValueError as exc:
        msg = f"The request body is not valid JSON: {exc}."
        raise ApiError("InvalidParameter", msg) from exc
    if not isinstance(params, dict):
        msg = "The request body must be a JSON object."
        raise ApiError("InvalidParameter", msg)
    return params
