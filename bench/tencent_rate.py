"""How close to Tencent's TerminateJob limit does `jobctl terminate` run, and is it ever refused?

Starts the Tencent Cloud Batch emulator (2 TerminateJob requests per second, as the API
documents, enforced over a sliding one-second window), seeds RUNNING jobs, runs the installed
`jobctl terminate -p tencent` against it in a subprocess, and reads the emulator's own record:
when each TerminateJob was accepted and how many were refused with RequestLimitExceeded.

    python bench/tencent_rate.py                 # 20 jobs, 3 runs, the default rate
    python bench/tencent_rate.py --jobs 40 --runs 1 --rate 1.5

The achieved rate is (accepted - 1) / (last accepted - first accepted), measured by the
emulator, so the CLI's start-up and its lookups before and after do not dilute it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from jobctl.sandbox.tencent_emulator import TencentBatchEmulator

SECRET_ID, SECRET_KEY = "AKIDbench", "bench-secret"
REGION = "ap-guangzhou"


@dataclass(frozen=True)
class Run:
    exit_code: int
    achieved: float
    # Most TerminateJob requests the emulator accepted within any one second.
    peak: int
    requests: int
    rate_limited: int
    outcomes: Counter[str]
    wall: float


def jobctl_command() -> list[str]:
    found = shutil.which("jobctl")
    return [found] if found else [sys.executable, "-m", "jobctl"]


def peak_per_second(times: tuple[float, ...]) -> int:
    return max(
        (sum(1 for t in times[i:] if t - start < 1.0) for i, start in enumerate(times)), default=0
    )


def one_run(*, jobs: int, limit: float, rate: float | None, home: Path) -> Run:
    with TencentBatchEmulator(secrets={SECRET_ID: SECRET_KEY}, terminate_rate=limit) as emu:
        ids = [emu.add_job(name=f"bench-{n}", state="RUNNING", pinned=True) for n in range(jobs)]
        # Nothing from the caller's shell may steer the run: no config, no real credentials.
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("TENCENTCLOUD_", "JOBCTL_"))
        }
        env |= {
            "TENCENTCLOUD_SECRET_ID": SECRET_ID,
            "TENCENTCLOUD_SECRET_KEY": SECRET_KEY,
            "TENCENTCLOUD_REGION": REGION,
            "TENCENTCLOUD_ENDPOINT_URL": emu.url,
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_STATE_HOME": str(home / "state"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "NO_PROXY": "127.0.0.1",
            "no_proxy": "127.0.0.1",
        }
        args = [*jobctl_command(), "terminate", "-p", "tencent", "--force", "--yes"]
        args += ["-o", "json", "--no-audit", *(["--rate", f"{rate:g}"] if rate else []), *ids]
        started = time.monotonic()
        # check=False: a failing run is reported in the table, not raised.
        proc = subprocess.run(
            args, check=False, env=env, capture_output=True, text=True, timeout=300
        )
        wall = time.monotonic() - started
        stats = emu.stats
    try:
        results = json.loads(proc.stdout)["results"]
    except (ValueError, KeyError):
        sys.exit(f"jobctl did not print its JSON results (exit {proc.returncode}):\n{proc.stderr}")
    times = stats.terminate_times
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    return Run(
        exit_code=proc.returncode,
        achieved=(len(times) - 1) / span if span else 0.0,
        peak=peak_per_second(times),
        requests=stats.requests.get("TerminateJob", 0),
        rate_limited=stats.rate_limited,
        outcomes=Counter(str(r["outcome"]) for r in results),
        wall=wall,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20, help="RUNNING jobs to terminate")
    parser.add_argument("--runs", type=int, default=3, help="runs; the table adds the median")
    parser.add_argument("--limit", type=float, default=2.0, help="the emulator's limit, req/s")
    parser.add_argument("--rate", type=float, default=None, help="jobctl --rate (default: its own)")
    args = parser.parse_args()

    runs = []
    with tempfile.TemporaryDirectory(prefix="jobctl-bench-") as home:
        for _ in range(args.runs):
            runs.append(one_run(jobs=args.jobs, limit=args.limit, rate=args.rate, home=Path(home)))

    print(f"{args.jobs} RUNNING jobs, emulator limit {args.limit:g} TerminateJob/s")
    header = ("run", "exit", "achieved/s", "limit/s", "peak in 1s", "requests", "limited", "wall s")
    print("  ".join(f"{h:>10}" for h in header), " outcomes")
    for number, run in enumerate(runs, 1):
        cells = (
            str(number),
            str(run.exit_code),
            f"{run.achieved:.3f}",
            f"{args.limit:g}",
            str(run.peak),
            str(run.requests),
            str(run.rate_limited),
            f"{run.wall:.1f}",
        )
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(run.outcomes.items()))
        print("  ".join(f"{c:>10}" for c in cells), "", outcomes)
    if len(runs) > 1:
        cells = (
            "median",
            "",
            f"{statistics.median(r.achieved for r in runs):.3f}",
            f"{args.limit:g}",
            f"{statistics.median(r.peak for r in runs):g}",
            f"{statistics.median(r.requests for r in runs):g}",
            f"{statistics.median(r.rate_limited for r in runs):g}",
            f"{statistics.median(r.wall for r in runs):.1f}",
        )
        print("  ".join(f"{c:>10}" for c in cells))
    clean = all(r.exit_code == 0 and set(r.outcomes) <= {"terminated", "stopping"} for r in runs)
    return 0 if clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
