"""The sandbox: moto's server for AWS Batch and IoT and jobctl's Tencent emulator on 127.0.0.1,
seeded with jobs in every state, for trying jobctl and rehearsing scripts
(docs/ARCHITECTURE.md, "The sandbox").

Everything runs in this process: stopping the sandbox (or the process ending) stops every
server and frees every port.
"""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BATCH_REGION = "us-east-1"
TENCENT_REGION = "ap-guangzhou"
TENCENT_SECRET_ID = "AKIDjobctlsandbox0000000000000000000"
TENCENT_SECRET_KEY = "jobctl-sandbox-tencent-secret-not-real"
HOUR = 3600.0
# `--extra-jobs`: how many RUNNABLE jobs per provider a sandbox seeds at most on top of its own.
MAX_EXTRA_JOBS = 10_000
SERVICE_QUEUE = "training-q"
EXTRA_QUEUE = "extra-q"
SERVICE_STATES = ("SUBMITTED", "PENDING", "RUNNABLE", "SCHEDULED", "STARTING", "RUNNING",
                  "SUCCEEDED", "FAILED")  # fmt: skip


@dataclass
class Seeded:
    """The ids the demo and the docs refer to, by what they are for."""

    batch: dict[str, str] = field(default_factory=dict)
    batch_stale: list[str] = field(default_factory=list)
    # Service jobs (SageMaker Training) in queue SERVICE_QUEUE, one per state, by state.
    batch_service: dict[str, str] = field(default_factory=dict)
    # `--extra-jobs N`: N RUNNABLE jobs per provider, by provider.
    extra: dict[str, list[str]] = field(default_factory=dict)
    iot: dict[str, str] = field(default_factory=dict)
    tencent: dict[str, str] = field(default_factory=dict)


