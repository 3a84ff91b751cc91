"""Every error jobctl raises on purpose, and the exit code each one means.

    JobctlError                 exit 1  something went wrong; the message says what
    ├── UsageError              exit 2  bad arguments or input; nothing was sent
    ├── ConfigError             exit 4  no region, bad config file, missing extra
    │   └── CredentialsError    exit 4  no credentials found by the SDK's own chain
    │       └── CredentialsRejected     exit 4  the provider refused them; also a ProviderError
    ├── ProviderError           exit 1  a provider answered "no" or could not be reached
    │   └── NotFoundError       exit 1  the provider does not know the job
    └── OutputError             exit 1  standard output refused the results (not a gone reader)

Ctrl-C is no exception class of jobctl's: the engine stops sending on the first one and the
run ends with ExitCode.INTERRUPTED (130); the error boundary maps a KeyboardInterrupt to it.

A ProviderError raised for one job becomes that job's `failed` / `not-found` outcome in the
engine; only errors that stop the whole run reach the one error boundary in `cli.py`.
CredentialsRejected is both: raised by a lookup it ends the command (exit 4, nothing sent);
raised by one stop request it is that job's `failed` outcome, with the provider's code.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    PARTIAL = 3
    CONFIG = 4
    WAIT_TIMEOUT = 5
    INTERRUPTED = 130


class JobctlError(Exception):
    exit_code: ExitCode = ExitCode.FAILED


class UsageError(JobctlError):
    exit_code = ExitCode.USAGE


class ConfigError(JobctlError):
    exit_code = ExitCode.CONFIG


class CredentialsError(ConfigError):
    pass


class ProviderError(JobctlError):
    """A provider refused a request or could not be reached.

    `code` is the provider's own error code (e.g. `ClientException`, `ResourceInUse.Job`) or a
    jobctl one for transport failures (`EndpointConnectionError`).
    """

    def __init__(self, message: str, *, code: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class NotFoundError(ProviderError):
    pass


class CredentialsRejected(CredentialsError, ProviderError):
    """The provider refused the credentials or their permissions (AuthFailure, AccessDenied...).

    `message` is what a job's result says after the code; `str()` is the error line, with the
    code inside it and the fix at its end.
    """

    def __init__(self, what: str, fix: str, *, code: str, request_id: str | None = None) -> None:
        ProviderError.__init__(self, f"{what}: {fix}", code=code, request_id=request_id)
        self.line = f"{what} ({code}): {fix}"

    def __str__(self) -> str:
        return self.line


class OutputError(JobctlError):
    """Standard output refused the results (a full disk, an I/O error) after the run was done.

    Its exit code is FAILED unless the results earned one that says more (interrupted).
    """

    def __init__(self, message: str, *, exit_code: ExitCode = ExitCode.FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code
