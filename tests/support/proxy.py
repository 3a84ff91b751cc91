"""A recording, fault-injecting HTTP proxy on 127.0.0.1 for tests.

jobctl is pointed at the proxy with --endpoint-url; the proxy forwards to the real test server
(moto, the Tencent emulator) and records every request, so a test can assert what was sent,
and that nothing was. Given `rules` (tests/support/faults.py), it answers a share of the
requests with a fault instead: the provider's throttling or server error, a 503, an answer
held past the client's timeout, a dropped connection, refused credentials or permissions, or,
after forwarding, a truncated or non-JSON answer. `forwarded` is what reached the server;
`injected` counts faults by kind.

    proxy = Proxy(moto.url, rules=[Rule(Fault.THROTTLE, share=0.3)], seed=7).start()
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from tests.support.faults import (
    ANSWERED,
    GARBAGE_BODY,
    Answer,
    Fault,
    Injector,
    Rule,
    dialect_of,
    native_answer,
)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    # AWS rest-json: the path's last segment; Tencent: the X-TC-Action header.
    action: str
    body: bytes
    # The operation, lower case and the same for every provider's dialect: "describejobs",
    # "canceljob", "canceljobexecution", "terminatejob"... (IoT's paths name it only by shape).
    operation: str = ""
    dialect: str = ""
    # For a forwarded request: the server's answer, before any fault spoiled it.
    status: int = 0
    answer: bytes = b""
    # time.monotonic() when the request arrived: tests bound the product's retry schedule
    # by these, never by how long a whole run took.
    at: float = 0.0

    def accepted(self) -> bool:
        """The server took the request (Tencent reports errors inside an HTTP 200)."""
        if not 200 <= self.status < 300:
            return False
        return not (self.dialect == "tencent" and b'"Error"' in self.answer)

    def stop_targets(self) -> list[str]:
        """The jobs this stop request stopped: the one a single-job request names, or those a
        bulk answer (CancelJobs, TerminateJobs, TerminateServiceJobs) lists as successful."""
        if self.operation in ("canceljobs", "terminatejobs", "terminateservicejobs"):
            return [str(job) for job in json.loads(self.answer).get("successful", [])]
        target = self.stop_target()
        return [] if target is None else [target]

    def stop_target(self) -> str | None:
        """The job a single-job stop request names (IoT execution stops: 'JOB@THING')."""
        single = ("canceljob", "terminatejob", "terminateservicejob")
        if self.operation in single and self.dialect != "aws-iot":
            document = json.loads(self.body)
            return str(document.get("jobId") or document.get("JobId"))
        parts = self.path.split("?", 1)[0].strip("/").split("/")
        if self.operation == "canceljob":
            return parts[1]
        if self.operation == "canceljobexecution":
            return f"{parts[3]}@{parts[1]}"
        return None


def operation_of(method: str, path: str, action: str, dialect: str) -> str:
    if dialect != "aws-iot":
        return action.split("?", 1)[0].lower()
    parts = path.split("?", 1)[0].strip("/").split("/")
    if parts[:1] == ["things"] and len(parts) >= 4:
        return "canceljobexecution" if parts[-1] == "cancel" else "describejobexecution"
    if parts[:1] == ["jobs"]:
        if len(parts) == 1:
            return "listjobs"
        return "canceljob" if parts[-1] == "cancel" else "describejob"
    return parts[-1].lower()


LOOKUPS = frozenset({"describejobs", "describejob", "describejobexecution"})
STOPS = frozenset(
    {"canceljob", "canceljobs", "terminatejob", "terminatejobs", "canceljobexecution",
     "terminateservicejob", "terminateservicejobs"}
)  # fmt: skip


@dataclass
class Proxy:
    target: str
    seen: list[Seen] = field(default_factory=list)
    # Seconds to hold each request of an action before forwarding it (a slow server).
    delays: dict[str, float] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    seed: int = 0
    # How long a SLOW fault holds a request before hanging up: past the client's timeout.
    slow_seconds: float = 3.0
    forwarded: list[Seen] = field(default_factory=list)
    # TCP connections clients opened to the proxy (a kept-alive one counts once).
    connections: int = 0
    # Run before forwarding a request of that operation (Seen.operation): a test's way to have
    # the world change between jobctl's lookup and its stop request landing, deterministically.
    before: dict[str, Callable[[Seen], None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._injector = Injector(self.rules, self.seed)
        target = urlsplit(self.target)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave as two writes: without it, delayed ACKs add ~40 ms to each
            # answer, and a benchmark behind the proxy would measure them.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: object) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                with proxy._lock:
                    proxy.connections += 1

            def do_request(self) -> None:
                arrived = time.monotonic()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if len(body) < length:
                    # The client died mid-request (a test killed it): no server acts on half a
                    # request, and forwarding it would leave the server waiting for the rest.
                    self.close_connection = True
                    return
                action = self.headers.get("X-TC-Action") or self.path.rstrip("/").rsplit("/", 1)[-1]
                dialect = dialect_of(self.path, dict(self.headers.items()))
                operation = operation_of(self.command, self.path, action, dialect)
                seen = Seen(self.command, self.path, action, body, operation, dialect, at=arrived)
                with proxy._lock:
                    proxy.seen.append(seen)
                    delay = proxy.delays.get(action, 0.0)
                fault = proxy._injector.decide(self.command, self.path, operation, body)
                if fault in ANSWERED:
                    self._answer(native_answer(fault, dialect))
                    return
                if fault is Fault.SLOW:
                    time.sleep(proxy.slow_seconds)
                if fault in (Fault.SLOW, Fault.DROP):
                    self.close_connection = True
                    return
                if delay:
                    time.sleep(delay)
                hook = proxy.before.get(operation)
                if hook is not None:
                    hook(seen)
                answer = self._forward(body)
                with proxy._lock:
                    proxy.forwarded.append(replace(seen, status=answer.status, answer=answer.body))
                if fault is Fault.TRUNCATE:
                    self._answer(answer, cut=True)
                elif fault is Fault.GARBAGE:
                    headers = {"Content-Type": answer.headers.get("Content-Type", "")}
                    self._answer(Answer(200, headers, GARBAGE_BODY))
                else:
                    self._answer(answer)

            def _forward(self, body: bytes) -> Answer:
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                headers["Host"] = f"{target.hostname}:{target.port}"
                if "X-TC-Action" in self.headers:
                    # TC3-HMAC-SHA256 signs the Host header: a Tencent request keeps the one
                    # it was signed with, or the emulator rightly refuses the signature.
                    headers["Host"] = self.headers["Host"]
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    response = conn.getresponse()
                    payload = response.read()
                finally:
                    conn.close()
                kept = {
                    key: value
                    for key, value in response.getheaders()
                    if key.lower() not in ("transfer-encoding", "connection", "content-length")
                }
                return Answer(response.status, kept, payload)

            def _answer(self, answer: Answer, *, cut: bool = False) -> None:
                self.send_response(answer.status)
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.body)))
                if cut:
                    # Promise the whole body, send half, hang up: a truncated answer.
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                self.wfile.write(answer.body[: len(answer.body) // 2] if cut else answer.body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_request

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False
            # jobctl opens many connections at once (--concurrency): the default backlog of 5
            # would have the kernel drop connection attempts, a fault nobody asked for.
            request_queue_size = 128

            def handle_error(self, request: object, client_address: object) -> None:
                # A client gone before its answer (a held request, a run that left at once)
                # is routine here; a traceback would land in whichever test runs next.
                return

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def injected(self) -> Counter[str]:
        """Faults injected so far, by kind (Fault values)."""
        return Counter(self._injector.injected)

    def start(self) -> Proxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def actions(self) -> list[str]:
        with self._lock:
            return [s.action for s in self.seen]

    def operations(self, *, forwarded: bool = False) -> list[str]:
        with self._lock:
            return [s.operation for s in (self.forwarded if forwarded else self.seen)]

    def stopped(self) -> list[str]:
        """Jobs whose stop request reached the server and was taken, one entry per request.

        A bulk request counts once for each job its answer lists as successful.
        """
        with self._lock:
            forwarded = list(self.forwarded)
        return [t for s in forwarded if s.accepted() for t in s.stop_targets()]

    def clear(self) -> None:
        with self._lock:
            self.seen.clear()
            self.forwarded.clear()
            self.connections = 0