class Sandbox:
    def __init__(
        self,
        *,
        batch_stop_delay: float = 2.0,
        tencent_terminate_delay: float = 2.0,
        port: int = 0,
        extra_jobs: int = 0,
    ) -> None:
        if not 0 <= extra_jobs <= MAX_EXTRA_JOBS:
            msg = f"extra_jobs must be 0 to {MAX_EXTRA_JOBS}, not {extra_jobs}"
            raise ValueError(msg)
        self.extra_jobs = extra_jobs
        self._stack = ExitStack()
        # moto on `port`, the Tencent emulator on the next one; 0: free ports, picked each run.
        self.port = port
        self.batch_stop_delay = batch_stop_delay
        self.tencent_terminate_delay = tencent_terminate_delay
        self.seeded = Seeded()
        self.env: dict[str, str] = {}
        self.batch: Any = None
        self.iot: Any = None
        self.tencent: Any = None
        self.moto: Any = None
        self.state_dir: Path | None = None

    def __enter__(self) -> Sandbox:
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _start(self) -> None:
        from jobctl.sandbox.aws import ACCESS_KEY, SECRET_KEY, BatchWorld, moto_server
        from jobctl.sandbox.iot import IotWorld
        from jobctl.sandbox.tencent_emulator import TencentBatchEmulator
        from jobctl.sandbox.tencent_state import RealClock

        moto = self._stack.enter_context(moto_server(self.port))
        self.moto = moto
        self.batch = self._stack.enter_context(
            BatchWorld(endpoint=moto.url, region=BATCH_REGION, stop_delay=self.batch_stop_delay)
        )
        self.iot = self._stack.enter_context(IotWorld(endpoint=moto.url, region=BATCH_REGION))
        self.tencent = self._stack.enter_context(
            TencentBatchEmulator(
                secrets={TENCENT_SECRET_ID: TENCENT_SECRET_KEY},
                terminate_delay=self.tencent_terminate_delay,
                clock=RealClock(),
                state_seconds=20.0,
                port=self.port + 1 if self.port else 0,
            )
        )
        self.state_dir = Path(
            self._stack.enter_context(tempfile.TemporaryDirectory(prefix="jobctl-sandbox-"))
        )
        self.env = {
            "AWS_ENDPOINT_URL": moto.url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": BATCH_REGION,
            "AWS_REGION": BATCH_REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "TENCENTCLOUD_ENDPOINT_URL": self.tencent.url,
            "TENCENTCLOUD_SECRET_ID": TENCENT_SECRET_ID,
            "TENCENTCLOUD_SECRET_KEY": TENCENT_SECRET_KEY,
            "TENCENTCLOUD_REGION": TENCENT_REGION,
            # A rehearsal never writes to the real audit log.
            "JOBCTL_AUDIT_LOG": str(self.state_dir / "audit.jsonl"),
        }
        self._seed()

    def _seed(self) -> None:
        batch, iot, tencent, seeded = self.batch, self.iot, self.tencent, self.seeded
        for n in range(1, 5):
            seeded.batch_stale.append(
                batch.add_job("RUNNABLE", name=f"etl-{n}", queue="demo-q", age=2 * HOUR)
            )
        seeded.batch_stale.append(
            batch.add_job("PENDING", name="etl-deps", queue="demo-q", age=2 * HOUR)
        )
        seeded.batch["queued"] = batch.add_job(
            "RUNNABLE", name="report-daily", queue="demo-q", age=600
        )
        seeded.batch["submitted"] = batch.add_job("SUBMITTED", name="ingest", queue="demo-q")
        seeded.batch["running"] = batch.add_job(
            "RUNNING", name="train-model", queue="demo-q", age=HOUR
        )
        seeded.batch["starting"] = batch.add_job("STARTING", name="warm-up", queue="demo-q")
        seeded.batch["succeeded"] = batch.add_job(
            "SUCCEEDED", name="etl-0", queue="demo-q", age=3 * HOUR
        )
        seeded.batch["failed"] = batch.add_job("FAILED", name="flaky", queue="demo-q", age=3 * HOUR)
        seeded.batch["array"] = batch.add_job(
            "RUNNABLE", name="render-frames", queue="prod-q", array_size=3
        )
        for n in range(1, 3):
            batch.add_job("SUBMITTED", name=f"nightly-{n}", queue="prod-q", step=15.0)
        for n in range(1, 4):
            batch.add_job("RUNNABLE", name=f"backfill-{n}", queue="prod-q", age=HOUR)

        seeded.iot["rollout"] = iot.add_job(
            "IN_PROGRESS",
            job_id="firmware-rollout",
            executions={"sensor-a": "IN_PROGRESS", "sensor-b": "QUEUED", "sensor-c": "SUCCEEDED"},
        )
        seeded.iot["canary"] = iot.add_job(
            "IN_PROGRESS",
            job_id="ota-canary",
            executions={"sensor-a": "QUEUED", "sensor-d": "IN_PROGRESS"},
        )
        seeded.iot["done"] = iot.add_job(
            "COMPLETED", job_id="config-push", executions={"sensor-b": "SUCCEEDED"}
        )
        # Every other job state, so a queued job's cancel can be rehearsed (it is the one IoT
        # cancels without --force) and a finished one's refusal seen.
        seeded.iot["scheduled"] = iot.add_job(
            "SCHEDULED", job_id="maintenance-window", executions={"sensor-e": "QUEUED"}
        )
        seeded.iot["canceled"] = iot.add_job(
            "CANCELED", job_id="recalled-build", executions={"sensor-c": "CANCELED"}
        )
        seeded.iot["deleting"] = iot.add_job(
            "DELETION_IN_PROGRESS", job_id="retired-fleet", executions={"sensor-f": "REMOVED"}
        )

        ids = tencent.seed_demo(region=TENCENT_REGION)
        for job_id in ids:
            job = tencent.job(job_id)
            seeded.tencent.setdefault(job.state.lower(), job_id)
        seeded.tencent["batch-1"] = tencent.add_job(
            "train-a", "RUNNING", pinned=True, region=TENCENT_REGION
        )
        seeded.tencent["batch-2"] = tencent.add_job(
            "train-b", "RUNNABLE", pinned=True, region=TENCENT_REGION
        )
        for state in SERVICE_STATES:
            seeded.batch_service[state.lower()] = batch.add_service_job(
                state, name=f"train-{state.lower()}", queue=SERVICE_QUEUE, age=HOUR
            )
        self._seed_extra()

    def _seed_extra(self) -> None:
        """`--extra-jobs N`: N RUNNABLE jobs per provider, through each backend directly (no
        request per job), that stay queued until stopped: a crowd to rehearse bulk work on."""
        count, extra = self.extra_jobs, self.seeded.extra
        if not count:
            return
        extra["aws-batch"] = [
            self.batch.add_job("RUNNABLE", name=f"extra-{n}", queue=EXTRA_QUEUE)
            for n in range(count)
        ]
        # IoT's queued phase: a SCHEDULED job whose execution is QUEUED on its device.
        extra["aws-iot"] = [
            self.iot.add_job("SCHEDULED", job_id=f"extra-{n}", executions={"device": "QUEUED"})
            for n in range(count)
        ]
        extra["tencent"] = [
            self.tencent.add_job(f"extra-{n}", "RUNNABLE", pinned=True, region=TENCENT_REGION)
            for n in range(count)
        ]

    def exports(self) -> str:
        return "\n".join(f"export {key}={value}" for key, value in self.env.items())
