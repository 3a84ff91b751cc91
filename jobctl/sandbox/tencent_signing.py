"""TC3-HMAC-SHA256, the Tencent Cloud API 3.0 signature, computed as the Python SDK does.

The SDK (tencentcloud/common/abstract_client.py, _get_tc3_signature) signs
`content-type;host` with a canonical request of method, URI, query, headers, signed header
names and the SHA-256 of the payload, and derives the key as HMAC chains over
"TC3"+secret, the UTC date, the service and "tc3_request".
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from jobctl.sandbox.tencent_state import ApiError

if TYPE_CHECKING:
    from collections.abc import Mapping

ALGORITHM = "TC3-HMAC-SHA256"
SERVICE = "batch"
API_VERSION = "2017-03-12"
# The documented tolerance between X-TC-Timestamp and the server's clock.
MAX_CLOCK_SKEW = 300
_REQUIRED_SIGNED = frozenset({"content-type", "host"})
_AUTH_RE = re.compile(
    r"TC3-HMAC-SHA256\s+Credential=(?P<id>[^/,\s]+)/(?P<date>[^/,\s]+)/(?P<service>[^/,\s]+)"
    r"/tc3_request,\s*SignedHeaders=(?P<headers>[a-z0-9;-]+),\s*Signature=(?P<sig>[0-9a-f]{64})\s*"
)


@dataclass(frozen=True)
class Authorization:
    secret_id: str
    date: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str | None) -> Authorization:
    if not value:
        msg = "The request is missing the Authorization header."
        raise ApiError("AuthFailure.InvalidAuthorization", msg)
    match = _AUTH_RE.fullmatch(value.strip())
    if match is None:
        msg = "The Authorization header does not follow the TC3-HMAC-SHA256 format."
        raise ApiError("AuthFailure.InvalidAuthorization", msg)
    signed = tuple(match["headers"].split(";"))
    if not set(signed) >= _REQUIRED_SIGNED:
        msg = "SignedHeaders must include content-type and host."
        raise ApiError("AuthFailure.InvalidAuthorization", msg)
    return Authorization(match["id"], match["date"], match["service"], signed, match["sig"])


def utc_date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")


def canonical_request(
    *,
    method: str,
    path: str,
    headers: Mapping[str, str],
    signed_headers: tuple[str, ...],
    body: bytes,
) -> str:
    """The canonical request; `headers` has lower-case names."""
    uri, _, query = path.partition("?")
    # The API documents header values as lower-cased and trimmed; the SDK's are already both.
    canonical_headers = "".join(
        f"{name}:{headers.get(name, '').strip().lower()}\n" for name in signed_headers
    )
    payload = (
        b"UNSIGNED-PAYLOAD" if headers.get("x-tc-content-sha256") == "UNSIGNED-PAYLOAD" else body
    )
    return "\n".join(
        [
            method,
            uri,
            query,
            canonical_headers,
            ";".join(signed_headers),
            hashlib.sha256(payload).hexdigest(),
        ]
    )


def signature(*, secret_key: str, date: str, service: str, timestamp: str, canonical: str) -> str:
    def _hmac(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()

    signing_key = _hmac(
        _hmac(_hmac(("TC3" + secret_key).encode("utf-8"), date), service), "tc3_request"
    )
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    string_to_sign = f"{ALGORITHM}\n{timestamp}\n{date}/{service}/tc3_request\n{digest}"
    return hmac.new(signing_key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def verify(
    *,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    secrets: Mapping[str, str],
    now: float,
) -> str:
    """Check the request's signature the way the API gateway does; return the SecretId."""
    auth = parse_authorization(headers.get("authorization"))
    raw_timestamp = headers.get("x-tc-timestamp")
    if raw_timestamp is None:
        msg = "The request is missing a required parameter `Timestamp`."
        raise ApiError("MissingParameter", msg)
    if not raw_timestamp.isdigit():
        msg = f"The value `{raw_timestamp}` of parameter `Timestamp` is not an integer."
        raise ApiError("InvalidParameter", msg)
    timestamp = int(raw_timestamp)
    if abs(now - timestamp) > MAX_CLOCK_SKEW:
        msg = (
            f"Signature expired: timestamp {timestamp} is over {MAX_CLOCK_SKEW}s from server time."
        )
        raise ApiError("AuthFailure.SignatureExpire", msg)
    secret_key = secrets.get(auth.secret_id)
    if secret_key is None:
        msg = "The SecretId is not found, please ensure that your SecretId is correct."
        raise ApiError("AuthFailure.SecretIdNotFound", msg)
    canonical = canonical_request(
        method=method, path=path, headers=headers, signed_headers=auth.signed_headers, body=body
    )
    expected = signature(
        secret_key=secret_key,
        date=auth.date,
        service=auth.service,
        timestamp=raw_timestamp,
        canonical=canonical,
    )
    scope_ok = auth.service == SERVICE and auth.date == utc_date(timestamp)
    if not (scope_ok and hmac.compare_digest(expected, auth.signature)):
        msg = (
            "The provided credentials could not be validated. "
            "Please check your signature is correct."
        )
        raise ApiError("AuthFailure.SignatureFailure", msg)
    return auth.secret_id


def sign_request(
    *,
    secret_id: str,
    secret_key: str,
    action: str,
    body: bytes,
    host: str,
    timestamp: int,
    region: str | None = "ap-guangzhou",
    version: str = API_VERSION,
) -> dict[str, str]:
    """Headers for `POST /` with `body`, signed as the SDK signs: for hand-made requests."""
    headers = {
        "Content-Type": "application/json",
        "Host": host,
        "X-TC-Action": action,
        "X-TC-Timestamp": str(timestamp),
        "X-TC-Version": version,
    }
    if region is not None:
        headers["X-TC-Region"] = region
    names = ("content-type", "host")
    lowered = {name.lower(): value for name, value in headers.items()}
    canonical = canonical_request(
        method="POST", path="/", headers=lowered, signed_headers=names, body=body
    )
    date = utc_date(timestamp)
    sig = signature(
        secret_key=secret_key,
        date=date,
        service=SERVICE,
        timestamp=str(timestamp),
        canonical=canonical,
    )
    headers["Authorization"] = (
        f"{ALGORITHM} Credential={secret_id}/{date}/{SERVICE}/tc3_request, "
        f"SignedHeaders={';'.join(names)}, Signature={sig}"
    )
    return headers
