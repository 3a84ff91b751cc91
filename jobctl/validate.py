"""Every check that can be made before the first request, made for every job.

See docs/ARCHITECTURE.md, "Checks before the first request".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

from jobctl.errors import ConfigError, UsageError
from jobctl.providers.base import ReasonMode
from jobctl.sanitize import BIDI, redact_url

if TYPE_CHECKING:
    from jobctl.models import JobRef, StopOptions
    from jobctl.providers.base import ProviderInfo

REASON_CODE = re.compile(r"[A-Z0-9_]{1,128}")
# botocore's own rule for a region name; Tencent's (ap-guangzhou) keep to it too. A region
# becomes part of a URL (AWS) or a signed header (Tencent): nothing else may pass.
REGION = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?")


def shown(text: str, limit: int = 60) -> str:
    """A safe, short rendering of user input for an error message."""
    clipped = text if len(text) <= limit else text[:limit] + "…"
    return ascii(clipped)


def check_text(text: str, *, what: str) -> None:
    """Printable, single-line text: no control, line-separator, bidi or surrogate characters."""
    for char in text:
        category = unicodedata.category(char)
        # A reason must read as it will be stored: nothing that hides or reorders text.
        if category in ("Cc", "Zl", "Zp", "Cs", "Co") or char in BIDI:
            msg = (
                f"{what} must be printable single-line text; it contains {char!a} "
                f"at position {text.index(char) + 1}"
            )
            raise UsageError(msg)


def check_reason(reason: str | None) -> None:
    if reason is None:
        return
    if not reason.strip():
        msg = "--reason must not be empty: leave it out to send jobctl's default reason"
        raise UsageError(msg)
    check_text(reason, what="--reason")


def check_reason_code(code: str | None) -> None:
    if code is not None and REASON_CODE.fullmatch(code) is None:
        msg = (
            f"--reason-code {shown(code)} is not valid: use 1 to 128 of A-Z, 0-9 and _ "
            "(e.g. DEPLOY_ROLLBACK)"
        )
        raise UsageError(msg)


def native_reason_length(info: ProviderInfo, options: StopOptions) -> int:
    length = len(options.reason)
    if options.reason_code is not None and info.reason_code_mode is ReasonMode.PREFIX:
        length += len(options.reason_code) + 2
    return length


def first_refused(text: str, categories: frozenset[str]) -> int | None:
    """Index of the first character whose Unicode category is in `categories`, if any."""
    return next((i for i, c in enumerate(text) if unicodedata.category(c) in categories), None)


def check_provider_options(info: ProviderInfo, options: StopOptions) -> None:
    if info.reason_mode is ReasonMode.AUDIT or info.reason_limit is None:
        return
    refused = first_refused(options.reason, info.reason_refused_categories)
    if refused is not None:
        char = options.reason[refused]
        msg = (
            f"--reason contains {char!a} at position {refused + 1}, which {info.title} "
            f"does not take in {info.reason_field}: leave out invisible characters"
        )
        raise UsageError(msg)
    length = native_reason_length(info, options)
    if length > info.reason_limit:
        folded = info.reason_code_mode is ReasonMode.PREFIX and options.reason_code
        how = " with the reason code folded in" if folded else ""
        msg = (
            f"--reason is {length} characters{how}; {info.title} takes at most "
            f"{info.reason_limit} in {info.reason_field}"
        )
        raise UsageError(msg)


def provider_known(name: str) -> bool:
    from jobctl import providers

    # The built-in names first: finding plug-ins reads every installed package's metadata.
    return name in providers.BUILTIN or name in providers.names()


def did_you_mean(name: str, shape: str) -> str:
    """ "did you mean [providers.aws-batch]?" for a name close to a provider's; else the list.

    `shape` places a provider name in the text ("{}", "[providers.{}]").
    """
    import difflib

    from jobctl import providers

    known = providers.names()
    close = difflib.get_close_matches(name.lower(), known, n=1)
    if close:
        return f"did you mean {shape.format(close[0])}?"
    return f"known: {', '.join(shape.format(k) for k in known)}"


def check_refs(refs: Sequence[JobRef], infos: dict[str, ProviderInfo]) -> None:
    for ref in refs:
        info = infos[ref.provider]
        if info.job_id_pattern.fullmatch(ref.job_id) is None:
            msg = (
                f"{shown(ref.job_id)} is not a valid {info.name} job id: "
                f"expected {info.job_id_hint}"
            )
            raise UsageError(msg)
        if ref.target is not None:
            check_target(info, ref.target, f"{info.name} job {ref.job_id}")


def check_target(info: ProviderInfo, target: str, what: str) -> None:
    """A sub-target (an IoT thing name) for `what`: a job, or a filter selection."""
    if info.target_pattern is None or info.target_option is None:
        from jobctl import providers

        owners = providers.declaring(lambda i: i.target_option == "--thing")
        msg = f"--thing applies to {' and '.join(owners)} jobs only, not to {what}"
        raise UsageError(msg)
    if info.target_pattern.fullmatch(target) is None:
        msg = f"{info.target_option} {shown(target)} is not a valid name for {info.name}"
        raise UsageError(msg)


# Where to send requests is configuration (exit 4, like a missing region), whether it came
# from a flag, the environment or the config file; `source` names which.


def check_region(region: str, *, source: str) -> None:
    if REGION.fullmatch(region) is None:
        msg = f"{source} {shown(region)} is not a region name (e.g. us-east-1, ap-guangzhou)"
        raise ConfigError(msg)


def _host_only(provider: str | None) -> str | None:
    """Why `provider`'s SDK takes an endpoint as HOST[:PORT] alone (its INFO says), if it does."""
    from jobctl import providers

    if provider is None or not provider_known(provider):
        return None
    try:
        return providers.info(provider).endpoint_host_only
    except ImportError:
        return None


def check_endpoint(url: str, *, source: str, provider: str | None = None) -> None:
    """http(s)://HOST[:PORT][/PATH], printable, no spaces: nothing is sent anywhere else.

    The URL is never shown whole: its user-info or query string may be a credential.
    """
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError on a port that is not one
    except ValueError:
        usable = False
    if not usable or any(c.isspace() or unicodedata.category(c)[0] == "C" for c in url):
        msg = f"{source} {shown(redact_url(url))} is not an http(s) URL, e.g. http://127.0.0.1:5000"
        raise ConfigError(msg)
    why = _host_only(provider)
    if why is None:
        return
    if "@" in parts.netloc:
        msg = f"{source} must not carry a user name or password: {why}"
        raise ConfigError(msg)
    if parts.path.strip("/") or parts.query or parts.fragment or url.endswith(("?", "#")):
        msg = (
            f"{source} {shown(redact_url(url))} must be http(s)://HOST[:PORT] for {provider}: "
            "its SDK sends every request to the host's root and would drop the rest"
        )
        raise ConfigError(msg)
