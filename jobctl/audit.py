"""The audit log (DESIGN.md §4): one JSON line per job a stop request was sent for.

Each line is written, in one `write` to a file opened with O_APPEND under an exclusive lock,
as soon as the provider has answered, so two jobctl processes never interleave a line and a
crash loses nothing already sent. Failing to write is a warning, never a lost stop.
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
from typing import TYPE_CHECKING, Any

from jobctl.sanitize import redact

if TYPE_CHECKING:
    from jobctl.models import Result, StopOptions


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

    def record(self, result: Result, options: StopOptions) -> None:
        entry: dict[str, Any] = {
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
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
