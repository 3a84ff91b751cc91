"""A local Tencent Cloud Batch (2017-03-12) endpoint that the real tencentcloud SDK can call.

It speaks API 3.0 over HTTP on 127.0.0.1: POST / with a JSON body, the X-TC-* headers and a
TC3-HMAC-SHA256 Authorization that is verified against the secrets it was given. Every answer
is HTTP 200 with `{"Response": {..., "RequestId": ...}}`, errors included, as on the real API.

Usage in tests::

    with TencentBatchEmulator(secrets={"AKIDtest": "secret"}) as emu:
        job_id = emu.add_job(name="etl-1", state="RUNNING")
        ...  # point the SDK at HttpProfile(endpoint=emu.endpoint, protocol="http")
        emu.advance(30)

Run ``python -m jobctl.sandbox.tencent_emulator --seed-demo`` to serve one by hand.
"""

from __future__ import annotations

import argparse
import json
import socketserver
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, Self

from jobctl.sandbox.tencent_faults import Faults
from jobctl.sandbox.tencent_gateway import BatchGateway, EmulatorStats
from jobctl.sandbox.tencent_state import (
    ALL_STATES,
    ApiError,
    BatchJob,
    Clock,
    JobStore,
    ManualClock,
    RealClock,
    TaskSpec,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "DEFAULT_SECRETS",
    "BatchJob",
    "Clock",
    "EmulatorStats",
    "ManualClock",
    "RealClock",
    "TencentBatchEmulator",
    "main",
]

