"""What the fault-injecting proxy (tests/support/proxy.py) does instead of, or after, forwarding.

Each fault is answered the way the provider's own front door would answer it, so the SDK under
test parses it as that error and nothing else:

- aws-batch (rest-json): throttling is HTTP 429 with `x-amzn-ErrorType: TooManyRequestsException`;
  a server fault is the modelled 500 `ServerException`.
- aws-batch and aws-iot: credentials AWS does not know are HTTP 403
  `UnrecognizedClientException`, missing permissions 403 `AccessDeniedException`, as AWS's
  front door sends them to every rest-json service (the type in the header, with its namespace).
- aws-iot (rest-json): the modelled `ThrottlingException` (HTTP 400), `InternalFailureException`
  (500) and `ServiceUnavailableException` (503).
- tencent (API 3.0): HTTP 200 with `Response.Error` and Content-Type exactly `application/json`
  (the SDK reads an error from no other), `RequestLimitExceeded` and `InternalError`; a 503 is
  a raw answer from a load balancer, which the SDK reports as `ServerNetworkError`; refused
  credentials are `AuthFailure.SignatureFailure`, missing CAM permissions
  `AuthFailure.UnauthorizedOperation`.

Decisions are seeded and keyed by the request's content and how often that same request has
been seen, so thread scheduling does not change which request gets which fault.
"""

from __future__ import annotations

import json
import random
import threading
import uuid
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum


class Fault(StrEnum):
    THROTTLE = "throttle"  # the provider's throttling error; not forwarded
    SERVER_ERROR = "server-error"  # the provider's 500-class error; not forwarded
    UNAVAILABLE = "unavailable"  # HTTP 503; not forwarded
    SLOW = "slow"  # held past the client's read timeout, then hung up; not forwarded
    DROP = "drop"  # connection closed without an answer; not forwarded
    TRUNCATE = "truncate"  # forwarded; the answer cut off half way
    GARBAGE = "garbage"  # forwarded; a 200 answer whose body is not JSON
    AUTH = "auth"  # the provider does not accept the credentials; not forwarded
    DENIED = "denied"  # the credentials lack the permission; not forwarded
    ERROR_PAGE = "error-page"  # a gateway's 502 HTML page in front of the provider; not forwarded


# What reaches the server: no fault, or one that spoils only the answer.
FORWARDED = frozenset({None, Fault.TRUNCATE, Fault.GARBAGE})
# Answered by the proxy, in the provider's own words (native_answer), instead of forwarding.
ANSWERED = frozenset(
    {
        Fault.THROTTLE,
        Fault.SERVER_ERROR,
        Fault.UNAVAILABLE,
        Fault.AUTH,
        Fault.DENIED,
        Fault.ERROR_PAGE,
    }
)


@dataclass(frozen=True)
class Rule:
    """Answer `share` of the matching requests with `fault`."""

    fault: Fault
    share: float = 1.0
    # Lower-case action names (Tencent's X-TC-Action, an AWS path's last segment without its
    # query); None: every request.
    actions: frozenset[str] | None = None
    # The rule applies once this many requests counted by `counting` have been let through to
    # the server (e.g. "the lookup after the first stop request", "the server dies half way").
    # Counted as they are let through, not as they arrive there, so that with many requests
    # in flight exactly `after` of them get through first.
    after: int = 0
    counting: frozenset[str] | None = None
    # At most this many faults from this rule; None: no limit.
    times: int | None = None

    def matches(self, action: str) -> bool:
        return self.actions is None or action in self.actions


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def dialect_of(path: str, headers: dict[str, str]) -> str:
    """Which provider a request is for: Tencent signs X-TC-Action, Batch's paths start /v1/."""
    if any(name.lower() == "x-tc-action" for name in headers):
        return "tencent"
    return "aws-batch" if path.startswith("/v1/") else "aws-iot"


def _aws(status: int, code: str, message: str) -> Answer:
    body = json.dumps({"__type": code, "message": message}).encode()
    headers = {
        "Content-Type": "application/json",
        "x-amzn-ErrorType": code,
        "x-amzn-RequestId": str(uuid.uuid4()),
    }
    return Answer(status, headers, body)


def _aws_front_door(code: str, body: dict[str, str]) -> Answer:
    """An error from AWS's authentication layer, not the service: a namespaced type header."""
    headers = {
        "Content-Type": "application/json",
        "x-amzn-ErrorType": f"{code}:http://internal.amazon.com/coral/com.amazon.coral.service/",
        "x-amzn-RequestId": str(uuid.uuid4()),
    }
    return Answer(403, headers, json.dumps(body).encode())


_UNRECOGNIZED_CODE = "UnrecognizedClientException"
_UNRECOGNIZED = {"message": "The security token included in the request is invalid."}
_DENIED = {
    "Message": "User: arn:aws:iam::123456789012:user/jobctl-test is not authorized to perform "
    "this operation because no identity-based policy allows it"
}


def _tencent(code: str, message: str) -> Answer:
    document = {
        "Response": {"Error": {"Code": code, "Message": message}, "RequestId": str(uuid.uuid4())}
    }
    return Answer(200, {"Content-Type": "application/json"}, json.dumps(document).encode())


