"""A recording (and, later, fault-injecting) HTTP proxy on 127.0.0.1 for tests.

jobctl is pointed at the proxy with --endpoint-url; the proxy forwards to the real test server
(moto, the Tencent emulator) and records every request, so a test can assert what was sent,
and that nothing was.
"""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    # AWS rest-json: the path names the operation; Tencent: the X-TC-Action header.
    action: str
    body: bytes


@dataclass
class Proxy:
    target: str
    seen: list[Seen] = field(default_factory=list)
    # Seconds to hold each request of an action before forwarding it (a slow server).
    delays: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        target = urlsplit(self.target)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_request(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                action = self.headers.get("X-TC-Action") or self.path.rstrip("/").rsplit("/", 1)[-1]
                with proxy._lock:
                    proxy.seen.append(Seen(self.command, self.path, action, body))
                    delay = proxy.delays.get(action, 0.0)
                if delay:
                    time.sleep(delay)
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                headers["Host"] = f"{target.hostname}:{target.port}"
                if "X-TC-Action" in self.headers:
                    # TC3-HMAC-SHA256 signs the Host header: a Tencent request keeps the one
                    # it was signed with, or the emulator rightly refuses the signature.
                    headers["Host"] = self.headers["Host"]
                conn.request(self.command, self.path, body=body, headers=headers)
                answer = conn.getresponse()
                payload = answer.read()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                conn.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_request

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

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

    def clear(self) -> None:
        with self._lock:
            self.seen.clear()