DEFAULT_SECRETS: Mapping[str, str] = MappingProxyType({"AKIDsandbox": "sandbox-secret"})
# AbstractClient._check_error only raises when Content-Type is exactly "application/json" or
# "text/plain"; with "; charset=utf-8" appended the SDK would read an error as an empty success.
CONTENT_TYPE = "application/json"


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, gateway: BatchGateway, port: int) -> None:
        self.gateway = gateway
        super().__init__(("127.0.0.1", port), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can stall without DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name = "127.0.0.1"
        self.server_port = int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-answer is routine here (drop faults, SDK timeouts): stay quiet.
        return


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "TencentBatchEmulator/1"
    # Idle keep-alive connections are closed after this many seconds.
    timeout = 30
    # Without it, headers and body leave as two small writes and delayed ACKs add ~40 ms each.
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        # A line per request on stderr would bury the output of the CLI being tried out.
        return

    def _serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        body = self.rfile.read(length) if length > 0 else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        if not isinstance(self.server, _Server):
            return
        answer = self.server.gateway.answer(
            method=self.command, path=self.path, headers=headers, body=body
        )
        if answer is None:
            self.close_connection = True
            return
        data = json.dumps(answer).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class TencentBatchEmulator:
    """Tencent Cloud Batch on 127.0.0.1, with jobs on a clock the caller controls."""

    def __init__(
        self,
        secrets: Mapping[str, str] | None = None,
        terminate_rate: float | None = 2.0,
        terminate_delay: float = 0.0,
        clock: Clock | None = None,
        *,
        state_seconds: float = 10.0,
        port: int = 0,
    ) -> None:
        self.clock: Clock = ManualClock() if clock is None else clock
        self._store = JobStore(self.clock, state_seconds)
        self._gateway = BatchGateway(
            self._store,
            DEFAULT_SECRETS if secrets is None else secrets,
            terminate_rate,
            terminate_delay,
        )
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> Self:
        if self._server is None:
            self._server = _Server(self._gateway, self._port)
            # stop() waits up to one poll interval: a short one keeps test teardown quick.
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        """host:port, what the SDK's HttpProfile(endpoint=..., protocol="http") wants."""
        if self._server is None:
            msg = "the emulator is not running: call start() first"
            raise RuntimeError(msg)
        return f"127.0.0.1:{self._server.server_port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    # --- settings --------------------------------------------------------------------------
    @property
    def terminate_rate(self) -> float | None:
        """TerminateJob requests per second per SecretId; None: no limit."""
        return self._gateway.limiter.rate

    @terminate_rate.setter
    def terminate_rate(self, rate: float | None) -> None:
        self._gateway.limiter.rate = rate

    @property
    def terminate_delay(self) -> float:
        """Clock seconds between an accepted TerminateJob and the job turning FAILED."""
        return self._gateway.terminate_delay

    @terminate_delay.setter
    def terminate_delay(self, seconds: float) -> None:
        self._gateway.terminate_delay = seconds

    @property
    def stats(self) -> EmulatorStats:
        return self._gateway.stats

    def set_faults(
        self,
        internal_error_rate: float = 0.0,
        delay: float = 0.0,
        drop_rate: float = 0.0,
        actions: Sequence[str] | None = None,
        seed: int = 0,
    ) -> None:
        """Replace the injected faults; call with no arguments to clear them."""
        chosen = None if actions is None else frozenset(actions)
        self._gateway.faults.configure(Faults(internal_error_rate, delay, drop_rate, chosen), seed)

    # --- jobs ------------------------------------------------------------------------------
    def add_job(
        self,
        name: str = "job",
        state: str = "SUBMITTED",
        pinned: bool = False,
        region: str = "ap-guangzhou",
        created_at: float | datetime | None = None,
        *,
        zone: str | None = None,
        priority: int = 0,
        final_state: str = "SUCCEED",
        tasks: Sequence[str] = ("task-1",),
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Add a job directly (no request); returns its id."""
        job = self._store.add(
            name=name,
            state=state,
            region=region,
            zone=f"{region}-3" if zone is None else zone,
            pinned=pinned,
            priority=priority,
            created_at=created_at.timestamp() if isinstance(created_at, datetime) else created_at,
            final_state=final_state,
            tasks=[TaskSpec(task) for task in tasks],
            tags=sorted((tags or {}).items()),
        )
        return job.job_id

    def job(self, job_id: str) -> BatchJob:
        """The job as DescribeJob would show it now; KeyError if unknown."""
        try:
            return self._store.get(job_id)
        except ApiError as exc:
            raise KeyError(job_id) from exc

    def jobs(self, region: str | None = None) -> list[BatchJob]:
        return self._store.all(region)

    def set_state(self, job_id: str, state: str, *, pinned: bool | None = None) -> BatchJob:
        self.job(job_id)
        return self._store.set_state(job_id, state, pinned=pinned)

    def pin(self, job_id: str, pinned: bool = True) -> BatchJob:
        self.job(job_id)
        return self._store.pin(job_id, pinned)

    def advance(self, seconds: float) -> None:
        """Move the manual clock; jobs take every transition due by then."""
        if not isinstance(self.clock, ManualClock):
            msg = "advance() needs the emulator to run on a ManualClock"
            raise TypeError(msg)
        self.clock.advance(seconds)

    def seed_demo(self, region: str = "ap-guangzhou") -> list[str]:
        """Jobs in every state for the sandbox: one pinned per state, two that move on their own."""
        ids = [
            self.add_job(f"demo-{state.lower()}", state, pinned=True, region=region)
            for state in ALL_STATES
        ]
        ids.append(self.add_job("etl-nightly", "RUNNING", region=region))
        ids.append(self.add_job("train-model", "SUBMITTED", region=region, final_state="FAILED"))
        return ids


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m jobctl.sandbox.tencent_emulator",
        description="Serve a local Tencent Cloud Batch emulator on 127.0.0.1 until Ctrl-C.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to bind (0: a free one)")
    parser.add_argument("--secret-id", default="AKIDsandbox", help="the SecretId to accept")
    parser.add_argument(
        "--secret-key", default="sandbox-secret", help="the SecretKey that signs for it"
    )
    parser.add_argument("--seed-demo", action="store_true", help="add jobs in every state")
    parser.add_argument(
        "--state-seconds", type=float, default=30.0, help="seconds a job spends in each state"
    )
    parser.add_argument(
        "--terminate-delay",
        type=float,
        default=5.0,
        help="seconds until a terminated job is FAILED",
    )
    parser.add_argument(
        "--rate", type=float, default=2.0, help="TerminateJob requests per second (0: no limit)"
    )
    args = parser.parse_args(argv)
    emulator = TencentBatchEmulator(
        secrets={args.secret_id: args.secret_key},
        terminate_rate=args.rate or None,
        terminate_delay=args.terminate_delay,
        clock=RealClock(),
        state_seconds=args.state_seconds,
        port=args.port,
    )
    with emulator:
        print(f"Tencent Cloud Batch emulator on {emulator.url}", flush=True)
        print(f"export TENCENTCLOUD_SECRET_ID={args.secret_id}", flush=True)
        print(f"export TENCENTCLOUD_SECRET_KEY={args.secret_key}", flush=True)
        for job_id in emulator.seed_demo() if args.seed_demo else []:
            job = emulator.job(job_id)
            print(f"{job.job_id}\t{job.state}\t{job.name}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
