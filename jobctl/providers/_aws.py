"""What the two AWS adapters share: session, client settings and error translation.

Imported only from inside the AWS provider classes, never on the path of --help or TAB.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import boto3
import botocore.exceptions
from botocore.config import Config

from jobctl.errors import ConfigError, CredentialsError, NotFoundError, ProviderError

if TYPE_CHECKING:
    from jobctl.providers.base import ProviderConfig

# Codes AWS services use for "no such thing"; CancelJobs reports unknown jobs as successful.
NOT_FOUND_CODES = frozenset({"ResourceNotFoundException", "NotFoundException"})


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
        msg = f"AWS profile {config.profile!r} not found: check --profile or ~/.aws/config"
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
        retries={"mode": "standard", "max_attempts": 5},
        connect_timeout=config.connect_timeout,
        read_timeout=config.read_timeout,
        user_agent_extra="jobctl",
    )
    client: Any = session.client(  # type: ignore[call-overload]
        service, endpoint_url=config.endpoint_url, config=client_config
    )
    return client, region


def error_code(exc: botocore.exceptions.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code") or "ClientError")


def translate(exc: Exception) -> ProviderError | CredentialsError:
    """botocore's exceptions as jobctl's, most specific first."""
    if isinstance(exc, botocore.exceptions.ClientError):
        code = error_code(exc)
        message = str(exc.response.get("Error", {}).get("Message") or exc)
        request_id = exc.response.get("ResponseMetadata", {}).get("RequestId")
        if code in NOT_FOUND_CODES:
            return NotFoundError(message, code=code, request_id=request_id)
        return ProviderError(message, code=code, request_id=request_id)
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        msg = "no AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or pass --profile"
        return CredentialsError(msg)
    # EndpointConnectionError, ReadTimeoutError, ConnectTimeoutError, and the rest.
    return ProviderError(str(exc), code=type(exc).__name__)


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


_NO_SUCH_OPERATION = frozenset({"UnknownOperationException", "InvalidAction", "404", "NotFound"})


def request_id_of(response: Any) -> str | None:
    rid = response.get("ResponseMetadata", {}).get("RequestId")
    return str(rid) if rid else None
