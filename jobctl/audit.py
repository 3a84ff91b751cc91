"""The audit log: one JSON line per stop request before it leaves, per answer as it arrives, and
per final outcome.

Every job a stop request is sent for gets a `request` record just before the request leaves
(a bulk request's jobs in one write), an `answer` record when the provider answers (from the
thread that got the answer), and a `final` record with the outcome the user was told, after
verification and after --wait. A request sent but never answered, when jobctl leaves, gets an
`unanswered` record. So a SIGKILL loses no stop request that left (unless the log could not be
written then): a job whose last line is its `request` was asked for, or was about to be, and
its answer never seen; and the log's last line for a job is the truth as far as jobctl knew.

Lines are appended to a file opened with O_APPEND under an exclusive flock, so two jobctl
processes never interleave a line; a write cut short is taken back, so none is ever cut.
Nothing waits for ever: the log is opened without blocking (a FIFO with no reader, or
anything but a regular file, is refused) and the flock is retried for at most `limit`
seconds. Records that cannot be written stay pending and go with the next write; those still
pending when the run ends are kept in a file beside the log, and one warning says how many
and where. Failing to write is a warning, never a lost stop.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import getpass
import json
import os
import socket
import stat
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from jobctl.sanitize import redact

if TYPE_CHECKING:
    from jobctl.models import Result, StopOptions

# request: a stop request about to leave (its outcome not known: null); answer: its answer as
# it arrived; final: the outcome the user was told; unanswered: sent, and no answer when
# jobctl left.
Kind = Literal["request", "answer", "final", "unanswered"]

TIMEOUT_ENV = "JOBCTL_AUDIT_TIMEOUT"
# The longest wait to open and lock the log, unless JOBCTL_AUDIT_TIMEOUT says otherwise.
DEFAULT_LIMIT = 2.0
_RETRY_EVERY = 0.02


def default_path() -> Path:
    if env := os.environ.get("JOBCTL_AUDIT_LOG"):
        return Path(env)
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "jobctl" / "audit.jsonl"


def time_limit() -> float:
    """JOBCTL_AUDIT_TIMEOUT (a duration), or 2s."""
    from jobctl.durations import parse_duration

    text = os.environ.get(TIMEOUT_ENV)
    return parse_duration(text, option=TIMEOUT_ENV) if text else DEFAULT_LIMIT


def user_and_host() -> tuple[str, str]:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return user, socket.gethostname()


class Unwritable(Exception):
    """The log cannot take a line now; the message says why, in a few words."""


class AuditLog:
    def __init__(
        self, path: Path, *, warn: Callable[[str], None], limit: float = DEFAULT_LIMIT
    ) -> None:
        self.path = path
        self.warn = warn
        self.limit = limit
        self.user, self.host = user_and_host()
        # Encoded lines not yet in the log, oldest first (deque: appends are thread-safe).
        self._pending: deque[bytes] = deque()
        # One writer at a time; the others wait at most `limit` for it.
        self._writer = threading.Lock()
        # Set once a write failed: later writes try once and never wait, until one succeeds.
        self._blocked = False
        # Set when leaving at once: nothing waits any more, not even for this process's lock.
        self._leaving = False
        self._warned = False
        self._why = ""
        self.written = 0
        # Set on a thread inside `burst`: its records wait for the burst's end to be written.
        self._bursting = threading.local()

    def record(self, result: Result, options: StopOptions, *, kind: Kind) -> None:
        entry: dict[str, Any] = {
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "record": kind,
            "user": self.user,
            "host": self.host,
            "provider": result.provider,
            "region": result.region,
            "job": result.job_id,
            "verb": result.action,
            "operation": result.operation,
            "reason": options.reason,
            "reason_code": options.reason_code,
            "force": options.force,
            "outcome": str(result.outcome),
            "state_before": result.state_before,
            "state_after": result.state_after,
            "request_id": result.request_id,
            "message": redact(result.message),
            "error": None if result.outcome.ok else redact(result.message),
        }
        if kind == "request":
            # Nothing is known yet but that it is asked for (`operation` says how).
            entry.update(outcome=None, state_after=None, message="", error=None)
        if result.target is not None:
            entry["target"] = result.target
        if result.target is not None or result.target_kind is not None:
            entry["target_kind"] = result.target_kind
        if result.children is not None:
            # An array parent's record says where its children stood (its final one: at the end).
            entry["children"] = result.children.as_dict()
        self._pending.append((json.dumps(entry, ensure_ascii=True) + "\n").encode())
        if not self._leaving and not getattr(self._bursting, "on", False):
            self._flush(wait=not self._blocked)

    @contextmanager
    def burst(self) -> Iterator[None]:
        """Records made inside (on this thread) go in one write when it ends, not one each:
        a group's final records, made one after another once its jobs are decided. A record
        another thread writes meanwhile takes them along, as it takes any pending line."""
        self._bursting.on = True
        try:
            yield
        finally:
            self._bursting.on = False
            if not self._leaving:
                self._flush(wait=not self._blocked)

    def close(self) -> None:
        """The end of a run: one last try with the full time limit, then keep what is left."""
        self._flush(wait=True)
        self._keep_aside()

    def hurry(self) -> None:
        """From now on nothing waits, not even for this process's own writer."""
        self._leaving = True

    def abandon(self) -> None:
        """Leaving at once (from a signal handler): write what is pending, waiting for nothing.

        The writer lock, when taken, is never given back: the process ends right after.
        """
        self._leaving = True
        lines = list(self._pending)
        if lines and self._writer.acquire(blocking=False):
            try:
                self._append(b"".join(lines), wait=False)
                for _ in lines:
                    self._pending.popleft()
            except Unwritable as exc:
                self._why = str(exc)
        self._keep_aside()

    # -- writing ---------------------------------------------------------------------------

    def _flush(self, *, wait: bool) -> None:
        if not self._writer.acquire(timeout=self.limit if wait else 0):
            return  # the writer holding it takes our line along, or the next write will
        try:
            lines = list(self._pending)
            if not lines:
                return
            try:
                self._append(b"".join(lines), wait=wait)
            except Unwritable as exc:
                self._blocked, self._why = True, str(exc)
                if not self._warned:
                    self._warned = True
                    self.warn(
                        f"could not write the audit log {self.path}: {exc}; "
                        "the stops go on, and its records are kept to write later"
                    )
                return
            for _ in lines:
                self._pending.popleft()
            self._blocked = False
            self.written += len(lines)
        finally:
            self._writer.release()

    def _append(self, data: bytes, *, wait: bool) -> None:
        fd = self._open()
        try:
            self._lock(fd, wait=wait)
            # All of it or none: a write cut short (a full disk) is undone, never a cut line.
            start = os.fstat(fd).st_size
            view = memoryview(data)
            try:
                while view:
                    view = view[os.write(fd, view) :]
            except OSError:
                with suppress(OSError):
                    os.ftruncate(fd, start)
                raise
        except OSError as exc:
            raise Unwritable(exc.strerror or str(exc)) from exc
        finally:
            with suppress(OSError):
                os.close(fd)

    def _open(self) -> int:
        try:
            if not stat.S_ISREG(os.stat(self.path).st_mode):
                raise Unwritable("not a regular file")
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise Unwritable(exc.strerror or str(exc)) from exc
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, flags, 0o600)
        except OSError as exc:
            if exc.errno == errno.ENXIO:  # a FIFO with no reader, created since the check
                raise Unwritable("not a regular file") from exc
            raise Unwritable(exc.strerror or str(exc)) from exc
        try:
            regular = stat.S_ISREG(os.fstat(fd).st_mode)
        except OSError as exc:
            regular, why = False, exc.strerror or str(exc)
        else:
            why = "not a regular file"
        if not regular:
            with suppress(OSError):
                os.close(fd)
            raise Unwritable(why)
        return fd

    def _lock(self, fd: int, *, wait: bool) -> None:
        deadline = time.monotonic() + (self.limit if wait and not self._leaving else 0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if self._leaving or time.monotonic() >= deadline:
                    waited = f" for {self.limit:g}s" if wait and not self._leaving else ""
                    raise Unwritable(f"locked by another process{waited}") from None
                time.sleep(_RETRY_EVERY)

    def _keep_aside(self) -> None:
        """Records the log could not take go to a file beside it; one warning says where."""
        lines = list(self._pending)
        if not lines:
            return
        aside = self.path.with_name(f"{self.path.name}.unwritten-{os.getpid()}")
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | os.O_NOFOLLOW
        try:
            fd = os.open(aside, flags | os.O_CLOEXEC, 0o600)
            try:
                os.write(fd, b"".join(lines))
            finally:
                os.close(fd)
        except OSError as exc:
            self.warn(
                f"{len(lines)} audit records could not be written to {self.path} ({self._why}), "
                f"nor kept in {aside} ({exc.strerror or exc}): they are lost; "
                "point JOBCTL_AUDIT_LOG at a writable file"
            )
            return
        if not self._leaving:  # else a writer may still hold them; the process ends anyway
            self._pending.clear()
        self.warn(
            f"{len(lines)} audit records could not be written to {self.path} ({self._why}): "
            f"kept in {aside}; append them to the log once it is free"
        )