_NATIVE = {
    ("aws-batch", Fault.THROTTLE): lambda: _aws(
        429, "TooManyRequestsException", "Too Many Requests"
    ),
    ("aws-batch", Fault.SERVER_ERROR): lambda: _aws(
        500, "ServerException", "injected server fault"
    ),
    ("aws-iot", Fault.THROTTLE): lambda: _aws(400, "ThrottlingException", "Rate exceeded"),
    ("aws-iot", Fault.SERVER_ERROR): lambda: _aws(
        500, "InternalFailureException", "injected server fault"
    ),
    ("aws-batch", Fault.AUTH): lambda: _aws_front_door(_UNRECOGNIZED_CODE, _UNRECOGNIZED),
    ("aws-iot", Fault.AUTH): lambda: _aws_front_door(_UNRECOGNIZED_CODE, _UNRECOGNIZED),
    ("aws-batch", Fault.DENIED): lambda: _aws_front_door("AccessDeniedException", _DENIED),
    ("aws-iot", Fault.DENIED): lambda: _aws_front_door("AccessDeniedException", _DENIED),
    ("tencent", Fault.AUTH): lambda: _tencent(
        "AuthFailure.SignatureFailure",
        "The provided credentials could not be validated. Please check your signature is correct.",
    ),
    ("tencent", Fault.DENIED): lambda: _tencent(
        "AuthFailure.UnauthorizedOperation", "The request is not authorized (injected)."
    ),
    ("tencent", Fault.THROTTLE): lambda: _tencent(
        "RequestLimitExceeded", "Requests exceed the limit (injected)."
    ),
    ("tencent", Fault.SERVER_ERROR): lambda: _tencent(
        "InternalError", "An internal error has occurred (injected)."
    ),
}

# The code each provider's SDK reports for a fault, as jobctl shows it in a result's message.
EXPECTED_CODE = {
    ("aws-batch", Fault.THROTTLE): "TooManyRequestsException",
    ("aws-batch", Fault.SERVER_ERROR): "ServerException",
    ("aws-batch", Fault.UNAVAILABLE): "ServiceUnavailableException",
    ("aws-iot", Fault.THROTTLE): "ThrottlingException",
    ("aws-iot", Fault.SERVER_ERROR): "InternalFailureException",
    ("aws-iot", Fault.UNAVAILABLE): "ServiceUnavailableException",
    ("tencent", Fault.THROTTLE): "RequestLimitExceeded",
    ("tencent", Fault.SERVER_ERROR): "InternalError",
    ("tencent", Fault.UNAVAILABLE): "ServerNetworkError",
    ("aws-batch", Fault.AUTH): "UnrecognizedClientException",
    ("aws-iot", Fault.AUTH): "UnrecognizedClientException",
    ("aws-batch", Fault.DENIED): "AccessDeniedException",
    ("aws-iot", Fault.DENIED): "AccessDeniedException",
    ("tencent", Fault.AUTH): "AuthFailure.SignatureFailure",
    ("tencent", Fault.DENIED): "AuthFailure.UnauthorizedOperation",
}


# What a load balancer or gateway in front of a service answers when the service behind it
# is gone: HTML, many lines, no error code an SDK knows.
ERROR_PAGE = b"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>502 Bad Gateway</title>
</head>
<body>
  <h1>Bad Gateway</h1>
  <p>The proxy server received an invalid response from an upstream server.</p>
</body>
</html>
"""


def native_answer(fault: Fault, dialect: str) -> Answer:
    """The provider's own answer for a fault in ANSWERED (a gateway's, for ERROR_PAGE)."""
    if fault is Fault.ERROR_PAGE:
        return Answer(502, {"Content-Type": "text/html"}, ERROR_PAGE)
    if fault is Fault.UNAVAILABLE:
        if dialect == "tencent":
            # Tencent's gateway always answers 200; a 503 comes from something in front of it.
            headers = {"Content-Type": "text/html"}
            return Answer(503, headers, b"<html><body>503 Service Unavailable</body></html>")
        return _aws(503, "ServiceUnavailableException", "injected: service unavailable")
    return _NATIVE[(dialect, fault)]()


GARBAGE_BODY = b"<html><body>upstream answered something that is not JSON</body></html>"


class Injector:
    """Seeded decisions, and the tally of what was injected, by fault kind."""

    def __init__(self, rules: list[Rule], seed: int) -> None:
        # The proxy's own list: a test may add a rule while the proxy runs.
        self.rules = rules
        self.seed = seed
        self.injected: Counter[str] = Counter()
        self._times_seen: Counter[tuple[str, str, bytes]] = Counter()
        self._counted: Counter[Rule] = Counter()
        self._fired: Counter[Rule] = Counter()
        self._lock = threading.Lock()

    def decide(self, method: str, path: str, action: str, body: bytes) -> Fault | None:
        with self._lock:
            key = (method, path, body)
            self._times_seen[key] += 1
            draw = random.Random(f"{self.seed}|{method}|{path}|{body!r}|{self._times_seen[key]}")
            chosen = None
            for rule in self.rules:
                if not rule.matches(action) or self._counted[rule] < rule.after:
                    continue
                if rule.times is not None and self._fired[rule] >= rule.times:
                    continue
                if draw.random() < rule.share:
                    self._fired[rule] += 1
                    self.injected[str(rule.fault)] += 1
                    chosen = rule.fault
                    break
            if chosen in FORWARDED:
                for rule in self.rules:
                    if rule.counting is None or action in rule.counting:
                        self._counted[rule] += 1
            return chosen
