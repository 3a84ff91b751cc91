"""The audit log: one JSON line per stop answer as it arrives, and one per final outcome.

Every job a stop request was sent for gets an `answer` record when the provider answers (from
the thread that got the answer), and a `final` record with the outcome the user was told, after
verification and after --wait. A request sent but never answered, when jobctl leaves, gets an
`unanswered` record. So a crash loses at most the requests in flight, and the log's last line
for a job is the truth.

Each line is written in one `write` to a file opened with O_APPEND under an exclusive lock,
so two jobctl processes never interleave a line. Failing to write is a warning, never a lost
stop.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import getpass
import json
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from jobctl.models import Result, StopOptions

# answer: a stop request's answer as it arrived; final: the outcome the user was told;
# unanswered: sent, and no answer when jobctl left.
Kind = Literal["answer", "final", "unanswered"]


def default_path() -> Path:
    if env := os.environ.get("JOBCTL_AUDIT_LOG"):
        return Path(env)
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "jobctl" / "audit.jsonl"


def user_and_host() -> tuple[str, str]:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return user, socket.gethostname()


class AuditLog:
    def __init__(self, path: Path, *, warn: Callable[[str], None]) -> None:
        self.path = path
        self.warn = warn
        self.user, self.host = user_and_host()
        self._lock = threading.Lock()
        self._warned = False
        self.written = 0

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
            "message": result.message,
            "error": None if result.outcome.ok else result.message,
        }
        if result.extra.get("thing"):
            entry["thing"] = result.extra["thing"]
        line = (json.dumps(entry, ensure_ascii=True) + "\n").encode()
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                    os.write(fd, line)
                finally:
                    os.close(fd)
                self.written += 1
            except OSError as exc:
                if not self._warned:
                    self._warned = True
                    self.warn(f"could not write the audit log {self.path}: {exc.strerror or exc}")
